import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { postgresReachableTempDir } from './temp-dir.js';

/** Two production server processes on one database of their own (from the migrated template) and one media folder. */
export interface InstancePair {
  a: ServerProcess;
  b: ServerProcess;
  /** The database's name, for queries on pg_stat_activity. */
  database: string;
  databaseUrl: string;
  /** The environment both run with, for another process of the same deployment (a jobs worker). */
  env: Record<string, string>;
  /** Direct SQL on the pair's database, past both servers. */
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Stops both (each drains and exits) and drops the database and folder; the two exit codes. */
  stop(): Promise<Array<number | null>>;
}

export interface InstancePairOptions {
  /** Settings beside the pair's own (storage, PUBLIC_URL). */
  env?: Record<string, string>;
  /** `empty`: a database with no tables, so both instances find every migration pending at once. */
  database?: 'migrated' | 'empty';
}

/** One statement on its own connection. */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Starts the pair with jobs off (tests drive nothing in the background) and `admin` made at start,
 * both at once, as after a deploy.
 * `name` tells the pair's database, folder and secrets apart from other specs' in the logs.
 */
export async function startInstancePair(name: string, admin: { username: string; password: string }, options: InstancePairOptions = {}): Promise<InstancePair> {
  const adminUrl = inject('pgAdminUrl');
  const database = `${name}_${randomBytes(6).toString('hex')}`;
  await query(adminUrl, options.database === 'empty' ? `create database ${database}` : `create database ${database} template ${inject('templateDb')}`);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const dataDir = await postgresReachableTempDir(`imageapi-${name}-`);
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    AUTH_SECRET: `${name}-auth-secret-0123456789-0123456789`,
    LINK_SIGNING_KEYS: `${name}-link-key-0123456789-0123456789-0`,
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    JOBS_WORKER: 'off',
    ...options.env,
  };
  const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  return {
    a,
    b,
    database,
    databaseUrl,
    env,
    sql: (text, values) => query(databaseUrl, text, values),
    async stop() {
      const codes = await Promise.all([a.stop(), b.stop()]);
      await query(adminUrl, `drop database if exists ${database} with (force)`);
      await rm(dataDir, { recursive: true, force: true });
      return codes;
    },
  };
}
