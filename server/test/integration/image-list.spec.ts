import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type GqlResponse, type TestUser } from '../support/test-server.js';

const LIST = `query($first: Int, $after: String) {
  images(first: $first, after: $after) { totalCount edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } }
}`;
const LIST_FULL = `query($first: Int) {
  images(first: $first) { totalCount edges { node { id thumbnails { size width height url } originalUrl } } }
}`;
const IMAGE = `query($id: ID!) { image(id: $id) { id } }`;

interface Row {
  id: string;
  createdAt: Date;
  width?: number;
  height?: number;
}

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const code = (result: GqlResponse) => result.errors?.[0]?.extensions?.code;

/** Image rows straight into the table: the list reads rows only, so no files are needed. */
async function insertImages(ownerId: string, rows: Row[]): Promise<void> {
  const params: unknown[] = [];
  const values = rows.map((row, i) => {
    params.push(row.id, ownerId, `img-${i}.jpg`, row.width ?? 640, row.height ?? 480, row.createdAt);
    const p = i * 6;
    return `($${p + 1}, $${p + 2}, $${p + 3}, 'JPEG', $${p + 4}, $${p + 5}, 1234, $${p + 6})`;
  });
  await server.sql(`insert into images (id, owner_id, filename, format, width, height, bytes, created_at) values ${values.join(', ')}`, params);
}

/** `count` rows one minute apart from `start`, each with a fresh random id. */
const spaced = (count: number, start: Date): Row[] =>
  Array.from({ length: count }, (_, i) => ({ id: randomUUID(), createdAt: new Date(start.getTime() + i * 60_000) }));

/** Newest first, ties by id descending: the order the API promises. */
const newestFirst = (rows: Row[]): string[] =>
  [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);

/** Follows endCursor until hasNextPage is false; returns every page's ids. */
async function walk(token: string, first: number): Promise<{ pages: string[][]; totals: number[]; last: GqlResponse }> {
  const pages: string[][] = [];
  const totals: number[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 50; guard++) {
    const result = await server.gql(LIST, { first, after }, token);
    expect(result.errors).toBeUndefined();
    const { edges, pageInfo, totalCount } = result.data.images;
    pages.push(edges.map((e: { node: { id: string } }) => e.node.id));
    totals.push(totalCount);
    if (edges.length > 0) expect(pageInfo.endCursor).toBe(edges.at(-1).cursor);
    if (!pageInfo.hasNextPage) return { pages, totals, last: result };
    after = pageInfo.endCursor;
  }
  throw new Error('the list never ended');
}

