import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { TestServer, type GqlResponse, type TestUser } from '../support/test-server.js';

const ADMIN_IMAGES = `query($offset: Int, $limit: Int, $sort: ImageSort, $filter: ImageFilter) {
  adminImages(offset: $offset, limit: $limit, sort: $sort, filter: $filter) {
    totalCount nodes { id filename bytes createdAt owner { id username tier { id } } thumbnails { size } originalUrl } } }`;
const DELETE_USER = `mutation($id: ID!) { deleteUser(id: $id) }`;
const TIER_COUNTS = `query($filter: TierFilter) { tiers(filter: $filter, limit: 100) { totalCount nodes { id userCount } } }`;

interface Row {
  id: string;
  ownerId: string;
  filename: string;
  bytes: number;
  createdAt: Date;
}

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const tok = () => randomBytes(4).toString('hex');
const admin = <T = any>(query: string, variables?: Record<string, unknown>) => server.gql<T>(query, variables, server.adminToken);
const code = (result: GqlResponse) => result.errors?.[0]?.extensions?.code;
const ids = (result: GqlResponse): string[] => result.data.adminImages.nodes.map((n: { id: string }) => n.id);

/** Image rows straight into the table: the list reads rows only, so no files are needed. */
async function insertImages(rows: Row[]): Promise<void> {
  const params: unknown[] = [];
  const values = rows.map((row, i) => {
    params.push(row.id, row.ownerId, row.filename, row.bytes, row.createdAt);
    const p = i * 5;
    return `($${p + 1}, $${p + 2}, $${p + 3}, 'JPEG', 640, 480, $${p + 4}, $${p + 5})`;
  });
  await server.sql(`insert into images (id, owner_id, filename, format, width, height, bytes, created_at) values ${values.join(', ')}`, params);
}

const [time, size, name] = [(r: Row) => r.createdAt.getTime(), (r: Row) => r.bytes, (r: Row) => r.filename];

/** Orders like the API promises: by the key, ties by id in the same direction (uuids compare as lower-case hex). */
function sorted(rows: Row[], key: (r: Row) => number | string, order: 'ASC' | 'DESC'): string[] {
  const sign = order === 'ASC' ? 1 : -1;
  const cmp = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows].sort((a, b) => sign * (cmp(key(a), key(b)) || cmp(a.id, b.id))).map((r) => r.id);
}

/** Runs one request and returns the SQL it caused. */
async function sqlOf(run: () => Promise<GqlResponse>): Promise<{ result: GqlResponse; sql: string[] }> {
  server.queries.length = 0;
  const result = await run();
  return { result, sql: [...server.queries] };
}

