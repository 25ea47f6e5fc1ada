import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../lib/context.ts';
import type { LoadResult, LoadTarget } from '../lib/load.ts';
import { graphqlHeaders } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { pairedRatio, summarize } from '../lib/stats.ts';
import { alternate } from '../lib/throughput.ts';

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);

type Made = { thumbnails: Array<{ height: number; data: Buffer }> };
interface Processor {
  probeImage(input: Buffer, maxPixels: number): Promise<{ format: 'JPEG' | 'PNG'; width: number; height: number }>;
  makeThumbnails(input: Buffer, image: { format: 'JPEG' | 'PNG'; width: number; height: number }, heights: number[], maxPixels: number, options?: { format?: 'avif' | 'webp' }): Promise<Made>;
}

const listQuery = (placeholder: boolean) =>
  `query List($first: Int!) { images(first: $first) { edges { cursor node { id width height createdAt originalUrl thumbnails { size url }${placeholder ? ' placeholder { thumbhash dataUrl dominantColor }' : ''} } } pageInfo { endCursor hasNextPage } } }`;

/**
 * Issue 15: what placeholders cost a list, what a negotiated format costs to make on first request,
 * and what it saves a page of thumbnails in bytes.
 */
export async function formatsSection(ctx: BenchContext): Promise<void> {
  const { product, lister, results } = ctx;
  const list = (label: string, placeholder: boolean): LoadTarget => ({
    label,
    origin: product.origin,
    method: 'POST',
    path: '/graphql',
    headers: graphqlHeaders(lister.token),
    body: JSON.stringify({ query: listQuery(placeholder), variables: { first: 50 } }),
  });
  const chrome = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
  // a browser that takes neither AVIF nor WebP, with an Accept header as long as Chrome's: a shorter
  // one (curl's */*) measured the header's bytes, a quarter of a hot answer's cost, not the negotiation
  const safari13 = 'image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5,x';
  const thumbnail = (label: string, accept: string): LoadTarget => ({ label, origin: product.origin, path: ctx.hot.path, headers: { accept } });
  const runs = await alternate(ctx, {
    with: list('list of 50 with placeholders (product)', true),
    without: list('list of 50 without placeholders (product)', false),
    avif: thumbnail('thumbnail GET hot, AVIF negotiated (product)', chrome),
    jpeg: thumbnail('thumbnail GET hot, JPEG (product)', safari13),
  });
  const hotRatio = pairedRatio(rps(runs.avif!), rps(runs.jpeg!));
  results.rows.push({
    item: '15',
    what: 'thumbnail GET via signed link, hot, AVIF for a browser’s Accept header',
    unit: 'req/s',
    product: summarize(rps(runs.avif!)),
    anchor: { name: 'same link, hot, JPEG for a browser that takes neither (Accept as long)', figure: summarize(rps(runs.jpeg!)) },
    ratio: hotRatio,
  });
  results.limits.push(checkLimit('I15 hot AVIF', 'a hot negotiated AVIF GET ≥ 0.9× the hot JPEG GET', '>=', 0.9, hotRatio.median));
  const ratio = pairedRatio(rps(runs.with!), rps(runs.without!));
  results.rows.push({
    item: '15',
    what: 'images(first: 50) with placeholder { thumbhash dataUrl dominantColor }',
    unit: 'req/s',
    product: summarize(rps(runs.with!)),
    anchor: { name: 'same list without placeholders', figure: summarize(rps(runs.without!)) },
    ratio,
  });
  results.limits.push(checkLimit('I15 placeholders', 'a list of 50 with placeholders ≥ 0.95× the list without', '>=', 0.95, ratio.median));
  await encodeMicro(ctx);
}

/** The first AVIF (or WebP) of a 12 MP photo's h400, made from the original, against its JPEG thumbnail made the same way; and their sizes. */
async function encodeMicro(ctx: BenchContext): Promise<void> {
  const processor = (await import(join(ctx.serverDir, 'dist/images/image-processor.js'))) as Processor;
  const maxPixels = 50_000_000;
  const photo = ctx.images.photo.bytes;
  const probed = await processor.probeImage(photo, maxPixels);
  const samples = { avif: [] as number[], webp: [] as number[], jpeg: [] as number[] };
  const sizes = { avif: 0, webp: 0, jpeg: 0 };
  for (let round = 0; round < Math.max(3, ctx.s.rounds); round++) {
    for (const format of ['jpeg', 'avif', 'webp'] as const) {
      const started = performance.now();
      const made = await processor.makeThumbnails(photo, probed, [400], maxPixels, format === 'jpeg' ? {} : { format });
      samples[format].push(performance.now() - started);
      sizes[format] = made.thumbnails[0]!.data.length;
    }
  }
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  for (const format of ['avif', 'webp'] as const) {
    const ratio = pairedRatio(samples[format], samples.jpeg);
    ctx.results.rows.push({
      item: '15',
      what: `first ${format.toUpperCase()} of the ${ctx.images.photo.label}'s h400, from the original`,
      unit: 'ms',
      product: summarize(samples[format]),
      anchor: { name: 'its JPEG q80 thumbnail, made the same way', figure: summarize(samples.jpeg) },
      ratio,
      note: `${kb(sizes[format])} against ${kb(sizes.jpeg)} (${(sizes[format] / sizes.jpeg).toFixed(2)}×); a page of 50 such h400s: ${kb(50 * sizes[format])} against ${kb(50 * sizes.jpeg)}`,
    });
    if (format === 'avif') ctx.results.limits.push(checkLimit('I15 first AVIF', 'the first AVIF of an h400 ≤ 3× the JPEG thumbnail’s encode', '<=', 3, ratio.median));
  }
}
