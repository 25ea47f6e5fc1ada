import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { png } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Links owners manage (issue 14): expiring links as rows they list and revoke, for any size of their
// tier, and permanent links they can rotate.

const LINK_FIELDS = 'id url size createdAt expiresAt revokedAt image { id }';
const CREATE = `mutation($id: ID!, $e: Int!, $size: Int) { createExpiringLink(imageId: $id, expiresIn: $e, size: $size) { ${LINK_FIELDS} } }`;
const REVOKE = `mutation($id: ID!) { revokeExpiringLink(id: $id) { ${LINK_FIELDS} } }`;
const LIST = `query($imageId: ID, $all: Boolean, $first: Int, $after: String) {
  expiringLinks(imageId: $imageId, includeExpired: $all, first: $first, after: $after) { totalCount edges { cursor node { id revokedAt } } pageInfo { hasNextPage endCursor } } }`;
const ROTATE = `mutation($id: ID!) { rotateImageLinks(imageId: $id) { id thumbnails { size url } originalUrl } }`;

interface Link {
  id: string;
  url: string;
  size: number | null;
  expiresAt: string;
  revokedAt: string | null;
}

let server: TestServer;
let start: Date;
let owner: TestUser;
let imageId: string;
let thumbnails: Array<{ size: number; url: string }>;
beforeAll(async () => {
  server = await TestServer.start();
  start = server.clock.now();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
  imageId = await uploadFor(owner);
});
afterEach(() => server.clock.set(start));
afterAll(() => server?.stop());

async function uploadFor(who: TestUser): Promise<string> {
  const result = await server.upload(who.token, [{ name: 'photo.png', data: await png(600, 800, '#284') }], { selection: 'id thumbnails { size url }' });
  expect(result.errors).toBeUndefined();
  thumbnails = result.data.uploadImage.thumbnails;
  return result.data.uploadImage.id;
}

async function create(size: number | null, expiresIn = 600, who = owner, id = imageId): Promise<Link> {
  const result = await server.gql(CREATE, { id, e: expiresIn, size }, who.token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data.createExpiringLink;
}

async function get(link: string): Promise<{ status: number; body: Buffer; code?: string; cacheControl: string | null }> {
  const { pathname, search } = new URL(link);
  const response = await fetch(`${server.url}${pathname}${search}`);
  const body = Buffer.from(await response.arrayBuffer());
  const code = response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(body.toString()).error?.code : undefined;
  return { status: response.status, body, code, cacheControl: response.headers.get('cache-control') };
}

const nowSeconds = () => Math.floor(server.clock.now().getTime() / 1000);

describe('expiring links for any size of the tier', () => {
  it('serves the thumbnail of its size until its expiry, then 410 LINK_EXPIRED', async () => {
    const exp = nowSeconds() + 300;
    const link = await create(400, 300);
    expect(link.size).toBe(400);
    expect(new Date(link.expiresAt).getTime()).toBe(exp * 1000);
    const served = await get(link.url);
    expect(served.status).toBe(200);
    expect((await sharp(served.body).metadata()).height).toBe(400);
    expect(served.cacheControl).toBe('private, no-cache');
    server.clock.set(new Date(exp * 1000));
    expect((await get(link.url)).status).toBe(200);
    server.clock.set(new Date((exp + 1) * 1000));
    expect(await get(link.url)).toMatchObject({ status: 410, code: 'LINK_EXPIRED' });
  });

  it('serves the original when size is null, as links always did', async () => {
    const served = await get((await create(null)).url);
    expect(served.status).toBe(200);
    expect((await sharp(served.body).metadata()).height).toBe(800);
  });

  it.each([100, 0, -200, 401, 4096])('refuses size %i, not a height of the tier, with BAD_USER_INPUT on size, storing nothing', async (size) => {
    const before = await server.sql('select count(*)::int as n from expiring_links');
    const result = await server.gql(CREATE, { id: imageId, e: 600, size }, owner.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'size' });
    expect(await server.sql('select count(*)::int as n from expiring_links')).toEqual(before);
  });

  it('stops a thumbnail link whose size the owner’s tier no longer has', async () => {
    const user = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const id = await uploadFor(user);
    const link = await create(400, 600, user, id);
    const tier = await server.createTier({ thumbnailHeights: [200], expiringLinks: true });
    await server.setUserTier(user.id, tier.id);
    expect(await get(link.url)).toMatchObject({ status: 403, code: 'LINK_NOT_ALLOWED' });
  });
});

