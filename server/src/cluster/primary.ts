import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** One metric as `Registry.getMetricsAsJSON` gives it, which the aggregation takes back. */
type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];
import type { Config } from '../config/env.js';
import type { Runtime } from '../runtime.js';
import type { Logger } from '../shared/logger.js';
import { workerShare } from './worker-share.js';

// prom-client's own cluster protocol: workers answer it once they call `AggregatorRegistry.setRegistries`
const METRICS_REQUEST = 'prom-client:getMetricsReq';
const METRICS_RESPONSE = 'prom-client:getMetricsRes';
/** A worker asks the primary for every process's metrics (a scrape reached it), and gets them back. */
const SCRAPE_REQUEST = 'image-api:scrape';
const SCRAPE_RESPONSE = 'image-api:scraped';
/** A worker tells the primary it is listening. */
const READY = 'image-api:ready';

/** A worker that dies this soon after it started is restarted after a growing pause, not at once. */
const STEADY_MS = 10_000;
const MAX_RESTART_PAUSE_MS = 30_000;
const COLLECT_TIMEOUT_MS = 5_000;

export interface ClusterOptions {
  workers: number;
  /** How long workers may take to drain at shutdown before they are killed. */
  drainMs: number;
}

/**
 * The primary of `WEB_CONCURRENCY` server processes. It owns what must exist once: the embedded
 * PostgreSQL and the migrations (both in `runtime`), the background jobs, and the supervision of the
 * workers, which each run the whole HTTP server on the same port (SO_REUSEPORT: the kernel spreads
 * connections, none pass through here). A worker that dies is logged and started again.
 */
export class ServerCluster {
  private stopping = false;
  private readonly startedAt = new Map<Worker, number>();
  /** Workers that listen (and answer metrics requests); one still starting would leave a scrape waiting. */
  private readonly ready = new Set<Worker>();
  private pause = 1_000;

  constructor(
    private readonly config: Config,
    private readonly runtime: Runtime,
    private readonly logger: Logger,
    private readonly options: ClusterOptions,
  ) {}

  /**
   * Starts the workers and resolves once each listens; rejects when one exits first, unless `stop`
   * was called meanwhile (a Ctrl-C during start-up), which resolves it.
   */
  async start(): Promise<void> {
    const port = await claimPort(this.config.port, this.config.host);
    const env = workerShare(this.config, this.options.workers, this.runtime.databaseUrl, port);
    const fork = () => {
      const worker = cluster.fork(env);
      this.startedAt.set(worker, Date.now());
      return worker;
    };
    cluster.on('exit', (worker, code, signal) => this.restart(worker, code, signal, fork));
    cluster.on('message', (worker, message: unknown) => {
      if (isMessage(message, READY)) this.ready.add(worker);
      else if (isMessage(message, SCRAPE_REQUEST)) this.answerScrape(worker, (message as { id: number }).id);
    });
    const first = Array.from({ length: this.options.workers }, () => fork());
    try {
      await Promise.all(first.map((worker) => listening(worker)));
    } catch (error) {
      if (this.stopping) return;
      await this.stop();
      throw error;
    }
    this.logger.info({ workers: this.options.workers, port }, `${this.options.workers} server workers listening`);
  }

  /** SIGTERM to every worker (each drains as a single process would); resolves once all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    await stopWorkers(this.options.drainMs);
  }

  private restart(worker: Worker, code: number | null, signal: string | null, fork: () => Worker): void {
    const lived = Date.now() - (this.startedAt.get(worker) ?? 0);
    this.startedAt.delete(worker);
    this.ready.delete(worker);
    if (this.stopping) return;
    // a worker that keeps dying at start (a bad disk, a full database) is not restarted in a tight loop
    this.pause = lived >= STEADY_MS ? 1_000 : Math.min(this.pause * 2, MAX_RESTART_PAUSE_MS);
    const wait = lived >= STEADY_MS ? 0 : this.pause;
    this.logger.error({ pid: worker.process.pid, code, signal, restartInMs: wait }, 'server worker died; starting another');
    setTimeout(() => {
      if (!this.stopping) fork();
    }, wait).unref();
  }

  private answerScrape(worker: Worker, id: number): void {
    collectMetrics([...this.ready], this.runtime.deps.metrics.registry)
      .then((text) => worker.send({ type: SCRAPE_RESPONSE, id, text }))
      .catch((error) => {
        this.logger.error({ err: error }, 'collecting the workers’ metrics failed');
        worker.send({ type: SCRAPE_RESPONSE, id, error: String(error) });
      });
  }
}

/** Resolves once the worker reports it listens; rejects if it exits first. */
function listening(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!isMessage(message, READY)) return;
      worker.off('exit', onExit);
      worker.off('message', onMessage);
      resolve();
    };
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`a server worker exited (${signal ?? `code ${code}`}) while starting; its error is above`));
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

/** SIGTERM to every worker (each drains as a single process would), SIGKILL to any still running after `drainMs`. */
async function stopWorkers(drainMs: number): Promise<void> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), drainMs + 5_000);
          timer.unref();
          worker.once('exit', () => clearTimeout(timer));
          worker.process.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * Every worker's metrics and the primary's own (job queue, storage), in one registry: counters and
 * histograms summed, gauges by each one's `aggregator` (sum unless it says otherwise).
 */
async function collectMetrics(ready: Worker[], own: Registry): Promise<string> {
  const workers = ready.filter((worker) => worker.isConnected());
  const requestId = `image-api-${Date.now()}-${Math.random()}`;
  const answers = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<MetricJson[]>((resolve) => {
          const timer = setTimeout(() => done([]), COLLECT_TIMEOUT_MS);
          const onMessage = (message: { type?: string; requestId?: string; metrics?: MetricJson[][] }) => {
            if (message?.type === METRICS_RESPONSE && message.requestId === requestId) done((message.metrics ?? []).flat());
          };
          // a worker that died or hangs is left out of this scrape, not allowed to fail it
          const done = (metrics: MetricJson[]) => {
            clearTimeout(timer);
            worker.off('message', onMessage);
            worker.off('exit', onExit);
            resolve(metrics);
          };
          const onExit = () => done([]);
          worker.on('message', onMessage);
          worker.once('exit', onExit);
          worker.send({ type: METRICS_REQUEST, requestId });
        }),
    ),
  );
  return AggregatorRegistry.aggregate([...answers, await own.getMetricsAsJSON()]).metrics();
}

/**
 * Fails at once, with the usual error, when something already holds the port: workers share it through
 * SO_REUSEPORT, which would otherwise let them join another server's port in silence. Port 0 becomes
 * a free port all workers then share.
 */
function claimPort(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => {
      const { port: claimed } = probe.address() as { port: number };
      probe.close(() => resolve(claimed));
    });
  });
}

function isMessage(message: unknown, type: string): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** In a worker: tells the primary it is listening. */
export function reportReady(): void {
  process.send?.({ type: READY });
}

/**
 * In a worker: answers the primary's metrics requests with `registry`, and returns how a scrape that
 * reached this worker gets every process's metrics.
 */
export function workerMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // constructing one installs prom-client's listener that answers the primary
  new AggregatorRegistry();
  let next = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: { type?: string; id?: number; text?: string; error?: string }) => {
    if (message?.type !== SCRAPE_RESPONSE || message.id === undefined) return;
    const request = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) request?.reject(new Error(message.error));
    else request?.resolve(message.text ?? '');
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not answer with the cluster’s metrics'));
      }, COLLECT_TIMEOUT_MS * 2);
      pending.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send?.({ type: SCRAPE_REQUEST, id });
    });
}
