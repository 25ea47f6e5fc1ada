import { randomBytes, randomUUID } from 'node:crypto';
import { Lexer, Source, TokenKind } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttleKey } from '../../src/auth/login-throttle.js';

/** The keys a login failure for `username` over loopback may count against: the account's, or the account on a known loopback network. */
const accountKeys = (username: string) => [throttleKey('account', username), ...['127.0.0.1', '::1'].map((address) => throttleKey('account-network', username, address))];
import { jpeg } from '../support/images.js';
import { TestServer, type GqlResponse } from '../support/test-server.js';

/**
 * Operation limits, at their edges: one server with tiny limits so each edge is a small query, and one
 * in production mode with the defaults, for what real clients send and what errors reveal.
 */
const LIMITS = { GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_COST: '3', GRAPHQL_MAX_ALIASES: '5', GRAPHQL_MAX_DIRECTIVES: '3', GRAPHQL_MAX_TOKENS: '100' };

let limited: TestServer;
let production: TestServer;
beforeAll(async () => {
  [limited, production] = await Promise.all([TestServer.start({ env: LIMITS }), TestServer.start({ env: { NODE_ENV: 'production' } })]);
});
afterAll(async () => {
  await Promise.all([limited?.stop(), production?.stop()]);
});

const tok = () => randomBytes(4).toString('hex');

/** The request was refused as a whole, before anything ran, for this reason. */
function expectRefused(result: GqlResponse, reason: string) {
  expect(result.status).toBe(400);
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors![0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason } });
  expect(result.errors![0]!.message).toMatch(/at most \d+ (is|are) allowed|only once per operation/);
}

const expectRan = (result: GqlResponse) => {
  expect(result.errors).toBeUndefined();
  expect(result.status).toBe(200);
};

async function tierExists(server: TestServer, id: string): Promise<boolean> {
  return (await server.sql('select 1 from tiers where id = $1', [id])).length === 1;
}

const userExists = async (server: TestServer, username: string) => (await server.sql('select 1 from users where username = $1', [username])).length === 1;

const tokenCount = (source: string) => {
  const lexer = new Lexer(new Source(source));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
};

describe('depth', () => {
  it('runs an upload as deep as the limit, and refuses one level deeper without storing anything', async () => {
    const user = await limited.createUser();
    const file = { name: 'a.jpg', type: 'image/jpeg', data: await jpeg(40, 30) };
    const deep = await limited.upload(user.token, [file], { selection: 'id owner { tier { id } }' });
    expectRefused(deep, 'MAX_DEPTH');
    expect(deep.errors![0]!.message).toBe('The operation is nested 4 levels deep; at most 3 are allowed.');
    expect(await limited.sql('select 1 from images where owner_id = $1', [user.id])).toEqual([]);

    expectRan(await limited.upload(user.token, [file], { selection: 'id owner { id }' }));
    expect(await limited.sql('select 1 from images where owner_id = $1', [user.id])).toHaveLength(1);
  });
});

describe('cost', () => {
  it('prices a list by the page it asks for', async () => {
    expectRan(await limited.gql('{ tiers(limit: 2) { nodes { id } } }', {}, limited.adminToken));
    const result = await limited.gql('{ tiers(limit: 3) { nodes { id } } }', {}, limited.adminToken);
    expectRefused(result, 'MAX_COST');
    expect(result.errors![0]!.message).toMatch(/^The operation would cost 4; at most 3 is allowed\./);
  });

  it('prices a page size given in a variable at the largest page, whatever the value', async () => {
    expectRefused(await limited.gql('query($n: Int) { tiers(limit: $n) { nodes { id } } }', { n: 1 }, limited.adminToken), 'MAX_COST');
  });

  it('refuses a mutation over the limit without running any of it', async () => {
    const tier = await limited.createTier({ thumbnailHeights: [100] });
    const [name, username] = [`tier-${tok()}`, `cost-${tok()}`];
    const query = `mutation($tier: CreateTierInput!, $user: CreateUserInput!, $id: ID!) {
      createTier(input: $tier) { id } createUser(input: $user) { id tier { id } } deleteTier(id: $id) }`;
    const variables = { tier: { name, thumbnailHeights: [100] }, user: { username, password: 'password-1' }, id: tier.id };
    expectRefused(await limited.gql(query, variables, limited.adminToken), 'MAX_COST');
    expect(await limited.sql('select 1 from tiers where name = $1', [name])).toEqual([]);
    expect(await userExists(limited, username)).toBe(false);
    expect(await tierExists(limited, tier.id)).toBe(true);
  });
});

