import type { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import type { Storage } from '../storage/storage.js';
import { checkReadiness } from './readiness.js';

// the database and storage faults themselves are made for real in the fault tests; here only the verdict
const database = (execute: () => Promise<unknown>) => ({ em: { getConnection: () => ({ execute }) } }) as unknown as MikroORM;
const storage = (read: () => Promise<Buffer | undefined>) => ({ read }) as unknown as Storage;
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) });
const healthy = { orm: database(async () => [{ '?column?': 1 }]), storage: storage(async () => undefined), logger, isStopping: () => false };

describe(checkReadiness.name, () => {
  it('is ready when both answer', async () => {
    expect(await checkReadiness(healthy)).toEqual({ ready: true, checks: { database: 'ok', storage: 'ok' } });
  });

  it('names the failing part without telling the caller why, and logs the cause', async () => {
    lines.length = 0;
    const result = await checkReadiness({ ...healthy, orm: database(() => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:5432'))) });
    expect(result).toEqual({ ready: false, checks: { database: 'failed', storage: 'ok' } });
    expect(JSON.stringify(lines)).toContain('10.1.2.3');
  });

  it('counts a check that hangs as failed instead of hanging itself', async () => {
    const result = await checkReadiness({ ...healthy, storage: storage(() => new Promise(() => {})), timeoutMs: 20 });
    expect(result).toEqual({ ready: false, checks: { database: 'ok', storage: 'failed' } });
  });

  it('is not ready once shutdown has begun', async () => {
    expect(await checkReadiness({ ...healthy, isStopping: () => true })).toMatchObject({ ready: false, checks: { shutdown: 'stopping' } });
  });
});
