import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { BenchContext } from '../lib/context.ts';
import { gql, login } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { pairedRatio, quantile, summarize } from '../lib/stats.ts';

/** What the admin dashboard asks for every few seconds while jobs run. */
export const ADMIN_STATS = `query AdminStats { adminStats {
  generatedAt
  totals { images originalBytes thumbnailBytes users }
  uploadsPerDay { day images bytes }
  tiers { tier { id name thumbnailHeights } users images originalBytes thumbnailBytes imagesOutOfStep }
  jobs { queued running failed queues { queue queued running failed } }
  topUsers { user { id username } images bytes }
} }`;

/** The same figures the slow way, over every image row: what the counters spare the dashboard. */
const DIRECT_SQL = [
  `select count(*), sum(bytes), sum((select coalesce(sum(s), 0) from unnest(thumbnail_sizes) s)) from images`,
  `select u.tier_id, count(*), sum(i.bytes), count(*) filter (where not (i.stored_heights @> t.thumbnail_heights and i.stored_heights <@ t.thumbnail_heights))
     from images i join users u on u.id = i.owner_id join tiers t on t.id = u.tier_id group by u.tier_id`,
  `select owner_id, sum(bytes) from images group by owner_id order by 2 desc limit 10`,
  `select (created_at at time zone 'UTC')::date, count(*) from images where created_at > now() - interval '30 days' group by 1`,
];

/**
 * Issue 17: adminStats with the seeded rows (1 million in the full run), one request at a time, p50
 * per round; against the same figures aggregated directly over the images table in bare SQL.
 */
export async function adminStatsSection(ctx: BenchContext): Promise<void> {
  const { s, product, results } = ctx;
  const token = await login(product.origin, product.admin.username, product.admin.password);
  const perRound = s.quick ? 20 : 100;
  const stats = await gql<{ adminStats: { totals: { images: number } } }>(product.origin, ADMIN_STATS, {}, token);
  if (stats.adminStats.totals.images < s.tableRows) throw new Error(`adminStats counts ${stats.adminStats.totals.images} images, fewer than the ${s.tableRows} seeded`);
  const client = new pg.Client({ connectionString: product.pgUrl });
  await client.connect();
  const p50s: number[] = [];
  const direct: number[] = [];
  try {
    for (let round = 0; round < Math.max(3, s.rounds); round++) {
      const samples: number[] = [];
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        await gql(product.origin, ADMIN_STATS, {}, token);
        samples.push(performance.now() - t0);
      }
      p50s.push(quantile(samples, 0.5));
      // the direct aggregates scan the table: a few runs are enough to time them
      const t0 = performance.now();
      const runs = s.quick ? 5 : 2;
      for (let i = 0; i < runs; i++) for (const text of DIRECT_SQL) await client.query(text);
      direct.push((performance.now() - t0) / runs);
    }
  } finally {
    await client.end();
  }
  const p50 = summarize(p50s);
  results.rows.push({
    item: '17',
    what: `adminStats p50 latency over HTTP with ${stats.adminStats.totals.images} images, one request at a time`,
    unit: 'ms',
    product: p50,
    anchor: { name: 'the same figures aggregated over the images table in bare SQL (1 connection)', figure: summarize(direct) },
    ratio: pairedRatio(p50s, direct),
    note: `${perRound} requests per round; the product reads counters (image_tallies, upload_days) kept in step by triggers, plus pg-boss's job table`,
  });
  results.limits.push(checkLimit('I17 adminStats', 'adminStats p50 ≤ 50 ms with the seeded images, as a fraction of 50 ms', '<=', 1, p50.median / 50));
}
