import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_APPLICATION_NAME } from '../../src/links/access-notifications.js';
import { uploadAt } from '../reliability/faults-support.js';
import { jpeg } from '../support/images.js';
import { until } from '../support/polling.js';
import { startInstancePair, type InstancePair } from '../support/instance-pair.js';
import type { ServerProcess } from '../support/server-process.js';

// Two server processes on one PostgreSQL and one media folder. Each keeps what links grant in memory
// (no database round trip on a hot link); these show that memory follows every change made anywhere.

const ADMIN = { username: 'root', password: 'root-password-access' };
const BASIC = '00000000-0000-4000-8000-000000000001';
const PREMIUM = '00000000-0000-4000-8000-000000000002';
const ENTERPRISE = '00000000-0000-4000-8000-000000000003';
const ONE_SECOND = 1_000;

let pair: InstancePair;
let a: ServerProcess;
let b: ServerProcess;
let adminToken: string;

const sql = <T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []) => pair.sql<T>(text, values);

async function gql(server: ServerProcess, query: string, variables: Record<string, unknown> = {}, token = adminToken) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors, JSON.stringify(body)).toBeUndefined();
  return body.data;
}

async function login(server: ServerProcess, username: string, password: string): Promise<string> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', variables: { u: username, p: password } }),
  });
  return ((await response.json()) as any).data.login.token;
}

/** A Premium user with one image, its links fetched once on both instances (so both hold its facts). */
async function premiumImage(): Promise<{ userId: string; imageId: string; h400: string; original: string }> {
  const username = `user-${randomBytes(4).toString('hex')}`;
  const user = (await gql(a, 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { username, password: 'password-of-user-1', tierId: PREMIUM } })).createUser;
  const token = await login(a, username, 'password-of-user-1');
  const stored = await uploadAt(a.url, token, await jpeg(600, 400));
  expect(stored.body.errors, JSON.stringify(stored.body)).toBeUndefined();
  const image = stored.body.data.uploadImage as { id: string; thumbnails: Array<{ size: number; url: string }> };
  const h400 = image.thumbnails.find((t) => t.size === 400)!.url;
  const original = (await gql(a, '{ image(id: "' + image.id + '") { originalUrl } }', {}, token)).image.originalUrl as string;
  for (const server of [a, b]) {
    expect(await status(server, h400)).toBe(200);
    expect(await status(server, original)).toBe(200);
  }
  return { userId: user.id, imageId: image.id, h400, original };
}

/** The status a link answers on `server` (links name PUBLIC_URL; the path is what counts). */
async function status(server: ServerProcess, link: string): Promise<number> {
  const url = new URL(link);
  const response = await fetch(`${server.url}${url.pathname}${url.search}`);
  await response.arrayBuffer();
  return response.status;
}

/** Milliseconds until `link` answers `expected` on `server`. */
async function msUntil(server: ServerProcess, link: string, expected: number): Promise<number> {
  const started = performance.now();
  await until(async () => (await status(server, link)) === expected, `${link} to answer ${expected}`, 5_000);
  return performance.now() - started;
}

beforeAll(async () => {
  pair = await startInstancePair('access', ADMIN);
  ({ a, b } = pair);
  adminToken = await login(a, ADMIN.username, ADMIN.password);
});

afterAll(() => pair?.stop());

