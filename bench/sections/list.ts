import { startDjango } from '../anchors/django.ts';
import type { BenchContext } from '../lib/context.ts';
import type { LoadResult, LoadTarget } from '../lib/load.ts';
import { answers, startNodeAnchor, type Service } from '../lib/processes.ts';
import { gql, graphqlHeaders } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { fmtFigure, pairedRatio, summarize } from '../lib/stats.ts';
import { alternate } from '../lib/throughput.ts';
import { deepPage } from './pagination.ts';

/** What a client of the product asks for: a page of its images with every thumbnail link and the original link. */
export const LIST = `query List($first: Int!, $after: String) {
  images(first: $first, after: $after) {
    edges { cursor node { id width height createdAt originalUrl thumbnails { size url } } }
    pageInfo { endCursor hasNextPage }
  }
}`;

export interface Page {
  images: { edges: Array<{ node: { id: string; thumbnails: Array<{ size: number; url: string }>; originalUrl: string | null } }>; pageInfo: { endCursor: string; hasNextPage: boolean } };
}

export const productListTarget = (ctx: BenchContext, after?: string): LoadTarget => ({
  label: 'list of 50 (product)',
  origin: ctx.product.origin,
  method: 'POST',
  path: '/graphql',
  headers: graphqlHeaders(ctx.lister.token),
  body: JSON.stringify({ query: LIST, variables: { first: 50, ...(after ? { after } : {}) } }),
});

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);
const p99 = (runs: LoadResult[]) => runs.map((r) => r.p99);

/** Same keys in the same order, same types and array lengths, all the way down: the same JSON shape, whatever the values. */
function shapeOf(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(shapeOf).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${k}:${shapeOf(v)}`).join(',')}}`;
  return value === null ? 'null' : typeof value;
}

/**
 * The bare node:http + pg anchor must send what the product sends for the same request, or the ratio
 * compares different work: the same shape is required, the same bytes are expected (same rows, same
 * signing key); any difference in values is said in the notes.
 */
async function checkSameAnswer(ctx: BenchContext, bare: string): Promise<void> {
  const target = productListTarget(ctx);
  const answer = (origin: string) => fetch(`${origin}/graphql`, { method: 'POST', headers: target.headers, body: target.body }).then((res) => res.text());
  const [mine, theirs] = [await answer(ctx.product.origin), await answer(bare)];
  if (shapeOf(JSON.parse(mine)) !== shapeOf(JSON.parse(theirs))) {
    throw new Error(`the bare node:http + pg list anchor answers another shape than the product:\nproduct ${mine.slice(0, 400)}\nanchor  ${theirs.slice(0, 400)}`);
  }
  if (mine !== theirs) {
    let at = 0;
    while (mine[at] === theirs[at]) at++;
    const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 40), at + 40));
    ctx.results.notes.push(
      `item 2: the bare list anchor’s answer has the product’s shape but not its bytes (${mine.length} vs ${theirs.length} bytes; first difference at byte ${at}: product ${around(mine)}, anchor ${around(theirs)})`,
    );
  }
}

/**
 * Item 2: the list of 50 with links for the user with the seeded images, against the bare node:http +
 * pg handler doing the same SQL, signatures and JSON, bare Apollo, `{ __typename }` on the same server
 * and the seeds' Django stack; then item 3, the page at cursor depth `deepCursor` against page 1.
 */
