import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/env.js';
import { startRuntime } from './runtime.js';
import { createLogger } from './shared/logger.js';

/** A process that only runs background jobs, for deployments that keep them off the API servers. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const runtime = await startRuntime(config, { logger, work: true });
  logger.info('background worker ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down: finishing running jobs');
    try {
      await runtime.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error('worker failed to start:', error);
  process.exit(1);
});
