import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../lib/context.ts';
import type { LoadResult, LoadTarget } from '../lib/load.ts';
import { startNodeAnchor } from '../lib/processes.ts';
import { gql, graphqlHeaders, LOGIN } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { pairedRatio, summarize } from '../lib/stats.ts';
import { alternate } from '../lib/throughput.ts';

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);

const EXPIRING = 'mutation Link($imageId: ID!, $expiresIn: Int!) { createExpiringLink(imageId: $imageId, expiresIn: $expiresIn) { url expiresAt } }';

/**
 * Item 5: createExpiringLink and login req/s. Login is set against a bare Node server that only runs
 * argon2id at the product's cost, so the table shows how much of a login is the hash.
 */
export async function linksAndLoginSection(ctx: BenchContext, listerImageId: string): Promise<void> {
  const { product, lister, results } = ctx;
  const argon = await startNodeAnchor('argon2', [], ctx.logDir);
  try {
    // a login window ends with up to one argon2 hash per connection still queued; let it drain
    const settle = ctx.s.quick ? 0.3 : 1;
    const minSeconds = 1;
    const linkBody = JSON.stringify({ query: EXPIRING, variables: { imageId: listerImageId, expiresIn: 3600 } });
    await gql(product.origin, EXPIRING, { imageId: listerImageId, expiresIn: 3600 }, lister.token);
    const post = (label: string, origin: string, path: string, headers: Record<string, string>, body: string): LoadTarget => ({ label, origin, method: 'POST', path, headers, body });
    const targets: Record<string, LoadTarget> = {
      link: post('createExpiringLink (product)', product.origin, '/graphql', graphqlHeaders(lister.token), linkBody),
      typename: post('{ __typename } (product, item 5)', product.origin, '/graphql', graphqlHeaders(), '{"query":"{ __typename }"}'),
      login: {
        ...post('login (product)', product.origin, '/graphql', graphqlHeaders(), ''),
        bodies: ctx.loginUsers.map((u) => JSON.stringify({ query: LOGIN, variables: u })),
        settle,
        minSeconds,
      },
      argon2: { ...post('argon2.verify (bare Node)', argon.url, '/login', { 'content-type': 'application/json' }, JSON.stringify({ password: 'bench-password-1' })), settle, minSeconds },
    };
    targets.login!.body = targets.login!.bodies![0];
    const runs = await alternate(ctx, targets);
    results.rows.push(
      {
        item: '5',
        what: `createExpiringLink, ${ctx.s.connections} connections`,
        unit: 'req/s',
        product: summarize(rps(runs.link!)),
        anchor: { name: 'product { __typename }', figure: summarize(rps(runs.typename!)) },
        ratio: pairedRatio(rps(runs.link!), rps(runs.typename!)),
      },
      {
        item: '5',
        what: `login (argon2id 19 MiB, t=2), ${ctx.loginUsers.length} accounts in turn`,
        unit: 'req/s',
        product: summarize(rps(runs.login!)),
        anchor: { name: 'bare Node argon2.verify only, same cost', figure: summarize(rps(runs.argon2!)) },
        ratio: pairedRatio(rps(runs.login!), rps(runs.argon2!)),
        note: `p50 ${Math.round(summarize(runs.login!.map((r) => r.p50)).median)} ms vs ${Math.round(summarize(runs.argon2!.map((r) => r.p50)).median)} ms`,
      },
    );
    await signingMicro(ctx);
  } finally {
    await argon.service.stop();
  }
}

interface Signer {
  sign(payload: string): string;
  verify(payload: string, signature: unknown): boolean;
}

/**
 * Limit 9: the product's LinkSigner (from its build) against a bare createHmac, µs per operation on
 * payloads never seen before, so its memo never answers.
 */
async function signingMicro(ctx: BenchContext): Promise<void> {
  const { LinkSigner } = (await import(join(ctx.serverDir, 'dist/links/link-signer.js'))) as { LinkSigner: new (keys: string[]) => Signer };
  const key = randomBytes(32).toString('base64url');
  // a KeyObject, as PERFORMANCE.md's hmac-bench.mjs measured it: a raw Buffer key is imported on
  // every createHmac, which costs several times the hash itself on this box
  const bareKey = createSecretKey(Buffer.from(key));
  const batch = ctx.s.quick ? 5_000 : 50_000;
  let seq = 0;
  const payloads = () => Array.from({ length: batch }, () => `file:${(seq++).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000/h200`);
  const time = (work: () => void) => {
    const t0 = performance.now();
    work();
    return ((performance.now() - t0) * 1000) / batch;
  };
  const samples = { sign: [] as number[], verify: [] as number[], bare: [] as number[] };
  for (let round = 0; round < Math.max(3, ctx.s.rounds); round++) {
    const signer = new LinkSigner([key]);
    const fresh = payloads();
    samples.sign.push(time(() => fresh.forEach((p) => signer.sign(p))));
    // a second instance verifies, so each check computes its HMAC instead of finding the signer's memo
    const checked = payloads();
    const signatures = checked.map((p) => signer.sign(p));
    const verifier = new LinkSigner([key]);
    samples.verify.push(time(() => checked.forEach((p, i) => verifier.verify(p, signatures[i]))));
    const bare = payloads();
    samples.bare.push(time(() => bare.forEach((p) => createHmac('sha256', bareKey).update(p).digest().subarray(0, 16).toString('base64url'))));
  }
  const bare = summarize(samples.bare);
  for (const op of ['sign', 'verify'] as const) {
    const figure = summarize(samples[op]);
    ctx.results.rows.push({
      item: '5',
      what: `link ${op}, product LinkSigner, new payloads`,
      unit: 'µs',
      product: figure,
      anchor: { name: 'bare createHmac sign (KeyObject key)', figure: bare },
      ratio: pairedRatio(samples[op], samples.bare),
    });
    // 10 µs against Node's 6–7 µs createHmac on this box: judged as a ratio to the bare HMAC of this run,
    // since absolute µs move with whatever else the machine is doing
    const ratio = pairedRatio(samples[op], samples.bare).median;
    const limit = checkLimit('L9 signing', `link ${op} ≤ 10 µs, i.e. ≤ 1.5× a bare createHmac sign`, '<=', 1.5, ratio);
    ctx.results.limits.push({ ...limit, detail: `${limit.detail}; ${figure.median.toFixed(1)} µs vs ${bare.median.toFixed(1)} µs` });
  }
}