describe('listing and revoking', () => {
  it('pages through 250 links, newest first, without repeats or gaps', async () => {
    const user = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const id = await uploadFor(user);
    const made = new Set<string>();
    // 50 per request, as aliases; every fifth batch a second later, so both the time and the id order ties
    for (let batch = 0; batch < 5; batch++) {
      if (batch % 2 === 1) server.clock.advance(1000);
      const aliases = Array.from({ length: 50 }, (_, i) => `l${i}: createExpiringLink(imageId: $id, expiresIn: 3600, size: 200) { id }`).join('\n');
      const result = await server.gql(`mutation($id: ID!) { ${aliases} }`, { id }, user.token);
      expect(result.errors).toBeUndefined();
      for (const link of Object.values(result.data) as Array<{ id: string }>) made.add(link.id);
    }
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await server.gql(LIST, { first: 100, after }, user.token)).data.expiringLinks;
      expect(page.totalCount).toBe(250);
      seen.push(...page.edges.map((edge: { node: { id: string } }) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen)).toEqual(made);
    const created = await server.sql<{ id: string }>('select id from expiring_links where owner_id = $1 order by created_at desc, id desc', [user.id]);
    expect(seen).toEqual(created.map((row) => row.id));
  });

  it('revokes at once (410 LINK_REVOKED), idempotently, and lists revoked and expired links only when asked', async () => {
    const user = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const id = await uploadFor(user);
    const [kept, revoked, expired] = [await create(200, 3600, user, id), await create(null, 3600, user, id), await create(200, 300, user, id)];
    expect((await get(revoked.url)).status).toBe(200);
    const first = (await server.gql(REVOKE, { id: revoked.id }, user.token)).data.revokeExpiringLink as Link;
    expect(first.revokedAt).toBe(server.clock.now().toISOString());
    expect(await get(revoked.url)).toMatchObject({ status: 410, code: 'LINK_REVOKED' });
    server.clock.advance(5000);
    const again = await server.gql(REVOKE, { id: revoked.id }, user.token);
    expect(again.errors).toBeUndefined();
    expect(again.data.revokeExpiringLink.revokedAt).toBe(first.revokedAt);

    server.clock.advance(301_000);
    const active = (await server.gql(LIST, { imageId: id }, user.token)).data.expiringLinks;
    expect(active.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([kept.id]);
    const all = (await server.gql(LIST, { imageId: id, all: true }, user.token)).data.expiringLinks;
    expect(new Set(all.edges.map((edge: { node: { id: string } }) => edge.node.id))).toEqual(new Set([kept.id, revoked.id, expired.id]));
  });

  it('stops a thumbnail link answered from memory (hot) at once when it is revoked', async () => {
    const link = await create(200, 3600);
    // the second answer comes from the hot-link map, the third must not
    for (let i = 0; i < 2; i++) expect((await get(link.url)).status).toBe(200);
    expect((await server.gql(REVOKE, { id: link.id }, owner.token)).errors).toBeUndefined();
    expect(await get(link.url)).toMatchObject({ status: 410, code: 'LINK_REVOKED' });
  });

  it('answers NOT_FOUND for another user’s link or a missing one, and changes nothing; an admin may revoke any', async () => {
    const link = await create(200, 3600);
    const stranger = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    for (const target of [link.id, randomUUID(), 'not-a-uuid']) {
      expect((await server.gql(REVOKE, { id: target }, stranger.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    expect((await server.gql(LIST, { imageId }, stranger.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await get(link.url)).status).toBe(200);
    expect((await server.gql(REVOKE, { id: link.id }, server.adminToken)).data.revokeExpiringLink.revokedAt).not.toBeNull();
    expect((await get(link.url)).status).toBe(410);
  });

  it('deletes an image’s links with the image', async () => {
    const user = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const id = await uploadFor(user);
    const link = await create(200, 3600, user, id);
    expect((await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id }, user.token)).errors).toBeUndefined();
    expect(await server.sql('select id from expiring_links where image_id = $1', [id])).toEqual([]);
    expect(await get(link.url)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('prunes links expired or revoked more than LINK_RETENTION_DAYS (30) ago, and keeps the rest', async () => {
    const user = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const id = await uploadFor(user);
    const [old, revoked, live] = [await create(200, 300, user, id), await create(200, 3600, user, id), await create(200, 30_000, user, id)];
    await server.gql(REVOKE, { id: revoked.id }, user.token);
    server.clock.advance(30 * 86_400_000 + 301_000);
    // the live one was made with the longest expiry: still within the retention period after its end
    await server.server.deps.jobs.pruneLinks();
    await server.drainJobs();
    const left = await server.sql<{ id: string }>('select id from expiring_links where image_id = $1', [id]);
    expect(left.map((row) => row.id)).toEqual([live.id]);
    expect(old.id).not.toBe(live.id);
  });
});

describe('rotating permanent links', () => {
  it('retires every old permanent URL (403 LINK_INVALID), even a hot one, and leaves expiring links alone', async () => {
    const user = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const id = await uploadFor(user);
    const old = thumbnails.find((t) => t.size === 200)!.url;
    const expiring = await create(200, 3600, user, id);
    for (let i = 0; i < 3; i++) expect((await get(old)).status).toBe(200);
    const first = (await server.gql(ROTATE, { id }, user.token)).data.rotateImageLinks;
    const second = (await server.gql(ROTATE, { id }, user.token)).data.rotateImageLinks;
    expect(await get(old)).toMatchObject({ status: 403, code: 'LINK_INVALID' });
    const fresh = second.thumbnails.find((t: { size: number }) => t.size === 200).url as string;
    expect(new URL(fresh).searchParams.get('v')).toBe('2');
    expect(await get(first.thumbnails[0].url)).toMatchObject({ status: 403, code: 'LINK_INVALID' });
    expect((await get(fresh)).status).toBe(200);
    expect((await get(second.originalUrl)).status).toBe(200);
    expect((await server.gql(`query($id: ID!) { image(id: $id) { originalUrl } }`, { id }, user.token)).data.image.originalUrl).toBe(second.originalUrl);
    expect((await get(expiring.url)).status).toBe(200);
  });

  it('answers NOT_FOUND for another user’s image and changes nothing', async () => {
    const stranger = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const [before] = await server.sql('select link_version from images where id = $1', [imageId]);
    for (const target of [imageId, randomUUID(), 'x']) expect((await server.gql(ROTATE, { id: target }, stranger.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await server.sql('select link_version from images where id = $1', [imageId])).toEqual([before]);
  });

  it('refuses a version that was never signed, or given twice', async () => {
    const url = new URL(thumbnails[0]!.url);
    for (const version of ['1', '0', '-1', '99999999999', '1&v=1']) {
      expect(await get(`${url.origin}${url.pathname}?v=${version}&${url.search.slice(1)}`)).toMatchObject({ status: 403, code: 'LINK_INVALID' });
    }
  });
});
