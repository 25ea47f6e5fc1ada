import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { postgresReachableTempDir } from '../support/temp-dir.js';
import { until } from '../support/polling.js';
import { startServerProcess } from '../support/server-process.js';

const dataDir = await postgresReachableTempDir('imageapi-shutdown-');
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('shutdown of the product on its embedded defaults', () => {
  it('answers SIGTERM by stopping its own PostgreSQL last and exiting 0', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'info' }, 120_000);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);
    const code = await server.stop();
    expect(code, server.output()).toBe(0);
    expect(server.output()).toContain('shutting down');
    // PostgreSQL removes its pid file on a clean stop; a killed one leaves it behind
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});

describe('Ctrl-C in the terminal of `pnpm start`', () => {
  const serverDir = resolve(import.meta.dirname, '../..');
  const startProd = JSON.parse(readFileSync(join(serverDir, 'package.json'), 'utf8')).scripts['start:prod'] as string;

  it('reaches the whole process group, yet start:prod ends as the server does, with 0, not killed by the signal', async () => {
    const port = await freePort();
    // as pnpm runs a script: sh -c, with the workspace's .bin (where `node` is itself a shell script) first on PATH
    const script = spawn('sh', ['-c', startProd], {
      cwd: serverDir,
      detached: true,
      env: {
        PATH: `${resolve(serverDir, '../node_modules/.bin')}:${process.env.PATH}`,
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    script.stdout!.on('data', (chunk) => (output += chunk));
    script.stderr!.on('data', (chunk) => (output += chunk));
    const exited = once(script, 'exit');
    // ready as its user sees it: the line `pnpm start` prints once every server process listens
    await until(async () => output.includes('image API ready at'), 'the server to be ready', 120_000);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).ok).toBe(true);

    // a terminal sends SIGINT to every process of its foreground group: the shells, node, PostgreSQL
    process.kill(-script.pid!, 'SIGINT');
    const [code, signal] = await exited;
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(output).toContain('shutting down');
    // PostgreSQL got the same SIGINT and closed the job queue's connections: expected, so nothing is an error
    expect(output.split('\n').filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});
