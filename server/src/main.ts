import 'reflect-metadata';
import { EmbeddedPostgresError } from './db/embedded-postgres.js';
import { startRuntime } from './runtime.js';
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

/**
 * `node dist/main.js sweep`: one orphan sweep now, beside a running server or without one, printing
 * what it removed as one JSON line. The same sweep runs hourly as a background job.
 */
async function sweep(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  const runtime = await startRuntime(config, { logger, work: false, shareEmbedded: true });
  try {
    const report = await runtime.sweeper.sweep();
    console.log(JSON.stringify({ sweep: { scanned: report.scanned, removed: report.removed, stagedRemoved: report.stagedRemoved } }));
  } finally {
    await runtime.close();
  }
}

const command = process.argv[2];
if (command !== undefined && command !== 'sweep') {
  console.error(`unknown command "${command}"; the only one is "sweep" (no command starts the server)`);
  process.exit(2);
}
(command === 'sweep' ? sweep() : main()).catch((error) => {
  // a cause the operator can fix is one line that says the fix; anything else keeps its stack
  console.error(command === 'sweep' ? 'sweep failed:' : 'failed to start:', error instanceof EmbeddedPostgresError ? error.message : error);
  process.exit(1);
});
