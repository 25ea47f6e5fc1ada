import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type GqlResponse, type TestUser } from '../support/test-server.js';

/**
 * Issue 13, personal access tokens: a credential for scripts, made, listed and revoked by its owner
 * (and by admins), sent as `Authorization: Bearer`. Across two instances: scale/credentials-two-instances.spec.ts.
 */

const CREATE = `mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) { token accessToken { id name createdAt expiresAt lastUsedAt } } }`;
const LIST = `query($userId: ID) { accessTokens(userId: $userId) { id name createdAt expiresAt lastUsedAt } }`;
const REVOKE = `mutation($id: ID!) { revokeAccessToken(id: $id) }`;
const ME = '{ me { id } }';
const TOKEN_SHAPE = /^imgapi_pat_[0-9A-Za-z]{49}$/;

let server: TestServer;
let user: TestUser;
beforeAll(async () => {
  server = await TestServer.start();
  user = await server.createUser();
});
afterAll(async () => {
  await server?.stop();
});

const code = (result: GqlResponse) => result.errors?.[0]?.extensions?.code;
const tokenRows = async (userId: string) => server.sql('select * from access_tokens where user_id = $1 order by created_at', [userId]);

async function create(owner: TestUser, input: Record<string, unknown> = { name: 'backup script' }): Promise<{ token: string; id: string }> {
  const result = await server.gql(CREATE, { input }, owner.token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return { token: result.data.createAccessToken.token, id: result.data.createAccessToken.accessToken.id };
}

/** `me` with the token: its user's id, or the refusal's status, code and challenge. */
async function meWith(token: string): Promise<string | { status: number; code: unknown; challenge: string | null }> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: ME }),
  });
  const body = (await response.json()) as { data?: { me: { id: string } }; errors?: Array<{ extensions: { code: string } }> };
  return body.data?.me?.id ?? { status: response.status, code: body.errors?.[0]?.extensions.code, challenge: response.headers.get('www-authenticate') };
}

const REFUSED = { status: 401, code: 'UNAUTHENTICATED', challenge: 'Bearer error="invalid_token"' };

describe('createAccessToken', () => {
  it('returns the secret once, recognisable by its prefix, and stores only its SHA-256', async () => {
    const owner = await server.createUser();
    const result = await server.gql(CREATE, { input: { name: '  nightly upload  ', expiresInDays: 30 } }, owner.token);
    expect(result.errors).toBeUndefined();
    const { token, accessToken } = result.data.createAccessToken;
    expect(token).toMatch(TOKEN_SHAPE);
    const now = server.clock.now().getTime();
    expect(accessToken).toEqual({ id: expect.any(String), name: 'nightly upload', createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 30 * 86_400_000).toISOString(), lastUsedAt: null });
    const rows = await tokenRows(owner.id);
    expect(rows).toEqual([
      { id: accessToken.id, user_id: owner.id, name: 'nightly upload', token_hash: createHash('sha256').update(token).digest('hex'), created_at: new Date(now), expires_at: new Date(now + 30 * 86_400_000), last_used_at: null },
    ]);
    expect(JSON.stringify(rows)).not.toContain(token.slice('imgapi_pat_'.length, 30));
    // and never again: the list has no secret
    expect(Object.keys((await server.gql(LIST, {}, owner.token)).data.accessTokens[0])).not.toContain('token');
  });

  it('makes a token that signs its owner in until revoked, without expiry when expiresInDays is left out', async () => {
    const owner = await server.createUser();
    const { token } = await create(owner);
    expect(await meWith(token)).toBe(owner.id);
    expect((await server.gql(LIST, {}, owner.token)).data.accessTokens[0].expiresAt).toBeNull();
  });

  it.each([
    ['an empty name', { name: '' }, 'input.name'],
    ['a blank name', { name: '   ' }, 'input.name'],
    ['a name of 101 characters', { name: 'n'.repeat(101) }, 'input.name'],
    ['expiresInDays 0', { name: 'x', expiresInDays: 0 }, 'input.expiresInDays'],
    ['expiresInDays -1', { name: 'x', expiresInDays: -1 }, 'input.expiresInDays'],
    ['expiresInDays 3651', { name: 'x', expiresInDays: 3651 }, 'input.expiresInDays'],
  ])('refuses %s with BAD_USER_INPUT on its field, storing nothing', async (_what, input, field) => {
    const owner = await server.createUser();
    const result = await server.gql(CREATE, { input }, owner.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.data).toBeNull();
    expect(await tokenRows(owner.id)).toEqual([]);
  });

  it('accepts the bounds: a name of 100 characters, 1 and 3650 days', async () => {
    const owner = await server.createUser();
    for (const input of [{ name: 'n'.repeat(100) }, { name: 'a', expiresInDays: 1 }, { name: 'b', expiresInDays: 3650 }]) await create(owner, input);
    expect(await tokenRows(owner.id)).toHaveLength(3);
  });

  it('allows 50 tokens per user; the 51st is BAD_USER_INPUT and stores nothing', async () => {
    const owner = await server.createUser();
    for (let i = 0; i < 49; i++) await create(owner, { name: `token ${i}` });
    // two at once for the last place: exactly one gets it
    const last = await Promise.all([1, 2].map(() => server.gql(CREATE, { input: { name: 'the last place' } }, owner.token)));
    expect(last.map((result) => code(result) ?? 'OK').sort()).toEqual(['BAD_USER_INPUT', 'OK']);
    const refused = [last.find((result) => result.errors)!, await server.gql(CREATE, { input: { name: 'one too many' } }, owner.token)];
    for (const result of refused) expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input', reason: 'TOO_MANY_ACCESS_TOKENS' });
    expect(await tokenRows(owner.id)).toHaveLength(50);
  });

  it('needs a password sign-in: a token cannot make another (FORBIDDEN, nothing stored)', async () => {
    const owner = await server.createUser();
    const { token } = await create(owner);
    const result = await server.gql(CREATE, { input: { name: 'minted by a token' } }, token);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', reason: 'PASSWORD_SIGN_IN_REQUIRED' });
    expect(await tokenRows(owner.id)).toHaveLength(1);
  });
});

