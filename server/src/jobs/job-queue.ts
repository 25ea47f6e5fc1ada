import { PgBoss, type Job } from 'pg-boss';
import type { StoredImageRef } from '../images/image-files.js';
import type { Logger } from '../shared/logger.js';
import { isShuttingDown } from '../shared/process-lifecycle.js';
import { isPostgresShutdown, SHUTDOWN_SIGNAL_GRACE_MS } from '../db/postgres-errors.js';

/** Make a scope's thumbnails match its tier: the missing heights made, the dropped ones removed. */
export interface ThumbnailSyncJob {
  scope: { tierId: string } | { userId: string };
  /** Image id to continue after: each run does one batch, then queues the next. */
  after?: string;
}

/** Files of deleted images, removed after the rows are gone. */
export interface FileCleanupJob {
  images: StoredImageRef[];
}

export interface JobHandlers {
  thumbnailSync(job: ThumbnailSyncJob): Promise<void>;
  fileCleanup(job: FileCleanupJob): Promise<void>;
  /** Removes files a crash left without an image row (see OrphanSweeper). */
  orphanSweep(): Promise<void>;
  /** Deletes expiring links that expired or were revoked longer ago than the retention period. */
  linkPrune(): Promise<void>;
  /** Deletes audit events older than AUDIT_RETENTION_DAYS. */
  auditPrune(): Promise<void>;
  /** Strips the location from originals stored before stripping was on (see LocationBackfill). */
  locationBackfill(): Promise<void>;
  /** Makes the placeholders of images stored before placeholders (see Placeholders). */
  placeholderBackfill(): Promise<void>;
}

export const QUEUE = {
  thumbnailSync: 'thumbnail-sync',
  fileCleanup: 'file-cleanup',
  orphanSweep: 'orphan-sweep',
  linkPrune: 'link-prune',
  auditPrune: 'audit-prune',
  locationBackfill: 'location-backfill',
  placeholderBackfill: 'placeholder-backfill',
} as const;

/** Hourly, off the full hour when every other cron job in the world runs. */
export const ORPHAN_SWEEP_CRON = '23 * * * *';
/** Daily, at a quiet hour. */
export const LINK_PRUNE_CRON = '41 3 * * *';
/** Daily, at a quiet hour, apart from the link prune. */
export const AUDIT_PRUNE_CRON = '47 3 * * *';
/** Hourly: after the first run it finds nothing, unless originals were stored while ORIGINAL_LOCATION was `keep`. */
export const LOCATION_BACKFILL_CRON = '53 * * * *';
/** Hourly, like the location backfill: after its first run it finds nothing. */
export const PLACEHOLDER_BACKFILL_CRON = '47 * * * *';

/** The maintenance queues: a cron schedule each, and one job queued or running at a time. */
const MAINTENANCE = [
  { queue: QUEUE.orphanSweep, cron: ORPHAN_SWEEP_CRON, handler: 'orphanSweep' },
  { queue: QUEUE.linkPrune, cron: LINK_PRUNE_CRON, handler: 'linkPrune' },
  { queue: QUEUE.auditPrune, cron: AUDIT_PRUNE_CRON, handler: 'auditPrune' },
  { queue: QUEUE.locationBackfill, cron: LOCATION_BACKFILL_CRON, handler: 'locationBackfill' },
  { queue: QUEUE.placeholderBackfill, cron: PLACEHOLDER_BACKFILL_CRON, handler: 'placeholderBackfill' },
] as const;

const CLEANUP_CHUNK = 200;

/**
 * Background work on PostgreSQL through pg-boss: no new infrastructure, jobs survive restarts, and
 * SKIP LOCKED hands each job to one worker across every instance. pg-boss keeps its tables in the
 * `pgboss` schema and versions them itself; the app's own schema stays in MikroORM migrations.
 */
export class JobQueue {
  private working = false;

  private constructor(
    private readonly boss: PgBoss,
    private readonly logger: Logger,
  ) {}

