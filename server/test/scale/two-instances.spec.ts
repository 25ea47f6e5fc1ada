import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { startInstancePair, type InstancePair } from '../support/instance-pair.js';
import { S3Buckets, s3Storage, startS3rver, type LocalS3 } from '../support/s3-server.js';
import { startWorkerProcess, type ServerProcess } from '../support/server-process.js';

// Two server processes on one PostgreSQL and one S3 bucket, as a load balancer would see them: a
// request may land on either, and each must act on what the other did, with nothing kept in memory.

const PUBLIC_URL = 'http://images.example.test';
const ADMIN = { username: 'root', password: 'root-password-scale' };

let s3: LocalS3;
let pair: InstancePair;
let a: ServerProcess;
let b: ServerProcess;
let bucket: string;
let env: Record<string, string>;

beforeAll(async () => {
  s3 = await startS3rver();
  const storage = await s3Storage(s3, 'scale');
  bucket = storage.bucket;
  // an empty database: both instances boot at once, as after a deploy, find the migrations pending and
  // must not apply them twice, nor trip over each other resetting the admin. Jobs run in a worker
  // process of their own (started below); the lazy path is what the servers race
  pair = await startInstancePair('scale', ADMIN, { database: 'empty', env: { PUBLIC_URL, ...storage.env } });
  ({ a, b, env } = pair);
});

afterAll(async () => {
  const codes = await pair?.stop();
  expect(codes, `${a?.output()}\n${b?.output()}`).toEqual([0, 0]);
  await s3?.stop();
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