describe('using a token', () => {
  it('records lastUsedAt to the minute, with one write a minute at most', async () => {
    const owner = await server.createUser();
    const { token, id } = await create(owner);
    const lastUsed = async () => (await server.sql<{ last_used_at: Date | null }>('select last_used_at from access_tokens where id = $1', [id]))[0]!.last_used_at;
    const started = server.clock.now();
    try {
      expect(await lastUsed()).toBeNull();
      expect(await meWith(token)).toBe(owner.id);
      expect(await lastUsed()).toEqual(started);
      server.clock.advance(30_000);
      server.queries.length = 0;
      expect(await meWith(token)).toBe(owner.id);
      // hot: no read, and no write within the minute
      expect(server.queries).toEqual([]);
      expect(await lastUsed()).toEqual(started);
      server.clock.advance(31_000);
      expect(await meWith(token)).toBe(owner.id);
      expect(await lastUsed()).toEqual(new Date(started.getTime() + 61_000));
      const listed = (await server.gql(LIST, {}, owner.token)).data.accessTokens[0];
      expect(listed.lastUsedAt).toBe(new Date(started.getTime() + 61_000).toISOString());
    } finally {
      server.clock.set(started);
    }
  });

  it('refuses an expired token by the server clock: valid a second before, 401 from its expiry on', async () => {
    const owner = await server.createUser();
    const { token } = await create(owner, { name: 'short-lived', expiresInDays: 1 });
    const started = server.clock.now();
    try {
      server.clock.advance(86_400_000 - 1000);
      expect(await meWith(token)).toBe(owner.id);
      server.clock.advance(1000);
      expect(await meWith(token)).toEqual(REFUSED);
      // still listed, so its owner sees why their script stopped (a day on, the owner signs in anew)
      expect((await server.gql(LIST, {}, await server.login(owner.username, owner.password))).data.accessTokens).toHaveLength(1);
    } finally {
      server.clock.set(started);
    }
  });

  it('refuses a look-alike (a character off, or the checksum wrong) before any lookup', async () => {
    const { token } = await create(user);
    const flipped = token.slice(0, 20) + (token[20] === 'a' ? 'b' : 'a') + token.slice(21);
    server.queries.length = 0;
    for (const fake of [flipped, `${token}x`, token.slice(0, -1), `imgapi_pat_${'A'.repeat(49)}`]) expect(await meWith(fake)).toEqual(REFUSED);
    expect(server.queries).toEqual([]);
  });

  it('survives its owner changing their password (a separate credential) and signs nobody in once its owner is deleted, whose tokens go with them', async () => {
    const owner = await server.createUser();
    const { token } = await create(owner);
    await server.gql('mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "another-password-1") { token } }', { c: owner.password }, owner.token);
    expect(await meWith(token)).toBe(owner.id);
    await server.gql('mutation { logout }', {}, await server.login(owner.username, 'another-password-1'));
    expect(await server.sql('select 1 from revoked_sessions where user_id = $1', [owner.id])).toHaveLength(1);
    await server.gql('mutation($id: ID!) { deleteUser(id: $id) }', { id: owner.id }, server.adminToken);
    expect(await meWith(token)).toEqual(REFUSED);
    expect(await tokenRows(owner.id)).toEqual([]);
    expect(await server.sql('select 1 from revoked_sessions where user_id = $1', [owner.id])).toEqual([]);
  });

  it('logout with a token revokes that token', async () => {
    const owner = await server.createUser();
    const { token } = await create(owner);
    expect((await server.gql('mutation { logout }', {}, token)).data).toEqual({ logout: true });
    expect(await meWith(token)).toEqual(REFUSED);
    expect(await tokenRows(owner.id)).toEqual([]);
    expect(await meWith(owner.token)).toBe(owner.id);
  });
});

