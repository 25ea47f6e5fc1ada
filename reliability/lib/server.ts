import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { rssBytes } from '../../bench/lib/processes.ts';
import { startProduct } from '../../bench/lib/product.ts';

export { rssBytes, tail } from '../../bench/lib/processes.ts';

export const SERVER_DIR = resolve(import.meta.dirname, '../../server');

/** The built server (`server/dist/main.js`) as its own process, embedded PostgreSQL and local media under its own DATA_DIR. */
export interface ServerUnderTest {
  origin: string;
  pid: number;
  dataDir: string;
  mediaDir: string;
  /** Staging folder of our own upload code (DATA_DIR/tmp). */
  stagingDir: string;
  /** The process's TMPDIR, where graphql-upload buffers every file (fs-capacitor). */
  tmpDir: string;
  logFile: string;
  admin: { username: string; password: string };
  /** Bearer token of /metrics. */
  metricsToken: string;
  db: pg.Client;
  alive(): boolean;
  exitCode(): number | null;
  /** SIGTERM, then SIGKILL after 20 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the production build in `workDir` (its log: `reliability-server.log` there); `env` adds or overrides settings. */
export async function startServer(workDir: string, env: Record<string, string> = {}): Promise<ServerUnderTest> {
  if (!existsSync(join(SERVER_DIR, 'dist/main.js'))) throw new Error('server/dist/main.js is missing: run `pnpm --filter ./server run build` first');
  const dataDir = join(workDir, 'data');
  const tmpDir = join(workDir, 'tmp');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  await mkdir(tmpDir, { recursive: true });
  // embedded PostgreSQL runs initdb as its own user when we are root: it must reach DATA_DIR and write to TMPDIR, as in /tmp
  await chmod(workDir, 0o755);
  await chmod(tmpDir, 0o1777);
  const product = await startProduct({
    serverDir: SERVER_DIR,
    dataDir,
    logDir: workDir,
    name: 'reliability',
    env: { TMPDIR: tmpDir, LOG_LEVEL: 'warn', ...env },
  });
  const { service } = product;
  const db = new pg.Client({ connectionString: product.pgUrl });
  await db.connect().catch(async (error: unknown) => {
    await service.stop();
    throw error;
  });
  return {
    origin: product.origin,
    pid: product.pid,
    dataDir,
    mediaDir: product.mediaDir,
    stagingDir: join(dataDir, 'tmp'),
    tmpDir,
    logFile: service.logFile,
    admin: product.admin,
    metricsToken: product.metricsToken,
    db,
    alive: service.alive,
    exitCode: service.exitCode,
    async stop() {
      await db.end().catch(() => {});
      return service.stop();
    },
  };
}

/**
 * RSS once it has stopped falling: sampled every 500 ms until two samples a second apart differ by
 * less than 2 MB, or `maxSeconds` pass. Freed memory goes back to the OS only gradually (glibc arenas,
 * V8's idle GC), so a reading straight after the load would overstate what is kept.
 */
export async function settledRss(pid: number, maxSeconds: number): Promise<number> {
  const samples = [rssBytes(pid)];
  const deadline = Date.now() + maxSeconds * 1000;
  while (Date.now() < deadline) {
    await sleep(500);
    samples.push(rssBytes(pid));
    const n = samples.length;
    if (n >= 3 && Math.abs(samples[n - 1]! - samples[n - 3]!) < 2 * 1024 * 1024) break;
  }
  return samples.at(-1)!;
}

/** Polls RSS in the background; `stop()` returns the highest value seen. */
export function watchRss(pid: number, everyMs = 200): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // the process is gone; the caller's liveness check reports that
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export const MB = 1024 * 1024;

/** Heap, external and cache bytes from the server's /metrics, to tell a JS leak from native memory. */
export async function memoryBreakdown(server: Pick<ServerUnderTest, 'origin' | 'metricsToken'>): Promise<string> {
  const headers = { authorization: `Bearer ${server.metricsToken}` };
  const text = await fetch(`${server.origin}/metrics`, { headers, signal: AbortSignal.timeout(5000) }).then((r) => r.text(), () => '');
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const show = (name: string) => `${(value(name) / MB).toFixed(0)} MB`;
  return `V8 heap used ${show('nodejs_heap_size_used_bytes')} of ${show('nodejs_heap_size_total_bytes')}, external ${show('nodejs_external_memory_bytes')}, thumbnail cache ${show('thumbnail_cache_bytes')}`;
}
