import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { S3Buckets, S3RVER_CREDENTIALS, startS3rver, type LocalS3 } from '../support/s3-server.js';
import { startServerProcess, startWorkerProcess, type ServerProcess } from '../support/server-process.js';

// Two server processes on one PostgreSQL and one S3 bucket, as a load balancer would see them: a
// request may land on either, and each must act on what the other did, with nothing kept in memory.

const PUBLIC_URL = 'http://images.example.test';
const ADMIN = { username: 'root', password: 'root-password-scale' };

let s3: LocalS3;
let a: ServerProcess;
let b: ServerProcess;
let database: string;
let bucket: string;
let env: Record<string, string>;

async function adminClient() {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  return client;
}

beforeAll(async () => {
  s3 = await startS3rver();
  bucket = `scale-${randomBytes(4).toString('hex')}`;
  await new S3Buckets(s3.endpoint).create(bucket);
  database = `scale_${randomBytes(6).toString('hex')}`;
  const client = await adminClient();
  // an empty database: both instances find the migrations pending and must not apply them twice
  await client.query(`create database ${database}`);
  await client.end();
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${database}`;
  env = {
    NODE_ENV: 'production',
    DATABASE_URL: url.toString(),
    PUBLIC_URL,
    AUTH_SECRET: 'scale-auth-secret-0123456789-0123456789',
    LINK_SIGNING_KEYS: 'scale-link-key-0123456789-0123456789-0',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    STORAGE: 's3',
    S3_BUCKET: bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    // jobs run in a worker process of their own (started below); the lazy path is what the servers race
    JOBS_WORKER: 'off',
  };
  // both boot at once, as after a deploy: migrations and the admin reset must not trip over each other
  [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
});

afterAll(async () => {
  const codes = await Promise.all([a?.stop(), b?.stop()]);
  expect(codes, `${a?.output()}\n${b?.output()}`).toEqual([0, 0]);
  await s3?.stop();
  const client = await adminClient();
  await client.query(`drop database if exists ${database} with (force)`);
  await client.end();
});

async function gql(server: ServerProcess, query: string, variables?: Record<string, unknown>, token?: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

async function login(server: ServerProcess, username: string, password: string): Promise<string> {
  const result = await gql(server, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: username, p: password });
  expect(result.errors).toBeUndefined();
  return result.data.login.token;
}

/** A link handed out under PUBLIC_URL, fetched from one instance, as the load balancer would route it. */
const fetchVia = (server: ServerProcess, link: string) => fetch(link.replace(PUBLIC_URL, server.url));

async function metric(server: ServerProcess, series: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('two instances on one database and one bucket', () => {
  let adminToken: string;
  let userToken: string;
  let tierId: string;
  let imageId: string;

  it('share logins: a token from one works on the other', async () => {
    adminToken = await login(a, ADMIN.username, ADMIN.password);
    expect((await gql(b, '{ me { username isAdmin } }', undefined, adminToken)).data.me).toEqual({ username: 'root', isAdmin: true });
  });

  it('see each other’s writes: a tier and user made on one, used on the other', async () => {
    const tier = await gql(a, 'mutation { createTier(input: { name: "Scale", thumbnailHeights: [120], originalLink: true, expiringLinks: true }) { id } }', undefined, adminToken);
    tierId = tier.data.createTier.id;
    const user = await gql(b, 'mutation($t: ID!) { createUser(input: { username: "scaler", password: "scaler-password", tierId: $t }) { id } }', { t: tierId }, adminToken);
    expect(user.errors).toBeUndefined();
    userToken = await login(a, 'scaler', 'scaler-password');
  });

  it('serve an upload made on one from the other, links included', async () => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { id } }', variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([new Uint8Array(await jpeg(900, 600))]), 'scale.jpg');
    const upload = await fetch(`${a.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${userToken}`, 'apollo-require-preflight': 'true' }, body: form });
    const uploaded = (await upload.json()) as any;
    expect(uploaded.errors).toBeUndefined();
    imageId = uploaded.data.uploadImage.id;

    const listed = await gql(b, '{ images(first: 5) { totalCount edges { node { id thumbnails { size url } originalUrl } } } }', undefined, userToken);
    expect(listed.data.images.totalCount).toBe(1);
    const node = listed.data.images.edges[0].node;
    expect(node.id).toBe(imageId);
    for (const server of [a, b]) {
      const thumbnail = await fetchVia(server, node.thumbnails[0].url);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
      expect((await fetchVia(server, node.originalUrl)).status).toBe(200);
    }
    const expiring = await gql(b, 'mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { url } }', { id: imageId }, userToken);
    expect((await fetchVia(a, expiring.data.createExpiringLink.url)).status).toBe(200);
  });

  it('apply a tier edit made on one at once there and within a second on the other', async () => {
    const listed = await gql(a, '{ images(first: 1) { edges { node { originalUrl } } } }', undefined, userToken);
    const original = listed.data.images.edges[0].node.originalUrl;
    const edited = await gql(b, 'mutation($id: ID!) { updateTier(id: $id, input: { originalLink: false, expiringLinks: false }) { id } }', { id: tierId }, adminToken);
    expect(edited.errors).toBeUndefined();
    expect((await fetchVia(b, original)).status).toBe(403);
    // the other instance holds what links grant in memory and hears of the edit by NOTIFY
    await expect.poll(async () => (await fetchVia(a, original)).status, { timeout: 1_000, interval: 20 }).toBe(403);
  });

  it('make a newly added height once, however many requests on both instances ask for it together', async () => {
    const edited = await gql(a, 'mutation($id: ID!) { updateTier(id: $id, input: { thumbnailHeights: [120, 333] }) { id } }', { id: tierId }, adminToken);
    expect(edited.errors).toBeUndefined();
    const listed = await gql(b, '{ images(first: 1) { edges { node { thumbnails { size url } } } } }', undefined, userToken);
    const link = listed.data.images.edges[0].node.thumbnails.find((t: { size: number }) => t.size === 333).url;
    const before = (await metric(a, 'thumbnails_generated_total')) + (await metric(b, 'thumbnails_generated_total'));
    const responses = await Promise.all([a, b, a, b, a, b].map((server) => fetchVia(server, link)));
    const bodies = await Promise.all(responses.map((response) => response.arrayBuffer()));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(bodies.map((body) => Buffer.from(body).toString('base64'))).size).toBe(1);
    const after = (await metric(a, 'thumbnails_generated_total')) + (await metric(b, 'thumbnails_generated_total'));
    expect(after - before).toBe(1);
  });

  it('leave background work to a separate worker process, which picks up a tier edit made on either', async () => {
    const worker = await startWorkerProcess(env);
    try {
      const edited = await gql(b, 'mutation($id: ID!) { updateTier(id: $id, input: { thumbnailHeights: [120, 333, 444] }) { id } }', { id: tierId }, adminToken);
      expect(edited.errors, JSON.stringify(edited.errors)).toBeUndefined();
      const buckets = new S3Buckets(s3.endpoint);
      // the worker polls the queue every 2 s of real time; nothing here asks either server for h444
      await expect
        .poll(async () => (await buckets.keys(bucket, 'thumbnails/')).some((key) => key.includes(imageId) && key.endsWith('/h444.jpg')), { timeout: 20_000, interval: 250 })
        .toBe(true);
    } finally {
      expect(await worker.stop(), worker.output()).toBe(0);
    }
  });
});
