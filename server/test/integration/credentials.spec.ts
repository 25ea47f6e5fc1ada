import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttleKey } from '../../src/auth/login-throttle.js';
import { TestServer, type TestUser } from '../support/test-server.js';

/**
 * Issue 13, self-service credentials: changing one's own password, signing out, and how a request with
 * a credential that cannot be used is answered. Personal access tokens are in access-tokens.spec.ts,
 * the same across two instances in scale/credentials-two-instances.spec.ts.
 */

const ME = '{ me { id username } }';
const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt user { id } } }';
const CHANGE = 'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token expiresAt user { id username } } }';
const LOGOUT = 'mutation { logout }';

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

interface Answer {
  status: number;
  challenge: string | null;
  body: { data?: any; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }> };
}

/** A GraphQL request over HTTP with exactly this Authorization header (none when undefined). */
async function post(query: string, variables: Record<string, unknown>, authorization: string | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization !== undefined && { authorization }), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as Answer['body'] };
}

const bearer = (token: string) => `Bearer ${token}`;
const code = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;
const userRow = async (id: string) => (await server.sql<{ password_hash: string; token_version: number }>('select password_hash, token_version from users where id = $1', [id]))[0]!;

/** Whether the token still signs its user in, and if not, that it is answered the way a dead credential is. */
async function works(token: string): Promise<boolean> {
  const answer = await post(ME, {}, bearer(token));
  if (answer.status === 200 && answer.body.data?.me) return true;
  expect({ status: answer.status, code: code(answer), challenge: answer.challenge, data: answer.body.data ?? null }).toEqual({
    status: 401,
    code: 'UNAUTHENTICATED',
    challenge: 'Bearer error="invalid_token"',
    data: null,
  });
  return false;
}

