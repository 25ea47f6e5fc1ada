import { spawn, type ChildProcess } from 'node:child_process';
import { chown, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The OS account PostgreSQL runs as when we are root (it refuses to run as root itself). */
export interface OsAccount {
  uid: number;
  gid: number;
}

/** A start-up failure whose message already names the cause and the fix: printed as one line, no stack. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

export interface ClusterCommand {
  /** Folder holding `initdb` and `postgres`; `../lib` and `../share` beside it, as the package ships them. */
  binDir: string;
  clusterDir: string;
  runAs: OsAccount | undefined;
  onLog?: (line: string) => void;
}

// messages in English whatever the machine's locale: start-up waits for one of them
const MESSAGES_ENV = { LC_MESSAGES: 'C', LC_ALL: '' };

/** `initdb` for a new cluster, superuser `postgres` with the given password, UTF-8. */
export async function initCluster({ binDir, clusterDir, runAs, onLog }: ClusterCommand, password: string, passwordFileDir: string): Promise<void> {
  // initdb reads the password from a file it must be able to open as its own user, so never /dev/stdin (a root-owned pipe)
  const passwordFile = join(passwordFileDir, `.initdb-password-${process.pid}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    const args = [`--pgdata=${clusterDir}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'];
    const child = spawnAs(join(binDir, 'initdb'), args, runAs);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => onLog?.(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      onLog?.(chunk.toString());
    });
    const { code, signal } = await exited(child, 'initdb', runAs);
    if (code !== 0) throw new EmbeddedPostgresError(`initdb failed for ${clusterDir} (exit ${code ?? signal}): ${lastLines(output)}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

export interface RunningCluster {
  /** Fast shutdown (SIGINT): open sessions are cut, the cluster is left consistent. */
  stop(): Promise<void>;
}

/** Starts `postgres` on the cluster and resolves once it accepts connections. */
export async function startCluster({ binDir, clusterDir, runAs, onLog }: ClusterCommand, port: number, flags: string[]): Promise<RunningCluster> {
  const child = spawnAs(join(binDir, 'postgres'), ['-D', clusterDir, '-p', String(port), '-c', 'lc_messages=C', ...flags], runAs);
  // a process.exit() elsewhere must not leave the database running on our folder
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const done = exited(child, 'postgres', runAs);
  let output = '';
  const ready = new Promise<void>((resolve) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      onLog?.(text);
      if (output.length < 64_000) output += text;
      if (output.includes('database system is ready to accept connections')) resolve();
    });
  });
  const early = done.then(({ code, signal }) => {
    throw new EmbeddedPostgresError(`embedded PostgreSQL exited before accepting connections on port ${port} (exit ${code ?? signal}; is the port taken?): ${lastLines(output)}`);
  });
  try {
    await Promise.race([ready, early]);
  } catch (error) {
    process.removeListener('exit', stopOnExit);
    throw error;
  }
  early.catch(() => {});
  return {
    async stop() {
      process.removeListener('exit', stopOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await done.catch(() => {});
    },
  };
}

function spawnAs(command: string, args: string[], runAs: OsAccount | undefined): ChildProcess {
  return spawn(command, args, {
    ...(runAs ?? {}),
    env: { ...process.env, ...MESSAGES_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The exit of a child, or the spawn failure (EACCES, ENOENT) as an error that names what to do. */
function exited(child: ChildProcess, name: string, runAs: OsAccount | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      const who = runAs ? 'the postgres user' : 'this user';
      reject(new EmbeddedPostgresError(`cannot run ${name} (${error.code ?? error.message}): ${who} cannot execute ${child.spawnfile}`));
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ') || '(no output)';
}
