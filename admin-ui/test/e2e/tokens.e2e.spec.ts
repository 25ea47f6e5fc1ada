import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api } from './api';
import { openAdminApp, screenshot, screenshotIfFailed, type BrowserSession } from './browser';
import { startProductServer, type ProductServer } from './server-process';

// An admin revokes another user's personal access token on the user's page, and logging out of the
// app ends the admin's session on the server. Both are checked over HTTP, as a script holding the
// token would see them.

const CREATE_TOKEN = 'mutation($name: String!) { createAccessToken(input: { name: $name, expiresInDays: 30 }) { token accessToken { id } } }';
const OWNERS_TOKENS = 'query { accessTokens { id name } }';

let server: ProductServer;
let api: Api;
let session: BrowserSession;
let page: Page;
let adminToken: string;
let ownerToken: string;
let nightly: { token: string; id: string };
let deploy: { token: string; id: string };

/** The HTTP status of a request made with the bearer token, as a script would send it. */
async function statusWith(token: string): Promise<number> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ me { id } }' }),
  });
  return response.status;
}

async function createToken(name: string) {
  const { data, errors } = await api.gql(CREATE_TOKEN, { name }, ownerToken);
  expect(errors).toBeUndefined();
  return { token: data.createAccessToken.token as string, id: data.createAccessToken.accessToken.id as string };
}

beforeAll(async () => {
  server = await startProductServer();
  api = new Api(server.url);
  adminToken = await api.login(server.adminUsername, server.adminPassword);
  ownerToken = await api.createUser(adminToken, { username: 'token-owner', password: 'token-owner-password' });
  nightly = await createToken('nightly backup');
  deploy = await createToken('deploy script');
  session = await openAdminApp(server);
  page = session.page;
});

afterEach(({ task }) => screenshotIfFailed(page, task));

afterAll(async () => {
  await session?.browser.close();
  await server?.stop();
});

describe('an admin and another user’s access tokens, in a real browser', () => {
  const accessTokens = () => page.getByRole('region', { name: 'Access tokens' });
  const tokenRows = () => accessTokens().locator('tbody tr');

  it('lists the user’s tokens on their page: name, created, expires, last used', async () => {
    expect(await statusWith(nightly.token)).toBe(200);
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByRole('row', { name: /token-owner/ }).click();
    await page.waitForURL(/#\/users\/[0-9a-f-]+$/);
    await expect.poll(() => tokenRows().count()).toBe(2);
    expect(await accessTokens().locator('thead th').allTextContents()).toEqual(expect.arrayContaining(['Name', 'Created', 'Expires', 'Last used']));
    // newest first; the nightly token was used just now (to the minute), the deploy token never
    const rows = await tokenRows().allTextContents();
    expect(rows).toEqual([expect.stringMatching(/^deploy script.*never/), expect.stringMatching(/^nightly backup/)]);
    expect(rows[1]).not.toMatch(/never/);
    await screenshot(page, 'user-tokens');
  });

  it('revokes one only once the admin confirms; it leaves the list and answers 401', async () => {
    const nightlyRow = tokenRows().filter({ hasText: 'nightly backup' });
    await nightlyRow.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Revoke this access token?').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await tokenRows().count()).toBe(2);
    expect(await statusWith(nightly.token)).toBe(200);

    await nightlyRow.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('The access token was revoked').waitFor();
    await expect.poll(() => tokenRows().allTextContents()).toEqual([expect.stringMatching(/^deploy script/)]);
    await screenshot(page, 'user-tokens-revoked');

    expect(await statusWith(nightly.token)).toBe(401);
    expect(await statusWith(deploy.token)).toBe(200);
    expect((await api.gql(OWNERS_TOKENS, {}, ownerToken)).data.accessTokens).toEqual([{ id: deploy.id, name: 'deploy script' }]);
  });

  it('logging out ends the admin’s session on the server, not only in the browser', async () => {
    const stored = await page.evaluate(() => localStorage.getItem('image-api-admin'));
    const appToken = (JSON.parse(stored ?? '{}') as { token?: string }).token;
    expect(appToken).toBeTruthy();
    expect(await statusWith(appToken!)).toBe(200);

    await page.getByRole('button', { name: 'Profile' }).click();
    await page.getByRole('menuitem', { name: 'Logout' }).click();
    await page.locator('input[name="username"]').first().waitFor();

    // react-admin may show the login form while logout() still awaits the server; the app forgets the
    // token once the server has answered, so the server's part is done when the storage is empty
    await expect.poll(() => page.evaluate(() => localStorage.getItem('image-api-admin'))).toBeNull();
    expect(await statusWith(appToken!)).toBe(401);
    // only that session: the admin's others go on
    expect(await statusWith(adminToken)).toBe(200);
    expect(session.pageErrors).toEqual([]);
  });
});