describe('images(first, after)', () => {
  let owner: TestUser;
  let expected: string[];

  beforeAll(async () => {
    owner = await server.createUser();
    // 22 distinct times plus 6 sharing one time in the middle: with pages of 7 the tie group spans a page break
    const distinct = spaced(22, new Date('2026-03-01T00:00:00.000Z'));
    const tied = Array.from({ length: 6 }, () => ({ id: randomUUID(), createdAt: new Date('2026-03-01T00:10:30.000Z') }));
    await insertImages(owner.id, [...distinct, ...tied]);
    expected = newestFirst([...distinct, ...tied]);
  });

  it('walks pages of 7, newest first with id as tie-break, visiting every image exactly once', async () => {
    const { pages, totals, last } = await walk(owner.token, 7);
    // 28 images are exactly 4 full pages: the 4th must say there is no next page
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7]);
    expect(pages.flat()).toEqual(expected);
    expect(new Set(pages.flat()).size).toBe(28);
    expect(totals).toEqual([28, 28, 28, 28]);
    expect(last.data.images.pageInfo.hasNextPage).toBe(false);
  });

  it('gives the images in the documented order with their createdAt', async () => {
    const result = await server.gql(LIST, { first: 100 }, owner.token);
    const nodes = result.data.images.edges.map((e: { node: { id: string; createdAt: string } }) => e.node);
    expect(nodes.map((n: { id: string }) => n.id)).toEqual(expected);
    const times = nodes.map((n: { createdAt: string }) => Date.parse(n.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(result.data.images.pageInfo).toEqual({ hasNextPage: false, endCursor: result.data.images.edges.at(-1).cursor });
  });

  it('defaults to 20 and reports a next page', async () => {
    const result = await server.gql(LIST, {}, owner.token);
    expect(result.data.images.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expected.slice(0, 20));
    expect(result.data.images.pageInfo.hasNextPage).toBe(true);
  });

  it('returns no edges for first: 0, with the total', async () => {
    const result = await server.gql(LIST, { first: 0 }, owner.token);
    expect(result.errors).toBeUndefined();
    expect(result.data.images.edges).toEqual([]);
    expect(result.data.images.totalCount).toBe(28);
  });

  it.each([101, -1, 1000])('refuses first: %i with BAD_USER_INPUT on `first`', async (first) => {
    const result = await server.gql(LIST, { first }, owner.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(result.data ?? null).toBeNull();
  });

  it('accepts first: 100', async () => {
    const result = await server.gql(LIST, { first: 100 }, owner.token);
    expect(result.data.images.edges).toHaveLength(28);
  });

  it.each([
    ['garbage', 'garbage'],
    ['base64 of a bad id', Buffer.from('1767225600000:not-a-uuid').toString('base64url')],
    ['base64 of a bad time', Buffer.from(`x:${randomUUID()}`).toString('base64url')],
  ])('refuses a %s cursor with BAD_USER_INPUT on `after`', async (_label, after) => {
    const result = await server.gql(LIST, { first: 7, after }, owner.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(result.data ?? null).toBeNull();
  });

  it('treats an empty cursor as the start of the list', async () => {
    // the product's choice: `after: ""` is no cursor at all, like a missing one
    const result = await server.gql(LIST, { first: 7, after: '' }, owner.token);
    expect(result.data.images.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expected.slice(0, 7));
  });

  it('pages correctly when several images share a timestamp with sub-millisecond precision', async () => {
    // rows written by SQL (a backfill, a restore, `now()`) carry microseconds; the cursor must not lose them
    const user = await server.createUser();
    const rows = Array.from({ length: 10 }, () => ({ id: randomUUID(), createdAt: new Date('2026-03-01T00:00:00.123Z') }));
    await insertImages(user.id, rows);
    await server.sql(`update images set created_at = '2026-03-01 00:00:00.123456+00' where owner_id = $1`, [user.id]);
    const { pages } = await walk(user.token, 7);
    expect(pages.flat()).toEqual(newestFirst(rows));
  });
});

describe('whose images', () => {
  let alice: TestUser;
  let bob: TestUser;
  const aliceRows = spaced(6, new Date('2026-04-01T00:00:00.000Z'));
  // interleaved in time with alice's, so any leak would show inside her pages
  const bobRows = spaced(6, new Date('2026-04-01T00:00:30.000Z'));

  beforeAll(async () => {
    alice = await server.createUser();
    bob = await server.createUser();
    await insertImages(alice.id, aliceRows);
    await insertImages(bob.id, bobRows);
  });

  it("never lists another user's images", async () => {
    const { pages, totals } = await walk(alice.token, 4);
    expect(pages.flat()).toEqual(newestFirst(aliceRows));
    expect(totals.every((t) => t === 6)).toBe(true);
    expect((await walk(bob.token, 100)).pages.flat()).toEqual(newestFirst(bobRows));
  });

  it("answers another user's image exactly like a missing one", async () => {
    const own = await server.gql(IMAGE, { id: aliceRows[0]!.id }, alice.token);
    expect(own.data.image.id).toBe(aliceRows[0]!.id);
    const others = await server.gql(IMAGE, { id: bobRows[0]!.id }, alice.token);
    const missing = await server.gql(IMAGE, { id: randomUUID() }, alice.token);
    expect(others.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(others.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(others.errors?.[0]?.extensions).toEqual(missing.errors?.[0]?.extensions);
    expect(others.data?.image ?? null).toBeNull();
  });

  it.each(['not-a-uuid', '1', "' or 1=1 --", randomUUID().toUpperCase()])('answers NOT_FOUND for the id %s', async (id) => {
    const result = await server.gql(IMAGE, { id }, alice.token);
    expect(code(result)).toBe('NOT_FOUND');
    expect(result.data?.image ?? null).toBeNull();
  });

  it('refuses the list without a token', async () => {
    const result = await server.gql(LIST, { first: 5 });
    expect(code(result)).toBe('UNAUTHENTICATED');
    expect(result.data ?? null).toBeNull();
  });
});

describe('thumbnails in the list', () => {
  it("follow the owner's current tier", async () => {
    const user = await server.createUser();
    const id = randomUUID();
    await insertImages(user.id, [{ id, createdAt: new Date('2026-05-01T00:00:00Z'), width: 1000, height: 800 }]);
    const list = async () => (await server.gql(LIST_FULL, { first: 5 }, user.token)).data.images.edges[0].node;

    const basic = await list();
    expect(basic.thumbnails.map((t: { size: number }) => t.size)).toEqual([200]);
    expect(basic.thumbnails[0]).toMatchObject({ size: 200, width: 250, height: 200 });
    expect(basic.originalUrl).toBeNull();

    const tier = await server.createTier({ thumbnailHeights: [1000, 100, 300], originalLink: true });
    await server.setUserTier(user.id, tier.id);
    const moved = await list();
    // no upscaling: the 1000 size of an 800-high image is 800 high
    expect(moved.thumbnails.map((t: { size: number; width: number; height: number }) => [t.size, t.width, t.height])).toEqual([
      [100, 125, 100],
      [300, 375, 300],
      [1000, 1000, 800],
    ]);
    expect(moved.thumbnails.every((t: { url: string }) => t.url.includes(id))).toBe(true);
    expect(moved.originalUrl).toEqual(expect.stringContaining(id));

    // editing the tier itself shows up just the same
    expect((await server.updateTier(tier.id, { thumbnailHeights: [50], originalLink: false })).errors).toBeUndefined();
    const edited = await list();
    expect(edited.thumbnails.map((t: { size: number }) => t.size)).toEqual([50]);
    expect(edited.originalUrl).toBeNull();
  });
});

describe('queries behind the list', () => {
  let tierId: string;
  beforeAll(async () => {
    tierId = (await server.createTier({ thumbnailHeights: [100, 200, 300], originalLink: true })).id;
  });

  /** Runs one request and returns the SQL it caused. */
  async function sqlOf(run: () => Promise<GqlResponse>): Promise<{ result: GqlResponse; sql: string[] }> {
    server.queries.length = 0;
    const result = await run();
    return { result, sql: [...server.queries] };
  }

  it('costs the same number of statements for 50 images as for 5 (no N+1)', async () => {
    const many = await server.createUser({ tierId });
    const few = await server.createUser({ tierId });
    await insertImages(many.id, spaced(50, new Date('2026-06-01T00:00:00Z')));
    await insertImages(few.id, spaced(5, new Date('2026-06-01T00:00:00Z')));

    const big = await sqlOf(() => server.gql(LIST_FULL, { first: 50 }, many.token));
    const small = await sqlOf(() => server.gql(LIST_FULL, { first: 50 }, few.token));
    expect(big.result.errors).toBeUndefined();
    expect(big.result.data.images.totalCount).toBe(50);
    expect(big.result.data.images.edges).toHaveLength(50);
    expect(big.result.data.images.edges.every((e: { node: { thumbnails: unknown[]; originalUrl: string } }) => e.node.thumbnails.length === 3 && e.node.originalUrl)).toBe(true);
    expect(small.result.data.images.totalCount).toBe(5);
    expect(big.sql.length, big.sql.join('\n')).toBe(small.sql.length);
    expect(big.sql.length, big.sql.join('\n')).toBeLessThanOrEqual(4);
  });

  it('pages by keyset on (created_at, id), never by OFFSET', async () => {
    const user = await server.createUser();
    await insertImages(user.id, spaced(12, new Date('2026-06-02T00:00:00Z')));
    const first = await server.gql(LIST, { first: 5 }, user.token);
    const { result, sql } = await sqlOf(() => server.gql(LIST, { first: 5, after: first.data.images.pageInfo.endCursor }, user.token));
    expect(result.errors).toBeUndefined();
    expect(result.data.images.edges).toHaveLength(5);
    const page = sql.filter((s) => /from\s+"images"/i.test(s) && /order by/i.test(s));
    expect(page, sql.join('\n')).toHaveLength(1);
    expect(page[0]).toMatch(/\(\s*"?\w+"?\."?created_at"?\s*,\s*"?\w+"?\."?id"?\s*\)\s*<\s*\(/i);
    expect(sql.filter((s) => /\boffset\b/i.test(s)), sql.join('\n')).toEqual([]);
  });
});
