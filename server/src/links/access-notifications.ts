import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { isShuttingDown } from '../shared/process-lifecycle.js';
import { isPostgresShutdown, SHUTDOWN_SIGNAL_GRACE_MS } from '../db/postgres-errors.js';
import { ACCESS_CHANNEL } from '../db/access-triggers.js';
import { parseAccessChange, type ServingFactsCache } from './serving-facts.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
export const LISTENER_APPLICATION_NAME = 'image-api-access-listener';

/**
 * Holds one connection that LISTENs for access changes from every instance and passes them to the
 * cache. The cache is trusted only while this connection is up: when it drops, the cache is cleared
 * and every lookup reads the database until the connection is back and listening again.
 */
export class AccessNotifications {
  private client: pg.Client | undefined;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly cache: ServingFactsCache,
    private readonly logger: Logger,
  ) {}

  /** Resolves once listening, or once the first attempt failed (retries then go on in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.cache.setTrusted(false);
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: LISTENER_APPLICATION_NAME, keepAlive: true });
    this.client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      this.cache.setTrusted(false);
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.stopped) return;
      const note = () => this.logger.warn({ err: error, retryMs: this.retryMs }, 'access notifications lost: links read the database until they are back');
      // PostgreSQL's shutdown notice can be read before this process's own signal handler has run
      if (isPostgresShutdown(error) && !isShuttingDown()) setTimeout(() => !isShuttingDown() && note(), SHUTDOWN_SIGNAL_GRACE_MS).unref();
      else if (!isShuttingDown()) note();
      this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      const change = message.channel === ACCESS_CHANNEL && message.payload ? parseAccessChange(message.payload) : undefined;
      if (change) this.cache.forget(change);
    });
    try {
      await client.connect();
      await client.query(`listen ${ACCESS_CHANNEL}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.stopped || lost) return;
    // whatever changed while nobody listened is unknown: setTrusted starts from an empty cache
    this.cache.setTrusted(true);
    this.retryMs = RETRY_MIN_MS;
  }
}
