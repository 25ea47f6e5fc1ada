import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from 'node:http';
import { gql } from './api.ts';
import { firstCode, parseJson } from './cases.ts';
import { send, type Phases, type RawResponse } from './http.ts';
import { Random } from './random.ts';
import type { ServerUnderTest } from './server.ts';
import { quantile } from './stats.ts';
import { KINDS, LIST_QUERY, type Kind, type Workload } from './workload.ts';

/** How one answer counts: served, shed (429/503, RATE_LIMITED, SERVICE_UNAVAILABLE), or an error. */
export type Verdict = 'ok' | 'shed' | 'error' | 'timeout';

export interface Sample {
  kind: Kind;
  verdict: Verdict;
  /** HTTP status plus GraphQL code, e.g. `200 RATE_LIMITED`. */
  answer: string;
  ms: number;
  uploadedId?: string;
  phases?: Phases;
}

export function classify(kind: Kind, response: RawResponse): Omit<Sample, 'kind' | 'ms'> {
  if (response.status === 'error' || response.status === 'dropped') {
    return { verdict: /no answer within/.test(response.error ?? '') ? 'timeout' : 'error', answer: `connection: ${response.error}` };
  }
  const json = kind === 'thumbnail' ? undefined : parseJson(response.body);
  const code = kind === 'thumbnail' ? (response.status === 200 ? undefined : (parseJson(response.body) as any)?.error?.code ?? (parseJson(response.body) as any)?.code) : firstCode(json);
  const answer = `${response.status}${code ? ` ${code}` : ''}`;
  if (response.status === 429 || response.status === 503 || code === 'RATE_LIMITED' || code === 'SERVICE_UNAVAILABLE') return { verdict: 'shed', answer };
  if (response.status !== 200 || code) return { verdict: 'error', answer };
  const id = kind === 'upload' ? (json as any)?.data?.uploadImage?.id : undefined;
  if (kind === 'upload' && !id) return { verdict: 'error', answer: `${answer} without an id` };
  return { verdict: 'ok', answer, uploadedId: id };
}

/** Closed loop: `concurrency` clients each sending the next request as soon as the last is answered. */
export async function closedLoop(server: ServerUnderTest, agent: Agent, work: Workload, kind: Kind, concurrency: number, seconds: number, rng: Random): Promise<Sample[]> {
  const samples: Sample[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const response = await send(server.origin, agent, work.request(kind, rng), 30_000);
        samples.push({ kind, ms: response.ms, ...classify(kind, response) });
      }
    }),
  );
  return samples;
}

/**
 * Open loop: requests start at `rates` per second whatever the server does, as independent clients
 * arrive in real life (a closed loop would slow down with the server and never overload it). At most
 * `maxOutstanding` per kind are in flight from here; beyond that a request is counted as not sent.
 */
export async function openLoop(
  server: ServerUnderTest,
  agent: Agent,
  work: Workload,
  rates: Record<Kind, number>,
  seconds: number,
  rng: Random,
  maxOutstanding: number,
): Promise<{ samples: Sample[]; notSent: Record<Kind, number>; pending: Promise<void> }> {
  const samples: Sample[] = [];
  const notSent = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  const started = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  const outstanding = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  for (;;) {
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= seconds) break;
    for (const kind of KINDS) {
      const due = Math.floor(rates[kind] * elapsed);
      while (started[kind] < due) {
        started[kind]++;
        if (outstanding[kind] >= maxOutstanding) {
          notSent[kind]++;
          continue;
        }
        outstanding[kind]++;
        const request = send(server.origin, agent, work.request(kind, rng), 30_000).then((response) => {
          outstanding[kind]--;
          samples.push({ kind, ms: response.ms, phases: response.phases, ...classify(kind, response) });
        });
        inFlight.add(request);
        void request.finally(() => inFlight.delete(request));
      }
    }
    await sleep(5);
  }
  return { samples, notSent, pending: Promise.all([...inFlight]).then(() => undefined) };
}

/** Probes until a list query and a thumbnail GET both answer 200 within `normalMs`; returns seconds since `since`, or undefined. */
export async function recovery(server: ServerUnderTest, work: Workload, normalMs: number, since: number, maxSeconds: number): Promise<{ seconds?: number; probes: number; lastMs: number }> {
  let probes = 0;
  let lastMs = NaN;
  while ((performance.now() - since) / 1000 < maxSeconds) {
    probes++;
    const t = performance.now();
    const list = await gql(server.origin, LIST_QUERY, {}, work.lister.token).catch(() => undefined);
    const listMs = performance.now() - t;
    const t2 = performance.now();
    const thumb = await fetch(`${server.origin}${work.thumbnailPaths[0]}`, { signal: AbortSignal.timeout(10_000) }).then(async (r) => (await r.arrayBuffer(), r.status), () => 0);
    const thumbMs = performance.now() - t2;
    lastMs = Math.max(listMs, thumbMs);
    if (list?.status === 200 && !list.errors && thumb === 200 && lastMs <= normalMs) return { seconds: (performance.now() - since) / 1000, probes, lastMs };
    await sleep(100);
  }
  return { probes, lastMs };
}

/** The normal latency of the probe pair on an idle server: the slower of the two, p90 over `n` tries. */
export async function idleProbeMs(server: ServerUnderTest, work: Workload, n = 20): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await gql(server.origin, LIST_QUERY, {}, work.lister.token);
    const listMs = performance.now() - t;
    const t2 = performance.now();
    await fetch(`${server.origin}${work.thumbnailPaths[0]}`).then((r) => r.arrayBuffer());
    times.push(Math.max(listMs, performance.now() - t2));
  }
  return quantile(times, 0.9);
}
