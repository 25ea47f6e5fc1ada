import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createLogger } from '../../src/shared/logger.js';
import { freePort } from '../support/free-port.js';
import { postgresReachableTempDir } from '../support/temp-dir.js';
import { jpeg } from '../support/images.js';

const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`;

async function gql(server: RunningServer, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: any[] };
}

/** The product as `pnpm start` runs it: no DATABASE_URL, so an embedded PostgreSQL under DATA_DIR. */
describe('embedded defaults', () => {
  let dataDir: string;
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('start a real PostgreSQL, create an admin once, and keep secrets across restarts', async () => {
    dataDir = await postgresReachableTempDir('imageapi-boot-');
    const port = await freePort();
    const config = loadConfig({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'silent' });
    server = await startServer(config, { logger: createLogger('silent') });
    expect(await stat(join(dataDir, 'pg', 'PG_VERSION'))).toBeTruthy();
    expect(server.admin?.username).toBe('admin');
    const password = server.admin!.generatedPassword!;
    expect(password.length).toBeGreaterThanOrEqual(12);
    const secrets = await readFile(join(dataDir, 'secrets.json'), 'utf8');

    const { token } = (await gql(server, LOGIN, { u: 'admin', p: password })).data.login;
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { thumbnails { url } } }', variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([new Uint8Array(await jpeg(300, 200))]), 'a.jpg');
    const upload = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' }, body: form });
    const link: string = ((await upload.json()) as any).data.uploadImage.thumbnails[0].url;
    expect((await fetch(link)).status).toBe(200);

    await server.stop();
    server = await startServer(config, { logger: createLogger('silent') });
    expect(server.admin).toBeUndefined();
    expect(await readFile(join(dataDir, 'secrets.json'), 'utf8')).toBe(secrets);
    // the token and the link from the first boot still work: nothing was regenerated
    expect((await gql(server, '{ me { username } }', {}, token)).data?.me.username).toBe('admin');
    expect((await fetch(link)).status).toBe(200);
  });
});

describe('the admin account from ADMIN_USERNAME / ADMIN_PASSWORD', () => {
  let dataDir: string;
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('survives restarts with the same password, sessions included, and a changed password signs them out', async () => {
    dataDir = await postgresReachableTempDir('imageapi-admin-');
    const base = { DATA_DIR: dataDir, HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'silent', ADMIN_USERNAME: 'boss' };
    const boot = async (password: string) => {
      await server?.stop();
      server = await startServer(loadConfig({ ...base, PORT: String(await freePort()), ADMIN_PASSWORD: password }), { logger: createLogger('silent') });
      return server;
    };
    const me = async (token: string) => (await gql(server!, '{ me { username isAdmin } }', {}, token)).data?.me;

    await boot('first-password');
    const token = (await gql(server!, LOGIN, { u: 'boss', p: 'first-password' })).data.login.token;
    await boot('first-password');
    // every instance runs this at every start: a restart must not sign the admin out
    expect(await me(token)).toEqual({ username: 'boss', isAdmin: true });
    await boot('second-password');
    expect(await me(token)).toBeUndefined();
    expect((await gql(server!, LOGIN, { u: 'boss', p: 'first-password' })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql(server!, LOGIN, { u: 'boss', p: 'second-password' })).data?.login.token).toBeTruthy();
  });
});
