import type { BenchContext } from '../lib/context.ts';
import type { LoadResult } from '../lib/load.ts';
import { gql } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { rawListSql } from '../lib/seed.ts';
import { fmtFigure, pairedRatio, summarize } from '../lib/stats.ts';
import { alternate } from '../lib/throughput.ts';
import { LIST, productListTarget, type Page } from './list.ts';

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);

/** Item 3: the page after cursor depth `deepCursor` against page 1, then the same in bare SQL. */
export async function deepPage(ctx: BenchContext): Promise<void> {
  const { s, product, lister, results } = ctx;
  // walk the pages as a client would, 100 at a time, to hold the cursor at that depth
  let after: string | undefined;
  for (let seen = 0; seen < s.deepCursor; seen += 100) {
    const first = Math.min(100, s.deepCursor - seen);
    after = (await gql<Page>(product.origin, LIST, { first, after }, lister.token)).images.pageInfo.endCursor;
  }
  const deep = await gql<Page>(product.origin, LIST, { first: 50, after }, lister.token);
  if (deep.images.edges.length !== 50) throw new Error(`the page at depth ${s.deepCursor} has ${deep.images.edges.length} images`);
  const runs = await alternate(ctx, {
    page1: { ...productListTarget(ctx), label: 'list of 50, page 1 (item 3)' },
    deep: { ...productListTarget(ctx, after), label: `list of 50 at depth ${s.deepCursor}` },
  });
  const ratio = pairedRatio(rps(runs.page1!), rps(runs.deep!));
  results.rows.push({
    item: '3',
    what: `list of 50 after cursor depth ${s.deepCursor}, ${s.connections} connections`,
    unit: 'req/s',
    product: summarize(rps(runs.deep!)),
    anchor: { name: 'page 1, same server', figure: summarize(rps(runs.page1!)) },
    ratio: pairedRatio(rps(runs.deep!), rps(runs.page1!)),
    note: `time per request deep / page 1: ${fmtFigure(ratio)}×; p50 ${fmtFigure(summarize(runs.deep!.map((r) => r.p50)), 'ms')} vs ${fmtFigure(summarize(runs.page1!.map((r) => r.p50)), 'ms')}`,
  });
  const sql = await rawListSql(product.pgUrl, lister.id, s.deepCursor, s.rounds, s.quick ? 50 : 500);
  results.rows.push(
    {
      item: '3',
      what: `bare SQL, keyset page at depth ${s.deepCursor} (1 connection)`,
      unit: 'ms',
      product: sql.deep,
      anchor: { name: 'bare SQL page 1', figure: sql.page1 },
      ratio: summarize([sql.deep.median / sql.page1.median]),
    },
    {
      item: '3',
      what: `bare SQL, OFFSET ${s.deepCursor} (what keyset avoids)`,
      unit: 'ms',
      product: sql.offset,
      anchor: { name: `bare SQL keyset at depth ${s.deepCursor}`, figure: sql.deep },
      ratio: summarize([sql.offset.median / sql.deep.median]),
    },
  );
  results.limits.push(checkLimit('L8 pagination', `page at depth ${s.deepCursor} takes ≤ 1.5× page 1 (time per request)`, '<=', 1.5, ratio.median));
}
