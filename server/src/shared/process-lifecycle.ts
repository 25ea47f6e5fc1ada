import type { Logger } from './logger.js';

let shuttingDown = false;

/** True from the first SIGTERM or SIGINT on: what fails from then on may be the shutdown itself. */
export function isShuttingDown(): boolean {
  return shuttingDown;
}

/**
 * Stops once on SIGTERM or SIGINT and exits 0 when `stop` finished cleanly, 1 when it failed; a
 * second signal while stopping is ignored, so an impatient Ctrl-C cannot cut the drain short.
 */
export function stopOnSignals(logger: Logger, what: string, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    shuttingDown = true;
    logger.info({ signal }, `${what} shutting down: finishing work in flight`);
    try {
      await stop();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
