import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mustGql, login, newUser, TIERS, upload } from './api.ts';
import { firstCode, parseJson, type FuzzCase, type FuzzContext } from './cases.ts';
import { graphqlCase, loadSchema } from './graphql-cases.ts';
import { newAgent, send } from './http.ts';
import { makeForeign, makeSeeds } from './images.ts';
import { linkCase } from './link-cases.ts';
import { uploadCase } from './upload-cases.ts';
import { Random } from './random.ts';
import { MB, memoryBreakdown, rssBytes, settledRss, startServer, tail, watchRss, type ServerUnderTest } from './server.ts';
import { holdings, storageViolations } from './storage-check.ts';

export interface FuzzSettings {
  seed: number;
  requests: number;
  concurrency: number;
  /** After the run, settled RSS must stay below baseline + this. */
  memoryBoundMb: number;
  oversize: boolean;
  quick: boolean;
  /** Extra server environment. */
  env: Record<string, string>;
}

interface Tally {
  byFamily: Map<string, number>;
  byStatus: Map<string, number>;
  byCode: Map<string, number>;
  failures: Array<{ index: number; family: string; label: string; problem: string }>;
  acknowledged: Set<string>;
}

// far beyond any honest answer here (the slowest is a 25 MB upload over loopback); a request still
// unanswered then is a hung connection, which a client would see as an outage
const REQUEST_TIMEOUT_MS = 30_000;

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;

/** Uploads a few valid images as the fuzz user, so generated ids and links can hit real rows. */
async function prepare(server: ServerUnderTest, maxPixels: number, maxUploadBytes: number): Promise<FuzzContext> {
  const adminToken = await login(server.origin, server.admin.username, server.admin.password);
  const user = await newUser(server.origin, adminToken, 'fuzz-user', TIERS.enterprise);
  const seeds = await makeSeeds();
  for (const seed of seeds.slice(0, 6)) {
    const answer = await upload(server.origin, user.token, { bytes: new Uint8Array(seed.bytes), name: 'seed.bin', type: 'image/png' });
    if (!answer.data?.uploadImage) throw new Error(`a valid seed image (${seed.label}) was refused: ${JSON.stringify(answer.errors)}`);
  }
  const data = await mustGql(server.origin, '{ images(first: 50) { edges { node { id thumbnails { size url } } } } }', {}, user.token);
  const nodes = data.images.edges.map((e: any) => e.node) as Array<{ id: string; thumbnails: Array<{ size: number; url: string }> }>;
  const knownLinks = nodes.flatMap((n) => n.thumbnails.filter((t) => t.size === 200).map((t) => new URL(t.url).pathname + new URL(t.url).search));
  return { userToken: user.token, adminToken, knownImageIds: nodes.map((n) => n.id), knownLinks, maxPixels, maxUploadBytes };
}

/** Runs the generated requests, `concurrency` at a time; cases are generated in order, so a seed replays exactly. */
async function fire(server: ServerUnderTest, settings: FuzzSettings, ctx: FuzzContext, tally: Tally): Promise<void> {
  const rng = new Random(settings.seed);
  const schema = loadSchema();
  const seeds = await makeSeeds();
  const foreign = await makeForeign();
  const agent = newAgent(settings.concurrency);
  let next = 0;
  const generate = (): FuzzCase => {
    const kind = rng.weighted([['upload', 40], ['graphql', 50], ['link', 10]] as const);
    if (kind === 'upload') return uploadCase(rng, ctx, seeds, foreign, settings.oversize);
    return kind === 'graphql' ? graphqlCase(rng, schema, ctx) : linkCase(rng, ctx);
  };
  const started = Date.now();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (next < settings.requests) {
        const index = next++;
        const fuzzCase = generate();
        const response = await send(server.origin, agent, fuzzCase.request, REQUEST_TIMEOUT_MS);
        const json = parseJson(response.body);
        bump(tally.byFamily, fuzzCase.family);
        bump(tally.byStatus, `${fuzzCase.kind} ${response.status}`);
        const code = firstCode(json);
        if (code) bump(tally.byCode, `${fuzzCase.kind} ${code}`);
        for (const id of fuzzCase.storedIds?.(json) ?? []) tally.acknowledged.add(id);
        const problem = fuzzCase.judge(response, json);
        if (problem) tally.failures.push({ index, family: fuzzCase.family, label: fuzzCase.label.slice(0, 400), problem });
        if (index > 0 && index % 1000 === 0) console.error(`[fuzz] ${index}/${settings.requests} requests, ${((Date.now() - started) / 1000).toFixed(0)} s, ${tally.failures.length} failures, RSS ${mb(rssBytes(server.pid))}`);
      }
    }),
  );
  agent.destroy();
}

function table(map: Map<string, number>): string {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `    ${key.padEnd(36)} ${n}`).join('\n');
}

/** Requests of the warm-up before the memory baseline: a quarter of the run, at least 200. */
function warmUpRequests(settings: FuzzSettings): number {
  return Math.max(200, Math.round(settings.requests / 4));
}

