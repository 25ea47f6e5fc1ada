import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctPng } from '../support/images.js';
import { TestServer, type GqlResponse, type TestUser } from '../support/test-server.js';
import { expectUsageInStep } from '../support/uploads.js';

// Issue 16: per-tier quotas (images, bytes of originals, new images per hour), checked before any image
// work and held under concurrency by a row lock on the user's usage.

const USAGE = '{ me { usage { images bytes uploadsLastHour } } }';

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(() => server?.stop());

/** A user alone on a tier of their own with these limits. */
async function userWithLimits(limits: { maxImages?: number; maxBytes?: number; uploadsPerHour?: number }) {
  const tier = await server.createTier({ thumbnailHeights: [50], ...limits });
  return { tier, user: await server.createUser({ tierId: tier.id }) };
}

const upload = (user: TestUser, data: Buffer, name = 'q.png') => server.upload(user.token, [{ name, data }], { selection: 'id bytes' });

async function stored(user: TestUser, data: Buffer) {
  const result = await upload(user, data);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data.uploadImage as { id: string; bytes: number };
}

const usageOf = async (user: TestUser) => (await server.gql(USAGE, {}, user.token)).data.me.usage;
const footprint = async () => ({ rows: await server.countRows('images'), media: await server.mediaFiles() });

/** A refusal that stored nothing: no row, no file, no staged file, no reservation left pending. */
async function expectRefused(result: GqlResponse, before: Awaited<ReturnType<typeof footprint>>, code: string, extensions: Record<string, unknown>) {
  expect(result.errors?.[0]?.extensions, JSON.stringify(result.errors)).toMatchObject({ code, ...extensions });
  expect(result.data?.uploadImage ?? result.data?.uploadImages ?? null).toBeNull();
  expect(await footprint()).toEqual(before);
  expect(await server.stagedFiles()).toEqual([]);
  expect(await server.sql('select id from recent_uploads where pending')).toEqual([]);
}