export async function listSection(ctx: BenchContext): Promise<void> {
  const { s, product, lister, results } = ctx;
  const services: Service[] = [];
  try {
    const page = await gql<Page>(product.origin, LIST, { first: 50 }, lister.token);
    if (page.images.edges.length !== 50) throw new Error(`page 1 has ${page.images.edges.length} images`);
    const signatures = JSON.stringify(page).match(/sig=/g)?.length ?? 0;

    const bare = await startNodeAnchor('node-pg-list', [], ctx.logDir, {
      env: {
        PG_URL: product.pgUrl,
        AUTH_SECRET: product.secrets.auth,
        LINK_KEY: product.secrets.linkKeys.split(',')[0]!.trim(),
        PUBLIC_URL: product.origin,
        OWNER_ID: lister.id,
      },
    });
    services.push(bare.service);
    await checkSameAnswer(ctx, bare.url);
    const apollo = await startNodeAnchor('apollo', [], ctx.logDir, {
      env: { PG_URL: product.pgUrl, OWNER_ID: lister.id },
      ready: (url) => answers(`${url}/graphql`, { method: 'POST', headers: graphqlHeaders(), body: '{"query":"{ hello }"}' }),
    });
    services.push(apollo.service);
    const apolloList = 'query L($first: Int!) { images(first: $first) { id width height createdAt original thumbs { size url } } }';
    const post = (label: string, origin: string, body: string, token?: string): LoadTarget => ({ label, origin, method: 'POST', path: '/graphql', headers: graphqlHeaders(token), body });
    const targets: Record<string, LoadTarget> = {
      list: productListTarget(ctx),
      bareList: { ...productListTarget(ctx), label: 'list of 50 (bare node:http + pg)', origin: bare.url },
      typename: post('{ __typename } (product)', product.origin, '{"query":"{ __typename }"}'),
      apolloHello: post('{ hello } (bare Apollo standalone)', apollo.url, '{"query":"{ hello }"}'),
      apolloList: post('list of 50 (bare Apollo + pg)', apollo.url, JSON.stringify({ query: apolloList, variables: { first: 50 } })),
    };
    const { django: found } = ctx.anchors;
    if (found.python) {
      const django = await startDjango(found.python, found.version!, ctx.workDir, ctx.logDir, s.listerImages);
      services.push(django.service);
      targets.django = { label: 'list of 50 (Django + DRF, gunicorn ×2)', origin: django.origin, path: django.path, closesConnections: true };
    }
    const runs = await alternate(ctx, targets);
    const conns = `${s.connections} connections`;
    const vs = (a: string, b: string) => pairedRatio(rps(runs[a]!), rps(runs[b]!));
    // a req/s row: target `a` beside target `b` of the same run
    const rpsRow = (what: string, a: string, anchorName: string, b: string) => ({
      item: '2',
      what,
      unit: 'req/s',
      product: summarize(rps(runs[a]!)),
      anchor: { name: anchorName, figure: summarize(rps(runs[b]!)) },
      ratio: vs(a, b),
    });
    results.rows.push(
      {
        item: '2',
        what: `images(first: 50) with thumbnail + original links, user with ${s.listerImages} of ${s.tableRows} rows, ${conns}`,
        unit: 'req/s',
        product: summarize(rps(runs.list!)),
        anchor: { name: 'bare node:http + pg: same SQL, 1 HMAC for the token + 1 per link, same JSON', figure: summarize(rps(runs.bareList!)) },
        ratio: vs('list', 'bareList'),
        note: `p50 ${fmtFigure(summarize(runs.list!.map((r) => r.p50)), 'ms')} vs ${fmtFigure(summarize(runs.bareList!.map((r) => r.p50)), 'ms')}; the product knows the viewer from its in-process credential cache (no query per request), the anchor reads the tier once at start`,
      },
      {
        item: '2',
        what: 'same list, p99 latency',
        unit: 'ms',
        product: summarize(p99(runs.list!)),
        anchor: { name: 'bare node:http + pg', figure: summarize(p99(runs.bareList!)) },
        ratio: pairedRatio(p99(runs.list!), p99(runs.bareList!)),
      },
      rpsRow('same list, against bare Apollo', 'list', 'bare Apollo standalone + pg + 3 HMAC/row', 'apolloList'),
      rpsRow(`{ __typename } on the product, ${conns}`, 'typename', 'bare Apollo standalone { hello }', 'apolloHello'),
      rpsRow('list of 50 against { __typename }, both on the product', 'list', 'product { __typename }', 'typename'),
    );
    results.limits.push(
      checkLimit('L6 GraphQL', 'list of 50 ≥ 0.5× bare node:http + pg (issue 12)', '>=', 0.5, vs('list', 'bareList').median),
      checkLimit('L6 GraphQL', '{ __typename } ≥ 0.8× bare Apollo { hello }', '>=', 0.8, vs('typename', 'apolloHello').median),
      checkLimit('L6 GraphQL', 'list of 50 ≥ 0.8× bare Apollo + pg (apollo-pg)', '>=', 0.8, vs('list', 'apolloList').median),
    );
    if (runs.django) {
      results.rows.push(
        {
          item: '2',
          what: 'list of 50 vs the seeds’ stack',
          unit: 'req/s',
          product: summarize(rps(runs.list!)),
          anchor: { name: `Django+DRF, gunicorn 2 sync workers, SQLite (${ctx.anchors.django.version})`, figure: summarize(rps(runs.django)) },
          ratio: vs('list', 'django'),
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
      checkLimit('L7 vs Django', 'list of 50 req/s ≥ 3× Django+DRF (gunicorn ×2) (issue 12)', '>=', 3, runs.django && vs('list', 'django').median, djangoMissing),
      checkLimit('L7 vs Django', 'list of 50 p99 ≤ 0.2× Django+DRF’s (issue 12)', '<=', 0.2, runs.django && pairedRatio(p99(runs.list!), p99(runs.django)).median, djangoMissing),
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
