import 'reflect-metadata';
import cluster from 'node:cluster';
import { reportReady, ServerCluster } from './cluster/primary.js';
import { loadConfigOrExit, type Config } from './config/env.js';
import { EmbeddedPostgresError } from './db/embedded-postgres.js';
import { DRAIN_GRACE_MS } from './app.js';
import { startRuntime } from './runtime.js';
import { startServer } from './server.js';
import { createLogger, type Logger } from './shared/logger.js';
import { isShuttingDown, stopOnSignals } from './shared/process-lifecycle.js';
import type { BootstrapResult } from './users/admin-bootstrap.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  if (cluster.isWorker) {
    const starting = startServer(config, { logger, clusterWorker: true });
    // from the first moment: the terminal's Ctrl-C reaches workers that are still starting too
    stopOnSignals(logger, 'server worker', () => starting.then((server) => server.stop(), () => {}));
    await starting;
    reportReady();
    return;
  }
  if (config.webConcurrency > 1) {
    // the primary: what must run once (database, migrations, admin, background jobs), then the workers
    const runtime = await startRuntime(config, { logger, work: config.jobsWorker });
    const workers = new ServerCluster(config, runtime, logger, { workers: config.webConcurrency, drainMs: DRAIN_GRACE_MS });
    stopOnSignals(logger, 'server', async () => {
      await workers.stop();
      await runtime.close();
    });
    try {
      await workers.start();
    } catch (error) {
      await runtime.close();
      throw error;
    }
    if (!isShuttingDown()) announce(config, logger, runtime.admin);
    return;
  }
  const server = await startServer(config, { logger });
  announce(config, logger, server.admin);
  stopOnSignals(logger, 'server', () => server.stop());
}

function announce(config: Config, logger: Logger, admin: BootstrapResult | undefined): void {
  if (admin?.generatedPassword) {
    // shown once: only the hash is stored
    console.log(`\nCreated admin account "${admin.username}" with password: ${admin.generatedPassword}\n`);
  }
  logger.info(
    { graphql: `${config.publicUrl}/graphql`, admin: `${config.publicUrl}/admin/` },
    `image API ready at ${config.publicUrl}/graphql, admin app at ${config.publicUrl}/admin/`,
  );
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