describe('accessTokens and revokeAccessToken', () => {
  it('lists the viewer’s own tokens, newest first, and revoking one stops it at once', async () => {
    const owner = await server.createUser();
    const first = await create(owner, { name: 'first' });
    server.clock.advance(1000);
    const second = await create(owner, { name: 'second' });
    server.clock.advance(-1000);
    expect((await server.gql(LIST, {}, owner.token)).data.accessTokens.map((t: { name: string }) => t.name)).toEqual(['second', 'first']);
    expect(await meWith(first.token)).toBe(owner.id);
    expect((await server.gql(REVOKE, { id: first.id }, owner.token)).data).toEqual({ revokeAccessToken: true });
    expect(await meWith(first.token)).toEqual(REFUSED);
    expect(await meWith(second.token)).toBe(owner.id);
    expect((await server.gql(LIST, {}, owner.token)).data.accessTokens.map((t: { id: string }) => t.id)).toEqual([second.id]);
    expect(code(await server.gql(REVOKE, { id: first.id }, owner.token))).toBe('NOT_FOUND');
  });

  it('treats another user’s token like a missing one: NOT_FOUND, and it keeps working; their list is for admins only', async () => {
    const [owner, other] = [await server.createUser(), await server.createUser()];
    const { token, id } = await create(owner);
    for (const missing of [id, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const result = await server.gql(REVOKE, { id: missing }, other.token);
      expect(result.errors?.[0]).toMatchObject({ message: 'Access token not found', extensions: { code: 'NOT_FOUND' } });
    }
    expect(await meWith(token)).toBe(owner.id);
    expect(code(await server.gql(LIST, { userId: owner.id }, other.token))).toBe('FORBIDDEN');
    expect((await server.gql(LIST, { userId: other.id }, other.token)).data.accessTokens).toEqual([]);
  });

  it('lets an admin list and revoke any user’s tokens', async () => {
    const owner = await server.createUser();
    const { token, id } = await create(owner, { name: 'leaked' });
    const listed = await server.gql(LIST, { userId: owner.id }, server.adminToken);
    expect(listed.data.accessTokens).toEqual([expect.objectContaining({ id, name: 'leaked' })]);
    expect((await server.gql(LIST, {}, server.adminToken)).data.accessTokens.map((t: { id: string }) => t.id)).not.toContain(id);
    expect((await server.gql(REVOKE, { id }, server.adminToken)).data).toEqual({ revokeAccessToken: true });
    expect(await meWith(token)).toEqual(REFUSED);
    expect(await tokenRows(owner.id)).toEqual([]);
  });

  it('answers a request made with a token from memory once hot: no database read', async () => {
    const { token } = await create(user);
    expect(await meWith(token)).toBe(user.id);
    server.queries.length = 0;
    expect(await meWith(token)).toBe(user.id);
    expect(server.queries).toEqual([]);
  });
});