describe('aliases', () => {
  const aliased = (id: string, n: number) => `mutation { gone: deleteTier(id: "${id}") ${Array.from({ length: n - 1 }, (_, i) => `a${i}: __typename`).join(' ')} }`;

  it('refuses one alias over the limit without running anything, and runs the operation at the limit', async () => {
    const tier = await limited.createTier({ thumbnailHeights: [100] });
    expectRefused(await limited.gql(aliased(tier.id, 6), {}, limited.adminToken), 'MAX_ALIASES');
    expect(await tierExists(limited, tier.id)).toBe(true);
    const result = await limited.gql(aliased(tier.id, 5), {}, limited.adminToken);
    expectRan(result);
    expect(result.data.gone).toBe(true);
    expect(await tierExists(limited, tier.id)).toBe(false);
  });
});

describe('directives', () => {
  const directed = (id: string, n: number) =>
    `mutation { deleteTier(id: "${id}") @include(if: true) ${Array.from({ length: n - 1 }, () => '__typename @skip(if: false)').join(' ')} }`;

  it('refuses one directive over the limit without running anything, and runs the operation at the limit', async () => {
    const tier = await limited.createTier({ thumbnailHeights: [100] });
    expectRefused(await limited.gql(directed(tier.id, 4), {}, limited.adminToken), 'MAX_DIRECTIVES');
    expect(await tierExists(limited, tier.id)).toBe(true);
    expectRan(await limited.gql(directed(tier.id, 3), {}, limited.adminToken));
    expect(await tierExists(limited, tier.id)).toBe(false);
  });
});

describe('tokens', () => {
  const padded = (id: string, tokens: number) => {
    const base = `mutation { deleteTier(id: "${id}") }`;
    return `mutation { deleteTier(id: "${id}") ${'__typename '.repeat(tokens - tokenCount(base))}}`;
  };

  it('refuses one token over the limit before parsing the rest, and runs the document at the limit', async () => {
    const tier = await limited.createTier({ thumbnailHeights: [100] });
    expect(tokenCount(padded(tier.id, 101))).toBe(101);
    const refused = await limited.gql(padded(tier.id, 101), {}, limited.adminToken);
    expectRefused(refused, 'MAX_TOKENS');
    expect(refused.errors![0]).toEqual({
      message: 'The operation has more than 100 tokens; at most 100 are allowed.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'MAX_TOKENS', limit: 100 },
    });
    expect(await tierExists(limited, tier.id)).toBe(true);
    expectRan(await limited.gql(padded(tier.id, 100), {}, limited.adminToken));
    expect(await tierExists(limited, tier.id)).toBe(false);
  });
});

