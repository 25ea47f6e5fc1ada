import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { readWorkspace } from './dockerfile-checks.js';
import { strayDevDependencies } from './runtime-folder.js';

// The folder the image's runtime stage copies to /app, built by the script the Dockerfile runs, here
// without a container engine: it must hold the server's production dependencies only, and the server
// must start from it alone.

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const workspace = readWorkspace(ROOT);
const manifests = [workspace.manifest, ...workspace.packages.values()];

/**
 * A devDependency pnpm links in although nothing in the folder needs it to run: graphql-upload declares
 * @types/express an optional peer, and pnpm binds that peer to the server's own devDependency, --prod
 * or not (the lockfile records the binding). Type declarations only, never loaded.
 */
const LINKED_AS_OPTIONAL_PEER = new Set(['@types/express']);

let out: string;
let dataDir: string;
let database: string | undefined;
let server: ServerProcess | undefined;

async function admin() {
  const client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
  return client;
}

beforeAll(async () => {
  // in the system's temp folder, outside the repository: from inside it, Node would find a package the
  // folder lacks in the workspace's node_modules further up
  out = await mkdtemp(join(tmpdir(), 'imageapi-runtime-'));
  dataDir = await mkdtemp(join(tmpdir(), 'imageapi-runtime-data-'));
  await run(join(ROOT, 'scripts/build-runtime.sh'), [out], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  database = `runtime_${randomBytes(6).toString('hex')}`;
  const client = await admin();
  await client.query(`create database ${database} template ${inject('templateDb')}`);
  await client.end();
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (database) {
    const client = await admin();
    await client.query(`drop database if exists ${database} with (force)`);
    await client.end();
  }
  await rm(out, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('the runtime folder of scripts/build-runtime.sh', () => {
  it("has the workspace's layout, with the server's package.json, build and node_modules, and the admin app's build", () => {
    expect(readdirSync(out).sort()).toEqual(['admin-ui', 'server']);
    expect(readdirSync(join(out, 'server')).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    expect(readdirSync(join(out, 'admin-ui'))).toEqual(['dist']);
    expect(readdirSync(join(out, 'server/dist'))).toContain('main.js');
    expect(readdirSync(join(out, 'admin-ui/dist'))).toContain('index.html');
  });

  it('holds no devDependency of any workspace package that no production package needs', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(5);
    expect(strayDevDependencies(join(out, 'server'), manifests, LINKED_AS_OPTIONAL_PEER)).toEqual([]);
  });

  it("finds the devDependencies in the workspace's own install, which holds them all", () => {
    expect(strayDevDependencies(ROOT, manifests, LINKED_AS_OPTIONAL_PEER)).toEqual(expect.arrayContaining(['node', 'typescript', 'vite', 'playwright-core', 's3rver']));
  });

  it('starts the server from it, which answers /readyz with 200 and serves the admin app', async () => {
    const url = new URL(inject('pgAdminUrl'));
    url.pathname = `/${database}`;
    server = await startServerProcess(
      {
        NODE_ENV: 'production',
        WEB_CONCURRENCY: '1',
        DATABASE_URL: url.toString(),
        DATA_DIR: dataDir,
        ADMIN_UI_DIR: join(out, 'admin-ui/dist'),
        AUTH_SECRET: 'runtime-auth-secret-0123456789-0123456789',
        LINK_SIGNING_KEYS: 'runtime-link-key-0123456789-0123456789-01',
      },
      60_000,
      join(out, 'server'),
    );
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    const adminApp = await fetch(`${server.url}/admin/`);
    expect(adminApp.status).toBe(200);
    expect(await adminApp.text()).toContain('/admin/assets/');
    expect(await server.stop()).toBe(0);
  });
});