describe('tier limits as admins set them', () => {
  it('start unlimited on the builtin tiers', async () => {
    const result = await server.gql('{ tiers(limit: 10, filter: { builtin: true }) { nodes { name maxImages maxBytes uploadsPerHour } } }', {}, server.adminToken);
    for (const tier of result.data.tiers.nodes) expect(tier).toMatchObject({ maxImages: null, maxBytes: null, uploadsPerHour: null });
  });

  it.each([
    ['maxImages', 0],
    ['maxImages', -1],
    ['maxBytes', 0],
    ['maxBytes', 1.5],
    ['maxBytes', 2 ** 53],
    ['uploadsPerHour', 0],
    ['uploadsPerHour', -5],
  ])('refuses %s = %s with BAD_USER_INPUT on that field, on create and on update', async (field, value) => {
    const create = await server.gql('mutation($input: CreateTierInput!) { createTier(input: $input) { id } }', { input: { name: `bad-${field}-${value}`, thumbnailHeights: [100], [field]: value } }, server.adminToken);
    expect(create.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
    const { id } = await server.createTier({ thumbnailHeights: [100] });
    const update = await server.updateTier(id, { [field]: value });
    expect(update.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${field}` });
  });

  it('keeps a limit left out of an update, and removes one set to null', async () => {
    const { tier } = await userWithLimits({ maxImages: 5, maxBytes: 10_000_000_000, uploadsPerHour: 7 });
    const read = () => server.gql('query($id: ID!) { tier(id: $id) { maxImages maxBytes uploadsPerHour } }', { id: tier.id }, server.adminToken);
    expect((await read()).data.tier).toEqual({ maxImages: 5, maxBytes: 10_000_000_000, uploadsPerHour: 7 });
    expect((await server.updateTier(tier.id, { name: 'renamed-limits' })).errors).toBeUndefined();
    expect((await read()).data.tier).toEqual({ maxImages: 5, maxBytes: 10_000_000_000, uploadsPerHour: 7 });
    expect((await server.updateTier(tier.id, { maxImages: null, uploadsPerHour: 9 })).errors).toBeUndefined();
    expect((await read()).data.tier).toEqual({ maxImages: null, maxBytes: 10_000_000_000, uploadsPerHour: 9 });
  });
});

describe('images (maxImages)', () => {
  it('stores up to the limit and refuses past it with QUOTA_EXCEEDED (HTTP 403), before any image work', async () => {
    const { user } = await userWithLimits({ maxImages: 2 });
    await stored(user, await distinctPng(20, 20));
    await stored(user, await distinctPng(20, 20));
    const before = await footprint();
    const refused = await upload(user, await distinctPng(20, 20));
    expect(refused.status).toBe(403);
    await expectRefused(refused, before, 'QUOTA_EXCEEDED', { kind: 'IMAGES', limit: 2, used: 2, requested: 1 });
  });

  it('refuses a whole batch that does not fit, and stores one that does', async () => {
    const { user } = await userWithLimits({ maxImages: 3 });
    await stored(user, await distinctPng(20, 20));
    const before = await footprint();
    const files = async (n: number) => Promise.all(Array.from({ length: n }, async (_, i) => ({ name: `b${i}.png`, data: await distinctPng(20, 20) })));
    await expectRefused(await server.upload(user.token, await files(3), { selection: 'id' }), before, 'QUOTA_EXCEEDED', { kind: 'IMAGES', limit: 3, used: 1, requested: 3 });
    const fits = await server.upload(user.token, await files(2), { selection: 'id' });
    expect(fits.errors).toBeUndefined();
    expect((await usageOf(user)).images).toBe(3);
  });

  it('lets ten concurrent uploads into one free slot store exactly one', async () => {
    const { user } = await userWithLimits({ maxImages: 4 });
    for (let i = 0; i < 3; i++) await stored(user, await distinctPng(30, 30));
    const files = await Promise.all(Array.from({ length: 10 }, () => distinctPng(200, 150)));
    const results = await Promise.all(files.map((data) => upload(user, data)));
    const codes = results.map((result) => result.errors?.[0]?.extensions?.code ?? 'ok');
    expect(codes.filter((code) => code === 'ok')).toHaveLength(1);
    expect(codes.filter((code) => code === 'QUOTA_EXCEEDED')).toHaveLength(9);
    expect((await usageOf(user)).images).toBe(4);
    const [{ n }] = await server.sql<{ n: number }>('select count(*)::int as n from images where owner_id = $1', [user.id]);
    expect(n).toBe(4);
    expect(await server.stagedFiles()).toEqual([]);
    await expectUsageInStep(server);
  });

  it('still answers bytes the user already has at the limit: a duplicate stores nothing', async () => {
    const { user } = await userWithLimits({ maxImages: 1 });
    const data = await distinctPng(20, 20);
    const first = await stored(user, data);
    expect((await stored(user, data)).id).toBe(first.id);
  });

  it('gives the reservation of a failed upload back', async () => {
    const { user } = await userWithLimits({ maxImages: 1 });
    const corrupt = (await distinctPng(64, 64)).subarray(0, 200);
    const failed = await upload(user, corrupt);
    expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await stored(user, await distinctPng(20, 20));
  });
});

describe('bytes (maxBytes)', () => {
  it('counts bytes of originals, refuses past the limit, and lets exactly one of ten concurrent uploads into the room left', async () => {
    const files = await Promise.all(Array.from({ length: 11 }, () => distinctPng(120, 90)));
    const sizes = files.map((file) => file.length);
    const [first, ...rest] = files;
    // room for any one of the rest after the first, never for two
    const limit = first!.length + Math.max(...sizes.slice(1));
    expect(limit).toBeLessThan(first!.length + 2 * Math.min(...sizes.slice(1)));
    const { user } = await userWithLimits({ maxBytes: limit });
    const image = await stored(user, first!);
    expect((await usageOf(user)).bytes).toBe(image.bytes);
    const results = await Promise.all(rest.map((data) => upload(user, data)));
    const ok = results.filter((result) => !result.errors);
    expect(ok).toHaveLength(1);
    for (const result of results.filter((r) => r.errors)) {
      expect(result.errors![0]!.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', kind: 'BYTES', limit });
    }
    expect((await usageOf(user)).bytes).toBe(image.bytes + ok[0]!.data.uploadImage.bytes);
    await expectUsageInStep(server);
  });
});

describe('upload rate (uploadsPerHour)', () => {
  it('refuses past the hourly limit with RATE_LIMITED (429, Retry-After) until the window moves on the server clock', async () => {
    const { user } = await userWithLimits({ uploadsPerHour: 2 });
    const a = await stored(user, await distinctPng(20, 20));
    server.clock.advance(10 * 60_000);
    await stored(user, await distinctPng(20, 20));
    // a deleted image still counts: deleting is no way round the rate
    await server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: a.id }, user.token);
    expect(await usageOf(user)).toMatchObject({ images: 1, uploadsLastHour: 2 });
    const before = await footprint();
    const refused = await upload(user, await distinctPng(20, 20));
    expect(refused.status).toBe(429);
    await expectRefused(refused, before, 'RATE_LIMITED', { reason: 'UPLOADS_PER_HOUR', limit: 2, used: 2, retryAfterSeconds: 50 * 60 });
    server.clock.advance(50 * 60_000 - 1_000);
    expect((await upload(user, await distinctPng(20, 20))).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    server.clock.advance(1_000);
    await stored(user, await distinctPng(20, 20));
    expect((await usageOf(user)).uploadsLastHour).toBe(2);
  });

  it('lets exactly the slots left through when ten uploads arrive at once', async () => {
    const { user } = await userWithLimits({ uploadsPerHour: 3 });
    await stored(user, await distinctPng(20, 20));
    const files = await Promise.all(Array.from({ length: 10 }, () => distinctPng(150, 100)));
    const results = await Promise.all(files.map((data) => upload(user, data)));
    const codes = results.map((result) => result.errors?.[0]?.extensions?.code ?? 'ok');
    expect(codes.filter((code) => code === 'ok')).toHaveLength(2);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(8);
    expect(await usageOf(user)).toMatchObject({ images: 3, uploadsLastHour: 3 });
  });
});

describe('a downgrade below usage', () => {
  it('keeps every image and refuses uploads until usage is under the limit', async () => {
    const { tier, user } = await userWithLimits({});
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await stored(user, await distinctPng(20, 20))).id);
    expect((await server.updateTier(tier.id, { maxImages: 1 })).errors).toBeUndefined();
    const listed = await server.gql('{ images(first: 10) { totalCount } }', {}, user.token);
    expect(listed.data.images.totalCount).toBe(3);
    const before = await footprint();
    await expectRefused(await upload(user, await distinctPng(20, 20)), before, 'QUOTA_EXCEEDED', { kind: 'IMAGES', limit: 1, used: 3 });
    await server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: ids[0] }, user.token);
    await server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: ids[1] }, user.token);
    expect((await upload(user, await distinctPng(20, 20))).errors?.[0]?.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', used: 1 });
    await server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: ids[2] }, user.token);
    await stored(user, await distinctPng(20, 20));
  });
});

describe('usage', () => {
  it('is the viewer’s in me, anyone’s for admins in users and user', async () => {
    const { user } = await userWithLimits({});
    const a = await stored(user, await distinctPng(20, 20));
    const b = await stored(user, await distinctPng(25, 25));
    const expected = { images: 2, bytes: a.bytes + b.bytes, uploadsLastHour: 2 };
    expect(await usageOf(user)).toEqual(expected);
    const one = await server.gql('query($id: ID!) { user(id: $id) { usage { images bytes uploadsLastHour } } }', { id: user.id }, server.adminToken);
    expect(one.data.user.usage).toEqual(expected);
    const list = await server.gql('{ users(limit: 100) { nodes { id usage { images bytes } } } }', {}, server.adminToken);
    expect(list.data.users.nodes.find((node: { id: string }) => node.id === user.id).usage).toEqual({ images: 2, bytes: expected.bytes });
  });

  it('stays exactly in step with the rows through concurrent uploads, image deletes, a user delete and a rewritten original', async () => {
    const users = await Promise.all([0, 1, 2].map(() => server.createUser()));
    const seeded = await Promise.all(users.map(async (user) => [await stored(user, await distinctPng(20, 20)), await stored(user, await distinctPng(21, 21))]));
    const work: Array<Promise<unknown>> = [];
    for (const [i, user] of users.entries()) {
      for (let n = 0; n < 4; n++) work.push(distinctPng(40 + n, 30).then((data) => upload(user, data)));
      work.push(server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: seeded[i]![0]!.id }, user.token));
    }
    work.push(server.gql('mutation($id: ID!) { deleteUser(id: $id) }', { id: users[2]!.id }, server.adminToken));
    await Promise.all(work);
    await expectUsageInStep(server);
    // what the location backfill does to an original it strips: the row's size changes, and usage with it
    await server.sql('update images set bytes = bytes - 7 where id = $1', [seeded[0]![1]!.id]);
    await expectUsageInStep(server);
    expect(await server.sql('select user_id from user_usage where user_id = $1', [users[2]!.id])).toEqual([]);
  });
});
