import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// What the admin app does with other users' links (issue 14): list a user's active expiring links,
// revoke one, and rotate the permanent links of any image. The admin is never the owner here.

const CREATE = `mutation($id: ID!, $size: Int) { createExpiringLink(imageId: $id, expiresIn: 3600, size: $size) { id url } }`;
const REVOKE = `mutation($id: ID!) { revokeExpiringLink(id: $id) { id revokedAt } }`;
const LIST = `query($ownerId: ID, $all: Boolean) {
  expiringLinks(ownerId: $ownerId, includeExpired: $all) { totalCount edges { node { id size revokedAt image { id filename } } } } }`;
const ROTATE = `mutation($id: ID!) { rotateImageLinks(imageId: $id) { id originalUrl thumbnails { size url } } }`;
const IMAGE = `query($id: ID!) { image(id: $id) { originalUrl thumbnails { size url } } }`;

interface PermanentUrls {
  originalUrl: string;
  thumbnails: Array<{ size: number; url: string }>;
}

let server: TestServer;
let owner: TestUser;
let imageId: string;
beforeAll(async () => {
  server = await TestServer.start();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
  const upload = await server.upload(owner.token, [{ name: 'harbour.png', data: await png(400, 300, '#258') }], { selection: 'id' });
  expect(upload.errors).toBeUndefined();
  imageId = upload.data.uploadImage.id;
});
afterAll(() => server?.stop());

async function createLink(size: number | null): Promise<{ id: string; url: string }> {
  const result = await server.gql(CREATE, { id: imageId, size }, owner.token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data.createExpiringLink;
}

async function status(link: string): Promise<{ status: number; code?: string }> {
  const { pathname, search } = new URL(link);
  const response = await fetch(`${server.url}${pathname}${search}`);
  const body = Buffer.from(await response.arrayBuffer());
  const code = response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(body.toString()).error?.code : undefined;
  return { status: response.status, code };
}

const activeIds = async (token: string, ownerId?: string): Promise<string[]> =>
  (await server.gql(LIST, { ownerId }, token)).data.expiringLinks.edges.map((edge: { node: { id: string } }) => edge.node.id);

async function ownersUrls(): Promise<PermanentUrls> {
  const result = await server.gql(IMAGE, { id: imageId }, owner.token);
  expect(result.errors).toBeUndefined();
  return result.data.image;
}

const everyUrl = (urls: PermanentUrls) => [urls.originalUrl, ...urls.thumbnails.map((thumbnail) => thumbnail.url)];

describe('an admin and another user’s expiring links', () => {
  it('lists the user’s active links with their image, and refuses ownerId to anyone else', async () => {
    const original = await createLink(null);
    // a second later, so newest first is a fact of the clock and not of the ids
    server.clock.advance(1000);
    const thumbnail = await createLink(200);
    const result = await server.gql(LIST, { ownerId: owner.id }, server.adminToken);
    expect(result.errors).toBeUndefined();
    expect(result.data.expiringLinks.totalCount).toBe(2);
    expect(result.data.expiringLinks.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { id: thumbnail.id, size: 200, revokedAt: null, image: { id: imageId, filename: 'harbour.png' } },
      { id: original.id, size: null, revokedAt: null, image: { id: imageId, filename: 'harbour.png' } },
    ]);
    // the admin's own list stays the admin's own
    expect(await activeIds(server.adminToken)).toEqual([]);
    const stranger = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    expect((await server.gql(LIST, { ownerId: owner.id }, stranger.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('revokes one of them at once and idempotently; it leaves the active list but not the full one', async () => {
    const [kept, revoked] = [await createLink(400), await createLink(200)];
    expect((await status(revoked.url)).status).toBe(200);
    const first = await server.gql(REVOKE, { id: revoked.id }, server.adminToken);
    expect(first.errors).toBeUndefined();
    expect(first.data.revokeExpiringLink.revokedAt).toBe(server.clock.now().toISOString());
    expect(await status(revoked.url)).toEqual({ status: 410, code: 'LINK_REVOKED' });
    server.clock.advance(1000);
    expect((await server.gql(REVOKE, { id: revoked.id }, server.adminToken)).data.revokeExpiringLink.revokedAt).toBe(first.data.revokeExpiringLink.revokedAt);

    for (const token of [server.adminToken, owner.token]) {
      const active = await activeIds(token, token === owner.token ? undefined : owner.id);
      expect(active).toContain(kept.id);
      expect(active).not.toContain(revoked.id);
    }
    const all = await server.gql(LIST, { ownerId: owner.id, all: true }, server.adminToken);
    expect(all.data.expiringLinks.edges.map((edge: { node: { id: string } }) => edge.node.id)).toContain(revoked.id);
    expect((await status(kept.url)).status).toBe(200);
  });

  it('answers NOT_FOUND for a link that does not exist', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) expect((await server.gql(REVOKE, { id }, server.adminToken)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('an admin rotating another user’s image', () => {
  it('retires every old permanent URL (403 LINK_INVALID) and answers the new ones the owner now sees', async () => {
    const before = await ownersUrls();
    expect(before.originalUrl).toBeTruthy();
    for (const url of everyUrl(before)) expect((await status(url)).status).toBe(200);
    const expiring = await createLink(200);

    const result = await server.gql<{ rotateImageLinks: PermanentUrls & { id: string } }>(ROTATE, { id: imageId }, server.adminToken);

    expect(result.errors).toBeUndefined();
    const { id, ...rotated } = result.data!.rotateImageLinks;
    expect(id).toBe(imageId);
    // the new URLs follow the owner's tier, not the admin's
    expect(rotated.thumbnails.map((thumbnail) => thumbnail.size)).toEqual(before.thumbnails.map((thumbnail) => thumbnail.size));
    expect(await ownersUrls()).toEqual(rotated);
    for (const url of everyUrl(before)) expect(await status(url)).toEqual({ status: 403, code: 'LINK_INVALID' });
    for (const url of everyUrl(rotated)) {
      expect(everyUrl(before)).not.toContain(url);
      expect((await status(url)).status).toBe(200);
    }
    expect((await status(expiring.url)).status).toBe(200);
  });

  it('answers NOT_FOUND for an image that does not exist, and changes nothing', async () => {
    const [before] = await server.sql('select link_version from images where id = $1', [imageId]);
    for (const id of [randomUUID(), 'x']) expect((await server.gql(ROTATE, { id }, server.adminToken)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await server.sql('select link_version from images where id = $1', [imageId])).toEqual([before]);
  });
});
