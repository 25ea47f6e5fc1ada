import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { freePort } from './free-port.js';

export interface ServerProcess {
  url: string;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

/** A server process the test can also watch and kill outright. */
export interface KillableServerProcess extends ServerProcess {
  /** The OS process id. */
  pid: number;
  /** Whether the process is still running (it has not crashed or been stopped). */
  alive(): boolean;
  /** SIGKILL, as a crash or the OOM killer ends a process: no handler runs. Waits for the exit. */
  kill(): Promise<void>;
}

const SERVER_DIR = resolve(import.meta.dirname, '../..');

/**
 * The built server (`dist/main.js`) as its own OS process, as a deployment runs it: nothing shared
 * with the test or with another instance but what the environment points at.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000, serverDir = SERVER_DIR): Promise<KillableServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    cwd: serverDir,
    // one process unless a test asks for a cluster: a test that kills or counts "the server" means one
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', WEB_CONCURRENCY: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before it was ready:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready in ${timeoutMs} ms:\n${output}`);
    }
    // polling a real process's port: there is no clock of ours to move here
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    pid: child.pid!,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs a one-off command of the built server (`dist/main.js <args>`, none starts the server) to its end. */
export async function runServerCommand(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['dist/main.js', ...args], {
    cwd: SERVER_DIR,
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, output };
}

/**
 * The built background worker (`dist/worker.js`) as its own process; ready once it says so (it has no
 * HTTP port to poll).
 */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<Omit<ServerProcess, 'url'>> {
  const child: ChildProcess = spawn(process.execPath, ['dist/worker.js'], {
    cwd: SERVER_DIR,
    env: { PATH: process.env.PATH, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the worker was not ready in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('background worker ready')) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the worker exited with ${code} before it was ready:\n${output}`));
    });
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  await ready;
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
