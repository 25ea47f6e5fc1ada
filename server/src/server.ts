import { createServer, type Server } from 'node:http';
import { createApp, DRAIN_GRACE_MS } from './app.js';
import type { Config } from './config/env.js';
import { workerMetrics } from './cluster/primary.js';
import { listen } from './http/listen.js';
import type { AppDeps } from './graphql/context.js';
import { startRuntime, type StartOptions } from './runtime.js';
import type { BootstrapResult } from './users/admin-bootstrap.js';

export type { StartOptions };

export interface RunningServer {
  url: string;
  port: number;
  deps: AppDeps;
  httpServer: Server;
  admin: BootstrapResult | undefined;
  /** Stops taking requests, lets those in flight and running jobs finish, then closes the database. */
  stop(): Promise<void>;
}

/** Everything `main` does short of handling signals: the same path for the product and the tests. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const runtime = await startRuntime(config, { ...options, work: config.jobsWorker });
  try {
    const { deps } = runtime;
    // uploads stage in this instance's own folder, and the hourly sweep may run on another instance
    await runtime.sweeper.sweepStaging();
    // a slow client may hold a socket only so long (slowloris). Node checks these timeouts every
    // connectionsCheckingInterval (30 s by default), which would let a 20 s limit stretch to 50 s
    const httpServer = createServer({
      headersTimeout: config.httpTimeouts.headersMs,
      requestTimeout: config.httpTimeouts.requestMs,
      connectionsCheckingInterval: Math.min(1_000, config.httpTimeouts.headersMs),
    });
    let stopping = false;
    const app = await createApp(deps, httpServer, () => stopping);
    httpServer.on('request', app.listener);
    if (options.clusterWorker) deps.metrics.gatherFrom(workerMetrics(deps.metrics.registry));
    const listening = await listen(httpServer, { port: config.port, host: config.host, acceptors: config.acceptSockets, shared: options.clusterWorker });
    return {
      url: `http://127.0.0.1:${listening.port}`,
      port: listening.port,
      deps,
      httpServer,
      admin: runtime.admin,
      async stop() {
        stopping = true;
        listening.closeAcceptors();
        // Apollo's drain ends idle connections and each busy one once its request is answered
        await app.apollo.stop();
        await listening.drain(DRAIN_GRACE_MS);
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
