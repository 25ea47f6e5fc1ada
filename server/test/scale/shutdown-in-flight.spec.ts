import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { until } from '../support/polling.js';

const ADMIN = { username: 'root', password: 'root-password-shutdown' };
let database: string;
let databaseUrl: string;
let dataDir: string;

async function admin() {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  return client;
}

beforeAll(async () => {
  database = `shutdown_${randomBytes(6).toString('hex')}`;
  const client = await admin();
  await client.query(`create database ${database} template ${inject('templateDb')}`);
  await client.end();
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${database}`;
  databaseUrl = url.toString();
  dataDir = await mkdtemp(join(tmpdir(), 'imageapi-inflight-'));
});

afterAll(async () => {
  const client = await admin();
  await client.query(`drop database if exists ${database} with (force)`);
  await client.end();
  await rm(dataDir, { recursive: true, force: true });
});


describe('SIGTERM during an upload', () => {
  let server: ServerProcess;

  it('finishes the upload in flight, refuses new connections, and exits 0', async () => {
    server = await startServerProcess({
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      AUTH_SECRET: 'shutdown-auth-secret-0123456789-012345',
      LINK_SIGNING_KEYS: 'shutdown-link-key-0123456789-0123456789',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'info',
    });
    const login = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', variables: { u: ADMIN.username, p: ADMIN.password } }),
    });
    const token = ((await login.json()) as any).data.login.token as string;

    const file = await jpeg(1200, 900);
    const boundary = `----shutdown${randomBytes(6).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n` +
        JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { id } }', variables: { f: null } }) +
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.f"]}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="slow.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const half = Math.floor(file.length / 2);
    const { port } = new URL(server.url);
    let finishUpload: () => void = () => {};
    const response = new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: Number(port),
          method: 'POST',
          path: '/graphql',
          headers: {
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(head.length + file.length + tail.length),
            authorization: `Bearer ${token}`,
            'apollo-require-preflight': 'true',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => done({ status: res.statusCode!, body }));
        },
      );
      req.on('error', fail);
      req.write(Buffer.concat([head, file.subarray(0, half)]));
      // the rest goes only after SIGTERM, below
      finishUpload = () => req.end(Buffer.concat([file.subarray(half), tail]));
    });

    // the upload is in flight once its file is being staged
    await until(async () => (await readdir(join(dataDir, 'tmp')).catch(() => [])).length > 0, 'the upload to be staged');
    const exited = server.stop();
    // new connections are refused while the upload is still open
    await until(async () => fetch(`${server.url}/healthz`).then(() => false, () => true), 'the listener to close');
    finishUpload();

    const { status, body } = await response;
    expect(status, body).toBe(200);
    const id = JSON.parse(body).data.uploadImage.id as string;
    expect(await exited, server.output()).toBe(0);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      expect((await db.query('select id from images where id = $1', [id])).rows).toHaveLength(1);
    } finally {
      await db.end();
    }
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
  });
});
