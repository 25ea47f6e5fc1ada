import { join } from 'node:path';
import type { BenchContext } from './context.ts';
import { load, type LoadResult, type LoadTarget } from './load.ts';
import { summarize, fmt } from './stats.ts';
import { wrkLoad } from './wrk.ts';

/** One measured window's load-generator figures, kept for the note on which rows wrk bounds. */
export interface GeneratorWindow {
  label: string;
  rps: number;
  /** wrk's CPU as a share of one core. */
  cpu: number;
}

/** wrk busier than this share of its one core counts as the limit of that window, not the server. */
export const GENERATOR_BOUND = 0.9;

/** One throughput window with wrk (one thread), or autocannon when this run has no wrk. */
export async function throughput(
  ctx: BenchContext,
  target: LoadTarget,
  options: { seconds: number; connections: number; warmup?: boolean },
): Promise<LoadResult> {
  const { generator } = ctx;
  const wrk = generator.wrk;
  const result = wrk ? await wrkLoad({ ...generator, wrk }, join(ctx.workDir, 'wrk'), target, options) : await load(target, options);
  if (!options.warmup && target.label && result.generatorCpu !== undefined) {
    generator.windows.push({ label: target.label, rps: result.rps, cpu: result.generatorCpu });
  }
  return result;
}

/** Runs one measured window; a section may wrap it to read the product's metrics around it. */
export type WindowWrap = (name: string, run: () => Promise<LoadResult>) => Promise<LoadResult>;

/** Each target once, then `rounds` windows per target in turn (A B C A B C…), after a warm-up each. */
export async function alternate(ctx: BenchContext, targets: Record<string, LoadTarget>, wrap: WindowWrap = (_, run) => run()): Promise<Record<string, LoadResult[]>> {
  const connections = ctx.s.connections;
  const out: Record<string, LoadResult[]> = {};
  for (const [name, target] of Object.entries(targets)) {
    out[name] = [];
    await throughput(ctx, target, { seconds: ctx.s.warmup, connections, warmup: true });
  }
  for (let round = 0; round < ctx.s.rounds; round++) {
    for (const [name, target] of Object.entries(targets)) {
      out[name]!.push(await wrap(name, () => throughput(ctx, target, { seconds: ctx.s.window, connections })));
    }
  }
  return out;
}

/**
 * The notes on the load generator: which one ran, its busiest window, and which windows it bounded
 * (wrk's one thread busy ≥ 90 % of the window): a figure there is wrk's ceiling for that response,
 * and a ratio against it reads as a bound, not a measurement.
 */
export function generatorNotes(ctx: BenchContext): string[] {
  const { generator, s } = ctx;
  if (!generator.wrk) {
    return [`HTTP throughput rows: ${generator.note}; autocannon is one JavaScript thread, so the fastest servers’ figures (nginx, the bare node:http ones) are mostly its own ceiling and ratios against them read high`];
  }
  const byLabel = new Map<string, GeneratorWindow[]>();
  for (const w of generator.windows) byLabel.set(w.label, [...(byLabel.get(w.label) ?? []), w]);
  const medians = [...byLabel].map(([label, windows]) => ({
    label,
    cpu: summarize(windows.map((w) => w.cpu)).median,
    rps: summarize(windows.map((w) => w.rps)).median,
  }));
  const show = (m: (typeof medians)[number]) => `${m.label} (${fmt(m.rps)} req/s, wrk ${Math.round(m.cpu * 100)} % busy)`;
  const busiest = medians.reduce<(typeof medians)[number] | undefined>((top, m) => (!top || m.cpu > top.cpu ? m : top), undefined);
  const bounded = medians.filter((m) => m.cpu >= GENERATOR_BOUND);
  return [
    `HTTP throughput rows: ${generator.note}, one thread, ${s.connections} connections, on the same cores as the servers` +
      (busiest ? `; its busiest window: ${show(busiest)}` : ''),
    bounded.length
      ? `bounded by the load generator, not the server (wrk ≥ ${GENERATOR_BOUND * 100} % busy): ${bounded.map(show).join('; ')}`
      : `no row is bounded by the load generator: wrk stayed below ${GENERATOR_BOUND * 100} % busy in every window, so each figure is the server’s` +
        ' (busy: wrk’s CPU time over the window; on a machine busy with other work it may also have waited for a core)',
  ];
}