// first in the file: its tests count every image on the server, so no other block may have added any yet
describe('adminImages', () => {
  let alice: TestUser, bob: TestUser;
  let rows: Row[];
  let tierA: string, tierB: string;
  const at = (minute: number) => new Date(Date.UTC(2026, 4, 1, 9, minute));

  beforeAll(async () => {
    tierA = (await server.createTier({ thumbnailHeights: [100, 200], originalLink: true })).id;
    tierB = (await server.createTier({ thumbnailHeights: [50] })).id;
    alice = await server.createUser({ tierId: tierA });
    bob = await server.createUser({ tierId: tierB });
    // names differ in their first letter so any collation sorts them alike; bytes and times have ties
    const row = (ownerId: string, filename: string, bytes: number, minute: number): Row => ({ id: randomUUID(), ownerId, filename, bytes, createdAt: at(minute) });
    rows = [
      row(alice.id, 'sunset.jpg', 3000, 1),
      row(alice.id, 'fig_50%.jpg', 1000, 2),
      row(alice.id, 'apple.jpg', 2000, 3),
      row(bob.id, 'sunflower.jpg', 2000, 3),
      row(bob.id, 'figure.jpg', 4000, 4),
      row(bob.id, 'kiwi.jpg', 500, 5),
    ];
    await insertImages(rows);
    // one real upload too, timed by the server's clock
    server.clock.set(at(30));
    const upload = await server.upload(alice.token, [{ name: 'upload.jpg', data: await jpeg(80, 60) }]);
    expect(upload.errors).toBeUndefined();
    rows.push({ id: upload.data.uploadImage.id, ownerId: alice.id, filename: 'upload.jpg', bytes: upload.data.uploadImage.bytes, createdAt: at(30) });
  });

  it('lists every user’s images newest first, each with its owner and the owner’s tier rules', async () => {
    const result = await admin(ADMIN_IMAGES, { limit: 100 });
    expect(result.errors).toBeUndefined();
    expect(await server.countRows('images')).toBe(rows.length);
    expect(result.data.adminImages.totalCount).toBe(rows.length);
    expect(ids(result)).toEqual(sorted(rows, time, 'DESC'));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const node of result.data.adminImages.nodes) {
      const row = byId.get(node.id)!;
      const mine = row.ownerId === alice.id;
      expect(node).toMatchObject({ filename: row.filename, bytes: row.bytes, createdAt: row.createdAt.toISOString() });
      expect(node.owner).toEqual({ id: row.ownerId, username: mine ? alice.username : bob.username, tier: { id: mine ? tierA : tierB } });
      // links follow the owner's tier, not the admin's
      expect(node.thumbnails.map((t: { size: number }) => t.size)).toEqual(mine ? [100, 200] : [50]);
      expect(node.originalUrl === null).toBe(!mine);
    }
  });

  it.each([
    ['CREATED_AT', 'ASC', time], ['CREATED_AT', 'DESC', time], ['BYTES', 'ASC', size], ['BYTES', 'DESC', size],
    ['FILENAME', 'ASC', name], ['FILENAME', 'DESC', name], ['BYTES', undefined, size],
  ] as const)('sorts by %s, order %s (none means DESC), ties by id in the same order', async (field, order, key) => {
    const result = await admin(ADMIN_IMAGES, { limit: 100, sort: { field, order } });
    expect(result.errors).toBeUndefined();
    expect(ids(result)).toEqual(sorted(rows, key, order ?? 'DESC'));
  });

  it('pages with offset and limit, visiting every image once, the total on every page', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < rows.length + 2; offset += 2) {
      const page = await admin(ADMIN_IMAGES, { offset, limit: 2, sort: { field: 'BYTES', order: 'ASC' } });
      expect(page.data.adminImages.totalCount).toBe(rows.length);
      seen.push(...ids(page));
    }
    expect(seen).toEqual(sorted(rows, size, 'ASC'));
  });

  it('returns no nodes, with the total, for limit 0 and for an offset past the end', async () => {
    for (const args of [{ limit: 0 }, { offset: rows.length, limit: 10 }, { offset: 10_000 }]) {
      const result = await admin(ADMIN_IMAGES, args);
      expect(result.errors, JSON.stringify(args)).toBeUndefined();
      expect(result.data.adminImages, JSON.stringify(args)).toEqual({ totalCount: rows.length, nodes: [] });
    }
  });

  it('accepts limit 100 and defaults to 25', async () => {
    expect((await admin(ADMIN_IMAGES, { limit: 100 })).errors).toBeUndefined();
    const big = await server.createUser();
    const extra = Array.from({ length: 30 }, (_, i) => ({ id: randomUUID(), ownerId: big.id, filename: `x${i}.jpg`, bytes: 1, createdAt: at(40) }));
    await insertImages(extra);
    try {
      const result = await admin(ADMIN_IMAGES, { filter: { ownerId: big.id } });
      expect(result.data.adminImages.totalCount).toBe(30);
      expect(ids(result)).toEqual(sorted(extra, time, 'DESC').slice(0, 25));
    } finally {
      await server.sql('delete from images where owner_id = $1', [big.id]);
    }
  });

  it('filters by owner, by part of the file name in any case, and by ids; the total follows the filter', async () => {
    const list = async (filter: object, limit = 100) => {
      const result = await admin(ADMIN_IMAGES, { filter, limit, sort: { field: 'BYTES', order: 'ASC' } });
      expect(result.errors, JSON.stringify(filter)).toBeUndefined();
      return { ids: ids(result), total: result.data.adminImages.totalCount as number };
    };
    const of = (pick: (r: Row) => boolean) => sorted(rows.filter(pick), size, 'ASC');
    expect(await list({ ownerId: bob.id })).toEqual({ ids: of((r) => r.ownerId === bob.id), total: 3 });
    expect(await list({ q: 'SUN' })).toEqual({ ids: of((r) => r.filename.startsWith('sun')), total: 2 });
    expect(await list({ q: 'SUN', ownerId: alice.id })).toEqual({ ids: of((r) => r.filename === 'sunset.jpg'), total: 1 });
    // LIKE wildcards in the text match only themselves
    expect(await list({ q: '%' })).toEqual({ ids: of((r) => r.filename.includes('%')), total: 1 });
    expect(await list({ q: 'g_5' })).toEqual({ ids: of((r) => r.filename.includes('g_5')), total: 1 });
    const two = [rows[0]!.id, rows[4]!.id];
    expect(await list({ ids: two })).toEqual({ ids: of((r) => two.includes(r.id)), total: 2 });
    expect(await list({ ids: two }, 1)).toEqual({ ids: of((r) => two.includes(r.id)).slice(0, 1), total: 2 });
    expect(await list({ ids: [] })).toEqual({ ids: [], total: 0 });
    expect(await list({ ids: [randomUUID()] })).toEqual({ ids: [], total: 0 });
    expect(await list({ ownerId: randomUUID() })).toEqual({ ids: [], total: 0 });
  });

  // a malformed id names no image, as everywhere else in the API (image(id:) says NOT_FOUND, users(filter: { tierId }) lists none)
  it.each(['not-a-uuid', "' or 1=1 --", '%'])('matches nothing for the malformed id %j, without an error', async (bad) => {
    const real = rows[0]!.id;
    expect(await admin(ADMIN_IMAGES, { filter: { ids: [bad, real] } })).toMatchObject({ errors: undefined, data: { adminImages: { totalCount: 1, nodes: [{ id: real }] } } });
    expect(await admin(ADMIN_IMAGES, { filter: { ownerId: bad } })).toMatchObject({ errors: undefined, data: { adminImages: { totalCount: 0, nodes: [] } } });
  });

  // the first four reach our page check, which names the field; the rest fail GraphQL's variable coercion
  it.each<[Record<string, unknown>, string?]>([
    [{ limit: -1 }, 'limit'], [{ limit: 101 }, 'limit'], [{ limit: 1_000_000 }, 'limit'], [{ offset: -1 }, 'offset'],
    [{ limit: 2 ** 31 }], [{ offset: 1.5 }], [{ sort: { field: 'owner' } }], [{ sort: { field: 'passwordHash' } }],
    [{ sort: { field: 'BYTES', order: 'SIDEWAYS' } }], [{ filter: { ids: [{ id: 1 }] } }], [{ filter: { ownerId: ['a', 'b'] } }], [{ filter: { owner: { isAdmin: true } } }],
  ])('refuses %j with BAD_USER_INPUT and keeps serving', async (args, field) => {
    const result = await admin(ADMIN_IMAGES, args);
    expect(code(result)).toBe('BAD_USER_INPUT');
    if (field) expect(result.errors?.[0]?.extensions?.field).toBe(field);
    expect(result.data?.adminImages ?? null).toBeNull();
    expect(JSON.stringify(result.errors)).not.toMatch(/select |stack/i);
    expect((await admin(ADMIN_IMAGES, { limit: 1 })).data.adminImages.totalCount).toBe(rows.length);
  });

  it('is for admins only: FORBIDDEN for a user, UNAUTHENTICATED without a token; any admin may list', async () => {
    for (const [token, expected] of [[alice.token, 'FORBIDDEN'], [undefined, 'UNAUTHENTICATED'], ['not-a-token', 'UNAUTHENTICATED']] as const) {
      const result = await server.gql(ADMIN_IMAGES, { filter: { ownerId: alice.id } }, token);
      expect(code(result)).toBe(expected);
      expect(result.data?.adminImages ?? null).toBeNull();
    }
    const other = await server.createUser({ isAdmin: true });
    expect((await server.gql(ADMIN_IMAGES, {}, other.token)).data.adminImages.totalCount).toBe(rows.length);
  });

  it('drops a deleted user’s images from the list', async () => {
    const doomed = await server.createUser();
    const id = randomUUID();
    await insertImages([{ id, ownerId: doomed.id, filename: 'doomed.jpg', bytes: 1, createdAt: at(50) }]);
    expect(ids(await admin(ADMIN_IMAGES, { filter: { ownerId: doomed.id } }))).toEqual([id]);
    expect((await admin(DELETE_USER, { id: doomed.id })).data.deleteUser).toBe(true);
    expect(await admin(ADMIN_IMAGES, { filter: { ids: [id] } })).toMatchObject({ data: { adminImages: { totalCount: 0, nodes: [] } } });
    expect((await admin(ADMIN_IMAGES)).data.adminImages.totalCount).toBe(rows.length);
  });
});

