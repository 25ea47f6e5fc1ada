import { startDjango } from '../anchors/django.ts';
import type { BenchContext } from '../lib/context.ts';
import { load, type LoadResult, type LoadTarget } from '../lib/load.ts';
import { answers, startNodeAnchor, type Service } from '../lib/processes.ts';
import { gql, graphqlHeaders } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { rawListSql } from '../lib/seed.ts';
import { fmtFigure, pairedRatio, summarize } from '../lib/stats.ts';

/** What a client of the product asks for: a page of its images with every thumbnail link and the original link. */
export const LIST = `query List($first: Int!, $after: String) {
  images(first: $first, after: $after) {
    edges { cursor node { id width height createdAt originalUrl thumbnails { size url } } }
    pageInfo { endCursor hasNextPage }
  }
}`;

interface Page {
  images: { edges: Array<{ node: { id: string; thumbnails: Array<{ size: number; url: string }>; originalUrl: string | null } }>; pageInfo: { endCursor: string; hasNextPage: boolean } };
}

export const productListTarget = (ctx: BenchContext, after?: string): LoadTarget => ({
  origin: ctx.product.origin,
  method: 'POST',
  path: '/graphql',
  headers: graphqlHeaders(ctx.lister.token),
  body: JSON.stringify({ query: LIST, variables: { first: 50, ...(after ? { after } : {}) } }),
});

/** Runs one measured window; a section may wrap it to read the product's metrics around it. */
export type WindowWrap = (name: string, run: () => Promise<LoadResult>) => Promise<LoadResult>;

/** Each target once, then `rounds` windows per target in turn (A B C A B C…), after a warm-up each. */
export async function alternate(ctx: BenchContext, targets: Record<string, LoadTarget>, wrap: WindowWrap = (_, run) => run()): Promise<Record<string, LoadResult[]>> {
  const connections = ctx.s.connections;
  const out: Record<string, LoadResult[]> = {};
  for (const [name, target] of Object.entries(targets)) {
    out[name] = [];
    await load(target, { seconds: ctx.s.warmup, connections, warmup: true });
  }
  for (let round = 0; round < ctx.s.rounds; round++) {
    for (const [name, target] of Object.entries(targets)) out[name]!.push(await wrap(name, () => load(target, { seconds: ctx.s.window, connections })));
  }
  return out;
}

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);
const p99 = (runs: LoadResult[]) => runs.map((r) => r.p99);

/**
 * Items 2 and 3: the list of 50 with links for the user with the seeded images, against `{ __typename }`
 * on the same server, the bare Apollo figures and the seeds' Django stack; then the page at cursor
 * depth `deepCursor` against page 1.
 */
