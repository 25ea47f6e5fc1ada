import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { distinctJpeg, distinctPng } from '../support/images.js';
import { S3Buckets, S3RVER_CREDENTIALS, startS3rver, type LocalS3 } from '../support/s3-server.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

// Issue 16 across instances: two server processes on one PostgreSQL and one bucket. Nothing about an
// upload is kept in memory, so the same bytes are one image and the quotas hold whichever instance
// each request reaches.

const ADMIN = { username: 'root', password: 'root-password-dedupe' };

let s3: LocalS3;
let a: ServerProcess;
let b: ServerProcess;
let database: string;
let bucket: string;
let db: pg.Client;

async function adminClient() {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  return client;
}

beforeAll(async () => {
  s3 = await startS3rver();
  bucket = `dedupe-${randomBytes(4).toString('hex')}`;
  await new S3Buckets(s3.endpoint).create(bucket);
  database = `dedupe_${randomBytes(6).toString('hex')}`;
  const client = await adminClient();
  await client.query(`create database ${database} template ${inject('templateDb')}`);
  await client.end();
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${database}`;
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: url.toString(),
    PUBLIC_URL: 'http://images.example.test',
    AUTH_SECRET: 'dedupe-auth-secret-0123456789-0123456789',
    LINK_SIGNING_KEYS: 'dedupe-link-key-0123456789-0123456789-0',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    STORAGE: 's3',
    S3_BUCKET: bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    JOBS_WORKER: 'off',
  };
  [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
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