  /**
   * `schedule` makes this instance one of those that turn cron schedules into jobs (pg-boss lets only
   * one of them do it per pass); processes that take jobs have it, the others need not.
   */
  static async start(databaseUrl: string, logger: Logger, { schedule = false }: { schedule?: boolean } = {}): Promise<JobQueue> {
    const boss = new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', max: 4, application_name: 'image-api-jobs', schedule });
    boss.on('error', (error) => {
      if (isPostgresShutdown(error) && !isShuttingDown()) {
        setTimeout(() => logJobQueueError(logger, error, isShuttingDown()), SHUTDOWN_SIGNAL_GRACE_MS).unref();
        return;
      }
      logJobQueueError(logger, error, isShuttingDown());
    });
    await boss.start();
    // stately: one queued and one running sync per scope, so a burst of tier edits coalesces
    await boss.createQueue(QUEUE.thumbnailSync, { policy: 'stately', retryLimit: 10, retryDelay: 5, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 900 });
    await boss.createQueue(QUEUE.fileCleanup, { retryLimit: 10, retryDelay: 5, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 300 });
    for (const { queue, cron } of MAINTENANCE) {
      // exclusive: one run queued or running at a time, so a backlog never piles up; a failed one is
      // not retried, the next scheduled one is
      await boss.createQueue(queue, { policy: 'exclusive', retryLimit: 0, expireInSeconds: 1800 });
      // an upsert by name: every instance may write it, there is still one schedule
      if (schedule) await boss.schedule(queue, cron, null, { tz: 'UTC' });
    }
    return new JobQueue(boss, logger);
  }

  async syncThumbnails(job: ThumbnailSyncJob): Promise<void> {
    const scope = job.scope;
    const key = 'tierId' in scope ? `tier:${scope.tierId}` : `user:${scope.userId}`;
    await this.boss.send(QUEUE.thumbnailSync, job, { singletonKey: key });
  }

  async cleanupFiles(images: readonly StoredImageRef[]): Promise<void> {
    const jobs = [];
    for (let i = 0; i < images.length; i += CLEANUP_CHUNK) {
      jobs.push({ data: { images: images.slice(i, i + CLEANUP_CHUNK).map(({ id, format }) => ({ id, format })) } });
    }
    if (jobs.length) await this.boss.insert(QUEUE.fileCleanup, jobs);
  }

  /** Starts taking jobs in this process. */
  async work(handlers: JobHandlers): Promise<void> {
    this.working = true;
    await this.boss.work<ThumbnailSyncJob>(QUEUE.thumbnailSync, { pollingIntervalSeconds: 2 }, (jobs) => this.each(jobs, handlers.thumbnailSync));
    await this.boss.work<FileCleanupJob>(QUEUE.fileCleanup, { pollingIntervalSeconds: 2 }, (jobs) => this.each(jobs, handlers.fileCleanup));
    for (const { queue, handler } of MAINTENANCE) {
      await this.boss.work(queue, { pollingIntervalSeconds: 30 }, (jobs) => this.each(jobs, () => handlers[handler]()));
    }
  }

  /** Queues one prune of old expiring links now, besides the daily one. */
  async pruneLinks(): Promise<void> {
    await this.boss.send(QUEUE.linkPrune, null);
  }

  /** Queues one prune of old audit events now, besides the daily one. */
  async pruneAudit(): Promise<void> {
    await this.boss.send(QUEUE.auditPrune, null);
  }

  /** Queues one location backfill now, besides the hourly one (at start, so upgraded stores are done soon). */
  async backfillLocation(): Promise<void> {
    await this.boss.send(QUEUE.locationBackfill, null);
  }

  /** Queues one placeholder backfill now, besides the hourly one (at start, like the location backfill). */
  async backfillPlaceholders(): Promise<void> {
    await this.boss.send(QUEUE.placeholderBackfill, null);
  }

  /** Queues one orphan sweep now, besides the hourly one. */
  async sweepOrphans(): Promise<void> {
    await this.boss.send(QUEUE.orphanSweep, null);
  }

