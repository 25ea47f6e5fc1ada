import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_TIER_IDS, TestServer } from '../support/test-server.js';
import { CREATE_TIER, DELETE_TIER, TIER, TIERS, UPDATE_TIER, code, names, snapshot, tok } from '../support/admin-api.js';

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const admin = <T = any>(query: string, variables?: Record<string, unknown>) => server.gql<T>(query, variables, server.adminToken);

describe('tiers', () => {
  it('stores heights ascending, trims the name and applies defaults', async () => {
    const name = `Gold-${tok()}`;
    const result = await admin(CREATE_TIER, { input: { name: `  ${name} `, thumbnailHeights: [1000, 100, 300, 200] } });
    expect(result.errors).toBeUndefined();
    expect(result.data.createTier).toMatchObject({ name, thumbnailHeights: [100, 200, 300, 1000], originalLink: false, expiringLinks: false, builtin: false });
    const [row] = await server.sql('select name, thumbnail_heights from tiers where id = $1', [result.data.createTier.id]);
    expect(row).toEqual({ name, thumbnail_heights: [100, 200, 300, 1000] });
  });

  it('accepts the limits: a 64-character name, 16 heights, heights 1 and 4096', async () => {
    const heights = [4096, 1, ...Array.from({ length: 14 }, (_, i) => (i + 1) * 100)];
    const result = await admin(CREATE_TIER, { input: { name: `${tok()}`.padEnd(64, 'n'), thumbnailHeights: heights } });
    expect(result.errors).toBeUndefined();
    expect(result.data.createTier.thumbnailHeights).toEqual([...heights].sort((a, b) => a - b));
  });

  const taken = `Taken-${tok()}`;
  it.each([
    ['an empty name', { name: '' }, 'input.name'],
    ['a blank name', { name: '   ' }, 'input.name'],
    ['a 65-character name', { name: 'n'.repeat(65) }, 'input.name'],
    ['a name with a control character', { name: `bad\u0000name-${tok()}` }, 'input.name'],
    ['no heights', { thumbnailHeights: [] }, 'input.thumbnailHeights'],
    ['17 heights', { thumbnailHeights: Array.from({ length: 17 }, (_, i) => i + 1) }, 'input.thumbnailHeights'],
    ['height 0', { thumbnailHeights: [0] }, 'input.thumbnailHeights'],
    ['height 4097', { thumbnailHeights: [100, 4097] }, 'input.thumbnailHeights'],
    ['a negative height', { thumbnailHeights: [-200] }, 'input.thumbnailHeights'],
    ['a repeated height', { thumbnailHeights: [200, 100, 200] }, 'input.thumbnailHeights'],
  ])('refuses %s with BAD_USER_INPUT on %s and stores nothing', async (_label, override, field) => {
    if (!(await server.sql('select 1 from tiers where name = $1', [taken])).length) await server.createTier({ name: taken, thumbnailHeights: [100] });
    const before = await snapshot(server);
    const result = await admin(CREATE_TIER, { input: { name: `t-${tok()}`, thumbnailHeights: [100], ...override } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.data ?? null).toBeNull();
    expect(await snapshot(server)).toEqual(before);
  });

  it.each([
    ['the name of a builtin tier', 'Basic'],
    ['a builtin name in another case', 'basic'],
    ['a custom name in another case', taken.toUpperCase()],
  ])('refuses %s with CONFLICT (NAME_TAKEN) on input.name and stores nothing', async (_label, name) => {
    if (!(await server.sql('select 1 from tiers where name = $1', [taken])).length) await server.createTier({ name: taken, thumbnailHeights: [100] });
    const before = await snapshot(server);
    const result = await admin(CREATE_TIER, { input: { name, thumbnailHeights: [100] } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name', reason: 'NAME_TAKEN' });
    expect(await snapshot(server)).toEqual(before);
  });

  it('updates only the fields given', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100, 300], originalLink: true, expiringLinks: true });
    const renamed = `Renamed-${tok()}`;
    const partial = await admin(UPDATE_TIER, { id: tier.id, input: { name: renamed } });
    expect(partial.data.updateTier).toMatchObject({ name: renamed, thumbnailHeights: [100, 300], originalLink: true, expiringLinks: true });
    await admin(UPDATE_TIER, { id: tier.id, input: { originalLink: false, thumbnailHeights: [500, 50] } });
    expect((await admin(TIER, { id: tier.id })).data.tier).toMatchObject({ name: renamed, thumbnailHeights: [50, 500], originalLink: false, expiringLinks: true });
  });

  it('refuses a bad update and changes nothing', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100] });
    const before = await snapshot(server);
    const clash = await admin(UPDATE_TIER, { id: tier.id, input: { name: 'PREMIUM', originalLink: true } });
    expect(clash.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name', reason: 'NAME_TAKEN' });
    const heights = await admin(UPDATE_TIER, { id: tier.id, input: { thumbnailHeights: [], originalLink: true } });
    expect(heights.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.thumbnailHeights' });
    expect(await snapshot(server)).toEqual(before);
  });

  it('refuses to delete a builtin tier with FORBIDDEN', async () => {
    for (const id of Object.values(BUILTIN_TIER_IDS)) {
      const result = await admin(DELETE_TIER, { id });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'TIER_BUILTIN' });
    }
    expect(await server.sql('select id from tiers where builtin order by id')).toHaveLength(3);
  });

  it('refuses to delete a tier that has users with CONFLICT, and deletes it once they moved', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100] });
    const member = await server.createUser({ tierId: tier.id });
    const result = await admin(DELETE_TIER, { id: tier.id });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'TIER_IN_USE' });
    expect(await server.sql('select id from tiers where id = $1', [tier.id])).toHaveLength(1);
    await server.setUserTier(member.id, BUILTIN_TIER_IDS.basic);
    expect((await admin(DELETE_TIER, { id: tier.id })).data?.deleteTier).toBe(true);
  });

  it('deletes an empty custom tier', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100] });
    expect(await admin(DELETE_TIER, { id: tier.id })).toMatchObject({ data: { deleteTier: true }, errors: undefined });
    expect(await server.sql('select id from tiers where id = $1', [tier.id])).toEqual([]);
    expect(code(await admin(TIER, { id: tier.id }))).toBe('NOT_FOUND');
  });

  it.each([randomUUID(), 'not-a-uuid', "' or 1=1 --"])('answers NOT_FOUND for the tier id %s', async (id) => {
    for (const [query, variables] of [[TIER, { id }], [DELETE_TIER, { id }], [UPDATE_TIER, { id, input: { name: `x-${tok()}` } }]] as const) {
      expect(code(await admin(query, variables)), query).toBe('NOT_FOUND');
    }
  });
});

