import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api } from './api';
import { openAdminApp, screenshot, screenshotIfFailed, type BrowserSession } from './browser';
import { gradientPng } from './png';
import { startProductServer, type ProductServer } from './server-process';

// An admin manages another user's links (issue 14): revokes an expiring link on the user's page and
// rotates the permanent links of images from the images list. What the browser did is checked through
// the API and over HTTP, as the owner's clients would see it.

const CREATE_LINK = 'mutation($id: ID!, $size: Int) { createExpiringLink(imageId: $id, expiresIn: 3600, size: $size) { id url } }';
const OWNERS_LINKS = 'query { expiringLinks(includeExpired: true) { edges { node { id revokedAt } } } }';
const PERMANENT_URLS = 'query($id: ID!) { image(id: $id) { originalUrl thumbnails { url } } }';

let server: ProductServer;
let api: Api;
let session: BrowserSession;
let page: Page;
let ownerToken: string;
let imageIds: string[];
let originalLink: { id: string; url: string };
let thumbnailLink: { id: string; url: string };

const status = async (url: string) => (await fetch(url)).status;

/** Every permanent URL of the image, as its owner reads them. */
async function permanentUrls(imageId: string): Promise<string[]> {
  const { data, errors } = await api.gql(PERMANENT_URLS, { id: imageId }, ownerToken);
  expect(errors).toBeUndefined();
  expect(data.image.originalUrl).toBeTruthy();
  return [data.image.originalUrl, ...data.image.thumbnails.map((thumbnail: { url: string }) => thumbnail.url)];
}

async function createLink(imageId: string, size: number | null) {
  const { data, errors } = await api.gql(CREATE_LINK, { id: imageId, size }, ownerToken);
  expect(errors).toBeUndefined();
  return data.createExpiringLink as { id: string; url: string };
}

beforeAll(async () => {
  server = await startProductServer();
  api = new Api(server.url);
  const adminToken = await api.login(server.adminUsername, server.adminPassword);
  const tiers = await api.gql('query { tiers(filter: { q: "Enterprise" }) { nodes { id } } }', {}, adminToken);
  ownerToken = await api.createUser(adminToken, { username: 'link-owner', password: 'link-owner-password', tierId: tiers.data.tiers.nodes[0].id });
  imageIds = [await api.upload(ownerToken, 'harbour.png', gradientPng(320, 240)), await api.upload(ownerToken, 'lighthouse.png', gradientPng(240, 320))];
  originalLink = await createLink(imageIds[0]!, null);
  thumbnailLink = await createLink(imageIds[0]!, 200);
  session = await openAdminApp(server);
  page = session.page;
});

afterEach(({ task }) => screenshotIfFailed(page, task));

afterAll(async () => {
  await session?.browser.close();
  await server?.stop();
});

describe('an admin and another user’s links, in a real browser', () => {
  const activeLinks = () => page.getByRole('region', { name: 'Active expiring links' });
  const linkRows = () => activeLinks().locator('tbody tr');

  it('lists the user’s active expiring links on their page', async () => {
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByRole('row', { name: /link-owner/ }).click();
    await page.waitForURL(/#\/users\/[0-9a-f-]+$/);
    await expect.poll(() => linkRows().count()).toBe(2);
    const rows = await linkRows().allTextContents();
    expect(rows).toEqual(expect.arrayContaining([expect.stringMatching(/^harbour\.png200 px/), expect.stringMatching(/^harbour\.pngoriginal/)]));
    await screenshot(page, 'user-links');
  });

  it('revokes one only once the admin confirms; it leaves the page and answers 410', async () => {
    const originalRow = linkRows().filter({ hasText: 'original' });
    await originalRow.getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Revoke this link?').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await linkRows().count()).toBe(2);
    expect(await status(originalLink.url)).toBe(200);

    await originalRow.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('The link was revoked').waitFor();
    await expect.poll(() => linkRows().allTextContents()).toEqual([expect.stringMatching(/^harbour\.png200 px/)]);
    await screenshot(page, 'user-links-revoked');

    const links = (await api.gql(OWNERS_LINKS, {}, ownerToken)).data.expiringLinks.edges.map((edge: { node: unknown }) => edge.node);
    expect(links).toContainEqual({ id: originalLink.id, revokedAt: expect.any(String) });
    expect(links).toContainEqual({ id: thumbnailLink.id, revokedAt: null });
    expect(await status(originalLink.url)).toBe(410);
    expect(await status(thumbnailLink.url)).toBe(200);
  });

  it('rotates the permanent links of the selected images once the admin confirms', async () => {
    const before = await Promise.all(imageIds.map(permanentUrls));
    for (const url of before.flat()) expect(await status(url)).toBe(200);
    await page.goto(`${server.url}/admin/#/images`);
    for (const filename of ['harbour.png', 'lighthouse.png']) await page.getByRole('row', { name: new RegExp(filename) }).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Rotate links' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Rotate the links of 2 images?').waitFor();
    await screenshot(page, 'images-rotate-confirm');
    await dialog.getByRole('button', { name: 'Rotate links' }).click();
    await page.getByText('2 images got new links').waitFor();

    const after = await Promise.all(imageIds.map(permanentUrls));
    for (const [i, urls] of after.entries()) {
      expect(urls).toHaveLength(before[i]!.length);
      for (const url of urls) expect(before.flat()).not.toContain(url);
    }
    for (const url of before.flat()) expect(await status(url)).toBe(403);
    for (const url of after.flat()) expect(await status(url)).toBe(200);
    // the list was refreshed: its thumbnails load from the new URLs
    for (const filename of ['harbour.png', 'lighthouse.png']) {
      const thumbnail = page.getByRole('row', { name: new RegExp(filename) }).locator('img');
      await expect.poll(() => thumbnail.getAttribute('src').then((src) => after.flat().includes(src ?? ''))).toBe(true);
      await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBeGreaterThan(0);
    }
    // expiring links are not permanent links: rotation leaves them alone
    expect(await status(thumbnailLink.url)).toBe(200);
    expect(session.pageErrors).toEqual([]);
  });
});
