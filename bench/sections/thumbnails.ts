import { startNginx } from '../anchors/nginx.ts';
import type { BenchContext } from '../lib/context.ts';
import type { LoadResult, LoadTarget } from '../lib/load.ts';
import { startNodeAnchor, type Service } from '../lib/processes.ts';
import { metric, scrapeMetrics } from '../lib/product.ts';
import { checkLimit, type Row } from '../lib/report.ts';
import { fmt, pairedRatio, summarize } from '../lib/stats.ts';
import { alternate } from '../lib/throughput.ts';

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);
const p99 = (runs: LoadResult[]) => runs.map((r) => r.p99);

/** The product's in-memory thumbnail cache, seen from its own counters, over the windows of each target. */
type CacheCounts = Record<string, { hits: number; misses: number }>;

const hitRate = (cache: CacheCounts, name: string) => {
  const seen = cache[name];
  if (!seen || seen.hits + seen.misses === 0) return undefined;
  return seen.hits / (seen.hits + seen.misses);
};

const cacheNote = (cache: CacheCounts, name: string) => {
  const share = hitRate(cache, name);
  return share === undefined ? 'no thumbnail cache in the product' : `thumbnail cache hits ${Math.round(100 * share)} %`;
};

/** A figure row and its p99 row against one anchor. */
function pair(what: string, anchor: string, mine: LoadResult[], theirs: LoadResult[], note?: string): Row[] {
  return [
    { item: '4', what, unit: 'req/s', product: summarize(rps(mine)), anchor: { name: anchor, figure: summarize(rps(theirs)) }, ratio: pairedRatio(rps(mine), rps(theirs)), note },
    { item: '4', what: `${what}, p99`, unit: 'ms', product: summarize(p99(mine)), anchor: { name: anchor, figure: summarize(p99(theirs)) }, ratio: pairedRatio(p99(mine), p99(theirs)) },
  ];
}

/**
 * Item 4: GET of a ~20 KB thumbnail through the signed route, hot (one URL) against a bare node:http
 * server sending the same bytes from memory, and cold (a different image each request, so the OS page
 * cache is the only cache) against a bare node:http `readFile` server reading the very same files;
 * both against nginx too, whose figure is also the load generator's ceiling.
 */
export async function thumbnailSection(ctx: BenchContext): Promise<void> {
  const { product, results, hot, cold } = ctx;
  const services: Service[] = [];
  try {
    const memory = await startNodeAnchor('static-memory', [product.mediaDir, hot.key], ctx.logDir);
    services.push(memory.service);
    const readfile = await startNodeAnchor('static-readfile', [product.mediaDir], ctx.logDir);
    services.push(readfile.service);
    const get = (label: string, origin: string, paths: readonly string[]): LoadTarget => ({ label, origin, path: paths[0]!, ...(paths.length > 1 ? { paths } : {}) });
    const files = (keys: readonly string[]) => keys.map((key) => `/t/${key}`);
    const targets: Record<string, LoadTarget> = {
      productHot: get('thumbnail GET hot (product)', product.origin, [hot.path]),
      memoryHot: get('thumbnail GET hot (bare node:http from memory)', memory.url, files([hot.key])),
      productCold: get('thumbnail GET cold (product)', product.origin, cold.paths),
      readfileCold: get('thumbnail GET cold (bare node:http readFile)', readfile.url, files(cold.keys)),
    };
    const { nginx: found } = ctx.anchors;
    if (found.binary) {
      const nginx = await startNginx(found.binary, product.mediaDir, ctx.workDir, ctx.logDir);
      services.push(nginx.service);
      targets.nginxHot = get('thumbnail GET hot (nginx)', nginx.origin, files([hot.key]));
      targets.nginxCold = get('thumbnail GET cold (nginx)', nginx.origin, files(cold.keys));
    }
    const cache: CacheCounts = {};
    const runs = await alternate(ctx, targets, async (name, run) => {
      if (!name.startsWith('product')) return run();
      const count = (text: string) => ({ hits: metric(text, 'thumbnail_cache_hits_total'), misses: metric(text, 'thumbnail_cache_misses_total') });
      const before = count(await scrapeMetrics(product));
      const result = await run();
      const after = count(await scrapeMetrics(product));
      const seen = (cache[name] ??= { hits: 0, misses: 0 });
      seen.hits += after.hits - before.hits;
      seen.misses += after.misses - before.misses;
      return result;
    });
    const coldLabel = `cold (${cold.paths.length} different images in turn)`;
    results.rows.push(
      ...pair('thumbnail GET via signed link, hot (same URL)', 'bare node:http, same bytes from memory', runs.productHot!, runs.memoryHot!, cacheNote(cache, 'productHot')),
      ...pair(`thumbnail GET via signed link, ${coldLabel}`, 'bare node:http readFile, same files', runs.productCold!, runs.readfileCold!, cacheNote(cache, 'productCold')),
    );
    if (cold.paths.length < 10_000) {
      results.notes.push(`item 4: the cold GET cycles through ${cold.paths.length} images, as many as this run seeds (a full run: 10 050, more than the product’s thumbnail cache holds)`);
    }
    if (runs.nginxHot && runs.nginxCold) {
      const nginxName = `nginx ${found.version ?? ''} (sendfile, 2 workers)`.replace('  ', ' ');
      results.rows.push(
        ...pair('thumbnail GET via signed link, hot (same URL)', nginxName, runs.productHot!, runs.nginxHot).slice(0, 1),
        ...pair(`thumbnail GET via signed link, ${coldLabel}`, nginxName, runs.productCold!, runs.nginxCold).slice(0, 1),
      );
      const cpu = summarize(runs.nginxHot.map((r) => r.generatorCpu ?? Number.NaN)).median;
      results.notes.push(
        `item 4: the load generator reached ${fmt(summarize(rps(runs.nginxHot)).median)} req/s on nginx for this ${Math.round(hot.bytes / 1024)} KB GET` +
          (Number.isFinite(cpu) ? ` with its thread ${Math.round(cpu * 100)} % busy` : '') +
          ', so it can drive at least that much: the slower servers’ figures are theirs, not the generator’s',
      );
    }
    results.limits.push(
      checkLimit('L5 GET', 'thumbnail GET hot ≥ 0.5× bare node:http from memory (issue 12)', '>=', 0.5, pairedRatio(rps(runs.productHot!), rps(runs.memoryHot!)).median),
      checkLimit('L5 GET', 'thumbnail GET cold ≥ 0.3× bare node:http readFile (issue 12)', '>=', 0.3, pairedRatio(rps(runs.productCold!), rps(runs.readfileCold!)).median),
    );
  } finally {
    for (const service of services.reverse()) await service.stop();
  }
}
