import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { BUILTIN_TIER_IDS } from '../../src/tiers/tier.entity.js';
import { freePort } from './free-port.js';

export { BUILTIN_TIER_IDS };

export const ADMIN = { username: 'root', password: 'root-password-1' };

export interface GqlError {
  message: string;
  path?: string[];
  extensions?: { code?: string; field?: string; reason?: string; [key: string]: unknown };
}

export interface GqlResponse<T = any> {
  status: number;
  data: T | null | undefined;
  errors: GqlError[] | undefined;
}

export interface UploadFile {
  name: string;
  data: Buffer;
  type?: string;
}

export interface TestUser {
  id: string;
  username: string;
  password: string;
  token: string;
}

export interface TestServerOptions {
  /** Extra environment variables for the server's config. */
  env?: Record<string, string>;
}

/**
 * The real server on a real PostgreSQL database of its own (copied from the migrated template), with
 * its own media folder and a manual clock, spoken to over real HTTP.
 */
export class TestServer {
  /** Every SQL statement the server ran, in order; clear it before the part you measure. */
  readonly queries: string[] = [];
  adminToken = '';
  private constructor(
    readonly server: RunningServer,
    /** The server's only source of time: move it instead of sleeping. */
    readonly clock: ManualClock,
    readonly dataDir: string,
    private readonly database: string,
    private readonly pool: pg.Pool,
    private readonly adminUrl: string,
  ) {}

  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const adminUrl = inject('pgAdminUrl');
    const database = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${database} template ${inject('templateDb')}`);
    await admin.end();
    const databaseUrl = withDatabase(adminUrl, database);
    const dataDir = await mkdtemp(join(tmpdir(), 'imageapi-test-'));
    const port = await freePort();
    const config = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      AUTH_SECRET: 'test-auth-secret-that-is-long-enough-0123456789',
      LINK_SIGNING_KEYS: 'test-link-key-that-is-long-enough-0123456789',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'silent',
      ...options.env,
    });
    const holder: { queries?: string[] } = {};
    const clock = new ManualClock(new Date('2026-06-01T12:00:00Z'));
    const server = await startServer(config, {
      clock,
      logger: createLogger('silent'),
      onQuery: (sql) => holder.queries?.push(sql),
    });
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const testServer = new TestServer(server, clock, dataDir, database, pool, adminUrl);
    holder.queries = testServer.queries;
    testServer.adminToken = await testServer.login(ADMIN.username, ADMIN.password);
    return testServer;
  }

  get url(): string {
    return this.server.url;
  }

  get mediaDir(): string {
    return this.server.deps.config.mediaDir;
  }

  get uploadTmpDir(): string {
    return this.server.deps.config.uploadTmpDir;
  }

  /** A GraphQL request over HTTP, as JSON. */
  async gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${this.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return toGqlResponse<T>(response);
  }

  /** `uploadImage` for one file, `uploadImages` for several, per the multipart request spec. */
  async upload<T = any>(token: string | undefined, files: UploadFile[], options: { batch?: boolean; selection?: string; preflight?: boolean } = {}): Promise<GqlResponse<T>> {
    const selection = options.selection ?? 'id filename format width height bytes createdAt thumbnails { size width height url } originalUrl';
    const batch = options.batch ?? files.length > 1;
    const operations = batch
      ? { query: `mutation($files: [Upload!]!) { uploadImages(files: $files) { ${selection} } }`, variables: { files: files.map(() => null) } }
      : { query: `mutation($file: Upload!) { uploadImage(file: $file) { ${selection} } }`, variables: { file: null } };
    const map = Object.fromEntries(files.map((_, i) => [String(i), [batch ? `variables.files.${i}` : 'variables.file']]));
    const form = new FormData();
    form.append('operations', JSON.stringify(operations));
    form.append('map', JSON.stringify(map));
    files.forEach((file, i) => form.append(String(i), new Blob([new Uint8Array(file.data)], { type: file.type ?? 'application/octet-stream' }), file.name));
    const headers: Record<string, string> = {};
    if (options.preflight !== false) headers['apollo-require-preflight'] = 'true';
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${this.url}/graphql`, { method: 'POST', headers, body: form });
    return toGqlResponse<T>(response);
  }

  async login(username: string, password: string): Promise<string> {
    const result = await this.gql(`mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, { u: username, p: password });
    if (!result.data?.login?.token) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
    return result.data.login.token;
  }

  /** A user made through the admin API, already logged in. */
  async createUser(input: { username?: string; tierId?: string; isAdmin?: boolean; password?: string } = {}): Promise<TestUser> {
    const username = input.username ?? `user-${randomBytes(4).toString('hex')}`;
    const password = input.password ?? `pw-${randomBytes(8).toString('hex')}`;
    const result = await this.gql(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id username } }`,
      { input: { username, password, tierId: input.tierId, isAdmin: input.isAdmin ?? false } },
      this.adminToken,
    );
    if (!result.data?.createUser) throw new Error(`createUser failed: ${JSON.stringify(result.errors)}`);
    return { id: result.data.createUser.id, username, password, token: await this.login(username, password) };
  }

  async createTier(input: { name?: string; thumbnailHeights: number[]; originalLink?: boolean; expiringLinks?: boolean }): Promise<{ id: string; name: string }> {
    const result = await this.gql(
      `mutation($input: CreateTierInput!) { createTier(input: $input) { id name } }`,
      { input: { name: input.name ?? `tier-${randomBytes(4).toString('hex')}`, ...input } },
      this.adminToken,
    );
    if (!result.data?.createTier) throw new Error(`createTier failed: ${JSON.stringify(result.errors)}`);
    return result.data.createTier;
  }

  async updateTier(id: string, input: Record<string, unknown>): Promise<GqlResponse> {
    return this.gql(`mutation($id: ID!, $input: UpdateTierInput!) { updateTier(id: $id, input: $input) { id thumbnailHeights originalLink expiringLinks } }`, { id, input }, this.adminToken);
  }

  async setUserTier(userId: string, tierId: string): Promise<void> {
    const result = await this.gql(`mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`, { id: userId, input: { tierId } }, this.adminToken);
    if (!result.data?.updateUser) throw new Error(`updateUser failed: ${JSON.stringify(result.errors)}`);
  }

  /** Direct SQL on this test's database, for checking what was (not) stored. */
  async sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(text, params)).rows as T[];
  }

  async countRows(table: 'images' | 'users' | 'tiers'): Promise<number> {
    const [row] = await this.sql<{ n: string }>(`select count(*) as n from ${table}`);
    return Number(row!.n);
  }

  /** Every file under the media folder, as paths relative to it. */
  async mediaFiles(): Promise<string[]> {
    return listFiles(this.mediaDir);
  }

  /** Every file left in the upload staging folder. */
  async stagedFiles(): Promise<string[]> {
    return listFiles(this.uploadTmpDir);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.pool.end();
    const admin = new pg.Client({ connectionString: this.adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${this.database} with (force)`);
    await admin.end();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

async function toGqlResponse<T>(response: Response): Promise<GqlResponse<T>> {
  const text = await response.text();
  let body: { data?: T; errors?: GqlError[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 300)}`);
  }
  return { status: response.status, data: body.data, errors: body.errors };
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
