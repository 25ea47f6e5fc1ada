import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One HTTP request shape for autocannon; `paths` or `bodies` rotate per request (cold files, many users). */
export interface LoadTarget {
  /** What the window measures, in words, for the notes on which rows the load generator bounds. */
  label?: string;
  /** Origin, e.g. http://127.0.0.1:4000. */
  origin: string;
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  paths?: readonly string[];
  bodies?: readonly string[];
  /**
   * Count socket errors as part of the figure instead of failing on them: gunicorn's sync workers
   * close the connection after every response, which autocannon sees as an error before reconnecting.
   */
  closesConnections?: boolean;
  /** Seconds to wait after a window, for requests the server is still working through (slow endpoints). */
  settle?: number;
  /** Shortest window that still completes requests (logins take ~0.3 s each at 16 connections). */
  minSeconds?: number;
}

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  /** Latency in ms (autocannon's histogram has 1 ms resolution). */
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  /** wrk's own CPU over the window, as a share of one core (1 = its one thread never waited); wrk only. */
  generatorCpu?: number;
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  /** Fixed request rate over all connections; unset means as fast as the server answers. */
  rate?: number;
  /** A warm-up window: nothing is checked (a cold server may answer nothing within it). */
  warmup?: boolean;
}

/**
 * Drives `target` with autocannon in this process. The throughput rows use wrk (lib/wrk.ts) and come
 * here only when wrk cannot be had; the latency-under-uploads probes always do, since they need a
 * fixed request rate, which wrk does not offer. autocannon shares the 2 cores with the server, on
 * both sides of every ratio, and tops out near 3.5 k req/s on them. Throws when more than 1 % of requests fail, so a refused or broken endpoint
 * never shows up as a fast one.
 */
export async function load(target: LoadTarget, { seconds, connections, rate, warmup }: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const rotate = target.paths || target.bodies;
  const request: autocannon.Request = {
    method: target.method ?? 'GET',
    path: target.path,
    headers: target.headers,
    body: target.body,
  };
  if (rotate) {
    request.setupRequest = (req) => {
      const i = next++;
      if (target.paths) req.path = target.paths[i % target.paths.length]!;
      if (target.bodies) req.body = target.bodies[i % target.bodies.length]!;
      return req;
    };
  }
  const result = await autocannon({
    url: target.origin,
    connections,
    duration: Math.max(seconds, target.minSeconds ?? 0),
    // autocannon stops at its first sampling tick after `duration`; ticking every 100 ms keeps short windows short
    sampleInt: 100,
    ...(rate ? { overallRate: rate } : {}),
    requests: [request],
  });
  const ok = result['2xx'];
  const failed = result.non2xx + result.timeouts + (target.closesConnections ? 0 : result.errors);
  if (!warmup && (ok === 0 || failed > 0.01 * (ok + failed))) {
    const codes = JSON.stringify(result.statusCodeStats ?? {});
    throw new Error(`${target.method ?? 'GET'} ${target.origin}${target.path}: ${ok} ok, ${failed} failed (status ${codes}, errors ${result.errors}, timeouts ${result.timeouts})`);
  }
  if (target.settle) await new Promise((resolve) => setTimeout(resolve, target.settle! * 1000));
  return { rps: ok / result.duration, p50: result.latency.p50, p99: result.latency.p99, ok, failed };
}

export interface WindowResult {
  /** Completed jobs per second over the window (the last jobs are awaited, and counted in the time). */
  perSecond: number;
  done: number;
  /** Per-job latency in ms, high resolution. */
  latencies: number[];
}

/** Keeps `inFlight` jobs running for `seconds`; each worker starts its next job as soon as one ends. */
export async function inFlightWindow(inFlight: number, seconds: number, job: () => Promise<void>): Promise<WindowResult> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      // at least one job per worker, so a short quick-mode window still measures something
      do {
        const t0 = performance.now();
        await job();
        latencies.push(performance.now() - t0);
      } while (performance.now() < end);
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { perSecond: latencies.length / elapsed, done: latencies.length, latencies };
}

/** Jobs kept running in the background until stopped (the "while uploads are running" load). */
export function backgroundJobs(inFlight: number, job: () => Promise<void>): { stop(): Promise<number> } {
  let stopping = false;
  let done = 0;
  let failure: unknown;
  const workers = Array.from({ length: inFlight }, async () => {
    while (!stopping && failure === undefined) {
      try {
        await job();
        done++;
      } catch (error) {
        failure = error;
      }
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(workers);
      if (failure !== undefined) throw failure;
      return done;
    },
  };
}