export async function listSection(ctx: BenchContext): Promise<void> {
  const { s, product, lister, results } = ctx;
  const services: Service[] = [];
  try {
    const page = await gql<Page>(product.origin, LIST, { first: 50 }, lister.token);
    if (page.images.edges.length !== 50) throw new Error(`page 1 has ${page.images.edges.length} images`);
    const signatures = JSON.stringify(page).match(/sig=/g)?.length ?? 0;

    const apollo = await startNodeAnchor('apollo', [], ctx.logDir, {
      env: { PG_URL: product.pgUrl, OWNER_ID: lister.id },
      ready: (url) => answers(`${url}/graphql`, { method: 'POST', headers: graphqlHeaders(), body: '{"query":"{ hello }"}' }),
    });
    services.push(apollo.service);
    const apolloList = 'query L($first: Int!) { images(first: $first) { id width height createdAt original thumbs { size url } } }';
    const targets: Record<string, LoadTarget> = {
      list: productListTarget(ctx),
      typename: { origin: product.origin, method: 'POST', path: '/graphql', headers: graphqlHeaders(), body: '{"query":"{ __typename }"}' },
      apolloHello: { origin: apollo.url, method: 'POST', path: '/graphql', headers: graphqlHeaders(), body: '{"query":"{ hello }"}' },
      apolloList: { origin: apollo.url, method: 'POST', path: '/graphql', headers: graphqlHeaders(), body: JSON.stringify({ query: apolloList, variables: { first: 50 } }) },
    };
    const { django: found } = ctx.anchors;
    if (found.python) {
      const django = await startDjango(found.python, found.version!, ctx.workDir, ctx.logDir, s.listerImages);
      services.push(django.service);
      targets.django = { origin: django.origin, path: django.path, closesConnections: true };
    }
    const runs = await alternate(ctx, targets);
    const conns = `${s.connections} connections`;
    results.rows.push(
      {
        item: '2',
        what: `images(first: 50) with thumbnail + original links, user with ${s.listerImages} of ${s.tableRows} rows, ${conns}`,
        unit: 'req/s',
        product: summarize(rps(runs.list!)),
        anchor: { name: 'bare Apollo standalone + pg + 3 HMAC/row', figure: summarize(rps(runs.apolloList!)) },
        ratio: pairedRatio(rps(runs.list!), rps(runs.apolloList!)),
        note: `p50 ${fmtFigure(summarize(runs.list!.map((r) => r.p50)), 'ms')}`,
      },
      {
        item: '2',
        what: 'same list, p99 latency',
        unit: 'ms',
        product: summarize(p99(runs.list!)),
        anchor: { name: 'bare Apollo standalone + pg', figure: summarize(p99(runs.apolloList!)) },
        ratio: pairedRatio(p99(runs.list!), p99(runs.apolloList!)),
      },
      {
        item: '2',
        what: `{ __typename } on the product, ${conns}`,
        unit: 'req/s',
        product: summarize(rps(runs.typename!)),
        anchor: { name: 'bare Apollo standalone { hello }', figure: summarize(rps(runs.apolloHello!)) },
        ratio: pairedRatio(rps(runs.typename!), rps(runs.apolloHello!)),
      },
      {
        item: '2',
        what: 'list of 50 against { __typename }, both on the product',
        unit: 'req/s',
        product: summarize(rps(runs.list!)),
        anchor: { name: 'product { __typename }', figure: summarize(rps(runs.typename!)) },
        ratio: pairedRatio(rps(runs.list!), rps(runs.typename!)),
      },
    );
    results.limits.push(
      checkLimit('L6 GraphQL', '{ __typename } ≥ 0.8× bare Apollo { hello }', '>=', 0.8, pairedRatio(rps(runs.typename!), rps(runs.apolloHello!)).median),
      checkLimit('L6 GraphQL', 'list of 50 ≥ 0.8× bare Apollo + pg (apollo-pg)', '>=', 0.8, pairedRatio(rps(runs.list!), rps(runs.apolloList!)).median),
    );
    if (runs.django) {
      results.rows.push(
        {
          item: '2',
          what: 'list of 50 vs the seeds’ stack',
          unit: 'req/s',
          product: summarize(rps(runs.list!)),
          anchor: { name: `Django+DRF, gunicorn 2 sync workers, SQLite (${ctx.anchors.django.version})`, figure: summarize(rps(runs.django)) },
          ratio: pairedRatio(rps(runs.list!), rps(runs.django)),
        },
        {
          item: '2',
          what: 'list of 50 vs the seeds’ stack, p99',
          unit: 'ms',
          product: summarize(p99(runs.list!)),
          anchor: { name: 'Django+DRF, gunicorn 2 sync workers', figure: summarize(p99(runs.django)) },
          ratio: pairedRatio(p99(runs.list!), p99(runs.django)),
        },
      );
    }
    const djangoMissing = `Django ${ctx.anchors.django.note}`;
    results.limits.push(
      checkLimit('L7 vs Django', 'list of 50 req/s ≥ 1.5× Django+DRF (gunicorn ×2)', '>=', 1.5, runs.django && pairedRatio(rps(runs.list!), rps(runs.django)).median, djangoMissing),
      checkLimit('L7 vs Django', 'list of 50 p99 ≤ 2× Django+DRF’s', '<=', 2, runs.django && pairedRatio(p99(runs.list!), p99(runs.django)).median, djangoMissing),
    );
    results.limits.push({
      id: 'L9 signing',
      text: 'signatures per page of 50 ≤ 150 (1 per image preferred)',
      op: '<=',
      bound: 150,
      measured: signatures,
      verdict: signatures <= 150 ? 'PASS' : 'MISS',
      detail: `${signatures} signed links per page (${signatures / 50} per image)`,
    });
    await deepPage(ctx);
  } finally {
    for (const service of services.reverse()) await service.stop();
  }
}

/** Item 3: the page after cursor depth `deepCursor` against page 1, then the same in bare SQL. */
async function deepPage(ctx: BenchContext): Promise<void> {
  const { s, product, lister, results } = ctx;
  // walk the pages as a client would, 100 at a time, to hold the cursor at that depth
  let after: string | undefined;
  for (let seen = 0; seen < s.deepCursor; seen += 100) {
    const first = Math.min(100, s.deepCursor - seen);
    after = (await gql<Page>(product.origin, LIST, { first, after }, lister.token)).images.pageInfo.endCursor;
  }
  const deep = await gql<Page>(product.origin, LIST, { first: 50, after }, lister.token);
  if (deep.images.edges.length !== 50) throw new Error(`the page at depth ${s.deepCursor} has ${deep.images.edges.length} images`);
  const runs = await alternate(ctx, { page1: productListTarget(ctx), deep: productListTarget(ctx, after) });
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
