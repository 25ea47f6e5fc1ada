import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server process the bench or reliability started; only these are ever stopped, each by its own pid. */
export interface Service {
  name: string;
  child: ChildProcess;
  logFile: string;
  alive(): boolean;
  /** The exit code once it has ended (128 + the signal's number when a signal ended it); null while it runs. */
  exitCode(): number | null;
  /** The stop signal, then SIGKILL after 20 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<Service>();

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Folder for the log file (stdout and stderr together). */
  logDir: string;
  /** Resolves once the service answers; polled until `timeoutMs`. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
  /** Signal that makes the service shut down cleanly. */
  stopSignal?: NodeJS.Signals;
}

/** Starts a service with its output in a log file and waits until it answers. */
export async function startService(options: SpawnOptions): Promise<Service> {
  const logFile = join(options.logDir, `${options.name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', out, out] });
  let exited: number | null | undefined;
  // as a shell reports it, so a SIGKILL (the OOM killer's) reads 137 rather than no code at all
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve((exited = code ?? (signal ? 128 + constants.signals[signal] : null)))),
  );
  const service: Service = {
    name: options.name,
    child,
    logFile,
    alive: () => exited === undefined,
    exitCode: () => exited ?? null,
    async stop() {
      running.delete(service);
      if (exited !== undefined) return exited;
      child.kill(options.stopSignal ?? 'SIGTERM');
      const done = await Promise.race([exit.then(() => true), sleep(20_000).then(() => false)]);
      if (!done) child.kill('SIGKILL');
      return exit;
    },
  };
  running.add(service);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`${options.name} exited with ${exited} before it was ready:\n${tail(logFile)}`);
    if (await options.ready().catch(() => false)) return service;
    await sleep(100);
  }
  await service.stop();
  throw new Error(`${options.name} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${tail(logFile)}`);
}

/** Stops every service still running, newest first (the product last, so its PostgreSQL goes down cleanly). */
export async function stopAll(): Promise<void> {
  for (const service of [...running].reverse()) await service.stop().catch(() => {});
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True once `url` answers with a 2xx. */
export async function answers(url: string, init?: RequestInit): Promise<boolean> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.ok;
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Proportional set size of a process in bytes (/proc/<pid>/smaps_rollup, Linux): its resident pages,
 * each shared page divided among the processes that map it, so PSS of several processes adds up to
 * the memory they hold together, where summed RSS counts the shared code (Node, libvips) once per
 * process.
 */
export function pssBytes(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const match = /^Pss:\s+(\d+) kB/m.exec(rollup);
  if (!match) throw new Error(`no Pss for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** PSS of a Node server and of the Node processes it started (its cluster workers), summed; PostgreSQL left out. */
export function treePssBytes(pid: number): number {
  let sum = pssBytes(pid);
  for (const child of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid && readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('main.js')) sum += pssBytes(Number(child));
    } catch {
      // the process ended between the listing and the read
    }
  }
  return sum;
}

/** Where a bench anchor script lives, to run with this same Node. */
export const anchorScript = (name: string): string => join(import.meta.dirname, '..', 'anchors', name);

/** Runs one of the Node anchor servers (bench/anchors/*.ts) with the bench's own Node 24. */
export async function startNodeAnchor(
  name: string,
  args: string[],
  logDir: string,
  { env = {}, ready = (url: string) => answers(`${url}/ready`) }: { env?: NodeJS.ProcessEnv; ready?: (url: string) => Promise<boolean> } = {},
): Promise<{ service: Service; port: number; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name,
    command: process.execPath,
    args: [anchorScript(`${name}.ts`), String(port), ...args],
    env: { ...process.env, NODE_ENV: 'production', ...env },
    logDir,
    ready: () => ready(url),
  });
  return { service, port, url };
}
