import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createApp } from './app.js';
import { AuthTokens } from './auth/auth-token.js';
import type { Config } from './config/env.js';
import { resolveSecrets } from './config/secrets.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.js';
import { createOrm, migrate } from './db/orm.js';
import type { AppDeps } from './graphql/context.js';
import { ImageFiles } from './images/image-files.js';
import { ProcessingPool } from './images/processing-pool.js';
import { Metrics } from './observability/metrics.js';
import { ThumbnailService } from './images/thumbnail.service.js';
import { LinkSigner } from './links/link-signer.js';
import { LinkUrls } from './links/link-urls.js';
import { systemClock, type Clock } from './shared/clock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { createStorage } from './storage/create-storage.js';
import { ensureAdmin, type BootstrapResult } from './users/admin-bootstrap.js';

export interface RunningServer {
  url: string;
  port: number;
  deps: AppDeps;
  httpServer: Server;
  admin: BootstrapResult | undefined;
  /** Stops taking requests, lets those in flight finish, then closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Sees every SQL statement (tests count queries with it). */
  onQuery?: (sql: string) => void;
}

/** Everything `main` does short of handling signals: the same path for the product and the tests. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const secrets = await resolveSecrets(config);

  let embedded: EmbeddedDatabase | undefined;
  let orm: MikroORM | undefined;
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      logger.info({ dir: config.dataDir, port: config.embeddedPgPort }, 'starting embedded PostgreSQL');
      embedded = await startEmbeddedPostgres({ dir: config.dataDir, port: config.embeddedPgPort, logger });
      databaseUrl = embedded.url;
    }
    orm = await createOrm({ clientUrl: databaseUrl, logger, onQuery: options.onQuery });
    await migrate(orm);
    const admin = await ensureAdmin(orm.em.fork(), config.admin, logger);

    const storage = createStorage(config);
    await storage.init();
    const files = new ImageFiles(storage);
    const metrics = new Metrics();
    const pool = new ProcessingPool(config.imageWorkers, config.imageQueueLimit, {
      waited: (seconds) => metrics.imageQueueWait.observe(seconds),
      ran: (trigger, seconds) => metrics.imageProcessing.observe({ trigger }, seconds),
    });
    metrics.gauge('image_processing_queue_depth', 'Image jobs waiting for a worker', () => pool.stats.waiting);
    metrics.gauge('image_processing_running', 'Image jobs holding a worker', () => pool.stats.running);
    const deps: AppDeps = {
      config,
      orm,
      files,
      pool,
      thumbnails: new ThumbnailService(files, pool, config.maxImagePixels),
      links: new LinkUrls(config.publicUrl, new LinkSigner(secrets.linkSigningKeys)),
      tokens: new AuthTokens(secrets.authSecret, config.authTokenTtlSeconds, clock),
      clock,
      logger,
      metrics,
    };

    const httpServer = createServer();
    // a slow client may hold a socket only so long (slowloris); uploads get two minutes in all
    httpServer.headersTimeout = 20_000;
    httpServer.requestTimeout = 120_000;
    let stopping = false;
    const app = await createApp(deps, httpServer, () => stopping);
    httpServer.on('request', app.express);
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const ormToClose = orm;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      deps,
      httpServer,
      admin,
      async stop() {
        stopping = true;
        await app.apollo.stop();
        await ormToClose.close(true);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await orm?.close(true);
    await embedded?.stop();
    throw error;
  }
}
