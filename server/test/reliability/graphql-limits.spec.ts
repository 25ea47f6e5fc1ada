import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttleKey } from '../../src/auth/login-throttle.js';

/** The keys a login failure for `username` over loopback may count against: the account's, or the account on a known loopback network. */
const accountKeys = (username: string) => [throttleKey('account', username), ...['127.0.0.1', '::1'].map((address) => throttleKey('account-network', username, address))];
import { TestServer, type GqlResponse } from '../support/test-server.js';

/**
 * Rows G1–G4 of RELIABILITY.md §1. An operation over a limit is refused as a whole with HTTP 400,
 * `GRAPHQL_VALIDATION_FAILED` and `extensions.reason` (README "Limits for a public API"; the catalogue's
 * QUERY_TOO_COMPLEX is this reason), before anything runs.
 */

let dev: TestServer;
let production: TestServer;
/** Depth 2, so a real operation can cross it (the schema itself nests no deeper than 5). */
let shallow: TestServer;
beforeAll(async () => {
  [dev, production, shallow] = await Promise.all([
    TestServer.start(),
    TestServer.start({ env: { NODE_ENV: 'production' } }),
    TestServer.start({ env: { GRAPHQL_MAX_DEPTH: '2' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev?.stop(), production?.stop(), shallow?.stop()]);
});

const tok = () => randomBytes(4).toString('hex');
const reasons = (result: GqlResponse) => (result.errors ?? []).map((e) => e.extensions?.reason).filter(Boolean);

/** Refused before execution: 400, no data, and a limit error for one of `reasons`. */
function expectRefused(result: GqlResponse, ...allowed: string[]) {
  expect(result.status).toBe(400);
  expect(result.data ?? null).toBeNull();
  expect(result.errors?.every((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
  expect(reasons(result).some((r) => allowed.includes(r as string)), JSON.stringify(result.errors)).toBe(true);
}

/** The SQL one request caused, to show a refused operation read nothing. */
async function sqlOf(server: TestServer, run: () => Promise<GqlResponse>): Promise<{ result: GqlResponse; sql: string[] }> {
  server.queries.length = 0;
  const result = await run();
  return { result, sql: [...server.queries] };
}

const readsImages = (sql: string[]) => sql.some((s) => /\bfrom "?images"?/i.test(s));

describe('G1: depth bombs', () => {
  it('G1: the catalogue’s images{owner{images{owner…}}} ×20 is refused for its depth', async () => {
    const bomb = `{ ${'images { owner { '.repeat(20)}id${' } }'.repeat(20)} }`;
    expectRefused(await dev.gql(bomb, {}, dev.adminToken), 'MAX_DEPTH');
  });

  it('G1: an operation one level too deep is refused before any resolver runs', async () => {
    const [tierName, username] = [`deep-${tok()}`, `deep-${tok()}`];
    const query = `mutation($tier: CreateTierInput!, $user: CreateUserInput!) { createTier(input: $tier) { id } createUser(input: $user) { tier { id } } }`;
    const variables = { tier: { name: tierName, thumbnailHeights: [100] }, user: { username, password: 'password-123' } };
    expectRefused(await shallow.gql(query, variables, shallow.adminToken), 'MAX_DEPTH');
    expect(await shallow.sql('select 1 from tiers where name = $1 union all select 1 from users where username = $2', [tierName, username])).toEqual([]);
    // at the limit the same operation runs
    const flat = await shallow.gql(query.replace('tier { id }', 'id'), variables, shallow.adminToken);
    expect(flat.errors).toBeUndefined();
  });

  it('G1: a nested introspection query (introspection is on outside production) is refused too', async () => {
    const nested = `{ __schema { types { ${'fields { type { ofType { fields { type { '.repeat(6)}name${' } } } } }'.repeat(6)} } } }`;
    const result = await dev.gql(nested);
    expect(result.status).toBe(400);
    expect(result.data ?? null).toBeNull();
    // graphql-js's MaxIntrospectionDepthRule: our depth count leaves introspection to it
    expect(result.errors?.[0]).toMatchObject({ message: 'Maximum introspection depth exceeded', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });
});

describe('G2: alias and fragment amplification', () => {
  const page = 'adminImages(limit: 100) { nodes { id owner { id } } }';

  it('G2: 1000 aliased lists are refused without reading a row', async () => {
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: ${page}`).join(' ')} }`;
    const { result, sql } = await sqlOf(dev, () => dev.gql(query, {}, dev.adminToken));
    expectRefused(result, 'MAX_TOKENS', 'MAX_ALIASES', 'MAX_COST');
    expect(readsImages(sql)).toBe(false);
  });

  it('G2: 20 aliased pages of 100, well inside the token and alias limits, are refused for their cost', async () => {
    const query = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: ${page}`).join(' ')} }`;
    const { result, sql } = await sqlOf(dev, () => dev.gql(query, {}, dev.adminToken));
    expectRefused(result, 'MAX_COST');
    expect(readsImages(sql)).toBe(false);
  });

  it('G2: one fragment spread 200 times is priced per spread', async () => {
    const query = `{ ${'...F '.repeat(200)}} fragment F on Query { ${page} }`;
    expectRefused(await dev.gql(query, {}, dev.adminToken), 'MAX_COST');
  });

  it('G2: fragments that spread each other tenfold, seven levels deep (10^7 selections), are refused at once', async () => {
    const levels = Array.from({ length: 7 }, (_, i) => `fragment F${i + 1} on Query { ${`...F${i} `.repeat(10)}}`);
    const query = `{ ...F7 } fragment F0 on Query { ${page} } ${levels.join(' ')}`;
    const started = performance.now();
    expectRefused(await dev.gql(query, {}, dev.adminToken), 'MAX_COST');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it.each([
    ['images', 'query($n: Int) { images(first: $n) { totalCount } }'],
    ['adminImages', 'query($n: Int) { adminImages(limit: $n) { totalCount } }'],
    ['users', 'query($n: Int) { users(limit: $n) { totalCount } }'],
    ['tiers', 'query($n: Int) { tiers(limit: $n) { totalCount } }'],
  ])('G2: %s takes at most 100 per page: 101 and 100000 are BAD_USER_INPUT', async (_list, query) => {
    for (const n of [101, 100_000]) {
      const result = await dev.gql(query, { n }, dev.adminToken);
      expect(result.errors?.[0]?.extensions?.code, String(n)).toBe('BAD_USER_INPUT');
      expect(result.data ?? null).toBeNull();
    }
    expect((await dev.gql(query, { n: 100 }, dev.adminToken)).errors).toBeUndefined();
  });
});

describe('G3: batching and aliased logins', () => {
  // the user logged in over loopback to get a token, so loopback is a known network: its failures count there
  const failures = async (username: string) =>
    dev.sql('select failures from login_failures where key = any($1)', [accountKeys(username)]);
  const login = (alias: string, username: string) => `${alias}: login(username: "${username}", password: "guess-${alias}") { token }`;

  it('G3: a JSON array of operations is refused, and none of its logins is attempted', async () => {
    const user = await dev.createUser();
    const response = await fetch(`${dev.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ query: `mutation { ${login(`a${i}`, user.username)} }` }))),
    });
    expect(response.status).toBe(400);
    expect(await failures(user.username)).toEqual([]);
  });

  it('G3: 100 aliased logins in one operation are refused whole: not one password is checked', async () => {
    const user = await dev.createUser();
    const query = `mutation { ${Array.from({ length: 100 }, (_, i) => login(`a${i}`, user.username)).join(' ')} }`;
    expectRefused(await dev.gql(query), 'ONCE_PER_OPERATION');
    expect(await failures(user.username)).toEqual([]);
    // one login per operation is still counted like any attempt
    expect((await dev.gql(`mutation { ${login('one', user.username)} }`)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await failures(user.username)).toEqual([{ failures: 1 }]);
  });
});

describe('G4: what production reveals', () => {
  it.each(['{ __schema { types { name } } }', '{ __type(name: "User") { fields { name } } }', 'query { a: __schema { queryType { name } } }'])(
    'G4: introspection %s is refused with INTROSPECTION_DISABLED',
    async (query) => {
      const result = await production.gql(query, {}, production.adminToken);
      expect(result.status).toBe(400);
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' });
    },
  );

  it.each([
    ['a misspelt root field', '{ imagez }', {}],
    ['a misspelt field', '{ me { usernme } }', {}],
    ['a misspelt argument', '{ images(frist: 1) { totalCount } }', {}],
    ['a misspelt enum literal', '{ tiers(sort: { field: NAM }) { totalCount } }', {}],
    ['a misspelt enum in a variable', 'query($s: TierSort) { tiers(sort: $s) { totalCount } }', { s: { field: 'NAM' } }],
    ['a misspelt input field in a variable', 'query($f: UserFilter) { users(filter: $f) { totalCount } }', { f: { usernam: 'x' } }],
  ])('G4: %s gets no "Did you mean" and no stack trace', async (_what, query, variables) => {
    const result = await production.gql(query, variables, production.adminToken);
    expect(result.status).toBe(400);
    expect(result.errors).toBeDefined();
    const text = JSON.stringify(result.errors);
    expect(text).not.toMatch(/did you mean/i);
    expect(text).not.toMatch(/stacktrace|\bat [\w.]+ \(|node_modules/i);
  });

  it('G4: errors of every kind carry no stack trace, in production or not', async () => {
    for (const server of [production, dev]) {
      const results = [
        await server.gql('{ me { id } }'),
        await server.gql('query($n: Int) { users(limit: $n) { totalCount } }', { n: -1 }, server.adminToken),
        await server.gql('{ nope }'),
        await server.gql('{'),
      ];
      for (const result of results) {
        expect(result.errors?.length).toBeGreaterThan(0);
        for (const error of result.errors!) expect(error.extensions ?? {}).not.toHaveProperty('stacktrace');
      }
    }
  });
});

// found by `pnpm fuzz`: text PostgreSQL cannot hold, and Apollo's persisted-query protocol
describe('inputs outside what the API speaks', () => {
  it('refuses a NUL character in a string argument or variable with BAD_USER_INPUT before any SQL runs', async () => {
    for (const run of [
      () => dev.gql('mutation { login(username: "a\\u0000b", password: "x") { token } }'),
      () => dev.gql('mutation L($u: String!) { login(username: $u, password: "x") { token } }', { u: 'root\u0000' }),
      () => dev.gql('query Q($q: String) { users(filter: { q: $q }) { totalCount } }', { q: '\u0000' }, dev.adminToken),
    ]) {
      const { result, sql } = await sqlOf(dev, run);
      expect(result.status).toBe(400);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NUL_CHARACTER' });
      expect(sql.filter((s) => /login_failures|from "users"/i.test(s)), sql.join('\n')).toEqual([]);
    }
    expect((await dev.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('answers a persisted-query hash that does not match its query with BAD_REQUEST, not an internal error', async () => {
    const response = await fetch(`${dev.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }),
    });
    const body = (await response.json()) as GqlResponse;
    expect(response.status).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });
});
