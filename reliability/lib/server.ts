import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { productEnv } from '../../bench/lib/product.ts';

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
  db: pg.Client;
  alive(): boolean;
  exitCode(): number | null;
  /** SIGTERM, then SIGKILL after 20 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const secret = () => randomBytes(32).toString('base64url');

export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts the production build in `workDir`; `env` adds or overrides settings. */
export async function startServer(workDir: string, env: Record<string, string> = {}): Promise<ServerUnderTest> {
  if (!existsSync(join(SERVER_DIR, 'dist/main.js'))) throw new Error('server/dist/main.js is missing: run `pnpm --filter ./server run build` first');
  const dataDir = join(workDir, 'data');
  const tmpDir = join(workDir, 'tmp');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  await mkdir(tmpDir, { recursive: true });
  // embedded PostgreSQL runs initdb as its own user when we are root: it must reach DATA_DIR and write to TMPDIR, as in /tmp
  await chmod(workDir, 0o755);
  await chmod(tmpDir, 0o1777);
  const [port, pgPort] = [await freePort(), await freePort()];
  const origin = `http://127.0.0.1:${port}`;
  const admin = { username: 'reliability-admin', password: secret() };
  const logFile = join(workDir, 'server.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    cwd: SERVER_DIR,
    env: {
      ...productEnv({ port, pgPort, dataDir, admin }),
      TMPDIR: tmpDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', out, out],
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((done) => child.once('exit', (code, signal) => done((exitCode = code ?? (signal ? 128 : null)))));
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the server exited with ${exitCode} before it was ready:\n${tail(logFile)}`);
    const ready = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready in 180 s:\n${tail(logFile)}`);
    }
    // polling another process's port: there is no clock of ours to move
    await sleep(100);
  }
  const password = (await readFile(join(dataDir, 'pg-password'), 'utf8')).trim();
  const db = new pg.Client({ connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/imageapi` });
  await db.connect();
  return {
    origin,
    pid: child.pid!,
    dataDir,
    mediaDir: join(dataDir, 'media'),
    stagingDir: join(dataDir, 'tmp'),
    tmpDir,
    logFile,
    admin,
    db,
    alive: () => exitCode === undefined,
    exitCode: () => exitCode ?? null,
    async stop() {
      await db.end().catch(() => {});
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]);
      if (!done) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
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
export async function memoryBreakdown(origin: string): Promise<string> {
  const text = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text(), () => '');
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const show = (name: string) => `${(value(name) / MB).toFixed(0)} MB`;
  return `V8 heap used ${show('nodejs_heap_size_used_bytes')} of ${show('nodejs_heap_size_total_bytes')}, external ${show('nodejs_external_memory_bytes')}, thumbnail cache ${show('thumbnail_cache_bytes')}`;
}
