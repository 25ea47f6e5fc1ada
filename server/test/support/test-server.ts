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
import { S3Buckets, S3RVER_CREDENTIALS } from './s3-server.js';

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
  /** Collects the server's log lines (parsed JSON, level info and up) here instead of discarding them. */
  logLines?: Array<Record<string, unknown>>;
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
    private running: RunningServer,
    /** What the server was started with, so `restart` starts the same one again. */
    private readonly start: () => Promise<RunningServer>,
    /** The server's only source of time: move it instead of sleeping. */
    readonly clock: ManualClock,
    readonly dataDir: string,
    private readonly database: string,
    private readonly pool: pg.Pool,
    private readonly adminUrl: string,
    /** With TEST_STORAGE=s3, the bucket of this server alone on the shared s3rver. */
    private readonly s3: { buckets: S3Buckets; bucket: string } | undefined,
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
    const s3 = await createTestBucket();
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
      // tests run background jobs step by step with drainJobs(), never on a poll they would wait for
      JOBS_WORKER: 'off',
      ...(s3 && {
        STORAGE: 's3',
        S3_BUCKET: s3.bucket,
        S3_ENDPOINT: inject('s3Endpoint'),
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      }),
      ...options.env,
    });
    const holder: { queries?: string[] } = {};
    const clock = new ManualClock(new Date('2026-06-01T12:00:00Z'));
    const start = () =>
      startServer(config, {
        clock,
        logger: options.logLines ? createLogger('info', { write: (line: string) => void options.logLines!.push(JSON.parse(line)) }) : createLogger('silent'),
        onQuery: (sql) => holder.queries?.push(sql),
      });
    const server = await start();
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const testServer = new TestServer(server, start, clock, dataDir, database, pool, adminUrl, s3);
    holder.queries = testServer.queries;
    testServer.adminToken = await testServer.login(ADMIN.username, ADMIN.password);
    return testServer;
  }

  /** The running server; a new one after `restart`. */
  get server(): RunningServer {
    return this.running;
  }

  /**
   * Stops the server as a deploy would (in-flight requests finish) and starts it again on the same
   * database, data folder and bucket, with the same clock: nothing kept in memory survives. Its port
   * may change; `url` follows.
   */
  async restart(): Promise<void> {
    await this.running.stop();
    this.running = await this.start();
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

  async createTier(input: {
    name?: string;
    thumbnailHeights: number[];
    originalLink?: boolean;
    expiringLinks?: boolean;
    maxImages?: number | null;
    maxBytes?: number | null;
    uploadsPerHour?: number | null;
  }): Promise<{ id: string; name: string }> {
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

  /** Every stored file, as keys ('originals/ab/….png'): the objects in the bucket, or the files under the media folder. */
  async mediaFiles(): Promise<string[]> {
    return this.s3 ? this.s3.buckets.keys(this.s3.bucket) : listFiles(this.mediaDir);
  }

  /** Removes one stored file behind the server's back, whichever storage it uses. */
  async deleteMediaFile(key: string): Promise<void> {
    await this.server.deps.files.storage.delete(key);
  }

  /** Every file left in the upload staging folder. */
  async stagedFiles(): Promise<string[]> {
    return listFiles(this.uploadTmpDir);
  }

  /** Runs the queued background jobs (and those they queue) to the end, or `limit` of them; returns how many ran. */
  drainJobs(limit?: number): Promise<number> {
    const { jobs, jobHandlers } = this.server.deps;
    return jobs.drain(jobHandlers, limit);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.pool.end();
    const admin = new pg.Client({ connectionString: this.adminUrl });
    await admin.connect();
    // closed pools can still be finishing their sockets; a forced drop would then kill a client in the
    // middle of saying goodbye, which pg reports as an uncaught error
    for (let attempt = 0; attempt < 50; attempt++) {
      const open = await admin.query(`select count(*)::int as n from pg_stat_activity where datname = $1`, [this.database]);
      if (open.rows[0].n === 0) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    await admin.query(`drop database if exists ${this.database} with (force)`);
    await admin.end();
    await rm(this.dataDir, { recursive: true, force: true });
    if (this.s3) {
      await this.s3.buckets.remove(this.s3.bucket);
      this.s3.buckets.close();
    }
  }
}

/** With TEST_STORAGE=s3, a fresh bucket on the run's s3rver. */
async function createTestBucket(): Promise<{ buckets: S3Buckets; bucket: string } | undefined> {
  const endpoint = inject('s3Endpoint');
  if (!endpoint) return undefined;
  const buckets = new S3Buckets(endpoint);
  const bucket = `t-${randomBytes(6).toString('hex')}`;
  await buckets.create(bucket);
  return { buckets, bucket };
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