describe('what links grant, cached in each instance', () => {
  it('a downgrade made through instance B stops a link on instance A within one second', async () => {
    const { userId, h400, original } = await premiumImage();
    await gql(b, 'mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id } }', { id: userId, i: { tierId: BASIC } });
    expect(await status(b, h400)).toBe(403);
    expect(await msUntil(a, h400, 403)).toBeLessThan(ONE_SECOND);
    expect(await status(a, original)).toBe(403);
  });

  it('a tier edited through instance B changes the links of its users on instance A within one second', async () => {
    const { userId, h400, original } = await premiumImage();
    const tier = (await gql(b, 'mutation($i: CreateTierInput!) { createTier(input: $i) { id } }', { i: { name: `t-${randomBytes(3).toString('hex')}`, thumbnailHeights: [200, 400], originalLink: true } })).createTier;
    await gql(b, 'mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id } }', { id: userId, i: { tierId: tier.id } });
    expect(await msUntil(a, h400, 200)).toBeLessThan(ONE_SECOND);
    await gql(b, 'mutation($id: ID!, $i: UpdateTierInput!) { updateTier(id: $id, input: $i) { id } }', { id: tier.id, i: { thumbnailHeights: [200], originalLink: false } });
    expect(await status(b, h400)).toBe(403);
    expect(await msUntil(a, h400, 403)).toBeLessThan(ONE_SECOND);
    expect(await status(a, original)).toBe(403);
  });

  it('deleting an image makes its links 404 at once on the instance that deleted it and within a second on the other', async () => {
    const { imageId, h400 } = await premiumImage();
    // its owner deletes it, through B
    const [{ username }] = await sql<{ username: string }>('select u.username from users u join images i on i.owner_id = u.id where i.id = $1', [imageId]);
    await gql(b, 'mutation($id: ID!) { deleteImage(id: $id) }', { id: imageId }, await login(b, username!, 'password-of-user-1'));
    expect(await status(b, h400)).toBe(404);
    expect(await msUntil(a, h400, 404)).toBeLessThan(ONE_SECOND);
  });

  it('deleting a user makes their links 404 at once on the instance that deleted them and within a second on the other', async () => {
    const { userId, h400, original } = await premiumImage();
    await gql(b, 'mutation($id: ID!) { deleteUser(id: $id) }', { id: userId });
    expect(await status(b, h400)).toBe(404);
    expect(await status(b, original)).toBe(404);
    expect(await msUntil(a, h400, 404)).toBeLessThan(ONE_SECOND);
  });

  it('an expiring link revoked through instance B answers 410 at once there and within one second on instance A', async () => {
    const { userId, imageId } = await premiumImage();
    await gql(a, 'mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id } }', { id: userId, i: { tierId: ENTERPRISE } });
    const [{ username }] = await sql<{ username: string }>('select username from users where id = $1', [userId]);
    const owner = await login(a, username!, 'password-of-user-1');
    const created = (await gql(a, 'mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 3600, size: 200) { id url } }', { id: imageId }, owner)).createExpiringLink;
    for (const server of [a, b]) expect(await status(server, created.url)).toBe(200);
    await gql(b, 'mutation($id: ID!) { revokeExpiringLink(id: $id) { revokedAt } }', { id: created.id }, owner);
    expect(await status(b, created.url)).toBe(410);
    expect(await msUntil(a, created.url, 410)).toBeLessThan(ONE_SECOND);
  });

  it('rotating an image’s links through instance B makes the old URLs 403 at once there and within one second on instance A', async () => {
    const { imageId, h400 } = await premiumImage();
    // hot on A: answered from memory without a signature check, which rotation must still reach
    for (let i = 0; i < 3; i++) expect(await status(a, h400)).toBe(200);
    const rotated = (await gql(b, 'mutation($id: ID!) { rotateImageLinks(imageId: $id) { thumbnails { size url } } }', { id: imageId })).rotateImageLinks;
    expect(await status(b, h400)).toBe(403);
    expect(await msUntil(a, h400, 403)).toBeLessThan(ONE_SECOND);
    const fresh = rotated.thumbnails.find((t: { size: number }) => t.size === 400).url as string;
    expect(fresh).not.toBe(h400);
    for (const server of [a, b]) expect(await status(server, fresh)).toBe(200);
  });

  it('a change whose notification is lost while the LISTEN connection is down is never served from memory', async () => {
    const { userId, h400 } = await premiumImage();
    const listeners = async () => (await sql<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = $2', [LISTENER_APPLICATION_NAME, pair.database])).map((row) => row.pid);
    const before = await listeners();
    expect(before).toHaveLength(2);
    await sql('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = $2', [LISTENER_APPLICATION_NAME, pair.database]);
    // the downgrade made without its NOTIFY (triggers off for this session), as if sent while nobody listened
    const client = new pg.Client({ connectionString: pair.databaseUrl });
    await client.connect();
    await client.query('set session_replication_role = replica');
    await client.query('update users set tier_id = $1 where id = $2', [BASIC, userId]);
    await client.end();
    for (const server of [a, b]) expect(await status(server, h400)).toBe(403);
    // and once both listen again, memory starts from what the database says
    await until(async () => {
      const now = await listeners();
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    }, 'both instances to listen again');
    for (const server of [a, b]) expect(await status(server, h400)).toBe(403);
  });
});
