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
  /** Free storage space under which the instance reports itself degraded. */
  minFreeBytes: number;
  /** How long each check may take before it counts as failed. */
  timeoutMs?: number;
}

export interface Readiness {
  /** Whether a load balancer should send requests here: the database and the storage answer. */
  ready: boolean;
  /** `degraded`: ready, but something an operator must fix soon, such as a nearly full volume. */
  status: 'ready' | 'degraded' | 'unavailable';
  checks: Record<string, string>;
}

/**
 * Whether this instance can serve: `/readyz` is 200 only when the database and the storage both answer.
 * A nearly full volume keeps it ready, since every read still works, but marks it degraded.
 */
export async function checkReadiness({ orm, storage, logger, isStopping, minFreeBytes, timeoutMs = CHECK_TIMEOUT_MS }: ReadinessDeps): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const run = async (name: string, check: () => Promise<string | void>) => {
    try {
      checks[name] = (await within(timeoutMs, check())) ?? 'ok';
    } catch (error) {
      // the cause goes to the log, not to whoever can reach /readyz
      logger.warn({ err: error, check: name }, 'readiness check failed');
      checks[name] = 'failed';
    }
  };
  const space = storage.freeBytes?.bind(storage);
  await Promise.all([
    run('database', () => orm.em.getConnection().execute('select 1').then(() => undefined)),
    run('storage', () => storage.read(PROBE_KEY).then(() => undefined)),
    space ? run('storageSpace', async () => ((await space()) < minFreeBytes ? 'low' : 'ok')) : undefined,
  ]);
  if (isStopping()) checks.shutdown = 'stopping';
  const ready = checks.database === 'ok' && checks.storage === 'ok' && !checks.shutdown;
  const degraded = Object.values(checks).some((status) => status !== 'ok');
  return { ready, status: !ready ? 'unavailable' : degraded ? 'degraded' : 'ready', checks };
}

export function healthRoutes(deps: ReadinessDeps): Router {
  const router = Router();
  // liveness: the process answers; restarting it would not fix a database outage
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, status, checks } = await checkReadiness(deps);
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({ status, checks });
  });
  return router;
}
