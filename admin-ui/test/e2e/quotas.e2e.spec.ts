import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api } from './api';
import { openAdminApp, screenshot, screenshotIfFailed, type BrowserSession } from './browser';
import { gradientPng } from './png';
import { startProductServer, type ProductServer } from './server-process';

// Tier quotas in the admin app (issue 16): the tier form edits the limits with the same rules as the
// server, the tiers list sums them up, and the users list shows each user's usage.

let server: ProductServer;
let api: Api;
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  server = await startProductServer();
  api = new Api(server.url);
  const adminToken = await api.login(server.adminUsername, server.adminPassword);
  const token = await api.createUser(adminToken, { username: 'metered-user', password: 'metered-password' });
  await api.upload(token, 'one.png', gradientPng(320, 240));
  await api.upload(token, 'two.png', gradientPng(240, 320));
  session = await openAdminApp(server);
  page = session.page;
});

afterEach(({ task }) => screenshotIfFailed(page, task));

afterAll(async () => {
  await session?.browser.close();
  await server?.stop();
});

describe('quotas in the admin app', () => {
  it('refuses a zero limit beside its field, then creates a tier with limits', async () => {
    await page.goto(`${server.url}/admin/#/tiers/create`);
    await page.locator('input[name="name"]').fill('Metered');
    await page.locator('input[name="maxImages"]').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    const rule = page.getByText('A whole number of at least 1, or empty for no limit');
    await rule.first().waitFor();
    expect(page.url()).toMatch(/#\/tiers\/create$/);
    await page.locator('input[name="maxImages"]').fill('5');
    await page.locator('input[name="maxBytes"]').fill('1500000');
    await page.getByText('1.5 MB of originals').waitFor();
    await screenshot(page, 'tier-limits');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/tiers$/);
    await expect.poll(() => page.getByRole('row', { name: /Metered/ }).textContent()).toContain('5 images · 1.5 MB');
    const saved = await api.gql('{ tiers(filter: { q: "Metered" }) { nodes { maxImages maxBytes uploadsPerHour } } }', {}, await api.login(server.adminUsername, server.adminPassword));
    expect(saved.data.tiers.nodes).toEqual([{ maxImages: 5, maxBytes: 1_500_000, uploadsPerHour: null }]);
  });

  it('removes a limit when its field is emptied', async () => {
    await page.getByRole('row', { name: /Metered/ }).click();
    await page.waitForURL(/#\/tiers\/[0-9a-f-]+$/);
    await page.locator('input[name="maxBytes"]').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/tiers$/);
    await expect.poll(() => page.getByRole('row', { name: /Metered/ }).textContent()).toContain('5 images');
    expect(await page.getByRole('row', { name: /Metered/ }).textContent()).not.toContain('MB');
  });

  it('shows each user’s usage in the users list', async () => {
    await page.goto(`${server.url}/admin/#/users`);
    const row = page.getByRole('row', { name: /metered-user/ });
    await row.waitFor();
    const cells = () => row.locator('td').allTextContents();
    await expect.poll(cells).toContain('2');
    expect((await cells()).some((text) => /\d+(\.\d+)? (bytes|KB|MB)/.test(text))).toBe(true);
    await screenshot(page, 'users-usage');
  });
});
