import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ProductServer {
  url: string;
  adminUsername: string;
  adminPassword: string;
  /**
   * Starts a background worker process (`node dist/worker.js`) on the same database and media folder,
   * for a server started with JOBS_WORKER=off: its jobs wait until then. Stopped with the server.
   */
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * The product as `pnpm start` runs it, built: the server's dist in production mode with its embedded
 * PostgreSQL in a throwaway folder, serving the built admin app at /admin.
 */
export async function startProductServer({ env: extraEnv = {} }: { env?: Record<string, string> } = {}): Promise<ProductServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'admin-e2e-'));
  // as root the embedded PostgreSQL runs as the postgres user, which must enter this folder
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const adminUsername = 'root';
  const adminPassword = 'root-password-e2e';
  const serverDir = resolve(import.meta.dirname, '../../../server');
  const pgPort = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    EMBEDDED_PG_PORT: String(pgPort),
    DATA_DIR: dataDir,
    AUTH_SECRET: 'e2e-auth-secret-0123456789-0123456789',
    LINK_SIGNING_KEYS: 'e2e-link-key-0123456789-0123456789-01',
    ADMIN_USERNAME: adminUsername,
    ADMIN_PASSWORD: adminPassword,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], { cwd: serverDir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  let worker: { child: ChildProcess; exited: Promise<unknown> } | undefined;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before it was ready`);
    const ready = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the server did not become ready in 90 s');
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  return {
    url,
    adminUsername,
    adminPassword,
    async startWorker() {
      // the server's embedded PostgreSQL, as bench/lib/product.ts reaches it: its password is in DATA_DIR
      const password = (await readFile(join(dataDir, 'pg-password'), 'utf8')).trim();
      const databaseUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/imageapi`;
      const spawned = spawn(process.execPath, ['dist/worker.js'], { cwd: serverDir, env: { ...env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'inherit', 'inherit'] });
      worker = { child: spawned, exited: new Promise((done) => spawned.once('exit', done)) };
    },
    async stop() {
      if (worker) {
        worker.child.kill('SIGTERM');
        await Promise.race([worker.exited, new Promise((done) => setTimeout(done, 20_000))]);
      }
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((done) => setTimeout(() => done('timeout'), 20_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