describe('changePassword', () => {
  it('lets a non-admin change their own password: every session of theirs ends, on the token it came with too, and a new one starts', async () => {
    const user = await server.createUser();
    const other = await server.login(user.username, user.password);
    const changed = await post(CHANGE, { c: user.password, n: 'a-brand-new-password' }, bearer(user.token));
    expect(changed.body.errors).toBeUndefined();
    expect(changed.body.data.changePassword.user).toEqual({ id: user.id, username: user.username });
    const fresh = changed.body.data.changePassword.token as string;
    expect(await works(user.token)).toBe(false);
    expect(await works(other)).toBe(false);
    expect(await works(fresh)).toBe(true);
    expect((await server.gql(LOGIN, { u: user.username, p: user.password })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await server.login(user.username, 'a-brand-new-password')).toBeTruthy();
  });

  it('refuses a wrong current password with BAD_USER_INPUT on currentPassword, changes nothing, and counts it as a failed login', async () => {
    const user = await server.createUser();
    const before = await userRow(user.id);
    // from an address the account never logged in from, so the attempt counts against the account as a whole
    const wrong = await post(CHANGE, { c: 'not-the-password', n: 'a-brand-new-password' }, bearer(user.token), { 'x-forwarded-for': '203.0.113.77' });
    expect(wrong.status).toBe(200);
    expect(wrong.body.errors).toEqual([
      { message: 'The current password is wrong', path: ['changePassword'], locations: expect.any(Array), extensions: { code: 'BAD_USER_INPUT', field: 'currentPassword', reason: 'WRONG_PASSWORD' } },
    ]);
    expect(await userRow(user.id)).toEqual(before);
    expect(await works(user.token)).toBe(true);
    const [counted] = await server.sql<{ failures: number }>('select failures from login_failures where key = $1', [throttleKey('account', user.username)]);
    expect(counted?.failures).toBe(1);
  });

  it('is RATE_LIMITED, without checking the password, once the account has no attempts left', async () => {
    const user = await server.createUser();
    for (let i = 0; i < 10; i++) {
      const answer = await post(CHANGE, { c: `guess-${i}`, n: 'a-brand-new-password' }, bearer(user.token), { 'x-forwarded-for': `203.0.113.${100 + i}` });
      expect(code(answer)).toBe('BAD_USER_INPUT');
    }
    const limited = await post(CHANGE, { c: user.password, n: 'a-brand-new-password' }, bearer(user.token), { 'x-forwarded-for': '203.0.113.120' });
    expect(code(limited)).toBe('RATE_LIMITED');
    expect(limited.status).toBe(429);
    expect(await works(user.token)).toBe(true);
  });

  it.each([
    ['too short', 'short'],
    ['too long', 'x'.repeat(257)],
  ])('refuses a new password that is %s with BAD_USER_INPUT on newPassword, changing nothing', async (_what, newPassword) => {
    const user = await server.createUser();
    const before = await userRow(user.id);
    const weak = await post(CHANGE, { c: user.password, n: newPassword }, bearer(user.token));
    expect(weak.body.errors?.[0]).toMatchObject({ message: 'A password has 8 to 256 characters', extensions: { code: 'BAD_USER_INPUT', field: 'newPassword' } });
    expect(await userRow(user.id)).toEqual(before);
    expect(await works(user.token)).toBe(true);
  });

  it('needs a signed-in user', async () => {
    const answer = await post(CHANGE, { c: 'whatever-password', n: 'a-brand-new-password' }, undefined);
    expect(code(answer)).toBe('UNAUTHENTICATED');
  });
});

describe('logout', () => {
  it('ends the token it is sent with and no other', async () => {
    const user = await server.createUser();
    const other = await server.login(user.username, user.password);
    const answer = await post(LOGOUT, {}, bearer(user.token));
    expect(answer.body).toEqual({ data: { logout: true } });
    expect(await works(user.token)).toBe(false);
    expect(await works(other)).toBe(true);
    // signing out again with the ended token is a dead credential, not a second sign-out
    expect((await post(LOGOUT, {}, bearer(user.token))).status).toBe(401);
  });

  it('records the session by its token id until the token would have expired, then prunes it', async () => {
    const user = await server.createUser();
    const started = server.clock.now();
    const jti = JSON.parse(Buffer.from(user.token.split('.')[1]!, 'base64url').toString()).jti as string;
    await post(LOGOUT, {}, bearer(user.token));
    expect(await server.sql('select user_id from revoked_sessions where id = $1', [jti])).toEqual([{ user_id: user.id }]);
    try {
      server.clock.advance(server.server.deps.config.authTokenTtlSeconds * 1000 + 1000);
      // the next sign-out prunes it (the admin's token has expired by now, so no new user)
      const later = await server.login(user.username, user.password);
      await post(LOGOUT, {}, bearer(later));
      expect(await server.sql('select 1 from revoked_sessions where id = $1', [jti])).toEqual([]);
    } finally {
      server.clock.set(started);
    }
  });
});

describe('tokens issued before sessions could end (no jti)', () => {
  it('keep working until they expire, and logout ends each alone', async () => {
    const user = await server.createUser();
    const [row] = await server.sql<{ token_version: number }>('select token_version from users where id = $1', [user.id]);
    const now = Math.floor(server.clock.now().getTime() / 1000);
    const key = new TextEncoder().encode(server.server.deps.config.authSecret);
    const legacy = (iat: number) =>
      new SignJWT({ ver: row!.token_version }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(user.id).setIssuer('image-api').setAudience('image-api').setIssuedAt(iat).setExpirationTime(now + 3600).sign(key);
    const [one, two] = [await legacy(now - 10), await legacy(now - 20)];
    expect([await works(one), await works(two)]).toEqual([true, true]);
    expect((await post(LOGOUT, {}, bearer(one))).body).toEqual({ data: { logout: true } });
    expect([await works(one), await works(two)]).toEqual([false, true]);
  });
});

describe('a credential that cannot be used', () => {
  let user: TestUser;
  let ended: string;
  beforeAll(async () => {
    user = await server.createUser();
    ended = await server.login(user.username, user.password);
    await post(LOGOUT, {}, bearer(ended));
  });

  const dead = () => [
    ['a signed-out token', bearer(ended)],
    ['a forged token', bearer(`${ended.slice(0, -4)}AAAA`)],
    ['garbage', 'Bearer not-a-token'],
    ['a look-alike access token', `Bearer imgapi_pat_${'x'.repeat(49)}`],
  ];

  it('never blocks login: the mutation is answered as if no token was sent', async () => {
    for (const [what, header] of dead()) {
      const answer = await post(LOGIN, { u: user.username, p: user.password }, header);
      expect({ what, status: answer.status, errors: answer.body.errors }).toEqual({ what, status: 200, errors: undefined });
      expect(answer.body.data.login.user.id).toBe(user.id);
    }
  });

  it('nor login with an expired token', async () => {
    const started = server.clock.now();
    try {
      server.clock.advance(server.server.deps.config.authTokenTtlSeconds * 1000);
      expect((await post(ME, {}, bearer(user.token))).status).toBe(401);
      expect((await post(LOGIN, { u: user.username, p: user.password }, bearer(user.token))).body.data.login.user.id).toBe(user.id);
    } finally {
      server.clock.set(started);
    }
  });

  it('refuses anything else whole: 401 UNAUTHENTICATED with WWW-Authenticate: Bearer error="invalid_token"', async () => {
    for (const [what, header] of dead()) {
      for (const query of [ME, LOGOUT, '{ __typename }', `mutation { login(username: "${user.username}", password: "${user.password}") { token } logout }`]) {
        const answer = await post(query, {}, header);
        expect({ what, query, status: answer.status, code: code(answer), challenge: answer.challenge, data: answer.body.data ?? null }).toEqual({
          what,
          query,
          status: 401,
          code: 'UNAUTHENTICATED',
          challenge: 'Bearer error="invalid_token"',
          data: null,
        });
      }
    }
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'Bearer'],
    ['token-without-scheme', 'Bearer'],
    ['Bearer', 'Bearer error="invalid_request"'],
    ['Bearer a b', 'Bearer error="invalid_request"'],
  ])('answers the Authorization header %j with 401 and WWW-Authenticate: %s, and still lets login through', async (header, challenge) => {
    const answer = await post(ME, {}, header);
    expect({ status: answer.status, code: code(answer), challenge: answer.challenge }).toEqual({ status: 401, code: 'UNAUTHENTICATED', challenge });
    expect((await post(LOGIN, { u: user.username, p: user.password }, header)).body.data.login.user.id).toBe(user.id);
  });

  it('lets a browser on another origin read the challenge', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://app.example', authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ query: ME }),
    });
    expect(response.headers.get('access-control-expose-headers')).toMatch(/www-authenticate/i);
  });

  it('is not what a request without a token gets: fields that need one fail alone, with 200 and no challenge', async () => {
    const answer = await post(ME, {}, undefined);
    expect({ status: answer.status, code: code(answer), challenge: answer.challenge }).toEqual({ status: 200, code: 'UNAUTHENTICATED', challenge: null });
  });
});

