import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctJpeg, distinctPng } from '../support/images.js';
import { startInstancePair, type InstancePair } from '../support/instance-pair.js';
import { S3Buckets, s3Storage, startS3rver, type LocalS3 } from '../support/s3-server.js';
import type { ServerProcess } from '../support/server-process.js';

// Issue 16 across instances: two server processes on one PostgreSQL and one bucket. Nothing about an
// upload is kept in memory, so the same bytes are one image and the quotas hold whichever instance
// each request reaches.

const ADMIN = { username: 'root', password: 'root-password-dedupe' };

let s3: LocalS3;
let pair: InstancePair;
let a: ServerProcess;
let b: ServerProcess;
let bucket: string;
let db: pg.Client;

beforeAll(async () => {
  s3 = await startS3rver();
  const storage = await s3Storage(s3, 'dedupe');
  bucket = storage.bucket;
  pair = await startInstancePair('dedupe', ADMIN, { env: { PUBLIC_URL: 'http://images.example.test', ...storage.env } });
  ({ a, b } = pair);
  db = new pg.Client({ connectionString: pair.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
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
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function upload(server: ServerProcess, token: string, data: Buffer) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { id sha256 } }', variables: { f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([new Uint8Array(data)]), 'two.png');
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' }, body: form });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** A user on a new tier with these limits, logged in on instance a. */
async function user(adminToken: string, limits: Record<string, number> = {}) {
  const tier = await gql(a, 'mutation($input: CreateTierInput!) { createTier(input: $input) { id } }', { input: { name: `t-${randomBytes(3).toString('hex')}`, thumbnailHeights: [80], ...limits } }, adminToken);
  const username = `u-${randomBytes(3).toString('hex')}`;
  const created = await gql(b, 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', { input: { username, password: 'dedupe-password', tierId: tier.data.createTier.id } }, adminToken);
  const login = await gql(a, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: username, p: 'dedupe-password' });
  return { id: created.data.createUser.id as string, token: login.data.login.token as string };
}

describe('dedupe and quotas on two instances', () => {
  let adminToken: string;
  beforeAll(async () => {
    adminToken = (await gql(b, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: ADMIN.username, p: ADMIN.password })).data.login.token;
  });

  it('answers bytes stored through one instance with the same image on the other', async () => {
    const owner = await user(adminToken);
    const data = await distinctPng(90, 60);
    const first = await upload(a, owner.token, data);
    expect(first.errors).toBeUndefined();
    const second = await upload(b, owner.token, data);
    expect(second.data.uploadImage).toEqual(first.data.uploadImage);
    expect(first.data.uploadImage.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    const byHash = await gql(b, 'query($h: [String!]!) { imagesBySha256(sha256: $h) { id } }', { h: [first.data.uploadImage.sha256] }, owner.token);
    expect(byHash.data.imagesBySha256).toEqual([{ id: first.data.uploadImage.id }]);
  });

  it('ends concurrent uploads of the same bytes on both instances with one image and one set of files', async () => {
    const owner = await user(adminToken);
    const data = await distinctJpeg(500, 400);
    const buckets = new S3Buckets(s3.endpoint);
    const before = await buckets.keys(bucket);
    const results = await Promise.all([a, b, a, b, a, b].map((server) => upload(server, owner.token, data)));
    for (const result of results) expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    const ids = new Set(results.map((result) => result.data.uploadImage.id));
    expect(ids.size).toBe(1);
    const rows = await db.query('select id from images where owner_id = $1', [owner.id]);
    expect(rows.rows.map((row) => row.id)).toEqual([...ids]);
    // only the winner's original and thumbnail were added to the bucket: every loser removed its own
    const [id] = [...ids];
    const added = (await buckets.keys(bucket)).filter((key) => !before.includes(key));
    expect(added).toHaveLength(2);
    for (const key of added) expect(key).toContain(id);
    const usage = await db.query('select images from user_usage where user_id = $1', [owner.id]);
    expect(usage.rows).toEqual([{ images: 1 }]);
  });

  it('holds an image quota across both: ten uploads into two free slots store exactly two', async () => {
    const owner = await user(adminToken, { maxImages: 2 });
    const files = await Promise.all(Array.from({ length: 10 }, () => distinctPng(160, 120)));
    const results = await Promise.all(files.map((data, i) => upload(i % 2 ? a : b, owner.token, data)));
    const codes = results.map((result) => result.errors?.[0]?.extensions?.code ?? 'ok');
    expect(codes.filter((code) => code === 'ok')).toHaveLength(2);
    expect(codes.filter((code) => code === 'QUOTA_EXCEEDED')).toHaveLength(8);
    const counted = await db.query(`select (select count(*)::int from images where owner_id = $1) as rows, (select images from user_usage where user_id = $1) as usage`, [owner.id]);
    expect(counted.rows).toEqual([{ rows: 2, usage: 2 }]);
    expect((await db.query('select 1 from recent_uploads where user_id = $1 and pending', [owner.id])).rows).toEqual([]);
  });

  it('holds an hourly rate across both', async () => {
    const owner = await user(adminToken, { uploadsPerHour: 3 });
    const files = await Promise.all(Array.from({ length: 8 }, () => distinctPng(100, 80)));
    const results = await Promise.all(files.map((data, i) => upload(i % 2 ? a : b, owner.token, data)));
    const codes = results.map((result) => result.errors?.[0]?.extensions?.code ?? 'ok');
    expect(codes.filter((code) => code === 'ok')).toHaveLength(3);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(5);
    const me = await gql(b, '{ me { usage { images uploadsLastHour } } }', undefined, owner.token);
    expect(me.data.me.usage).toEqual({ images: 3, uploadsLastHour: 3 });
  });
});