  /**
   * Runs every job queued now or queued by the jobs it runs, then returns: for tests, which drive the
   * queue step by step instead of waiting for a poll. `limit` stops after that many jobs.
   */
  async drain(handlers: JobHandlers, limit = Infinity): Promise<number> {
    // in this order: a sync or cleanup first, then the maintenance jobs
    const queues: Array<[string, (data: never) => Promise<void>]> = [
      [QUEUE.thumbnailSync, (data: ThumbnailSyncJob) => handlers.thumbnailSync(data)],
      [QUEUE.fileCleanup, (data: FileCleanupJob) => handlers.fileCleanup(data)],
      ...MAINTENANCE.map(({ queue, handler }): [string, () => Promise<void>] => [queue, () => handlers[handler]()]),
    ];
    let done = 0;
    while (done < limit) {
      let next: { job: Job<never>; handle: (data: never) => Promise<void> } | undefined;
      for (const [queue, handle] of queues) {
        const [job] = await this.boss.fetch<never>(queue);
        if (job) {
          next = { job, handle };
          break;
        }
      }
      if (!next) return done;
      const { job, handle } = next;
      try {
        await handle(job.data);
        await this.boss.complete(job.name, job.id);
      } catch (error) {
        await this.boss.fail(job.name, job.id, { message: String(error) });
        throw error;
      }
      done++;
    }
    return done;
  }

  /** Jobs waiting or running, by queue (the metrics read it). */
  async depth(): Promise<Record<string, number>> {
    const queues = await this.boss.getQueues(Object.values(QUEUE));
    return Object.fromEntries(queues.map((queue) => [queue.name, queue.queuedCount + queue.activeCount]));
  }

  /**
   * Jobs queued (created or waiting to retry), running and failed, by queue, counted now in pg-boss's
   * job table (by its index of live states), not from the queue table's counts, which pg-boss refreshes
   * only every minute.
   */
  async stateCounts(): Promise<Array<{ queue: string; queued: number; running: number; failed: number }>> {
    const { rows } = await this.boss.getDb().executeSql(
      `select name, count(*) filter (where state in ('created', 'retry'))::int as queued, count(*) filter (where state = 'active')::int as running,
              count(*) filter (where state = 'failed')::int as failed
         from pgboss.job where name = any($1::text[]) and state in ('created', 'retry', 'active', 'failed') group by name`,
      [Object.values(QUEUE)],
    );
    const counted = new Map((rows as Array<{ name: string; queued: number; running: number; failed: number }>).map((row) => [row.name, row]));
    return Object.values(QUEUE)
      .sort()
      .map((queue) => ({ queue, queued: counted.get(queue)?.queued ?? 0, running: counted.get(queue)?.running ?? 0, failed: counted.get(queue)?.failed ?? 0 }));
  }

  /** Stops taking jobs and lets the running ones finish (up to `timeoutMs`), then closes the pool. */
  async stop(timeoutMs = 30_000): Promise<void> {
    await this.boss.stop({ graceful: this.working, timeout: timeoutMs, close: true });
  }

  private async each<T>(jobs: Job<T>[], handle: (data: T) => Promise<void>): Promise<void> {
    for (const job of jobs) {
      try {
        await handle(job.data);
      } catch (error) {
        this.logger.warn({ err: error, job: job.name, jobId: job.id, retry: job.retryCount }, 'job failed; pg-boss retries it');
        throw error;
      }
    }
  }
}


/**
 * An error pg-boss reports. While this process shuts down, PostgreSQL ending the queue's connections
 * is expected (Ctrl-C reaches the embedded one along with the server): a note, not an error.
 */
export function logJobQueueError(logger: Logger, error: unknown, shuttingDown: boolean): void {
  if (shuttingDown && isPostgresShutdown(error)) {
    logger.info({ code: (error as { code?: string }).code }, 'job queue connection closed: PostgreSQL is shutting down too');
    return;
  }
  logger.error({ err: error }, 'job queue error');
}
