import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from '../lib/context.ts';
import { backgroundJobs, load, type LoadResult, type LoadTarget } from '../lib/load.ts';
import { uploadImage } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { pairedRatio, summarize } from '../lib/stats.ts';
import { productListTarget } from './list.ts';

const PROBE_CONNECTIONS = 4;
const UPLOADS_IN_FLIGHT = 2;

/**
 * Item 6: GraphQL and GET latency at a fixed, modest request rate, idle and while 12 MP uploads keep
 * 2 thumbnail jobs busy, alternating idle and busy windows. A decode on the event loop would show here
 * as a p99 of the decode's length; decodes on libuv's threads only share the cores.
 */
export async function underLoadSection(ctx: BenchContext): Promise<void> {
  const { s, product, uploader, results } = ctx;
  const probes: Array<{ name: string; what: string; target: LoadTarget; rate: number }> = [
    { name: 'graphql', what: 'images(first: 50)', target: productListTarget(ctx), rate: s.probeRate.graphql },
    { name: 'get', what: 'thumbnail GET (hot)', target: { origin: product.origin, path: ctx.hot.path }, rate: s.probeRate.get },
  ];
  const upload = async () => void (await uploadImage(product.origin, uploader.token, ctx.images.photo));
  for (const probe of probes) {
    const idle: LoadResult[] = [];
    const busy: LoadResult[] = [];
    let uploads = 0;
    let seconds = 0;
    const options = { seconds: s.window, connections: PROBE_CONNECTIONS, rate: probe.rate };
    await load(probe.target, { ...options, seconds: s.warmup, warmup: true });
    for (let round = 0; round < s.rounds; round++) {
      idle.push(await load(probe.target, options));
      const background = backgroundJobs(UPLOADS_IN_FLIGHT, upload);
      await sleep(300); // uploads past their multipart transfer and into decoding
      const started = performance.now();
      busy.push(await load(probe.target, options));
      seconds += (performance.now() - started) / 1000;
      uploads += await background.stop();
    }
    const ratio = pairedRatio(busy.map((r) => r.p99), idle.map((r) => r.p99));
    results.rows.push(
      {
        item: '6',
        what: `${probe.what} p99 at ${probe.rate} req/s while ${UPLOADS_IN_FLIGHT} ${ctx.images.photo.label} uploads run`,
        unit: 'ms',
        product: summarize(busy.map((r) => r.p99)),
        anchor: { name: 'same, idle', figure: summarize(idle.map((r) => r.p99)) },
        ratio,
        note: `p50 ${summarize(busy.map((r) => r.p50)).median} vs ${summarize(idle.map((r) => r.p50)).median} ms; ${(uploads / seconds).toFixed(1)} uploads/s alongside`,
      },
    );
    results.limits.push(checkLimit('L4 under uploads', `${probe.what} p99 during uploads ≤ 2× idle`, '<=', 2, ratio.median));
  }
  results.notes.push('item 6: the probes run at a fixed request rate, which wrk has no mode for, so autocannon drives them (1 ms latency resolution)');
}
