import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, formatCount } from '../../src/dashboard/format';
import { Api } from './api';
import { logIn, openBrowser, screenshot, screenshotIfFailed, type BrowserSession } from './browser';
import { gradientPng } from './png';
import { startProductServer, type ProductServer } from './server-process';

// Issue 17: the dashboard in a real browser against the built product. The server runs with
// JOBS_WORKER=off, so the thumbnail sync a tier edit queues waits until the test starts a worker
// process: the dashboard is seen with the work pending and then, refreshing on its own, done.

const STATS = `{ adminStats { totals { images originalBytes thumbnailBytes users } topUsers { user { id username } bytes }
  tiers { tier { name } imagesOutOfStep } jobs { queued running queues { queue queued running } } } }`;

let server: ProductServer;
let api: Api;
let adminToken: string;
let session: BrowserSession;
let page: Page;
let regenTierId: string;

async function stats() {
  const result = await api.gql(STATS, {}, adminToken);
  expect(result.errors).toBeUndefined();
  return result.data.adminStats;
}

beforeAll(async () => {
  server = await startProductServer({ env: { JOBS_WORKER: 'off' } });
  api = new Api(server.url);
  adminToken = await api.login(server.adminUsername, server.adminPassword);
  const tier = await api.gql('mutation { createTier(input: { name: "Regen", thumbnailHeights: [100] }) { id } }', {}, adminToken);
  regenTierId = tier.data.createTier.id;
  for (const [username, tierId, sizes] of [
    ['regen-user', regenTierId, [[320, 240], [240, 320], [400, 300]]],
    ['basic-user', undefined, [[200, 200]]],
  ] as const) {
    const created = await api.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { username, password: `${username}-password`, tierId } }, adminToken);
    expect(created.errors).toBeUndefined();
    const token = await api.login(username, `${username}-password`);
    for (const [width, height] of sizes) await api.upload(token, `${username}-${width}x${height}.png`, gradientPng(width, height));
  }
  session = await openBrowser();
  page = session.page;
  await page.goto(`${server.url}/admin/`);
  await logIn(page, server.adminUsername, server.adminPassword);
});

afterEach(({ task }) => screenshotIfFailed(page, task));

afterAll(async () => {
  await session?.browser.close();
  await server?.stop();
});

const regenRow = () => page.getByTestId('regeneration-Regen');

