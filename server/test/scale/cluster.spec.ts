import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { until } from '../support/polling.js';
import { startServerProcess, type KillableServerProcess } from '../support/server-process.js';
import { postgresReachableTempDir } from '../support/temp-dir.js';

// The product as it starts by default on a machine with several cores: WEB_CONCURRENCY server
// processes under node:cluster, the primary owning the embedded PostgreSQL and the background jobs.

const METRICS_TOKEN = 'cluster-metrics-token-0123456789';
const WORKERS = 2;

let dataDir: string;
let server: KillableServerProcess;

beforeAll(async () => {
  dataDir = await postgresReachableTempDir('imageapi-cluster-');
  server = await startServerProcess(
    { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), WEB_CONCURRENCY: String(WORKERS), METRICS_TOKEN, LOG_LEVEL: 'info' },
    120_000,
  );
  // /readyz answers once one worker listens; the primary says when all do
  await until(async () => server.output().includes('server workers listening'), 'every worker to listen', 30_000);
});
afterAll(async () => {
  await server?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

/** The node processes the primary started (PostgreSQL, its other child, is left out). */
function workerPids(primary: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === primary && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/main.js');
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
}

/** GET on a connection of its own, so the kernel picks a worker for each. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false, headers: { connection: 'close' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

async function readyzCount(): Promise<number> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  const line = (await response.text()).split('\n').find((l) => l.startsWith('http_request_duration_seconds_count{route="/readyz",method="GET",status="200"}'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('WEB_CONCURRENCY server processes', () => {
  it('runs that many workers on one port beside the primary, which owns the embedded PostgreSQL', () => {
    expect(workerPids(server.pid)).toHaveLength(WORKERS);
    expect(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]).toMatch(/^\d+$/);
  });

  it('counts every request in one scrape, whichever worker served it', async () => {
    const before = await readyzCount();
    const statuses = await Promise.all(Array.from({ length: 40 }, () => getOnNewConnection(`${server.url}/readyz`)));
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect((await readyzCount()) - before).toBe(40);
  });

  it('starts another worker when one dies, and keeps serving meanwhile', async () => {
    const [victim, ...others] = workerPids(server.pid);
    process.kill(victim!, 'SIGKILL');
    // connections the kernel had already queued at the killed worker's sockets die with it (as with
    // any crashed process); within moments every new one goes to the living, long before the restart
    const served = async () => (await Promise.all(Array.from({ length: 10 }, () => getOnNewConnection(`${server.url}/readyz`).catch(() => 0)))).every((status) => status === 200);
    await until(served, 'the living worker to take every new connection', 2_000);
    await until(async () => {
      const now = workerPids(server.pid);
      return now.length === WORKERS && !now.includes(victim!) && others.every((pid) => now.includes(pid));
    }, 'a replacement worker', 30_000);
    await until(async () => server.output().includes('server worker died'), 'the death to be logged', 5_000);
  });

  it('stops every worker and then PostgreSQL on SIGTERM to the primary, exiting 0', async () => {
    const workers = workerPids(server.pid);
    const code = await server.stop();
    expect(code, server.output()).toBe(0);
    for (const pid of workers) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    // the one error is the death the test above caused
    expect(server.output().split('\n').filter((line) => line.includes('"level":50') && !line.includes('server worker died'))).toEqual([]);
  });
});