/** Starts the server, fires the requests, checks every invariant; passed/failed count requests and invariants together. */
export async function runFuzz(settings: FuzzSettings, workDir: string): Promise<{ passed: number; failed: number }> {
  const maxPixels = 50_000_000;
  const maxUploadBytes = 25 * MB;
  const server = await startServer(workDir, { MAX_IMAGE_PIXELS: String(maxPixels), MAX_UPLOAD_BYTES: String(maxUploadBytes), ...settings.env });
  const tally: Tally = { byFamily: new Map(), byStatus: new Map(), byCode: new Map(), failures: [], acknowledged: new Set() };
  const invariants: Array<{ name: string; problem?: string }> = [];
  try {
    const ctx = await prepare(server, maxPixels, maxUploadBytes);
    const coldRss = await settledRss(server.pid, 10);
    // a warm-up of the same mix first (its own seed, its answers judged too): a fresh process has not
    // yet sized its V8 heap, allocator arenas and caches, so its RSS is no baseline a run can return to;
    // what the run must not do is grow memory past where serving such traffic already put it
    const warmTally: Tally = { byFamily: new Map(), byStatus: new Map(), byCode: new Map(), failures: [], acknowledged: new Set() };
    await fire(server, { ...settings, seed: settings.seed + 1, requests: warmUpRequests(settings) }, ctx, warmTally);
    tally.failures.push(...warmTally.failures.map((failure) => ({ ...failure, label: `warm-up: ${failure.label}` })));
    const baseline = await settledRss(server.pid, 10);
    const baselineBreakdown = await memoryBreakdown(server);
    const before = await holdings(server);
    const watch = watchRss(server.pid);
    await fire(server, settings, ctx, tally);
    const peak = watch.stop();

    const alive = server.alive();
    invariants.push({ name: 'server process still running', problem: alive ? undefined : `exited with ${server.exitCode()}:\n${tail(server.logFile)}` });
    const ready = await fetch(`${server.origin}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, (e: Error) => e.message);
    invariants.push({ name: '/readyz answers 200', problem: ready === 200 ? undefined : `answered ${ready}` });
    // graphql-upload releases its buffers when the response has gone, so let the last ones close first
    const after = alive ? await settledRss(server.pid, settings.quick ? 10 : 30) : 0;
    const afterBreakdown = alive ? await memoryBreakdown(server) : 'n/a';
    const held = await holdings(server);
    const problems = storageViolations(before, held, tally.acknowledged);
    invariants.push({ name: 'rows and files are exactly the acknowledged uploads; no temp file left', problem: problems.length ? problems.join('; ') : undefined });
    const bound = baseline + settings.memoryBoundMb * MB;
    invariants.push({ name: `RSS after settling < baseline + ${settings.memoryBoundMb} MB`, problem: after < bound ? undefined : `baseline ${mb(baseline)}, after ${mb(after)}` });
    const exit = await server.stop();
    invariants.push({ name: 'clean shutdown (exit 0)', problem: exit === 0 ? undefined : `exit ${exit}:\n${tail(server.logFile)}` });

    const requests = settings.requests;
    const kinds = new Map<string, number>();
    for (const [family, n] of tally.byFamily) kinds.set(family.split('/')[0]!, (kinds.get(family.split('/')[0]!) ?? 0) + n);
    const summary = [
      `seed ${settings.seed}; ${Object.keys(settings.env).length ? `server env ${JSON.stringify(settings.env)}; ` : ''}${requests} requests: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}; ${tally.acknowledged.size} uploads accepted, ${held.rows.size - before.rows.size} rows added`,
      `memory (server RSS): fresh process ${mb(coldRss)}, after a ${warmUpRequests(settings)}-request warm-up (the baseline) ${mb(baseline)}, peak ${mb(peak)}, after settling ${mb(after)} (bound ${mb(bound)})`,
      `  at baseline: ${baselineBreakdown}`,
      `  after:       ${afterBreakdown}`,
      '  requests by family:', table(tally.byFamily),
      '  HTTP status by kind:', table(tally.byStatus),
      '  error codes by kind:', table(tally.byCode),
      '  invariants:', ...invariants.map((i) => `    ${i.problem ? 'FAIL' : 'ok  '} ${i.name}${i.problem ? `: ${i.problem}` : ''}`),
    ];
    if (tally.failures.length) {
      summary.push(`  failed requests (${tally.failures.length}; first 20):`);
      for (const f of tally.failures.slice(0, 20)) summary.push(`    #${f.index} ${f.family}: ${f.problem}\n        sent: ${f.label}`);
    }
    console.log(summary.join('\n'));
    if (!settings.quick) {
      const dir = join(import.meta.dirname, '..', 'results');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'fuzz.md'), `# pnpm fuzz (${new Date().toISOString()})\n\n\`\`\`\n${summary.join('\n')}\n\`\`\`\n`);
      await writeFile(join(dir, 'fuzz.json'), `${JSON.stringify({ date: new Date().toISOString(), seed: settings.seed, requests, accepted: tally.acknowledged.size, memory: { coldRss, baseline, peak, after, bound }, byFamily: Object.fromEntries(tally.byFamily), byStatus: Object.fromEntries(tally.byStatus), byCode: Object.fromEntries(tally.byCode), invariants, failures: tally.failures }, null, 2)}\n`);
    }
    const failedInvariants = invariants.filter((i) => i.problem).length;
    return { passed: requests - tally.failures.length + invariants.length - failedInvariants, failed: tally.failures.length + failedInvariants };
  } finally {
    await server.stop();
  }
}