describe('the admin dashboard, in a real browser', () => {
  it('opens after login and shows the same totals as the API', async () => {
    await page.getByTestId('total-images').waitFor();
    expect(new URL(page.url()).hash).toBe('#/');
    const { totals, topUsers } = await stats();
    expect(totals.images).toBe(4);
    expect(await page.getByTestId('total-images-value').textContent()).toBe(formatCount(totals.images));
    expect(await page.getByTestId('total-users-value').textContent()).toBe(formatCount(totals.users));
    expect(await page.getByTestId('total-original-bytes-value').textContent()).toBe(formatBytes(totals.originalBytes));
    expect(await page.getByTestId('total-original-bytes-detail').textContent()).toBe(`${formatCount(totals.originalBytes)} bytes`);
    expect(await page.getByTestId('total-thumbnail-bytes-detail').textContent()).toBe(`${formatCount(totals.thumbnailBytes)} bytes`);
    // the charts are drawn (SVG from @mui/x-charts), one bar per day of the last 30
    await expect.poll(() => page.getByRole('region', { name: 'Uploads per day (last 30 days)' }).locator('svg').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('region', { name: 'Users per tier' }).locator('svg path').count()).toBeGreaterThan(0);
    // the top users, most storage first, link to their pages
    const links = page.getByRole('region', { name: 'Top users by storage' }).getByRole('link');
    await expect.poll(() => links.allTextContents()).toEqual(topUsers.map((usage: { user: { username: string } }) => usage.user.username));
    expect(await page.getByTestId('work-status').textContent()).toBe('All thumbnails match their tiers.');
    expect(await page.getByTestId('jobs-queued').textContent()).toBe('0 queued');
    await screenshot(page, 'dashboard');
    await links.first().click();
    await page.waitForURL(new RegExp(`#/users/${topUsers[0].user.id}$`));
  });

  it('shows the regeneration a tier edit starts, then its end without a reload, then the change in the tier’s History', async () => {
    await page.goto(`${server.url}/admin/#/tiers/${regenTierId}`);
    const newHeight = page.getByLabel('New height');
    await newHeight.fill('160');
    await newHeight.press('Enter');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/tiers$/);

    await page.goto(`${server.url}/admin/#/`);
    await expect.poll(() => regenRow().getByTestId('out-of-step').textContent()).toBe('3');
    await expect.poll(() => page.getByTestId('jobs-queued').textContent()).toBe('1 queued');
    expect(await page.getByTestId('queues').textContent()).toBe('thumbnail-sync: 1 queued, 0 running, 0 failed');
    expect(await page.getByTestId('work-status').textContent()).toMatch(/^Regenerating thumbnails\. This page refreshes every 2 seconds/);
    expect(await regenRow().getByRole('progressbar').getAttribute('aria-valuenow')).toBe('0');
    await screenshot(page, 'dashboard-regenerating');
    const api = await stats();
    expect(api.tiers.find((t: { tier: { name: string } }) => t.tier.name === 'Regen').imagesOutOfStep).toBe(3);

    // the worker makes the 160 px thumbnails; the page, left alone, follows
    await server.startWorker();
    await expect.poll(() => regenRow().getByTestId('out-of-step').textContent(), { timeout: 60_000 }).toBe('0');
    // the worker queues maintenance of its own when it starts (the location backfill): only the sync counts here
    await expect.poll(() => page.getByTestId('work-status').textContent(), { timeout: 30_000 }).toMatch(/^All thumbnails match their tiers\./);
    await expect.poll(() => page.getByTestId('queues').textContent()).not.toContain('thumbnail-sync');
    expect(await regenRow().getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    const done = await stats();
    expect(done.tiers.find((t: { tier: { name: string } }) => t.tier.name === 'Regen').imagesOutOfStep).toBe(0);
    expect(done.jobs.queues.find((q: { queue: string }) => q.queue === 'thumbnail-sync')).toEqual({ queue: 'thumbnail-sync', queued: 0, running: 0 });
    await screenshot(page, 'dashboard-regenerated');

    await page.goto(`${server.url}/admin/#/tiers/${regenTierId}`);
    await page.getByRole('tab', { name: 'History' }).click();
    await page.waitForURL(/\/history$/);
    const update = page.getByRole('row').filter({ hasText: 'tier.update' });
    await update.first().waitFor();
    const changes = update.first().getByRole('table', { name: 'Changes' });
    await expect.poll(() => changes.getByRole('row', { name: /thumbnailHeights/ }).allTextContents()).toEqual(['thumbnailHeights100100, 160']);
    expect(await changes.getByRole('columnheader').allTextContents()).toEqual(['Field', 'Before', 'After']);
    expect(await page.getByRole('row').filter({ hasText: 'tier.create' }).count()).toBe(1);
    await screenshot(page, 'tier-history');
  });

  it('lists the change in the audit log, filtered by action', async () => {
    await page.goto(`${server.url}/admin/#/auditEvents`);
    await page.getByRole('row').filter({ hasText: 'user.create' }).first().waitFor();
    await page.getByRole('combobox', { name: 'Action' }).click();
    await page.getByRole('option', { name: 'tier.update' }).click();
    const rows = page.locator('.RaDatagrid-tbody > tr');
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining('tier.update')]);
    const row = rows.first();
    expect(await row.textContent()).toContain(server.adminUsername);
    expect(await row.textContent()).toContain(regenTierId);
    await screenshot(page, 'audit-log');
    expect(session.pageErrors).toEqual([]);
  });
});
