import type { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import type { Storage } from '../storage/storage.js';
import { checkReadiness } from './readiness.js';

// the database and storage faults themselves are made for real in the fault tests; here only the verdict
const database = (execute: () => Promise<unknown>) => ({ em: { getConnection: () => ({ execute }) } }) as unknown as MikroORM;
const storage = (read: () => Promise<Buffer | undefined>, freeBytes?: () => Promise<number>) => ({ read, freeBytes }) as unknown as Storage;
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) });
const healthy = { orm: database(async () => [{ '?column?': 1 }]), storage: storage(async () => undefined), logger, isStopping: () => false, minFreeBytes: 1000 };

describe(checkReadiness.name, () => {
  it('is ready when both answer', async () => {
    expect(await checkReadiness(healthy)).toEqual({ ready: true, status: 'ready', checks: { database: 'ok', storage: 'ok' } });
  });

  it('stays ready but says degraded when the volume has less free space than the floor', async () => {
    const nearlyFull = { ...healthy, storage: storage(async () => undefined, async () => 999) };
    expect(await checkReadiness(nearlyFull)).toEqual({ ready: true, status: 'degraded', checks: { database: 'ok', storage: 'ok', storageSpace: 'low' } });
    const roomy = { ...healthy, storage: storage(async () => undefined, async () => 1000) };
    expect(await checkReadiness(roomy)).toEqual({ ready: true, status: 'ready', checks: { database: 'ok', storage: 'ok', storageSpace: 'ok' } });
  });

  it('stays ready when only the free-space figure cannot be read', async () => {
    const unknown = { ...healthy, storage: storage(async () => undefined, () => Promise.reject(new Error('statfs EIO'))) };
    expect(await checkReadiness(unknown)).toMatchObject({ ready: true, status: 'degraded', checks: { storageSpace: 'failed' } });
  });

  it('names the failing part without telling the caller why, and logs the cause', async () => {
    lines.length = 0;
    const result = await checkReadiness({ ...healthy, orm: database(() => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:5432'))) });
    expect(result).toEqual({ ready: false, status: 'unavailable', checks: { database: 'failed', storage: 'ok' } });
    expect(JSON.stringify(lines)).toContain('10.1.2.3');
  });

  it('counts a check that hangs as failed instead of hanging itself', async () => {
    const result = await checkReadiness({ ...healthy, storage: storage(() => new Promise(() => {})), timeoutMs: 20 });
    expect(result).toEqual({ ready: false, status: 'unavailable', checks: { database: 'ok', storage: 'failed' } });
  });

  it('is not ready once shutdown has begun', async () => {
    expect(await checkReadiness({ ...healthy, isStopping: () => true })).toMatchObject({ ready: false, status: 'unavailable', checks: { shutdown: 'stopping' } });
  });
});
