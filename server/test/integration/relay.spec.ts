import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctJpeg, distinctPng, png } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Relay-conformant listing (issue 13): a cursor connection over your images in both directions and
// both orders, with filters, and `node(id:)` for refetching. relay-compiler itself is run over the
// schema in relay-compiler.spec.ts.

const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $order: ImageOrder, $filter: ImageListFilter) {
  images(first: $first, after: $after, last: $last, before: $before, order: $order, filter: $filter) {
    totalCount edges { cursor node { id filename format } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

interface Page {
  totalCount: number;
  edges: Array<{ cursor: string; node: { id: string; filename: string; format: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

let server: TestServer;
let owner: TestUser;
let other: TestUser;
/** The owner's image ids, newest first (created_at desc, id desc), as the database orders them. */
let newest: string[];
const COUNT = 23;

beforeAll(async () => {
  server = await TestServer.start();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.basic });
  other = await server.createUser({ tierId: BUILTIN_TIER_IDS.basic });
  for (let i = 0; i < COUNT; i++) {
    // the last three share an upload instant: ties are broken by id
    if (i < COUNT - 2) server.clock.advance(1000);
    const name = i % 5 === 0 ? `Holiday_${i}%.jpg` : `img-${i}.png`;
    const data = i % 5 === 0 ? await distinctJpeg(20, 10) : await distinctPng(20, 10);
    const result = await server.upload(owner.token, [{ name, data }], { selection: 'id' });
    expect(result.errors).toBeUndefined();
  }
  await server.upload(other.token, [{ name: 'theirs.png', data: await png(8, 8) }], { selection: 'id' });
  const rows = await server.sql<{ id: string }>('select id from images where owner_id = $1 order by created_at desc, id desc', [owner.id]);
  newest = rows.map((row) => row.id);
});
afterAll(() => server?.stop());

async function page(variables: Record<string, unknown>, who = owner): Promise<Page> {
  const result = await server.gql(PAGE, variables, who.token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data.images;
}

const ids = (p: Page) => p.edges.map((edge) => edge.node.id);

/** Every page through the list, forwards with `first` or backwards with `last`, checking the flags on the way. */
async function walk(direction: 'forward' | 'backward', order: 'NEWEST_FIRST' | 'OLDEST_FIRST', size = 5): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let n = 0; n < 20; n++) {
    const p: Page =
      direction === 'forward' ? await page({ first: size, after: cursor, order }) : await page({ last: size, before: cursor, order });
    const more = direction === 'forward' ? p.pageInfo.hasNextPage : p.pageInfo.hasPreviousPage;
    const behind = direction === 'forward' ? p.pageInfo.hasPreviousPage : p.pageInfo.hasNextPage;
    expect(behind).toBe(cursor !== null);
    expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
    expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
    if (direction === 'forward') seen.push(...ids(p));
    else seen.unshift(...ids(p));
    if (!more) return seen;
    cursor = direction === 'forward' ? p.pageInfo.endCursor : p.pageInfo.startCursor;
  }
  throw new Error('the list never ended');
}

describe('images as a Relay connection', () => {
  it('pages forwards and backwards, newest first and oldest first, without repeats or gaps', async () => {
    expect(await walk('forward', 'NEWEST_FIRST')).toEqual(newest);
    expect(await walk('backward', 'NEWEST_FIRST')).toEqual(newest);
    expect(await walk('forward', 'OLDEST_FIRST')).toEqual([...newest].reverse());
    expect(await walk('backward', 'OLDEST_FIRST', 7)).toEqual([...newest].reverse());
  });

  it('answers first: 0 and last: 0 truthfully: no edges, and whether images exist', async () => {
    expect((await page({ first: 0 })).pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
    expect((await page({ last: 0 })).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const empty = await server.createUser();
    expect((await page({ first: 0 }, empty)).pageInfo.hasNextPage).toBe(false);
  });

  it('gives the items between two cursors, from either end', async () => {
    const all = await page({ first: 100 });
    const [after, before] = [all.edges[3]!.cursor, all.edges[9]!.cursor];
    expect(ids(await page({ first: 100, after, before }))).toEqual(newest.slice(4, 9));
    const lastTwo = await page({ last: 2, after, before });
    expect(ids(lastTwo)).toEqual(newest.slice(7, 9));
    expect(lastTwo.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });

  it('filters by part of the name (any case, % and _ literal), format and upload time, and counts what matches', async () => {
    const byName = await page({ first: 100, filter: { nameContains: 'holiday_' } });
    expect(byName.edges.map((edge) => edge.node.filename).sort()).toEqual(['Holiday_0%.jpg', 'Holiday_10%.jpg', 'Holiday_15%.jpg', 'Holiday_20%.jpg', 'Holiday_5%.jpg']);
    expect(byName.totalCount).toBe(5);
    expect((await page({ first: 100, filter: { nameContains: '_1' } })).totalCount).toBe(2);
    expect((await page({ first: 100, filter: { nameContains: '0%.' } })).totalCount).toBe(3);
    expect((await page({ first: 100, filter: { nameContains: 'g-1_' } })).totalCount).toBe(0);
    const jpegs = await page({ first: 2, filter: { format: 'JPEG' } });
    expect(jpegs.edges.every((edge) => edge.node.format === 'JPEG')).toBe(true);
    expect(jpegs).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
    const rows = await server.sql<{ created_at: Date }>('select created_at from images where id = any($1) order by created_at', [[newest[10], newest[5]]]);
    const window = await page({ first: 100, filter: { createdFrom: rows[0]!.created_at.toISOString(), createdBefore: rows[1]!.created_at.toISOString() } });
    expect(ids(window)).toEqual(newest.slice(6, 11));
    expect(window.totalCount).toBe(5);
  });

  it.each([
    [{ first: 1, last: 1 }, 'last'],
    [{ last: 101 }, 'last'],
    [{ first: -1 }, 'first'],
    [{ last: 2, before: 'not-a-cursor' }, 'before'],
    [{ first: 2, after: Buffer.from('1:x').toString('base64url') }, 'after'],
    [{ first: 2, filter: { nameContains: 'n'.repeat(256) } }, 'filter.nameContains'],
  ])('refuses %j with BAD_USER_INPUT on %s', async (variables, field) => {
    const result = await server.gql(PAGE, variables, owner.token);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('node(id:)', () => {
  const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on Image { filename } ... on User { username } ... on Tier { name } } }`;
  const node = async (id: string, who: { token: string }) => {
    const result = await server.gql(NODE, { id }, who.token);
    expect(result.errors).toBeUndefined();
    return result.data.node;
  };
  const admin = () => ({ token: server.adminToken });

  it('fetches your own image again, and answers null for another user’s, a missing one or a malformed id', async () => {
    expect(await node(newest[0]!, owner)).toMatchObject({ __typename: 'Image', id: newest[0] });
    const [theirs] = await server.sql<{ id: string }>('select id from images where owner_id = $1', [other.id]);
    expect(await node(theirs!.id, owner)).toBeNull();
    expect(await node(randomUUID(), owner)).toBeNull();
    expect(await node('not-an-id', owner)).toBeNull();
  });

  it('gives users yourself and your tier, and admins any user or tier', async () => {
    expect(await node(owner.id, owner)).toEqual({ __typename: 'User', id: owner.id, username: owner.username });
    expect(await node(other.id, owner)).toBeNull();
    expect(await node(other.id, admin())).toMatchObject({ __typename: 'User', username: other.username });
    expect(await node(BUILTIN_TIER_IDS.basic, owner)).toMatchObject({ __typename: 'Tier', name: 'Basic' });
    expect(await node(BUILTIN_TIER_IDS.premium, owner)).toBeNull();
    expect(await node(BUILTIN_TIER_IDS.premium, admin())).toMatchObject({ __typename: 'Tier', name: 'Premium' });
  });

  it('fetches your own expiring link again; another user’s is null, an admin’s view is not', async () => {
    const enterprise = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
    const uploaded = await server.upload(enterprise.token, [{ name: 'e.png', data: await png(10, 10) }], { selection: 'id' });
    const created = await server.gql(`mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { id } }`, { id: uploaded.data.uploadImage.id }, enterprise.token);
    const linkId = created.data.createExpiringLink.id;
    const LINK = `query($id: ID!) { node(id: $id) { __typename ... on ExpiringLink { id image { id } } } }`;
    expect((await server.gql(LINK, { id: linkId }, enterprise.token)).data.node).toEqual({ __typename: 'ExpiringLink', id: linkId, image: { id: uploaded.data.uploadImage.id } });
    expect((await server.gql(LINK, { id: linkId }, owner.token)).data.node).toBeNull();
    expect((await server.gql(LINK, { id: linkId }, server.adminToken)).data.node).toMatchObject({ id: linkId });
  });

  it('asks for a token', async () => {
    const result = await server.gql(NODE, { id: newest[0] });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
