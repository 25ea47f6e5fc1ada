import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.js';
import { resolveSecrets } from './secrets.js';

const KEY = 'k'.repeat(32);

describe(loadConfig.name, () => {
  it('starts on embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, databaseUrl: undefined, publicUrl: 'http://localhost:4000', isProduction: false, admin: undefined });
    expect(config.mediaDir).toBe(join(config.dataDir, 'media'));
  });

  it('derives the public URL from PORT and drops a trailing slash from PUBLIC_URL', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://img.example.com/' }).publicUrl).toBe('https://img.example.com');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['PUBLIC_URL', 'ftp://x'],
    ['MAX_UPLOAD_BYTES', '0'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['AUTH_SECRET', 'short'],
    ['LINK_SIGNING_KEYS', `${KEY},short`],
  ])('names %s=%s in the error', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}=`));
  });

  it('hides secret values in its messages', () => {
    expect(() => loadConfig({ AUTH_SECRET: 'short-secret' })).toThrow(/AUTH_SECRET=\(hidden\)/);
  });

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT=.*\n.*LOG_LEVEL=/s);
  });

  it('requires both secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_SECRET=\(unset\): is required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_SECRET: KEY })).toThrow(/LINK_SIGNING_KEYS/);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_SECRET: KEY, LINK_SIGNING_KEYS: KEY }).isProduction).toBe(true);
  });

  it('takes the admin account only as a pair', () => {
    expect(() => loadConfig({ ADMIN_USERNAME: 'boss' })).toThrow(/ADMIN_PASSWORD/);
    expect(loadConfig({ ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'long-enough' }).admin).toEqual({ username: 'boss', password: 'long-enough' });
  });

  it('splits LINK_SIGNING_KEYS in order, first one signing', () => {
    const other = 'o'.repeat(40);
    expect(loadConfig({ LINK_SIGNING_KEYS: ` ${KEY} , ${other} ` }).linkSigningKeys).toEqual([KEY, other]);
  });
});

describe(resolveSecrets.name, () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('generates secrets once under DATA_DIR and returns the same ones at every later boot', async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-'));
    const config = loadConfig({ DATA_DIR: dir });
    const first = await resolveSecrets(config);
    const second = await resolveSecrets(loadConfig({ DATA_DIR: dir }));
    expect(first.authSecret.length).toBeGreaterThanOrEqual(32);
    expect(second).toEqual(first);
    expect(JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8')).authSecret).toBe(first.authSecret);
  });

  it('prefers the environment and writes nothing when both are set', async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-'));
    const secrets = await resolveSecrets(loadConfig({ DATA_DIR: dir, AUTH_SECRET: KEY, LINK_SIGNING_KEYS: KEY }));
    expect(secrets).toEqual({ authSecret: KEY, linkSigningKeys: [KEY] });
    await expect(readFile(join(dir, 'secrets.json'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses to replace a secrets file it cannot read', async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'secrets.json'), '{not json');
    await expect(resolveSecrets(loadConfig({ DATA_DIR: dir }))).rejects.toThrow();
    expect(await readFile(join(dir, 'secrets.json'), 'utf8')).toBe('{not json');
  });
});
