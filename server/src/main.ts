import 'reflect-metadata';
import { startServer } from './server.js';
import { createLogger } from './shared/logger.js';
import { loadConfigOrExit, stopOnSignals } from './shared/process-lifecycle.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
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
  stopOnSignals(logger, 'server', () => server.stop());
}

main().catch((error) => {
  console.error('failed to start:', error);
  process.exit(1);
});
