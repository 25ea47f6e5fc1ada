import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ProductServer {
  url: string;
  adminUsername: string;
  adminPassword: string;
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
export async function startProductServer(): Promise<ProductServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'admin-e2e-'));
  // as root the embedded PostgreSQL runs as the postgres user, which must enter this folder
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const adminUsername = 'root';
  const adminPassword = 'root-password-e2e';
  const serverDir = resolve(import.meta.dirname, '../../../server');
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    cwd: serverDir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      EMBEDDED_PG_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      AUTH_SECRET: 'e2e-auth-secret-0123456789-0123456789',
      LINK_SIGNING_KEYS: 'e2e-link-key-0123456789-0123456789-01',
      ADMIN_USERNAME: adminUsername,
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
    async stop() {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((done) => setTimeout(() => done('timeout'), 20_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
