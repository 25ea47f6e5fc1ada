import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_DIR } from '../../src/db/postgres-placement.js';
import { uploadAt } from '../reliability/faults-support.js';
import { freePort } from '../support/free-port.js';
import { jpeg } from '../support/images.js';
import { runServerCommand, startServerProcess, type KillableServerProcess } from '../support/server-process.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../../..');
const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }';

// only as root does PostgreSQL run as another OS user, the one a private folder shuts out
const notRoot = process.getuid?.() !== 0 ? 'skipped: runs only as root, where PostgreSQL runs as the postgres user' : undefined;
if (notRoot) console.warn(`private-folder.spec.ts ${notRoot}`);

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe.skipIf(notRoot)('as root, the product in a folder of mode 700 (a home folder, mktemp -d)', () => {
  let privateDir: string;
  let serverDir: string;
  let clusterHome: string | undefined;
  let server: KillableServerProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    // inside the repo, so the hard links below stay on one filesystem; .tmp/ is ignored by git
    await mkdir(join(REPO, '.tmp'), { recursive: true });
    privateDir = await mkdtemp(join(REPO, '.tmp', 'private-'));
    const clone = join(privateDir, 'clone');
    serverDir = join(clone, 'server');
    await mkdir(serverDir, { recursive: true });
    // the installed and built product, hard-linked: every path to it, PostgreSQL's binaries included, now runs through the private folder
    // all but the admin app's icon package: its ~16 000 identical declaration files share one inode in
    // pnpm's store, and with the store and two installs on a machine another link set passes ext4's
    // 65 000 links per inode ("Too many links"); the server never loads it
    const nodeModules = join(REPO, 'node_modules');
    await mkdir(join(clone, 'node_modules', '.pnpm'), { recursive: true });
    await run('cp', ['-al', join(REPO, 'package.json'), clone]);
    const topLevel = (await readdir(nodeModules)).filter((entry) => entry !== '.pnpm').map((entry) => join(nodeModules, entry));
    if (topLevel.length > 0) await run('cp', ['-al', ...topLevel, join(clone, 'node_modules')]);
    const stored = (await readdir(join(nodeModules, '.pnpm'))).filter((entry) => !entry.startsWith('@mui+icons-material@'));
    await run('cp', ['-al', ...stored.map((entry) => join(nodeModules, '.pnpm', entry)), join(clone, 'node_modules', '.pnpm')]);
    await run('cp', ['-al', join(REPO, 'server/package.json'), join(REPO, 'server/node_modules'), join(REPO, 'server/dist'), serverDir]);
    env = { EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'info' };
  });
  afterAll(async () => {
    await server?.stop();
    if (privateDir) await rm(privateDir, { recursive: true, force: true });
    if (clusterHome) await rm(clusterHome, { recursive: true, force: true });
  });

  it('starts with its defaults, says where the cluster lives, and keeps the admin and an upload across a restart', async () => {
    expect(await mode(privateDir)).toBe(0o700);
    server = await startServerProcess(env, 120_000, serverDir);
    const first = server.output();
    const password = /Created admin account "admin" with password: (\S+)/.exec(first)?.[1];
    expect(password, first).toBeDefined();
    const cluster = /embedded PostgreSQL cluster in (\S+?)"/.exec(first)?.[1];
    expect(cluster, first).toBeDefined();
    clusterHome = dirname(cluster!);
    expect(cluster!.startsWith(join(SYSTEM_DIR, 'clusters') + '/'), cluster).toBe(true);

    const token = (await gql(server.url, LOGIN, { u: 'admin', p: password })).data?.login.token as string;
    expect(token).toBeTruthy();
    const stored = await uploadAt(server.url, token, await jpeg(300, 200));
    expect(stored.body.errors, JSON.stringify(stored.body)).toBeUndefined();
    const image = stored.body.data.uploadImage as { id: string; thumbnails: Array<{ url: string }> };
    expect(await server.stop()).toBe(0);

    server = await startServerProcess(env, 120_000, serverDir);
    expect(server.output()).not.toContain('Created admin account');
    expect(server.output()).toContain(`embedded PostgreSQL cluster in ${cluster}`);
    const again = (await gql(server.url, LOGIN, { u: 'admin', p: password })).data?.login.token as string;
    expect(again).toBeTruthy();
    const list = await gql(server.url, '{ images(first: 5) { edges { node { id } } } }', {}, again);
    expect(list.data?.images.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([image.id]);
    const thumbnail = await fetch(image.thumbnails[0]!.url.replace(/^http:\/\/[^/]+/, server.url));
    expect(thumbnail.status).toBe(200);
    expect((await thumbnail.arrayBuffer()).byteLength).toBeGreaterThan(0);

    // nothing of the user's was opened up to make room for PostgreSQL
    expect(await mode(privateDir)).toBe(0o700);
  });

  it('ends with one line naming the cause and the fix, exit 1, when EMBEDDED_PG_DIR is out of the postgres user’s reach', async () => {
    const unreachable = join(privateDir, 'cluster-here');
    const { code, output } = await runServerCommand([], { ...env, DATA_DIR: join(privateDir, 'data-2'), EMBEDDED_PG_DIR: unreachable });
    expect(code, output).toBe(1);
    expect(output).toContain(`failed to start: PostgreSQL runs as the postgres user, which cannot reach ${unreachable}; set EMBEDDED_PG_DIR to a folder it can reach`);
    expect(output).not.toMatch(/^\s+at /m);
  });
});
