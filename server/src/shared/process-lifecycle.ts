import { ConfigError, loadConfig, type Config } from '../config/env.js';
import type { Logger } from './logger.js';

/** The validated config, or the process ends with the message that names every bad variable. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

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
