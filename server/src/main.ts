import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/env.js';
import { startServer } from './server.js';
import { createLogger } from './shared/logger.js';

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
  const server = await startServer(config, { logger });
  if (server.admin?.generatedPassword) {
    // shown once: only the hash is stored
    console.log(`\nCreated admin account "${server.admin.username}" with password: ${server.admin.generatedPassword}\n`);
  }
  logger.info(
    { graphql: `${config.publicUrl}/graphql`, admin: `${config.publicUrl}/admin/` },
    `image API ready at ${config.publicUrl}/graphql, admin app at ${config.publicUrl}/admin/`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    try {
      await server.stop();
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
  console.error('failed to start:', error);
  process.exit(1);
});
