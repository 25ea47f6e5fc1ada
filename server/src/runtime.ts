import { tmpdir } from 'node:os';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AuditTrail } from './audit/audit-trail.js';
import { AuditService } from './audit/audit.service.js';
import { AuthTokens } from './auth/auth-token.js';
import { Authenticator } from './auth/authenticator.js';
import { CredentialCache } from './auth/credential-cache.js';
import type { Config } from './config/env.js';
import { resolveSecrets } from './config/secrets.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.js';
import { NotificationListener } from './db/notification-listener.js';
import { createOrm, migrate, underStartupLock } from './orm.js';
import type { Sql } from './db/sql.js';
import type { AppDeps } from './graphql/context.js';
import { ImageFiles } from './images/image-files.js';
import { OrphanSweeper } from './images/orphan-sweeper.js';
import { LocationBackfill } from './images/location/location-backfill.js';
import { Placeholders } from './images/placeholders.js';
import { ProcessingPool } from './images/processing-pool.js';
import { ThumbnailCache } from './images/thumbnail-cache.js';
import { ThumbnailService } from './images/thumbnail.service.js';
import { ThumbnailSync } from './images/thumbnail-sync.js';
import { Background } from './jobs/background.js';
import { JobQueue, type JobHandlers } from './jobs/job-queue.js';
import { accessNotifications } from './links/access-notifications.js';
import { LinkSigner } from './links/link-signer.js';
import { ServingFactsCache } from './links/serving-facts.js';
import { LinkUrls } from './links/link-urls.js';
import { LinkService } from './links/link.service.js';
import { Metrics } from './observability/metrics.js';
import { QuotaService } from './quotas/quota.service.js';
import { systemClock, type Clock } from './shared/clock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { createStorage } from './storage/create-storage.js';
import { ensureAdmin, type BootstrapResult } from './users/admin-bootstrap.js';

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Sees every SQL statement (tests count queries with it). */
  onQuery?: (sql: string) => void;
  /** Without DATABASE_URL: join the embedded PostgreSQL a server already runs on DATA_DIR (one-off commands). */
  shareEmbedded?: boolean;
  /** One of several server processes on one port (a cluster worker; see cluster/primary.ts). */
  clusterWorker?: boolean;
}

/** Everything but HTTP: the database, storage, image workers and job queue that server and worker share. */
export interface Runtime {
  deps: AppDeps;
  /** The database every process of this instance uses: DATABASE_URL, or the embedded PostgreSQL's. */
  databaseUrl: string;
  admin: BootstrapResult | undefined;
  /** Removes files that crashes left behind; the hourly job and the `sweep` command call it. */
  sweeper: OrphanSweeper;
  /** Lets running jobs finish, then closes the queue, the database and the embedded PostgreSQL. */
  close(): Promise<void>;
}

/**
 * Starts the shared parts. `work` makes this process take background jobs (the server does unless
 * JOBS_WORKER=off; the worker process always does).
 */
