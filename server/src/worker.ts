import 'reflect-metadata';
import { startRuntime } from './runtime.js';
import { createLogger } from './shared/logger.js';
import { loadConfigOrExit } from './config/env.js';
import { stopOnSignals } from './shared/process-lifecycle.js';

/** A process that only runs background jobs, for deployments that keep them off the API servers. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const runtime = await startRuntime(config, { logger, work: true });
  logger.info('background worker ready');
  stopOnSignals(logger, 'worker', () => runtime.close());
}

main().catch((error) => {
  console.error('worker failed to start:', error);
  process.exit(1);
});
