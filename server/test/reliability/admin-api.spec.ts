import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isInterfaceType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchema } from '../../src/graphql/schema.js';
import { png } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type GqlResponse, type TestUser } from '../support/test-server.js';

/**
 * Rows A3–A6 of RELIABILITY.md §1: what a signed-in non-admin, or nobody, can do to the admin API.
 * A1 and A2 (logins, tokens) are in auth.spec.ts.
 */

/** Root fields anyone may call. */
const PUBLIC = ['login'];
/** Root fields any signed-in user may call, on their own data. Every other root field is admin only. */
const SIGNED_IN = [
  'me', 'images', 'image', 'uploadImage', 'uploadImages', 'deleteImage', 'createExpiringLink', 'expiringLinks', 'revokeExpiringLink', 'rotateImageLinks', 'node', 'imagesBySha256',
  // a user's own credentials (credentials.spec.ts)
  'changePassword', 'logout', 'createAccessToken', 'accessTokens', 'revokeAccessToken',
];

const REPO = resolve(import.meta.dirname, '../../..');

let server: TestServer;
let user: TestUser;
let victim: TestUser;
let spareTierId: string;
let victimImageId: string;
beforeAll(async () => {
  server = await TestServer.start();
  [user, victim] = [await server.createUser(), await server.createUser()];
  spareTierId = (await server.createTier({ thumbnailHeights: [120] })).id;
  const uploaded = await server.upload(victim.token, [{ name: 'victim.png', data: await png(64, 64) }], { selection: 'id' });
  victimImageId = uploaded.data.uploadImage.id;
});
afterAll(async () => {
  await server?.stop();
});

const tok = () => randomBytes(4).toString('hex');
const code = (result: GqlResponse) => result.errors?.[0]?.extensions?.code;

/** Every row and file an operation could change, to prove a refused call changed nothing. */
const snapshot = async () => ({
  tiers: await server.sql('select * from tiers order by id'),
  users: await server.sql('select * from users order by id'),
  images: await server.sql('select * from images order by id'),
  media: await server.mediaFiles(),
  staged: await server.stagedFiles(),
});

/** A real row for an `id`-like argument, so a missing guard would show in the snapshot. */
function targetId(operation: string): string {
  if (/tier/i.test(operation)) return spareTierId;
  if (/user/i.test(operation)) return victim.id;
  return victimImageId;
}

/** A value GraphQL accepts for `type`: required input fields only, Upload as a file part. */
function sample(type: GraphQLInputType, operation: string, uploads: string[], path: string): unknown {
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return [sample(inner.ofType, operation, uploads, `${path}.0`)];
  if (isEnumType(inner)) return inner.getValues()[0]!.name;
  if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return Object.fromEntries(fields.map((f) => [f.name, sample(f.type, operation, uploads, `${path}.${f.name}`)]));
  }
  const scalar = inner.name;
  if (scalar === 'Upload') {
    uploads.push(path);
    return null;
  }
  const values: Record<string, unknown> = { ID: targetId(operation), String: `x-${tok()}`, Int: 100, Float: 1, Boolean: true, DateTimeISO: new Date().toISOString() };
  if (!(scalar in values)) throw new Error(`no sample for scalar ${scalar}: add one`);
  return values[scalar];
}

/** Calls one root field with sample arguments, as multipart when it takes files. */
async function call(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, token: string | undefined): Promise<GqlResponse> {
  const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const uploads: string[] = [];
  const variables = Object.fromEntries(required.map((a) => [a.name, sample(a.type, field.name, uploads, `variables.${a.name}`)]));
  const declared = required.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = required.map((a) => `${a.name}: $${a.name}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isInterfaceType(named) ? '{ __typename }' : '';
  const query = `${kind}${declared ? `(${declared})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selection} }`;
  if (uploads.length === 0) return server.gql(query, variables, token);
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify(Object.fromEntries(uploads.map((path, i) => [String(i), [path]]))));
  for (const [i] of uploads.entries()) form.append(String(i), new Blob([new Uint8Array(await png(32, 32))], { type: 'image/png' }), 'a.png');
  const headers: Record<string, string> = { 'apollo-require-preflight': 'true' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: form });
  const body = (await response.json()) as Omit<GqlResponse, 'status'>;
  return { status: response.status, data: body.data, errors: body.errors };
}