export async function startRuntime(config: Config, options: StartOptions & { work: boolean }): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const secrets = await resolveSecrets(config);

  let embedded: EmbeddedDatabase | undefined;
  let orm: MikroORM | undefined;
  let jobs: JobQueue | undefined;
  let notifications: NotificationListener | undefined;
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      logger.info({ dir: config.dataDir, port: config.embeddedPgPort }, 'starting embedded PostgreSQL');
      embedded = await startEmbeddedPostgres({ dir: config.dataDir, clusterDir: config.embeddedPgDir, port: config.embeddedPgPort, logger, shareRunning: options.shareEmbedded });
      databaseUrl = embedded.url;
    }
    // start-up work on connections without the statement timeout: a migration may rightly run long
    const startup = await createOrm({ clientUrl: databaseUrl, logger, poolMax: 3 });
    let admin: BootstrapResult | undefined;
    try {
      admin = await underStartupLock(startup, async () => {
        await migrate(startup);
        return ensureAdmin(startup.em.fork(), config.admin, logger, AuditTrail.system(clock));
      });
    } finally {
      await startup.close(true);
    }
    orm = await createOrm({ clientUrl: databaseUrl, logger, onQuery: options.onQuery, statementTimeoutMs: config.dbStatementTimeoutMs });

    const storage = createStorage(config);
    await storage.init();
    const metrics = new Metrics();
    const freeBytes = storage.freeBytes?.bind(storage);
    if (freeBytes) metrics.gauge('storage_free_bytes', 'Bytes still free on the local storage volume', freeBytes, 'max');
    const thumbnailCache = new ThumbnailCache(config.thumbnailCache, {
      hit: () => metrics.thumbnailCacheHits.inc(),
      miss: () => metrics.thumbnailCacheMisses.inc(),
    });
    metrics.gauge('thumbnail_cache_bytes', 'Bytes of thumbnails held in the in-memory cache', () => thumbnailCache.size);
    const files = new ImageFiles(storage, thumbnailCache);
    const pool = new ProcessingPool(config.imageWorkers, config.imageQueueLimit, {
      waited: (seconds) => metrics.imageQueueWait.observe(seconds),
      ran: (trigger, seconds) => metrics.imageProcessing.observe({ trigger }, seconds),
    });
    metrics.gauge('image_processing_queue_depth', 'Image jobs waiting for a worker', () => pool.stats.waiting);
    metrics.gauge('image_processing_running', 'Image jobs holding a worker', () => pool.stats.running);

    jobs = await JobQueue.start(databaseUrl, logger, { schedule: options.work });
    const queue = jobs;
    metrics.gauge('background_jobs_queued', 'Background jobs waiting or running, all queues', async () =>
      Object.values(await queue.depth()).reduce((sum, n) => sum + n, 0), 'max',
    );
    const thumbnails = new ThumbnailService(orm, files, pool, config.maxImagePixels, (count) => metrics.thumbnailsGenerated.inc(count), logger, config.pregenerateFormats);
    const sync = new ThumbnailSync(orm, thumbnails, files, jobs, config.jobsBatchSize);
    const sweeper = new OrphanSweeper(orm.em.fork(), storage, clock, logger, {
      graceSeconds: config.orphanGraceSeconds,
      uploadTmpDir: config.uploadTmpDir,
      multipartTmpDir: tmpdir(),
    });
    const jobsEm = orm.em;
    const backfill = new LocationBackfill(orm.em, files, logger, config.jobsBatchSize);
    const placeholders = new Placeholders(orm.em, files, pool, config.maxImagePixels, logger);
    const jobHandlers: JobHandlers = {
      thumbnailSync: (job) => sync.run(job),
      fileCleanup: (job) => files.removeAll(job.images),
      orphanSweep: async () => {
        await sweeper.sweep();
        // the same hourly beat: upload records that left the rate window
        await QuotaService.prune(jobsEm, clock);
      },
      linkPrune: async () => {
        const deleted = await LinkService.prune(jobsEm.fork(), clock, config.linkRetentionDays);
        if (deleted > 0) logger.info({ deleted }, 'pruned expired and revoked links');
      },
      placeholderBackfill: async () => {
        await placeholders.backfill(Date.now() + 20 * 60_000, config.jobsBatchSize);
      },
      auditPrune: async () => {
        const deleted = await AuditService.prune(jobsEm.fork(), clock, config.auditRetentionDays);
        if (deleted > 0) logger.info({ deleted }, 'pruned audit events past their retention');
      },
      locationBackfill: async () => {
        // well inside the queue's 30-minute expiry; the next run goes on where this one stopped
        if (config.originalLocation === 'strip') await backfill.run(Date.now() + 20 * 60_000);
      },
    };
    if (options.work) {
      await jobs.work(jobHandlers);
      if (config.originalLocation === 'strip') await jobs.backfillLocation();
      await jobs.backfillPlaceholders();
    }
    const ormPool = await orm.em.getConnection().getNativeClient();
    const onQuery = options.onQuery;
    // the named statements bypass the ORM's query log; whoever watches that sees them too
    const sql: Sql = onQuery ? { query: ((config: { text: string }, ...rest: unknown[]) => (onQuery(config.text), (ormPool.query as (...args: unknown[]) => unknown).call(ormPool, config, ...rest))) as Sql['query'] } : ormPool;
    const servingFacts = new ServingFactsCache(ormPool, config.linkAccessCache, clock);
    metrics.gauge('link_access_cache_entries', 'Images whose serving facts this process holds', () => servingFacts.size);
    const credentials = new CredentialCache(sql, clock);
    // one connection LISTENs for both caches: what links grant, and who credentials sign in
    notifications = new NotificationListener(databaseUrl, [accessNotifications(servingFacts), credentials], logger);
    await notifications.start();
    const tokens = new AuthTokens(secrets.authSecret, config.authTokenTtlSeconds, clock);

    const deps: AppDeps = {
      config,
      orm,
      files,
      pool,
      thumbnails,
      links: new LinkUrls(config.publicUrl, new LinkSigner(secrets.linkSigningKeys)),
      tokens,
      credentials,
      authenticator: new Authenticator(tokens, credentials, clock),
      clock,
      logger,
      metrics,
      jobs,
      background: new Background(jobs, files, logger),
      jobHandlers,
      servingFacts,
      sql,
      placeholders,
    };
    const ormToClose = orm;
    const listener = notifications;
    return {
      deps,
      databaseUrl,
      admin,
      sweeper,
      async close() {
        await listener.stop();
        await queue.stop();
        await ormToClose.close(true);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await notifications?.stop();
    await jobs?.stop().catch(() => {});
    await orm?.close(true);
    await embedded?.stop();
    throw error;
  }
}
