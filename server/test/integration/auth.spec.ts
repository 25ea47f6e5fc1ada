import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, TestServer } from '../support/test-server.js';

const ME = `{ me { id username isAdmin tier { id name thumbnailHeights originalLink expiringLinks builtin } } }`;
const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { username } } }`;

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

describe('login', () => {
  it('returns a token that identifies the user in `me`', async () => {
    const user = await server.createUser();
    const me = await server.gql(ME, {}, user.token);
    expect(me.errors).toBeUndefined();
    expect(me.data.me).toMatchObject({ id: user.id, username: user.username, isAdmin: false, tier: { name: 'Basic', thumbnailHeights: [200], builtin: true } });
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    const user = await server.createUser();
    const wrong = await server.gql(LOGIN, { u: user.username, p: 'not-the-password' });
    const unknown = await server.gql(LOGIN, { u: 'nobody-here', p: 'not-the-password' });
    expect(wrong.errors?.[0]).toMatchObject({ message: 'Invalid username or password', extensions: { code: 'UNAUTHENTICATED' } });
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
    expect(unknown.errors?.[0]?.extensions).toEqual(wrong.errors?.[0]?.extensions);
  });

  it('treats usernames case-insensitively', async () => {
    const user = await server.createUser();
    expect((await server.gql(LOGIN, { u: user.username.toUpperCase(), p: user.password })).data?.login.user.username).toBe(user.username);
  });

  it('makes the configured admin an admin on the Enterprise tier', async () => {
    const me = await server.gql(ME, {}, server.adminToken);
    expect(me.data.me).toMatchObject({ username: ADMIN.username, isAdmin: true, tier: { name: 'Enterprise' } });
  });
});

describe('tokens', () => {
  it('refuses requests without a token where one is needed', async () => {
    const result = await server.gql(ME);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a forged, unsigned or malformed token', async () => {
    const user = await server.createUser();
    const [header, payload] = user.token.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const tampered = `${header}.${payload}.${'A'.repeat(43)}`;
    for (const token of [none, tampered, 'garbage', `${user.token}x`]) {
      const result = await server.gql(ME, {}, token);
      expect(result.errors?.[0]?.extensions?.code, token).toBe('UNAUTHENTICATED');
      // a 401 is what tells clients such as the admin app to sign in again
      expect(result.status, token).toBe(401);
      expect(result.errors?.[0]?.extensions, token).not.toHaveProperty('http');
      expect(result.data ?? null).toBeNull();
    }
  });

  it('expires tokens by the server clock', async () => {
    const user = await server.createUser();
    server.clock.advance(24 * 3600 * 1000 + 1000);
    try {
      expect((await server.gql(ME, {}, user.token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      server.clock.advance(-(24 * 3600 * 1000 + 1000));
    }
    expect((await server.gql(ME, {}, user.token)).data?.me.id).toBe(user.id);
  });

  it('stops working when the password changes', async () => {
    const user = await server.createUser();
    const changed = await server.gql(`mutation($id: ID!) { updateUser(id: $id, input: { password: "a-new-password" }) { id } }`, { id: user.id }, server.adminToken);
    expect(changed.errors).toBeUndefined();
    const revoked = await server.gql(ME, {}, user.token);
    expect(revoked.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(revoked.status).toBe(401);
    expect(await server.login(user.username, 'a-new-password')).toBeTruthy();
  });
});