// the schema the app serves, so an operation added tomorrow is in these lists without anyone editing them
const schema = await createSchema();
const roots = [
  ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({ kind: 'query' as const, field })),
  ...Object.values(schema.getMutationType()!.getFields()).map((field) => ({ kind: 'mutation' as const, field })),
];
const adminOnly = roots.filter(({ field }) => !PUBLIC.includes(field.name) && !SIGNED_IN.includes(field.name));
const signedIn = roots.filter(({ field }) => SIGNED_IN.includes(field.name));
const label = (list: typeof roots) => list.map((r) => [`${r.kind} ${r.field.name}`, r] as const);

describe('A3: admin operations called by a user or by nobody', () => {
  it('A3: the lists of non-admin operations name only fields the schema has, and every mutation is covered', () => {
    const names = roots.map((r) => r.field.name);
    for (const name of [...PUBLIC, ...SIGNED_IN]) expect(names).toContain(name);
    expect(adminOnly.map((r) => r.field.name)).toEqual(expect.arrayContaining(['createUser', 'updateUser', 'deleteUser', 'createTier', 'updateTier', 'deleteTier']));
  });

  it.each(label(adminOnly))('A3: %s with a user token → FORBIDDEN, nothing changed', async (_name, { kind, field }) => {
    const before = await snapshot();
    const result = await call(kind, field, user.token);
    expect(code(result), JSON.stringify(result.errors)).toBe('FORBIDDEN');
    expect(result.data?.[field.name] ?? null).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  it.each(label([...adminOnly, ...signedIn]))('A3: %s without a token → UNAUTHENTICATED, nothing changed', async (_name, { kind, field }) => {
    const before = await snapshot();
    const result = await call(kind, field, undefined);
    expect(code(result), JSON.stringify(result.errors)).toBe('UNAUTHENTICATED');
    expect(result.data?.[field.name] ?? null).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  // admin-only fields below the root hold no data of the user's own; the one there is must refuse too
  it('A3: Tier.userCount, reached through the user’s own tier → FORBIDDEN', async () => {
    const result = await server.gql('{ me { tier { userCount } } }', {}, user.token);
    expect(code(result)).toBe('FORBIDDEN');
    expect(JSON.stringify(result.data ?? null)).not.toMatch(/userCount":\d/);
  });

  it('A3: a user cannot make themselves admin or move themselves to another tier', async () => {
    const update = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`;
    for (const input of [{ isAdmin: true }, { tierId: BUILTIN_TIER_IDS.enterprise }, { isAdmin: true, tierId: BUILTIN_TIER_IDS.enterprise }]) {
      expect(code(await server.gql(update, { id: user.id, input }, user.token)), JSON.stringify(input)).toBe('FORBIDDEN');
    }
    expect((await server.gql('{ me { isAdmin tier { id } } }', {}, user.token)).data.me).toEqual({ isAdmin: false, tier: { id: BUILTIN_TIER_IDS.basic } });
  });
});

// the product has no `updateMe`: users change nothing about themselves (A3), so these are admin inputs
describe('A4: mass assignment and objects where scalars belong', () => {
  const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
  const UPDATE_USER = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`;
  const CREATE_TIER = `mutation($input: CreateTierInput!) { createTier(input: $input) { id } }`;
  const UPDATE_TIER = `mutation($id: ID!, $input: UpdateTierInput!) { updateTier(id: $id, input: $input) { id } }`;
  const newUser = () => ({ username: `mass-${tok()}`, password: 'password-123' });
  const newTier = () => ({ name: `mass-${tok()}`, thumbnailHeights: [100] });

  const cases: Array<[string, string, () => Record<string, unknown>]> = [
    ['createUser with role', CREATE_USER, () => ({ input: { ...newUser(), role: 'admin' } })],
    ['createUser with passwordHash', CREATE_USER, () => ({ input: { ...newUser(), passwordHash: '$argon2id$forged' } })],
    ['createUser with tokenVersion and id', CREATE_USER, () => ({ input: { ...newUser(), tokenVersion: 0, id: randomUUID() } })],
    ['createUser with an object for username', CREATE_USER, () => ({ input: { ...newUser(), username: { __raw: "x'); drop table users; --" } } })],
    ['createUser with an operator object for tierId', CREATE_USER, () => ({ input: { ...newUser(), tierId: { $ne: null } } })],
    ['updateUser with role', UPDATE_USER, () => ({ id: victim.id, input: { role: 'admin' } })],
    ['updateUser with passwordHash', UPDATE_USER, () => ({ id: victim.id, input: { passwordHash: 'x' } })],
    ['updateUser with an object for its id', UPDATE_USER, () => ({ id: { $in: [victim.id] }, input: { isAdmin: true } })],
    ['createTier with builtin', CREATE_TIER, () => ({ input: { ...newTier(), builtin: true } })],
    ['createTier with objects for heights', CREATE_TIER, () => ({ input: { ...newTier(), thumbnailHeights: [{ __raw: '1' }] } })],
    ['updateTier with builtin and createdAt', UPDATE_TIER, () => ({ id: BUILTIN_TIER_IDS.basic, input: { builtin: false, createdAt: '2000-01-01T00:00:00Z' } })],
    ['updateTier with an object for its name', UPDATE_TIER, () => ({ id: spareTierId, input: { name: { toString: 'x' } } })],
  ];

  it.each(cases)('A4: %s, sent by an admin → BAD_USER_INPUT, nothing changed', async (_name, query, variables) => {
    const before = await snapshot();
    const result = await server.gql(query, variables(), server.adminToken);
    expect(code(result)).toBe('BAD_USER_INPUT');
    expect(result.data ?? null).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  it('A4: the same extra fields written into the document fail validation', async () => {
    for (const query of [
      `mutation { createUser(input: { username: "m-${tok()}", password: "password-123", role: "admin" }) { id } }`,
      `mutation { updateUser(id: "${victim.id}", input: { passwordHash: "x" }) { id } }`,
      `mutation { updateTier(id: "${BUILTIN_TIER_IDS.basic}", input: { builtin: false }) { id } }`,
    ]) {
      expect(await server.gql(query, {}, server.adminToken), query).toMatchObject({ status: 400, errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    }
  });

  it('A4: no server code hands a whole argument object to the ORM (assign, create, nativeUpdate, upsert)', async () => {
    const root = join(REPO, 'server/src');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    const passThrough = /\b(?:em\.(?:create|assign|nativeUpdate|upsert)|\.assign)\(\s*(?:\w+\s*,\s*)?(?:args|input|data|body|variables)\s*[,)]/;
    const offenders = [];
    for (const file of files) {
      const source = await readFile(join(root, file), 'utf8');
      if (passThrough.test(source)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});

describe('A5: react-admin list abuse', () => {
  const lists = [
    ['users', 'UserFilter', 'UserSort', 'totalCount nodes { id username }'],
    ['tiers', 'TierFilter', 'TierSort', 'totalCount nodes { id name }'],
    ['adminImages', 'ImageFilter', 'ImageSort', 'totalCount nodes { id filename }'],
  ] as const;
  const abuse: Array<[string, Record<string, unknown>]> = [
    ['a filter on passwordHash', { filter: { passwordHash: '$argon2%' } }],
    ['a filter on password_hash', { filter: { password_hash: 'a%' } }],
    ['a filter through a table alias', { filter: { 't1.password_hash': 'a%' } }],
    ['a filter with an operator object', { filter: { q: { $like: '%' } } }],
    ['a sort on passwordHash', { sort: { field: 'passwordHash' } }],
    ['a sort on PASSWORD_HASH', { sort: { field: 'PASSWORD_HASH' } }],
    ['an injected sort order', { sort: { field: 'CREATED_AT', order: 'ASC, (SELECT password_hash FROM users LIMIT 1)' } }],
    ['a lower-case sort order', { sort: { field: 'CREATED_AT', order: 'asc' } }],
    ['perPage 100000', { limit: 100_000 }],
    ['a negative offset', { offset: -1 }],
  ];

  it.each(lists.flatMap(([list, filter, sort, fields]) => abuse.map(([what, variables]) => [list, what, filter, sort, fields, variables] as const)))(
    'A5: %s with %s → BAD_USER_INPUT, nothing leaked',
    async (list, _what, filter, sort, fields, variables) => {
      const query = `query($filter: ${filter}, $sort: ${sort}, $limit: Int, $offset: Int) {
        ${list}(filter: $filter, sort: $sort, limit: $limit, offset: $offset) { ${fields} } }`;
      const result = await server.gql(query, variables, server.adminToken);
      expect(code(result)).toBe('BAD_USER_INPUT');
      expect(result.data ?? null).toBeNull();
      // the message may echo what the client sent; it must hold nothing of ours: no hash, no SQL, no stack
      const answer = JSON.stringify(result);
      for (const { password_hash: hash } of await server.sql<{ password_hash: string }>('select password_hash from users')) expect(answer).not.toContain(hash);
      expect(answer).not.toMatch(/stacktrace|node_modules|from "|\bat \w+ \(/i);
    },
  );

  it.each(lists.map(([list, filter, , fields]) => [list, filter, fields] as const))('A5: %s treats SQL in the text filter as text', async (list, filter, fields) => {
    const result = await server.gql(`query($filter: ${filter}) { ${list}(filter: $filter) { ${fields} } }`, { filter: { q: "%' or 1=1 --" } }, server.adminToken);
    expect(result.errors).toBeUndefined();
    expect(result.data[list]).toEqual({ totalCount: 0, nodes: [] });
  });
});

describe('A6: hostile text in the admin app', () => {
  it('A6: a filename full of markup comes back as plain JSON text, and the only URLs the app renders are our own links', async () => {
    const payload = '<img src=x onerror=alert(1)>.png';
    const uploaded = await server.upload(victim.token, [{ name: payload, data: await png(40, 40) }], { selection: 'id' });
    expect(uploaded.errors).toBeUndefined();
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify({ query: `query($ids: [ID!]) { adminImages(filter: { ids: $ids }) { nodes { filename thumbnails { url } originalUrl } } }`, variables: { ids: [uploaded.data.uploadImage.id] } }),
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const [node] = ((await response.json()) as any).data.adminImages.nodes;
    expect(typeof node.filename).toBe('string');
    const origin = new URL(server.server.deps.config.publicUrl).origin;
    for (const url of [...node.thumbnails.map((t: { url: string }) => t.url), node.originalUrl].filter(Boolean)) expect(new URL(url).origin).toBe(origin);
  });

  it('A6: the admin app renders no HTML from data and no URL field that could carry javascript:', async () => {
    const root = join(REPO, 'admin-ui/src');
    const files = (await readdir(root, { recursive: true })).filter((f) => /\.(tsx?|jsx?)$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    const dangerous = /dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write|RichTextField|UrlField|FileField|\beval\(|new Function\(/;
    const offenders = [];
    for (const file of files) {
      const source = await readFile(join(root, file), 'utf8');
      if (dangerous.test(source)) offenders.push(file);
      // an <a href> or <img src> may only take a server-made link (thumbnailUrl), never user text
      for (const [attribute] of source.matchAll(/\b(?:href|src)=\{[^}]+\}/g)) {
        if (!/thumbnailUrl|originalUrl/.test(attribute)) offenders.push(`${file}: ${attribute}`);
      }
    }
    expect(offenders).toEqual([]);
    // the CSP that backs this up (no inline script) is checked on the real build in served-files.spec.ts (S1)
  });
});
