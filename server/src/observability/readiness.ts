import type { MikroORM } from '@mikro-orm/postgresql';
import { Router } from 'express';
import type { Logger } from '../shared/logger.js';
import type { Storage } from '../storage/storage.js';

const CHECK_TIMEOUT_MS = 3000;

// never stored: reading a missing key proves the storage answers without writing anything
const PROBE_KEY = 'readiness/probe';

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadinessDeps {
  orm: MikroORM;
  storage: Storage;
  logger: Logger;
  /** True once shutdown has begun: a load balancer should stop sending requests. */
  isStopping(): boolean;
  /** How long each check may take before it counts as failed. */
  timeoutMs?: number;
}

/** Whether this instance can serve: `/readyz` is 200 only when the database and the storage both answer. */
export async function checkReadiness({ orm, storage, logger, isStopping, timeoutMs = CHECK_TIMEOUT_MS }: ReadinessDeps): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const checks: Record<string, string> = {};
  const run = async (name: string, check: () => Promise<unknown>) => {
    try {
      await within(timeoutMs, check());
      checks[name] = 'ok';
    } catch (error) {
      // the cause goes to the log, not to whoever can reach /readyz
      logger.warn({ err: error, check: name }, 'readiness check failed');
      checks[name] = 'failed';
    }
  };
  await Promise.all([run('database', () => orm.em.getConnection().execute('select 1')), run('storage', () => storage.read(PROBE_KEY))]);
  if (isStopping()) checks.shutdown = 'stopping';
  return { ready: Object.values(checks).every((status) => status === 'ok'), checks };
}

export function healthRoutes(deps: ReadinessDeps): Router {
  const router = Router();
  // liveness: the process answers; restarting it would not fix a database outage
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, checks } = await checkReadiness(deps);
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  return router;
}
