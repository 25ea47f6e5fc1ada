import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { isShuttingDown } from '../shared/process-lifecycle.js';
import { isPostgresShutdown, SHUTDOWN_SIGNAL_GRACE_MS } from './postgres-errors.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
export const LISTENER_APPLICATION_NAME = 'image-api-access-listener';

/** An in-process cache kept right by the NOTIFYs of one channel. */
export interface NotificationHandler {
  readonly channel: string;
  /** A payload sent on the channel, by this instance or any other. */
  notify(payload: string): void;
  /**
   * False when notifications may be missed (the connection dropped), true once listening again: the
   * handler then starts from nothing, since whatever changed while nobody listened is unknown.
   */
  setTrusted(trusted: boolean): void;
}

/**
 * Holds one connection that LISTENs on the handlers' channels for every instance's changes and passes
 * them on. A handler is trusted only while this connection is up: when it drops, each is told so and
 * reads the database until the connection is back and listening again.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly handlers: readonly NotificationHandler[],
    private readonly logger: Logger,
  ) {}

  /** Resolves once listening, or once the first attempt failed (retries then go on in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.setTrusted(false);
    await this.client?.end().catch(() => {});
  }

  private setTrusted(trusted: boolean): void {
    for (const handler of this.handlers) handler.setTrusted(trusted);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: LISTENER_APPLICATION_NAME, keepAlive: true });
    this.client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      this.setTrusted(false);
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.stopped) return;
      const note = () => this.logger.warn({ err: error, retryMs: this.retryMs }, 'change notifications lost: links and sign-ins read the database until they are back');
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
      if (!message.payload) return;
      for (const handler of this.handlers) if (handler.channel === message.channel) handler.notify(message.payload);
    });
    try {
      await client.connect();
      for (const channel of new Set(this.handlers.map((handler) => handler.channel))) await client.query(`listen ${channel}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.stopped || lost) return;
    this.setTrusted(true);
    this.retryMs = RETRY_MIN_MS;
  }
}
