import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api } from './api';
import { logIn as logInAs, openBrowser, screenshot, screenshotIfFailed, type BrowserSession } from './browser';
import { gradientPng } from './png';
import { startProductServer, type ProductServer } from './server-process';

let server: ProductServer;
let api: Api;
let session: BrowserSession;
let page: Page;

const gql = (query: string, variables: Record<string, unknown>, token?: string) => api.gql(query, variables, token);
const shot = (name: string) => screenshot(page, name);
const logIn = (username: string, password: string) => logInAs(page, username, password);

beforeAll(async () => {
  server = await startProductServer();
  api = new Api(server.url);
  const token = await api.login(server.adminUsername, server.adminPassword);
  const created = await gql('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { username: 'plain-user', password: 'plain-password' } }, token);
  expect(created.errors).toBeUndefined();
  await api.upload(await api.login('plain-user', 'plain-password'), 'gradient.png', gradientPng(320, 240));
  session = await openBrowser();
  page = session.page;
});

afterEach(({ task }) => screenshotIfFailed(page, task));

afterAll(async () => {
  await session?.browser.close();
  await server?.stop();
});

describe('the admin app in a real browser', () => {
  it('refuses a non-admin account with a clear message', async () => {
    await page.goto(`${server.url}/admin/`);
    await page.locator('input[name="username"]').first().waitFor();
    // the login page loads without Apollo Client and the GraphQL documents, which come after login
    expect(session.scripts.some((path) => path.includes('/dataProvider-'))).toBe(false);
    await shot('login');
    await logIn('plain-user', 'plain-password');
    await page.getByText('This account is not an admin').first().waitFor();
    expect(page.url()).toContain('/login');
  });

  it('logs an admin in and keeps the session across a reload', async () => {
    await logIn(server.adminUsername, server.adminPassword);
    // the dashboard is the first page after login
    await page.getByTestId('total-images').waitFor();
    await page.goto(`${server.url}/admin/#/tiers`);
    await page.getByRole('cell', { name: 'Enterprise' }).first().waitFor();
    expect(session.scripts.some((path) => path.includes('/dataProvider-'))).toBe(true);
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
    expect(session.pageErrors).toEqual([]);
  });
});