describe('login', () => {
  const login = (alias: string, username: string) => `${alias}: login(username: "${username}", password: "wrong-password") { token }`;
  // a user logged in over loopback to get a token, so loopback is a known network: its failures count there
  const failuresOf = async (username: string) => limited.sql('select failures from login_failures where key = any($1)', [accountKeys(username)]);

  it('may appear once per operation, so one request is one password guess', async () => {
    const user = await limited.createUser();
    const twice = await limited.gql(`mutation { ${login('a', user.username)} ${login('b', user.username)} }`);
    expectRefused(twice, 'ONCE_PER_OPERATION');
    expect(twice.errors![0]!.message).toBe('`login` may appear only once per operation; it appears 2 times.');
    const viaFragment = await limited.gql(`mutation { ${login('a', user.username)} ...More } fragment More on Mutation { ${login('b', user.username)} }`);
    expectRefused(viaFragment, 'ONCE_PER_OPERATION');
    // nothing ran: no attempt was even counted
    expect(await failuresOf(user.username)).toEqual([]);

    const once = await limited.gql(`mutation { ${login('a', user.username)} }`);
    expect(once.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await failuresOf(user.username)).toEqual([{ failures: 1 }]);
  });

  it('cannot be repeated by batching operations into one request', async () => {
    const response = await fetch(`${limited.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: `mutation { ${login('a', 'x')} }` }, { query: `mutation { ${login('a', 'x')} }` }]),
    });
    expect(response.status).toBe(400);
    expect(await failuresOf('x')).toEqual([]);
  });
});

describe('field suggestions', () => {
  const TYPO = '{ me { usernme } }';
  const ENUM_LITERAL = '{ tiers(sort: { field: NAM }) { totalCount } }';
  const SORT_VARIABLE = 'query($sort: TierSort) { tiers(sort: $sort) { totalCount } }';

  it('are given outside production', async () => {
    const result = await limited.gql(TYPO);
    expect(result.status).toBe(400);
    expect(result.errors![0]!.message).toBe('Cannot query field "usernme" on type "User". Did you mean "username"?');
  });

  it('are never given in production: not for fields, enum literals, or variables', async () => {
    const results = [
      await production.gql(TYPO),
      await production.gql(ENUM_LITERAL, {}, production.adminToken),
      await production.gql(SORT_VARIABLE, { sort: { field: 'NAM' } }, production.adminToken),
      await production.gql(SORT_VARIABLE, { sort: { field: 'NAME', fild: 'ASC' } }, production.adminToken),
    ];
    for (const result of results) {
      expect(result.status).toBe(400);
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.message).not.toMatch(/did you mean|the enum value/i);
      expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(result.errors![0]!.extensions?.code);
    }
    expect(results[0]!.errors![0]!.message).toBe('Cannot query field "usernme" on type "User".');
  });
});

describe('the default limits', () => {
  /** admin-ui's DELETE_MANY: one aliased mutation per selected row, up to react-admin's "select all" of 250. */
  const deleteMany = (ids: string[]) => ({
    query: `mutation DeleteMany(${ids.map((_, i) => `$id${i}: ID!`).join(', ')}) { ${ids.map((_, i) => `d${i}: deleteTier(id: $id${i})`).join(' ')} }`,
    variables: Object.fromEntries(ids.map((id, i) => [`id${i}`, id])),
  });

  it('let the admin app delete 250 selected rows in one request, and refuse 251', async () => {
    const ids = Array.from({ length: 251 }, () => randomUUID());
    await production.sql(
      `insert into tiers (id, name, thumbnail_heights, created_at, updated_at) select id, 'bulk-' || id, '{100}', now(), now() from unnest($1::uuid[]) as id`,
      [ids],
    );
    const over = deleteMany(ids);
    expectRefused(await production.gql(over.query, over.variables, production.adminToken), 'MAX_ALIASES');
    expect(await production.sql(`select count(*)::int as n from tiers where name like 'bulk-%'`)).toEqual([{ n: 251 }]);

    const page = deleteMany(ids.slice(0, 250));
    const result = await production.gql(page.query, page.variables, production.adminToken);
    expectRan(result);
    expect(Object.values(result.data)).toEqual(Array(250).fill(true));
    expect(await production.sql(`select count(*)::int as n from tiers where name like 'bulk-%'`)).toEqual([{ n: 1 }]);
  });

  it('let the admin app’s largest list through: 100 images with owners and thumbnails', async () => {
    const query = `query($limit: Int) { adminImages(limit: $limit) { nodes { id filename format width height bytes createdAt
      owner { id username } thumbnails { size width height url } } totalCount } }`;
    expectRan(await production.gql(query, { limit: 100 }, production.adminToken));
  });
});
