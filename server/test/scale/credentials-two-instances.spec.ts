import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '../../src/db/notification-listener.js';
import { until } from '../support/polling.js';
import { startInstancePair, type InstancePair } from '../support/instance-pair.js';
import type { ServerProcess } from '../support/server-process.js';

// Two server processes on one PostgreSQL. Each keeps who a credential signs in in memory (no database
// round trip on a hot request); these show that a sign-out, a revoked token or a new password made on
// one instance is refused on the other within a second.

const ADMIN = { username: 'root', password: 'root-password-credentials' };
const ONE_SECOND = 1_000;

let pair: InstancePair;
let a: ServerProcess;
let b: ServerProcess;
let adminToken: string;

const sql = <T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []) => pair.sql<T>(text, values);

async function post(server: ServerProcess, query: string, variables: Record<string, unknown>, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

async function gql(server: ServerProcess, query: string, variables: Record<string, unknown> = {}, token = adminToken) {
  const { body } = await post(server, query, variables, token);
  expect(body.errors, JSON.stringify(body)).toBeUndefined();
  return body.data;
}

const login = async (server: ServerProcess, username: string, password: string): Promise<string> =>
  (await gql(server, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: username, p: password }, undefined)).login.token;

/** The status `me` answers with this token on `server`: 200 while it signs someone in, 401 once refused. */
const status = async (server: ServerProcess, token: string) => (await post(server, '{ me { id } }', {}, token)).status;

/** Makes the token hot on both instances: each has answered it and holds it in memory. */
async function warm(token: string): Promise<void> {
  for (const server of [a, b]) for (let i = 0; i < 2; i++) expect(await status(server, token)).toBe(200);
}

/** Milliseconds until `server` refuses `token`. */
async function msUntilRefused(server: ServerProcess, token: string): Promise<number> {
  const started = performance.now();
  await until(async () => (await status(server, token)) === 401, 'the token to be refused', 5_000);
  return performance.now() - started;
}

async function newUser(): Promise<{ id: string; username: string; password: string; token: string }> {
  const username = `user-${randomBytes(4).toString('hex')}`;
  const password = 'password-of-user-1';
  const { id } = (await gql(a, 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { username, password } })).createUser;
  return { id, username, password, token: await login(a, username, password) };
}

async function newAccessToken(sessionToken: string): Promise<{ id: string; token: string }> {
  const created = (await gql(a, 'mutation { createAccessToken(input: { name: "script" }) { token accessToken { id } } }', {}, sessionToken)).createAccessToken;
  return { id: created.accessToken.id, token: created.token };
}

beforeAll(async () => {
  pair = await startInstancePair('credentials', ADMIN);
  ({ a, b } = pair);
  adminToken = await login(a, ADMIN.username, ADMIN.password);
});

afterAll(() => pair?.stop());

describe('credentials ended on one instance, cached on both', () => {
  it('an access token revoked through instance A is refused there at once and on instance B within one second', async () => {
    const user = await newUser();
    const pat = await newAccessToken(user.token);
    await warm(pat.token);
    await gql(a, 'mutation($id: ID!) { revokeAccessToken(id: $id) }', { id: pat.id }, user.token);
    expect(await status(a, pat.token)).toBe(401);
    expect(await msUntilRefused(b, pat.token)).toBeLessThan(ONE_SECOND);
  });

  it('an admin revoking a user’s token through instance B is refused there at once and on instance A within one second', async () => {
    const user = await newUser();
    const pat = await newAccessToken(user.token);
    await warm(pat.token);
    await gql(b, 'mutation($id: ID!) { revokeAccessToken(id: $id) }', { id: pat.id });
    expect(await status(b, pat.token)).toBe(401);
    expect(await msUntilRefused(a, pat.token)).toBeLessThan(ONE_SECOND);
  });

  it('a session signed out through instance B is refused there at once and on instance A within one second; other sessions go on', async () => {
    const user = await newUser();
    const other = await login(b, user.username, user.password);
    await warm(user.token);
    await warm(other);
    await gql(b, 'mutation { logout }', {}, user.token);
    expect(await status(b, user.token)).toBe(401);
    expect(await msUntilRefused(a, user.token)).toBeLessThan(ONE_SECOND);
    for (const server of [a, b]) expect(await status(server, other)).toBe(200);
  });

  it('a password changed through instance B ends every session on instance A within one second; the new session works on both', async () => {
    const user = await newUser();
    const other = await login(a, user.username, user.password);
    await warm(user.token);
    await warm(other);
    const changed = (await gql(b, 'mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "a-new-password-2") { token } }', { c: user.password }, user.token)).changePassword;
    expect(await status(b, other)).toBe(401);
    expect(await msUntilRefused(a, other)).toBeLessThan(ONE_SECOND);
    expect(await status(a, user.token)).toBe(401);
    for (const server of [a, b]) expect(await status(server, changed.token)).toBe(200);
  });

  it('a user deleted through instance B: their access token is refused on instance A within one second', async () => {
    const user = await newUser();
    const pat = await newAccessToken(user.token);
    await warm(pat.token);
    await gql(b, 'mutation($id: ID!) { deleteUser(id: $id) }', { id: user.id });
    expect(await status(b, pat.token)).toBe(401);
    expect(await msUntilRefused(a, pat.token)).toBeLessThan(ONE_SECOND);
  });

  it('an admin demoted through instance B loses admin rights on instance A within one second', async () => {
    const user = await newUser();
    await gql(a, 'mutation($id: ID!) { updateUser(id: $id, input: { isAdmin: true }) { id } }', { id: user.id });
    const users = '{ users(limit: 1) { totalCount } }';
    for (const server of [a, b]) expect((await post(server, users, {}, user.token)).body.errors).toBeUndefined();
    await gql(b, 'mutation($id: ID!) { updateUser(id: $id, input: { isAdmin: false }) { id } }', { id: user.id });
    const started = performance.now();
    await until(async () => (await post(a, users, {}, user.token)).body.errors?.[0]?.extensions?.code === 'FORBIDDEN', 'the demotion to reach instance A', 5_000);
    expect(performance.now() - started).toBeLessThan(ONE_SECOND);
  });

  it('a revocation whose notification is lost while the LISTEN connection is down is never served from memory', async () => {
    const user = await newUser();
    const pat = await newAccessToken(user.token);
    await warm(pat.token);
    const listeners = async () => (await sql<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = $2', [LISTENER_APPLICATION_NAME, pair.database])).map((row) => row.pid);
    const before = await listeners();
    expect(before).toHaveLength(2);
    await sql('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = $2', [LISTENER_APPLICATION_NAME, pair.database]);
    // revoked without its NOTIFY (triggers off for this session), as if sent while nobody listened
    const client = new pg.Client({ connectionString: pair.databaseUrl });
    await client.connect();
    await client.query('set session_replication_role = replica');
    await client.query('delete from access_tokens where id = $1', [pat.id]);
    await client.end();
    // each instance drops its memory when it sees its connection end, which takes it a moment
    for (const server of [a, b]) await until(async () => (await status(server, pat.token)) === 401, 'the lost revocation to be read from the database', 2_000);
    await until(async () => {
      const now = await listeners();
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    }, 'both instances to listen again');
    for (const server of [a, b]) expect(await status(server, pat.token)).toBe(401);
  });
});