describe('Image.owner', () => {
  it('is the viewer on their own list', async () => {
    const user = await server.createUser();
    await insertImages([{ id: randomUUID(), ownerId: user.id, filename: 'mine.jpg', bytes: 1, createdAt: new Date() }]);
    const result = await server.gql(`{ images { edges { node { owner { id username } } } } }`, {}, user.token);
    expect(result.data.images.edges).toEqual([{ node: { owner: { id: user.id, username: user.username } } }]);
  });

  it('costs the same statements for 12 images of 12 owners on 12 tiers as for 1 (batched, no N+1)', async () => {
    const owned: Row[] = [];
    for (let i = 0; i < 12; i++) {
      const tier = await server.createTier({ thumbnailHeights: [100 + i], originalLink: i % 2 === 0 });
      const user = await server.createUser({ tierId: tier.id });
      owned.push({ id: randomUUID(), ownerId: user.id, filename: `o${i}.jpg`, bytes: 10 + i, createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)) });
    }
    await insertImages(owned);
    const query = `query($filter: ImageFilter) { adminImages(filter: $filter, limit: 100) {
      totalCount nodes { id owner { id username isAdmin tier { id name thumbnailHeights userCount } } thumbnails { size url } originalUrl } } }`;
    const one = await sqlOf(() => admin(query, { filter: { ids: [owned[0]!.id] } }));
    const all = await sqlOf(() => admin(query, { filter: { ids: owned.map((r) => r.id) } }));
    expect(all.result.errors).toBeUndefined();
    expect(all.result.data.adminImages.nodes.map((n: { owner: { id: string } }) => n.owner.id).sort()).toEqual(owned.map((r) => r.ownerId).sort());
    expect(all.result.data.adminImages.nodes.every((n: { owner: { tier: { userCount: number } } }) => n.owner.tier.userCount === 1)).toBe(true);
    expect(one.result.data.adminImages.totalCount).toBe(1);
    expect(all.sql.length, all.sql.join('\n')).toBe(one.sql.length);
    // viewer, page, count, user counts
    expect(all.sql.length, all.sql.join('\n')).toBeLessThanOrEqual(4);
  });
});