describe('a hot request', () => {
  it('reads no database to know who sent it', async () => {
    const user = await server.createUser();
    expect(await works(user.token)).toBe(true);
    server.queries.length = 0;
    expect(await works(user.token)).toBe(true);
    expect(server.queries).toEqual([]);
  });

  it('still follows an admin’s change at once on this instance', async () => {
    const user = await server.createUser();
    expect((await server.gql('{ me { isAdmin } }', {}, user.token)).data.me.isAdmin).toBe(false);
    await server.gql('mutation($id: ID!) { updateUser(id: $id, input: { isAdmin: true }) { id } }', { id: user.id }, server.adminToken);
    expect((await server.gql('{ me { isAdmin } }', {}, user.token)).data.me.isAdmin).toBe(true);
    await server.gql('mutation($id: ID!) { deleteUser(id: $id) }', { id: user.id }, server.adminToken);
    expect(await works(user.token)).toBe(false);
  });
});

describe('Tier.userCount', () => {
  it('is null with FORBIDDEN at that field alone for a non-admin; the rest of the answer survives', async () => {
    const user = await server.createUser();
    const answer = await post('{ me { id tier { name userCount } } }', {}, bearer(user.token));
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ me: { id: user.id, tier: { name: 'Basic', userCount: null } } });
    expect(answer.body.errors).toEqual([{ message: 'Admins only', path: ['me', 'tier', 'userCount'], locations: expect.any(Array), extensions: { code: 'FORBIDDEN' } }]);
  });

  it('is a number for an admin', async () => {
    const answer = await server.gql('{ me { tier { userCount } } }', {}, server.adminToken);
    expect(answer.errors).toBeUndefined();
    expect(answer.data.me.tier.userCount).toBeGreaterThanOrEqual(1);
  });
});

describe('/metrics behind METRICS_TOKEN', () => {
  it('answers 401 with a plain Bearer challenge without a token and invalid_token with a wrong one', async () => {
    const guarded = await TestServer.start({ env: { METRICS_TOKEN: 'metrics-token-0123456789abcdef' } });
    try {
      const challenge = async (headers: Record<string, string>) => {
        const response = await fetch(`${guarded.url}/metrics`, { headers });
        await response.arrayBuffer();
        return [response.status, response.headers.get('www-authenticate')];
      };
      expect(await challenge({})).toEqual([401, 'Bearer']);
      expect(await challenge({ authorization: 'Bearer wrong-token-0123456789ab' })).toEqual([401, 'Bearer error="invalid_token"']);
      expect(await challenge({ authorization: 'Bearer metrics-token-0123456789abcdef' })).toEqual([200, null]);
    } finally {
      await guarded.stop();
    }
  });
});
