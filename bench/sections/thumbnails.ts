import { startNginx } from '../anchors/nginx.ts';
import type { BenchContext } from '../lib/context.ts';
import type { LoadResult, LoadTarget } from '../lib/load.ts';
import { startNodeAnchor, type Service } from '../lib/processes.ts';
import { metric, scrapeMetrics } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { pairedRatio, summarize } from '../lib/stats.ts';
import { alternate } from './list.ts';

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);
const p99 = (runs: LoadResult[]) => runs.map((r) => r.p99);

/**
 * Item 4: GET of a ~20 KB thumbnail through the signed route, hot (one URL) and cold (a different
 * image each request, so the OS page cache is the only cache), against nginx and a bare Node
 * `readFile` server reading the very same files.
 */
export async function thumbnailSection(ctx: BenchContext): Promise<void> {
  const { product, results, hot, cold } = ctx;
  const services: Service[] = [];
  try {
    const bare = await startNodeAnchor('static-readfile', [product.mediaDir], ctx.logDir);
    services.push(bare.service);
    const get = (origin: string, paths: readonly string[]): LoadTarget => ({ origin, path: paths[0]!, ...(paths.length > 1 ? { paths } : {}) });
    const files = (keys: readonly string[]) => keys.map((key) => `/t/${key}`);
    const targets: Record<string, LoadTarget> = {
      productHot: get(product.origin, [hot.path]),
      bareHot: get(bare.url, files([hot.key])),
      productCold: get(product.origin, cold.paths),
      bareCold: get(bare.url, files(cold.keys)),
    };
    const { nginx: found } = ctx.anchors;
    if (found.binary) {
      const nginx = await startNginx(found.binary, product.mediaDir, ctx.workDir, ctx.logDir);
      services.push(nginx.service);
      targets.nginxHot = get(nginx.origin, files([hot.key]));
      targets.nginxCold = get(nginx.origin, files(cold.keys));
      results.notes.push(
        'item 4: autocannon is one JavaScript thread on the same 2 cores, so the nginx figure is mostly the load generator’s ceiling ' +
          '(PERFORMANCE.md measured nginx at ~60 k req/s with wrk); ratios to nginx therefore read higher than against nginx’s real capacity',
      );
    }
    // the product's in-memory thumbnail cache, if it has one, seen from its own counters
    const cache: Record<string, { hits: number; misses: number }> = {};
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
    const hits = (name: string) => {
      const seen = cache[name]!;
      return seen.hits + seen.misses === 0 ? undefined : seen.hits / (seen.hits + seen.misses);
    };
    const hitRate = (name: string) => {
      const share = hits(name);
      return share === undefined ? 'no thumbnail cache in the product' : `thumbnail cache hits ${Math.round(100 * share)} %`;
    };
    // PERFORMANCE.md limit 5: 0.4× nginx when the bytes come from memory, 0.15× when they are read per request
    const cachedHot = (hits('productHot') ?? 0) > 0.5;
    for (const kind of ['Hot', 'Cold'] as const) {
      const mine = runs[`product${kind}`]!;
      const label = kind === 'Hot' ? 'hot (same URL)' : `cold (${cold.paths.length} different images in turn)`;
      const nginx = runs[`nginx${kind}`];
      if (nginx) {
        results.rows.push(
          {
            item: '4',
            what: `thumbnail GET via signed link, ${label}`,
            unit: 'req/s',
            product: summarize(rps(mine)),
            anchor: { name: `nginx ${found.version ?? ''} (sendfile, 2 workers)`.replace('  ', ' '), figure: summarize(rps(nginx)) },
            ratio: pairedRatio(rps(mine), rps(nginx)),
            note: hitRate(`product${kind}`),
          },
          {
            item: '4',
            what: `thumbnail GET, ${label}, p99`,
            unit: 'ms',
            product: summarize(p99(mine)),
            anchor: { name: 'nginx', figure: summarize(p99(nginx)) },
            ratio: pairedRatio(p99(mine), p99(nginx)),
          },
        );
      }
      const bareRuns = runs[`bare${kind}`]!;
      results.rows.push(
        {
          item: '4',
          what: `thumbnail GET via signed link, ${label}`,
          unit: 'req/s',
          product: summarize(rps(mine)),
          anchor: { name: 'bare Node readFile server, same file', figure: summarize(rps(bareRuns)) },
          ratio: pairedRatio(rps(mine), rps(bareRuns)),
          ...(nginx ? {} : { note: hitRate(`product${kind}`) }),
        },
        {
          item: '4',
          what: `thumbnail GET, ${label}, p99`,
          unit: 'ms',
          product: summarize(p99(mine)),
          anchor: { name: 'bare Node readFile server', figure: summarize(p99(bareRuns)) },
          ratio: pairedRatio(p99(mine), p99(bareRuns)),
        },
      );
      results.limits.push(
        checkLimit(
          'L5 GET',
          kind === 'Hot' && cachedHot
            ? 'thumbnail GET hot, served from the product’s memory cache, ≥ 0.4× nginx'
            : `thumbnail GET ${kind.toLowerCase()} ≥ 0.15× nginx (the budget for bytes read per request)`,
          '>=',
          kind === 'Hot' && cachedHot ? 0.4 : 0.15,
          nginx && pairedRatio(rps(mine), rps(nginx)).median,
          `nginx ${found.note}`,
        ),
      );
    }
  } finally {
    for (const service of services.reverse()) await service.stop();
  }
}