describe('Tier.userCount', () => {
  const counts = async (tierIds: string[]) => {
    const result = await admin(TIER_COUNTS, { filter: { ids: tierIds } });
    expect(result.errors).toBeUndefined();
    const byId = new Map(result.data.tiers.nodes.map((n: { id: string; userCount: number }) => [n.id, n.userCount]));
    return tierIds.map((id) => byId.get(id));
  };

  it('follows users as they are created, moved and deleted', async () => {
    const [t1, t2] = [(await server.createTier({ thumbnailHeights: [10] })).id, (await server.createTier({ thumbnailHeights: [20] })).id];
    expect(await counts([t1, t2])).toEqual([0, 0]);
    const users = [await server.createUser({ tierId: t1 }), await server.createUser({ tierId: t1 }), await server.createUser({ tierId: t1, isAdmin: true })];
    const lone = await server.createUser({ tierId: t2 });
    expect(await counts([t1, t2])).toEqual([3, 1]);
    await server.setUserTier(users[0]!.id, t2);
    expect(await counts([t1, t2])).toEqual([2, 2]);
    for (const id of [lone.id, users[1]!.id]) expect((await admin(DELETE_USER, { id })).data.deleteUser).toBe(true);
    expect(await counts([t1, t2])).toEqual([1, 1]);
    expect((await admin(`query($id: ID!) { tier(id: $id) { userCount } }`, { id: t1 })).data.tier.userCount).toBe(1);
  });

  it('matches the users table for every tier, builtin ones included', async () => {
    const result = await admin(TIER_COUNTS, {});
    const rows = await server.sql<{ id: string; n: number }>('select t.id, count(u.id)::int as n from tiers t left join users u on u.tier_id = t.id group by t.id');
    expect(result.data.tiers.totalCount).toBe(rows.length);
    expect(new Map(result.data.tiers.nodes.map((n: { id: string; userCount: number }) => [n.id, n.userCount]))).toEqual(new Map(rows.map((r) => [r.id, r.n])));
  });

  it('costs one statement for a page of tiers, however many tiers it holds', async () => {
    const prefix = `uc-${tok()}`;
    const made: string[] = [];
    for (let i = 0; i < 9; i++) {
      const tier = await server.createTier({ name: `${prefix}-${i}`, thumbnailHeights: [30] });
      made.push(tier.id);
      for (let u = 0; u < i % 3; u++) await server.createUser({ tierId: tier.id });
    }
    const one = await sqlOf(() => admin(TIER_COUNTS, { filter: { ids: made.slice(0, 1) } }));
    const nine = await sqlOf(() => admin(TIER_COUNTS, { filter: { ids: made } }));
    expect(nine.result.data.tiers.nodes.map((n: { id: string; userCount: number }) => [n.id, n.userCount]).sort()).toEqual(made.map((id, i) => [id, i % 3]).sort());
    expect(nine.sql.length, nine.sql.join('\n')).toBe(one.sql.length);
    expect(nine.sql.filter((s) => /count\(/i.test(s) && /users/i.test(s)), nine.sql.join('\n')).toHaveLength(1);
  });

  it('is fresh after each mutation of one request, not a count cached by an earlier field', async () => {
    const tier = (await server.createTier({ thumbnailHeights: [40] })).id;
    const [a, b] = [await server.createUser(), await server.createUser()];
    // mutations run in order, so each answer must count the users moved before it
    const result = await admin(
      `mutation($t: ID!, $a: ID!, $b: ID!) { a: updateUser(id: $a, input: { tierId: $t }) { tier { userCount } } b: updateUser(id: $b, input: { tierId: $t }) { tier { userCount } } }`,
      { t: tier, a: a.id, b: b.id },
    );
    expect(result.errors).toBeUndefined();
    expect([result.data.a.tier.userCount, result.data.b.tier.userCount]).toEqual([1, 2]);
  });

  it('is refused to a user looking at their own tier', async () => {
    const user = await server.createUser();
    const result = await server.gql(`{ me { tier { name userCount } } }`, {}, user.token);
    expect(code(result)).toBe('FORBIDDEN');
    expect(JSON.stringify(result.data ?? null)).not.toMatch(/userCount":\d/);
  });
});

describe('/admin', () => {
  const INDEX = `<!doctype html><html><head><script type="module" src="/admin/assets/app-abc123.js"></script></head><body><div id="root">index-${tok()}</div></body></html>`;
  const APP = `console.log("app-${tok()}");`;
  const SECRET = `secret-${tok()}`;
  let root: string;
  let ui: TestServer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'admin-ui-test-'));
    await mkdir(join(root, 'dist', 'assets'), { recursive: true });
    await writeFile(join(root, 'dist', 'index.html'), INDEX);
    await writeFile(join(root, 'dist', 'assets', 'app-abc123.js'), APP);
    await writeFile(join(root, 'dist', '.env'), SECRET);
    await writeFile(join(root, 'secret.txt'), SECRET);
    ui = await TestServer.start({ env: { ADMIN_UI_DIR: join(root, 'dist'), PUBLIC_URL: 'https://img.example.com' } });
  });
  afterAll(async () => {
    await ui?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const response = await fetch(`${ui.url}${path}`, { redirect: 'manual' });
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const directives = (csp: string | null) => new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name!, sources]));

  it.each(['/admin/', '/admin/tiers/123', '/admin/images/abc/show?x=1'])('serves index.html for %s, uncached, under a strict CSP', async (path) => {
    const response = await get(path);
    expect(response).toMatchObject({ status: 200, body: INDEX });
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = directives(response.headers.get('content-security-policy'));
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('img-src')).toContain('https://img.example.com');
    expect([...csp.values()].flat().filter((s) => s === '*' || /unsafe-eval/.test(s))).toEqual([]);
  });

  it('serves hashed assets as immutable for a year', async () => {
    const response = await get('/admin/assets/app-abc123.js');
    expect(response).toMatchObject({ status: 200, body: APP });
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const cache = response.headers.get('cache-control') ?? '';
    expect(cache).toMatch(/\bimmutable\b/);
    expect(Number(/max-age=(\d+)/.exec(cache)?.[1])).toBeGreaterThanOrEqual(365 * 24 * 3600);
  });

  it.each(['/admin/assets/missing.js', '/admin/assets/tiers/123', '/admin/assets/'])('answers 404 for the missing asset %s, never index.html', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('<div id="root">');
    expect(response.headers.get('cache-control') ?? '').not.toMatch(/immutable|max-age=[1-9]/);
  });

  it('never caches index.html long when it is asked for by name', async () => {
    const response = await get('/admin/index.html');
    expect(response).toMatchObject({ status: 200, body: INDEX });
    expect(response.headers.get('cache-control')).toMatch(/no-cache|max-age=0\b/);
  });

  it.each(['/admin/..%2fsecret.txt', '/admin/assets/..%2f..%2fsecret.txt', '/admin/%2e%2e%2fsecret.txt', '/admin/.env', '/admin/assets/..%2f.env'])(
    'never serves a file outside the app or a dotfile: %s',
    async (path) => expect((await get(path)).body).not.toContain(SECRET),
  );

  it('redirects /admin to /admin/ and leaves other paths alone', async () => {
    expect(await get('/admin')).toMatchObject({ status: 301, body: expect.not.stringContaining('<div id="root">') });
    expect((await get('/admin')).headers.get('location')).toBe('/admin/');
    expect(await get('/administrator')).toMatchObject({ status: 404, body: expect.not.stringContaining('<div id="root">') });
    expect((await ui.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('answers 404 with a hint when the app is not built, and the API still runs', async () => {
    const bare = await TestServer.start({ env: { ADMIN_UI_DIR: join(root, 'does-not-exist') } });
    try {
      for (const path of ['/admin', '/admin/', '/admin/tiers/123']) {
        const response = await fetch(`${bare.url}${path}`);
        expect(response.status, path).toBe(404);
        expect(response.headers.get('content-type'), path).toMatch(/^text\/plain/);
        expect(await response.text(), path).toMatch(/admin app is not built.*pnpm build/i);
      }
      expect((await fetch(`${bare.url}/admin/assets/app-abc123.js`)).status).toBe(404);
      expect((await bare.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    } finally {
      await bare.stop();
    }
  });
});
