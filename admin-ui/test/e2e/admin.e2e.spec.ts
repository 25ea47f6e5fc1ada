import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gradientPng } from './png';
import { startProductServer, type ProductServer } from './server-process';

const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: ProductServer;
let browser: Browser;
let page: Page;
// uncaught exceptions and console errors (failed requests, CSP refusals) seen in the browser
const pageErrors: string[] = [];
const scripts: string[] = [];

async function gql(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function uploadAs(token: string, filename: string, bytes: Buffer) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { id } }', variables: { f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), filename);
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: form,
  });
  const body = (await response.json()) as { errors?: unknown };
  expect(body.errors).toBeUndefined();
}

const shot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });

async function logIn(username: string, password: string) {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  server = await startProductServer();
  const { token } = (await gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: server.adminUsername, p: server.adminPassword })).data.login;
  const created = await gql('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { username: 'plain-user', password: 'plain-password' } }, token);
  expect(created.errors).toBeUndefined();
  const plainLogin = await gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: 'plain-user', p: 'plain-password' });
  await uploadAs(plainLogin.data.login.token, 'gradient.png', gradientPng(320, 240));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${message.text()} ${message.location().url}`);
  });
});

// a failed step leaves a picture of the page behind, which says more than a selector timeout
afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await page?.screenshot({ path: `${SCREENSHOTS}/failed-${task.name.replace(/\W+/g, '-')}.png`, fullPage: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the admin app in a real browser', () => {
  it('refuses a non-admin account with a clear message', async () => {
    await page.goto(`${server.url}/admin/`);
    await page.locator('input[name="username"]').first().waitFor();
    // the login page loads without Apollo Client and the GraphQL documents, which come after login
    expect(scripts.some((path) => path.includes('/dataProvider-'))).toBe(false);
    await shot('login');
    await logIn('plain-user', 'plain-password');
    await page.getByText('This account is not an admin').first().waitFor();
    expect(page.url()).toContain('/login');
  });

  it('logs an admin in and keeps the session across a reload', async () => {
    await logIn(server.adminUsername, server.adminPassword);
    await page.waitForURL(/#\/tiers/);
    await page.getByRole('cell', { name: 'Enterprise' }).first().waitFor();
    expect(scripts.some((path) => path.includes('/dataProvider-'))).toBe(true);
    await page.reload();
    await page.getByRole('cell', { name: 'Enterprise' }).first().waitFor();
    await shot('tiers-list');
  });

  it('creates a tier with three heights', async () => {
    await page.goto(`${server.url}/admin/#/tiers/create`);
    await page.locator('input[name="name"]').fill('Gold');
    const newHeight = page.getByLabel('New height');
    await newHeight.fill('400');
    await page.getByRole('button', { name: 'Add' }).click();
    await newHeight.fill('300');
    await newHeight.press('Enter');
    await newHeight.fill('300');
    await newHeight.press('Enter');
    await page.getByText('300 is already in the list').first().waitFor();
    await newHeight.fill('5000');
    await newHeight.press('Enter');
    await page.getByText('Enter a whole number from 1 to 4096').first().waitFor();
    await page.getByLabel('Link to the original').check();
    await shot('tier-create');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/tiers$/);
    const row = page.getByRole('row', { name: /Gold/ });
    await expect.poll(() => row.textContent()).toContain('200, 300, 400');
  });

  it('creates a user on that tier', async () => {
    await page.goto(`${server.url}/admin/#/users/create`);
    await page.locator('input[name="username"]').fill('gold-user');
    await page.locator('input[name="password"]').fill('gold-password');
    await page.getByLabel('Tier').click();
    await page.getByRole('option', { name: 'Gold' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/users$/);
    const row = page.getByRole('row', { name: /gold-user/ });
    await expect.poll(() => row.textContent()).toContain('Gold');
    await shot('users-list');
  });

  it('filters users by username and by tier', async () => {
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByRole('row', { name: /plain-user/ }).waitFor();
    await page.getByPlaceholder('Username').fill('gold');
    await page.waitForURL(/filter=.*gold/);
    await expect.poll(() => page.getByRole('row', { name: /plain-user/ }).count()).toBe(0);
    await page.getByRole('row', { name: /gold-user/ }).waitFor();
    await page.getByPlaceholder('Username').fill('');
    await page.getByRole('row', { name: /plain-user/ }).waitFor();
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByRole('menu').getByText('Tier', { exact: true }).click();
    await page.getByLabel('Tier').click();
    await page.getByRole('option', { name: 'Gold' }).click();
    await expect.poll(() => page.getByRole('row', { name: /plain-user/ }).count()).toBe(0);
    await page.getByRole('row', { name: /gold-user/ }).waitFor();
    // react-admin remembers list filters; drop this one so later steps see every user
    await page.getByTitle('Remove this filter').click();
    await page.getByRole('row', { name: /plain-user/ }).waitFor();
  });

  it('filters tiers by name and sorts them', async () => {
    await page.goto(`${server.url}/admin/#/tiers`);
    const names = () => page.locator('tbody tr td.column-name').allTextContents();
    await expect.poll(names).toEqual(['Basic', 'Enterprise', 'Gold', 'Premium']);
    await page.getByRole('button', { name: 'Name' }).click();
    await expect.poll(names).toEqual(['Premium', 'Gold', 'Enterprise', 'Basic']);
    await page.getByPlaceholder('Name').fill('PREM');
    await expect.poll(names).toEqual(['Premium']);
    await page.getByPlaceholder('Name').fill('');
  });

  it('edits the tier, and shows the server’s validation error beside its field', async () => {
    await page.goto(`${server.url}/admin/#/tiers`);
    await page.getByRole('row', { name: /Gold/ }).click();
    await page.waitForURL(/#\/tiers\/[0-9a-f-]+$/);
    await page.getByTestId('height-300').locator('svg').click();
    const newHeight = page.getByLabel('New height');
    await newHeight.fill('800');
    await newHeight.press('Enter');
    await page.locator('input[name="name"]').fill('basic');
    await page.getByRole('button', { name: 'Save' }).click();
    // the server refuses the name (case-insensitive duplicate); the message sits under the name field
    await page.getByText('A tier named basic already exists').waitFor();
    await shot('tier-edit-error');
    await page.locator('input[name="name"]').fill('Gold Plus');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/tiers$/);
    const row = page.getByRole('row', { name: /Gold Plus/ });
    await expect.poll(() => row.textContent()).toContain('200, 400, 800');
  });

  it('shows the server’s refusal to delete a tier that has users', async () => {
    await page.getByRole('row', { name: /Gold Plus/ }).click();
    await page.waitForURL(/#\/tiers\/[0-9a-f-]+$/);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(/still has 1 user/).first().waitFor();
    await shot('tier-delete-refused');
    expect(page.url()).toMatch(/#\/tiers\/[0-9a-f-]+$/);
  });

  it('moves the user to another tier with a new password, then the empty tier deletes', async () => {
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByRole('row', { name: /gold-user/ }).click();
    await page.waitForURL(/#\/users\/[0-9a-f-]+$/);
    await page.getByLabel('Tier').click();
    await page.getByRole('option', { name: 'Premium' }).click();
    await page.locator('input[name="password"]').fill('a-new-gold-password');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/users$/);
    await expect.poll(() => page.getByRole('row', { name: /gold-user/ }).textContent()).toContain('Premium');
    const relogin = await gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { user { tier { name } } } }', { u: 'gold-user', p: 'a-new-gold-password' });
    expect(relogin.data?.login.user.tier.name).toBe('Premium');

    await page.goto(`${server.url}/admin/#/tiers`);
    await page.getByRole('row', { name: /Gold Plus/ }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/#\/tiers$/);
    await expect.poll(() => page.getByRole('row', { name: /Gold Plus/ }).count()).toBe(0);
  });

  it('deletes a user', async () => {
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByRole('row', { name: /gold-user/ }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/#\/users$/);
    await expect.poll(() => page.getByRole('row', { name: /gold-user/ }).count()).toBe(0);
    const gone = await gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: 'gold-user', p: 'a-new-gold-password' });
    expect(gone.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lists every user’s images read-only', async () => {
    await page.goto(`${server.url}/admin/#/images`);
    const row = page.getByRole('row', { name: /gradient\.png/ });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('plain-user');
    // the thumbnail really loads under the app's CSP: a broken image has no natural size
    const thumbnail = row.locator('img');
    await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBeGreaterThan(0);
    await shot('images-list');
  });

  it('logs out', async () => {
    await page.goto(`${server.url}/admin/#/tiers`);
    await page.getByRole('button', { name: 'Profile' }).click();
    await page.getByRole('menuitem', { name: 'Logout' }).click();
    await page.locator('input[name="username"]').first().waitFor();
    await page.goto(`${server.url}/admin/#/users`);
    await page.locator('input[name="username"]').first().waitFor();
    expect(pageErrors).toEqual([]);
  });
});