describe('tier list', () => {
  const allNames = async () => (await server.sql<{ name: string }>('select name from tiers')).map((r) => r.name);

  it('pages with offset and limit, sorted by name, with the total', async () => {
    const prefix = `page-${tok()}`;
    for (const n of [3, 1, 5, 2, 4]) await server.createTier({ name: `${prefix}-${n}`, thumbnailHeights: [100] });
    const page = (offset: number, sort?: unknown) => admin(TIERS, { offset, limit: 2, filter: { q: prefix }, sort });
    const pages = await Promise.all([0, 2, 4, 6].map((offset) => page(offset)));
    expect(pages.map((p) => names(p, 'tiers'))).toEqual([[`${prefix}-1`, `${prefix}-2`], [`${prefix}-3`, `${prefix}-4`], [`${prefix}-5`], []]);
    expect(pages.map((p) => p.data.tiers.totalCount)).toEqual([5, 5, 5, 5]);
    expect(names(await page(0, { field: 'NAME', order: 'DESC' }), 'tiers')).toEqual([`${prefix}-5`, `${prefix}-4`]);
  });

  it('filters by part of the name in any case', async () => {
    const t = tok();
    for (const name of [`Xpre-${t}`, `PREFIX-${t}`, `p-r-e-${t}`]) await server.createTier({ name, thumbnailHeights: [100] });
    const expected = (await allNames()).filter((n) => n.toLowerCase().includes('pre')).sort();
    expect(expected).toEqual(expect.arrayContaining(['Premium', `Xpre-${t}`, `PREFIX-${t}`]));
    for (const q of ['pre', 'PRE', 'pRe']) {
      const result = await admin(TIERS, { limit: 100, filter: { q } });
      expect(names(result, 'tiers').sort(), q).toEqual(expected);
      expect(result.data.tiers.totalCount).toBe(expected.length);
    }
    expect(names(await admin(TIERS, { limit: 100, filter: { builtin: true } }), 'tiers')).toEqual(['Basic', 'Enterprise', 'Premium']);
  });

  it('matches %, _ and \\ literally', async () => {
    const t = tok();
    for (const name of [`50%-off-${t}`, `50x-off-${t}`, `a_b-${t}`, `axb-${t}`, `back\\slash-${t}`]) await server.createTier({ name, thumbnailHeights: [100] });
    for (const q of ['%', '_', '\\', '50%', 'a_b']) {
      const expected = (await allNames()).filter((n) => n.includes(q)).sort();
      expect(names(await admin(TIERS, { limit: 100, filter: { q } }), 'tiers').sort(), q).toEqual(expected);
    }
    expect(names(await admin(TIERS, { limit: 100, filter: { q: `50%-off-${t}` } }), 'tiers')).toEqual([`50%-off-${t}`]);
  });

  it.each([
    [{ limit: 101 }, 'limit'],
    [{ limit: -1 }, 'limit'],
    [{ offset: -1 }, 'offset'],
  ])('refuses %j with BAD_USER_INPUT', async (args, field) => {
    const result = await admin(TIERS, args);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await admin(TIERS, { limit: 100 })).errors).toBeUndefined();
  });

  it.each([
    ['tiers(sort: { field: passwordHash })', '{ tiers(sort: { field: passwordHash }) { totalCount } }'],
    ['tiers(sort: { field: "name" })', '{ tiers(sort: { field: "name" }) { totalCount } }'],
    ['tiers(sort: { field: NAME, order: "ASC, (select 1)" })', '{ tiers(sort: { field: NAME, order: "ASC, (select 1)" }) { totalCount } }'],
    ['tiers(filter: { name: "%" })', '{ tiers(filter: { name: "%" }) { totalCount } }'],
  ])('rejects %s at validation, with no data', async (_label, query) => {
    const result = await admin(query);
    expect(code(result)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.data ?? null).toBeNull();
  });
});
