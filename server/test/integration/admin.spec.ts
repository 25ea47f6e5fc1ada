import { randomUUID } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery, getNamedType, isInputObjectType, type GraphQLInputType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';
import { CREATE_TIER, CREATE_USER, DELETE_TIER, DELETE_USER, ME, TIER, UPDATE_TIER, UPDATE_USER, USERS, code, snapshot, tok } from '../support/admin-api.js';

/** Operations any signed-in user (or anyone, for login) may call; everything else in the schema is admin only. */
const PUBLIC_OPERATIONS = [
  'me', 'images', 'image', 'login', 'uploadImage', 'uploadImages', 'deleteImage', 'createExpiringLink', 'expiringLinks', 'revokeExpiringLink', 'rotateImageLinks', 'node', 'imagesBySha256',
  // a user's own credentials (credentials.spec.ts, access-tokens.spec.ts)
  'changePassword', 'logout', 'createAccessToken', 'accessTokens', 'revokeAccessToken',
];

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const admin = <T = any>(query: string, variables?: Record<string, unknown>) => server.gql<T>(query, variables, server.adminToken);

describe('admin operations need an admin', () => {
  let user: TestUser;
  let victim: TestUser;
  let spareTierId: string;
  beforeAll(async () => {
    user = await server.createUser();
    victim = await server.createUser();
    spareTierId = (await server.createTier({ thumbnailHeights: [120] })).id;
  });

  // the writes target real rows, so a missing guard would show as a change in the snapshot
  const calls: Record<string, () => { query: string; variables?: Record<string, unknown> }> = {
    tiers: () => ({ query: `{ tiers { totalCount nodes { id } } }` }),
    tier: () => ({ query: TIER, variables: { id: spareTierId } }),
    createTier: () => ({ query: CREATE_TIER, variables: { input: { name: `by-user-${tok()}`, thumbnailHeights: [10] } } }),
    updateTier: () => ({ query: UPDATE_TIER, variables: { id: BUILTIN_TIER_IDS.basic, input: { thumbnailHeights: [4000], originalLink: true, expiringLinks: true } } }),
    deleteTier: () => ({ query: DELETE_TIER, variables: { id: spareTierId } }),
    users: () => ({ query: USERS }),
    user: () => ({ query: `query($id: ID!) { user(id: $id) { id } }`, variables: { id: victim.id } }),
    createUser: () => ({ query: CREATE_USER, variables: { input: { username: `by-user-${tok()}`, password: 'password-123', isAdmin: true } } }),
    updateUser: () => ({ query: UPDATE_USER, variables: { id: user.id, input: { isAdmin: true, tierId: BUILTIN_TIER_IDS.enterprise } } }),
    deleteUser: () => ({ query: DELETE_USER, variables: { id: victim.id } }),
    adminImages: () => ({ query: `{ adminImages { totalCount nodes { id } } }` }),
    auditEvents: () => ({ query: `{ auditEvents { totalCount nodes { id action before after } } }` }),
    adminStats: () => ({ query: `{ adminStats { totals { images users } topUsers { user { username } } } }` }),
  };

  it('lists every operation of the live schema that is not public', async () => {
    const result = await server.gql(`{ __schema { queryType { fields { name description } } mutationType { fields { name } } } }`);
    const queries: { name: string; description: string | null }[] = result.data.__schema.queryType.fields;
    const all = [...queries.map((f) => f.name), ...result.data.__schema.mutationType.fields.map((f: { name: string }) => f.name)];
    expect(all.filter((name) => !PUBLIC_OPERATIONS.includes(name)).sort()).toEqual(Object.keys(calls).sort());
    for (const field of queries.filter((f) => /admin only/i.test(f.description ?? ''))) expect(Object.keys(calls)).toContain(field.name);
  });

  it.each(Object.keys(calls))('%s by a regular user → FORBIDDEN, nothing changed', async (operation) => {
    const before = await snapshot(server);
    const { query, variables } = calls[operation]!();
    const result = await server.gql(query, variables, user.token);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.data?.[operation] ?? null).toBeNull();
    expect(await snapshot(server)).toEqual(before);
  });

  it.each(Object.keys(calls))('%s without a token → UNAUTHENTICATED, nothing changed', async (operation) => {
    const before = await snapshot(server);
    const { query, variables } = calls[operation]!();
    const result = await server.gql(query, variables);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data?.[operation] ?? null).toBeNull();
    expect(await snapshot(server)).toEqual(before);
  });

  it('leaves no way for a user to change their own tier or admin flag', async () => {
    // any mutation whose arguments can carry a tier or an admin flag must be one of the guarded ones
    const { data } = await server.gql(getIntrospectionQuery());
    const schema = buildClientSchema(data);
    const carries = (type: GraphQLInputType, seen = new Set<string>()): boolean => {
      const named = getNamedType(type);
      if (!isInputObjectType(named) || seen.has(named.name)) return false;
      seen.add(named.name);
      return Object.values(named.getFields()).some((f) => /^(tier|tierId|isAdmin|admin|role)$/i.test(f.name) || carries(f.type, seen));
    };
    const risky = Object.values(schema.getMutationType()!.getFields()).filter((m) => m.args.some((a) => /^(tier|tierId|isAdmin|role)$/i.test(a.name) || carries(a.type)));
    expect(risky.map((m) => m.name).sort()).toEqual(['createUser', 'updateUser']);

    for (const input of [{ isAdmin: true }, { tierId: BUILTIN_TIER_IDS.enterprise }]) expect(code(await server.gql(UPDATE_USER, { id: user.id, input }, user.token))).toBe('FORBIDDEN');
    expect((await server.gql(ME, {}, user.token)).data.me).toMatchObject({ isAdmin: false, tier: { name: 'Basic' } });
  });

  it('rejects fields the input types do not have (no mass assignment)', async () => {
    for (const query of [
      `mutation { updateTier(id: "${BUILTIN_TIER_IDS.basic}", input: { builtin: false }) { id } }`,
      `mutation { createUser(input: { username: "x${tok()}", password: "password-123", passwordHash: "x" }) { id } }`,
      `mutation { updateUser(id: "${user.id}", input: { role: "admin" }) { id } }`,
    ])
      expect(await admin(query), query).toMatchObject({ status: 400, data: undefined, errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
  });
});

