import type { Config } from '../config/env.js';

/**
 * The settings each of `workers` server processes gets, as environment variables over the primary's
 * own: the totals the operator set (image threads, requests in flight, queues) are shared out, so
 * processes × image threads stay within the cores and admission control still bounds the whole.
 * Workers join the database the primary runs and leave background jobs to it.
 */
export function workerShare(config: Config, workers: number, databaseUrl: string, port: number): Record<string, string> {
  const share = (total: number) => String(total === 0 ? 0 : Math.max(1, Math.ceil(total / workers)));
  return {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    JOBS_WORKER: 'off',
    IMAGE_WORKERS: String(Math.max(1, Math.floor(config.imageWorkers / workers))),
    IMAGE_QUEUE_LIMIT: share(config.imageQueueLimit),
    MAX_REQUESTS_IN_FLIGHT: share(config.admission.maxInFlight),
    MAX_REQUESTS_QUEUED: share(config.admission.maxQueued),
    // a worker never forks again
    WEB_CONCURRENCY: '1',
  };
}
