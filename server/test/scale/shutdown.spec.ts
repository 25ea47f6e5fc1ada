import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startServerProcess } from '../support/server-process.js';

const dataDir = await mkdtemp(join(tmpdir(), 'imageapi-shutdown-'));
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