describe('users', () => {
  it('creates a user on Basic, not admin, with a lower-case name', async () => {
    const t = tok();
    const result = await admin(CREATE_USER, { input: { username: `New-${t}`, password: 'password' } });
    expect(result.errors).toBeUndefined();
    expect(result.data.createUser).toMatchObject({ username: `new-${t}`, isAdmin: false, tier: { id: BUILTIN_TIER_IDS.basic, name: 'Basic' } });
    expect(await server.login(`new-${t}`, 'password')).toBeTruthy();
  });

  it('accepts a 64-character username', async () => {
    const username = `u${tok()}`.padEnd(64, 'x');
    expect((await admin(CREATE_USER, { input: { username, password: 'password' } })).data?.createUser.username).toBe(username);
  });

  const existing = `taken-${tok()}`;
  it.each([
    ['an empty username', { username: '' }, 'input.username'],
    ['a blank username', { username: '   ' }, 'input.username'],
    ['a username with a space', { username: 'has space' }, 'input.username'],
    ['a 65-character username', { username: 'u'.repeat(65) }, 'input.username'],
    ['a 7-character password', { password: 'short-7' }, 'input.password'],
    ['an unknown tierId', { tierId: randomUUID() }, 'input.tierId'],
    ['a malformed tierId', { tierId: 'gold' }, 'input.tierId'],
  ])('refuses %s with BAD_USER_INPUT on %s and stores nothing', async (_label, override, field) => {
    if (!(await server.sql('select 1 from users where username = $1', [existing])).length) await server.createUser({ username: existing });
    const before = await snapshot(server);
    const result = await admin(CREATE_USER, { input: { username: `ok-${tok()}`, password: 'password', ...override } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await snapshot(server)).toEqual(before);
  });

  it.each([
    ['a taken username', existing],
    ['a taken username in another case', existing.toUpperCase()],
  ])('refuses %s with CONFLICT (USERNAME_TAKEN) on input.username and stores nothing', async (_label, username) => {
    if (!(await server.sql('select 1 from users where username = $1', [existing])).length) await server.createUser({ username: existing });
    const before = await snapshot(server);
    const result = await admin(CREATE_USER, { input: { username, password: 'password' } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.username', reason: 'USERNAME_TAKEN' });
    expect(await snapshot(server)).toEqual(before);
  });

  it('changes tier, admin flag and username, which the user then sees', async () => {
    const user = await server.createUser();
    const username = `renamed-${tok()}`;
    const result = await admin(UPDATE_USER, { id: user.id, input: { tierId: BUILTIN_TIER_IDS.premium, isAdmin: true, username } });
    expect(result.data.updateUser).toMatchObject({ username, isAdmin: true, tier: { name: 'Premium' } });
    expect((await server.gql(ME, {}, user.token)).data.me).toMatchObject({ username, isAdmin: true, tier: { name: 'Premium' } });
    expect((await server.gql(`{ tiers { totalCount } }`, {}, user.token)).errors).toBeUndefined();
    expect(await server.login(username, user.password)).toBeTruthy();
  });

  it('refuses a bad update and changes nothing', async () => {
    const [user, other] = [await server.createUser(), await server.createUser()];
    const before = await snapshot(server);
    for (const [input, field, code] of [
      [{ username: other.username.toUpperCase() }, 'input.username', 'CONFLICT'],
      [{ tierId: randomUUID(), isAdmin: true }, 'input.tierId', 'BAD_USER_INPUT'],
      [{ password: '1234567' }, 'input.password', 'BAD_USER_INPUT'],
    ] as const) {
      expect((await admin(UPDATE_USER, { id: user.id, input })).errors?.[0]?.extensions).toMatchObject({ code, field });
    }
    expect(code(await admin(UPDATE_USER, { id: randomUUID(), input: { isAdmin: true } }))).toBe('NOT_FOUND');
    expect(code(await admin(DELETE_USER, { id: randomUUID() }))).toBe('NOT_FOUND');
    expect(await snapshot(server)).toEqual(before);
  });

  it('never lets an admin remove their own admin flag or delete themselves', async () => {
    const me = (await admin(ME)).data.me;
    const before = await snapshot(server);
    const demote = await admin(UPDATE_USER, { id: me.id, input: { isAdmin: false } });
    expect(demote.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.isAdmin' });
    expect(code(await admin(DELETE_USER, { id: me.id }))).toBe('BAD_USER_INPUT');
    expect(await snapshot(server)).toEqual(before);
    // but another admin can be demoted and deleted
    const other = await server.createUser({ isAdmin: true });
    expect((await admin(UPDATE_USER, { id: other.id, input: { isAdmin: false } })).data?.updateUser.isAdmin).toBe(false);
    expect((await admin(DELETE_USER, { id: other.id })).data?.deleteUser).toBe(true);
  });

  it('deletes a user with their image rows and files, and nobody else’s', async () => {
    const [doomed, keeper] = [await server.createUser(), await server.createUser()];
    const upload = async (u: TestUser) => {
      const result = await server.upload(u.token, [{ name: 'a.jpg', data: await jpeg(300, 240) }]);
      expect(result.errors, 'upload').toBeUndefined();
      return result.data.uploadImage.id as string;
    };
    const [doomedImage, keptImage] = [await upload(doomed), await upload(keeper)];
    expect((await server.mediaFiles()).filter((f) => f.includes(doomedImage)).length).toBeGreaterThanOrEqual(2);

    expect(await admin(DELETE_USER, { id: doomed.id })).toMatchObject({ data: { deleteUser: true }, errors: undefined });
    expect(await server.sql('select count(*)::int as n from users where id = $1', [doomed.id])).toEqual([{ n: 0 }]);
    expect(await server.sql('select count(*)::int as n from images where owner_id = $1', [doomed.id])).toEqual([{ n: 0 }]);
    await server.drainJobs();
    const files = await server.mediaFiles();
    expect(files.filter((f) => f.includes(doomedImage))).toEqual([]);
    expect(files.filter((f) => f.includes(keptImage)).length).toBeGreaterThanOrEqual(2);
    expect(await server.sql('select count(*)::int as n from images where id = $1', [keptImage])).toEqual([{ n: 1 }]);
    expect(code(await server.gql(ME, {}, doomed.token))).toBe('UNAUTHENTICATED');
  });

  it('filters the list by tierId, isAdmin and q', async () => {
    const t = tok();
    const tier = await server.createTier({ thumbnailHeights: [100] });
    const a = await server.createUser({ username: `flt-${t}-a`, tierId: tier.id, isAdmin: true });
    const b = await server.createUser({ username: `flt-${t}-b`, tierId: tier.id });
    const c = await server.createUser({ username: `flt-${t}-c` });
    const list = async (filter: object) => (await admin(USERS, { filter, sort: { field: 'USERNAME' } })).data.users.nodes.map((n: { id: string }) => n.id);
    expect(await list({ tierId: tier.id })).toEqual([a.id, b.id]);
    expect(await list({ tierId: tier.id, isAdmin: true })).toEqual([a.id]);
    expect(await list({ tierId: tier.id, isAdmin: false })).toEqual([b.id]);
    expect(await list({ q: `FLT-${t}` })).toEqual([a.id, b.id, c.id]);
    expect(await list({ q: `${t}-C` })).toEqual([c.id]);
    expect(await list({ tierId: 'not-a-uuid' })).toEqual([]);
    const admins = (await server.sql<{ id: string }>('select id from users where is_admin')).map((r) => r.id).sort();
    expect((await list({ isAdmin: true })).sort()).toEqual(admins);
    const desc = await admin(USERS, { filter: { q: `flt-${t}` }, sort: { field: 'USERNAME', order: 'DESC' } });
    expect(desc.data.users.nodes.map((n: { id: string }) => n.id)).toEqual([c.id, b.id, a.id]);
  });

  it('exposes no password, hash or token field anywhere on users', async () => {
    const result = await admin(`{ user: __type(name: "User") { fields { name } } filter: __type(name: "UserFilter") { inputFields { name } }
      sort: __type(name: "UserSortField") { enumValues { name } } }`);
    const exposed = [...result.data.user.fields, ...result.data.filter.inputFields, ...result.data.sort.enumValues].map((f: { name: string }) => f.name);
    expect(exposed).toContain('username');
    expect(exposed.filter((n) => /pass|hash|secret|token/i.test(n))).toEqual([]);
  });

  it.each([
    '{ users(filter: { passwordHash: "$argon2%" }) { totalCount } }',
    '{ users(filter: { password_hash: "$argon2%" }) { totalCount } }',
    '{ users(sort: { field: passwordHash }) { totalCount } }',
    '{ users(sort: { field: PASSWORD_HASH }) { totalCount } }',
    '{ users { nodes { passwordHash } } }',
  ])('rejects %s at validation, with no data', async (query) => {
    const result = await admin(query);
    expect(code(result)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.data ?? null).toBeNull();
  });

  it.each([{ sort: { field: 'passwordHash' } }, { filter: { passwordHash: '$argon2%' } }])('rejects the variables %j with BAD_USER_INPUT, with no data', async (variables) => {
    const result = await admin(USERS, variables);
    expect(code(result)).toBe('BAD_USER_INPUT');
    expect(result.data ?? null).toBeNull();
  });
});
