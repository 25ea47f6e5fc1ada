// `pnpm bench [--quick] [--keep]`: starts the product as a user would (production build, embedded
// PostgreSQL, local storage), measures it next to its anchors in the same run, prints one table and
// writes it to bench/results/. Budgets are reported (PASS/MISS), never asserted; the run fails only
// when a measurement throws. --keep leaves the scratch folder (data, logs) in place; --only=1,4 runs
// only those items of the issue; --env=NAME=VALUE (repeatable) sets a server setting, to try a lever;
// --autocannon drives the throughput rows with autocannon instead of wrk, to compare with older runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findDjango } from './anchors/django.ts';
import { findNginx } from './anchors/nginx.ts';
import { findWrk } from './lib/wrk.ts';
import { FULL, QUICK } from './lib/config.ts';
import type { BenchContext, BenchUser } from './lib/context.ts';
import { testImages } from './lib/images.ts';
import { describeMachine, machineLine } from './lib/machine.ts';
import { stopAll, tail } from './lib/processes.ts';
import { createUser, gql, login, startProduct, TIERS, uploadImage, type Product } from './lib/product.ts';
import { newResults, toMarkdown, toText } from './lib/report.ts';
import { generatorNotes } from './lib/throughput.ts';
import { pgVersion, plantThumbnails, productPlaceholder, seedImages } from './lib/seed.ts';
import { LIST, listSection } from './sections/list.ts';
import { adminStatsSection } from './sections/admin-stats.ts';
import { linksAndLoginSection } from './sections/links-login.ts';
import { managedLinksSection } from './sections/managed-links.ts';
import { formatsSection } from './sections/formats.ts';
import { memorySection } from './sections/memory.ts';
import { thumbnailSection } from './sections/thumbnails.ts';
import { underLoadSection } from './sections/under-load.ts';
import { uploadSection } from './sections/uploads.ts';

const args = new Set(process.argv.slice(2));
const only = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const envOverrides = Object.fromEntries(
  [...args].filter((a) => a.startsWith('--env=')).map((a) => {
    const [name, ...value] = a.slice('--env='.length).split('=');
    return [name!, value.join('=')];
  }),
);
const s = args.has('--quick') ? QUICK : FULL;
const benchDir = import.meta.dirname;
const serverDir = join(benchDir, '..', 'server');
const results = newResults();
const startedAt = new Date();
const t0 = performance.now();
const log = (message: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${message}`);

process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));
process.on('SIGTERM', () => void stopAll().finally(() => process.exit(143)));

async function benchUser(product: Product, adminToken: string, username: string, tierId: string): Promise<BenchUser> {
  const password = `${username}-password-1`;
  const id = await createUser(product.origin, adminToken, username, password, tierId);
  return { id, username, password, token: await login(product.origin, username, password) };
}

type ThumbnailKey = (imageId: string, height: number, format: 'JPEG' | 'PNG') => string;

/** Everything before the first measurement: images, product, users, seeded rows, thumbnail files. */
async function setUp(workDir: string, logDir: string, machine: ReturnType<typeof describeMachine>): Promise<{ ctx: BenchContext; listerImageId: string }> {
  if (!existsSync(join(serverDir, 'dist/main.js'))) throw new Error('server/dist/main.js is missing: build the server first (`pnpm bench` does)');
  const root = process.getuid?.() === 0;
  const anchors = { nginx: findNginx(!s.quick && root), django: findDjango() };
  const generator = { ...(args.has('--autocannon') ? { clockTicks: 0, note: 'autocannon (--autocannon), in this process' } : findWrk(root)), windows: [] };
  machine.nginx = anchors.nginx.version;
  machine.django = anchors.django.version;
  machine.wrk = generator.version;
  log(`load generator: ${generator.note}; nginx: ${anchors.nginx.note}; Django: ${anchors.django.note}`);
  const images = await testImages(s, join(benchDir, '.cache', 'images'));
  log('test images ready');
  const dataDir = join(workDir, 'data');
  await mkdir(dataDir, { mode: 0o755 });
  log('starting the product (production build, embedded PostgreSQL, local storage)');
  const product = await startProduct({
    serverDir,
    dataDir,
    logDir,
    name: 'bench',
    inherit: ['TMPDIR'],
    env: {
      LOG_LEVEL: 'info',
      // the login figure measures argon2 and the throttle's bookkeeping, not its refusals
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '100000',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
      ...envOverrides,
    },
  });
  if (Object.keys(envOverrides).length) results.notes.push(`server settings changed for this run: ${Object.entries(envOverrides).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  machine.postgres = await pgVersion(product.pgUrl);
  const adminToken = await login(product.origin, product.admin.username, product.admin.password);
  const lister = await benchUser(product, adminToken, 'bench-lister', TIERS.enterprise);
  const uploader = await benchUser(product, adminToken, 'bench-uploader', TIERS.enterprise);
  const loginUsers = [];
  for (let i = 0; i < (s.quick ? 4 : s.connections); i++) {
    const username = `bench-login-${i}`;
    await createUser(product.origin, adminToken, username, `${username}-password-1`, TIERS.basic);
    loginUsers.push({ username, password: `${username}-password-1` });
  }
  log(`users created; seeding ${s.tableRows} image rows (${s.listerImages} for the listing user)`);
  const seeded = await seedImages(product.pgUrl, lister.id, s, await productPlaceholder(serverDir, images.photo.bytes));
  results.notes.push(`setup: ${s.tableRows} rows seeded in SQL in ${seeded.seconds.toFixed(1)} s (${s.listerImages} for the listing user, the rest over ${s.fillerUsers} users)`);

  const paths = (await import(join(serverDir, 'dist/images/storage-keys.js'))) as { thumbnailKey: ThumbnailKey };
  const uploaded = await uploadImage<{ id: string; thumbnails: Array<{ size: number; url: string }> }>(
    product.origin,
    uploader.token,
    images.photo,
    'id thumbnails { size url }',
  );
  const link = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };
  const hotKey = paths.thumbnailKey(uploaded.id, 200, 'JPEG');
  const thumbnailBytes = await readFile(join(product.mediaDir, hotKey));
  const hot = { path: link(uploaded.thumbnails.find((t) => t.size === 200)!.url), key: hotKey, bytes: thumbnailBytes.length };
  const coldImages: Array<{ id: string; url: string }> = [];
  let after: string | undefined;
  while (coldImages.length < s.coldFiles) {
    const page = await gql<{ images: { edges: Array<{ node: { id: string; thumbnails: Array<{ size: number; url: string }> } }>; pageInfo: { endCursor: string } } }>(
      product.origin,
      LIST,
      { first: Math.min(100, s.coldFiles - coldImages.length), after },
      lister.token,
    );
    for (const { node } of page.images.edges) coldImages.push({ id: node.id, url: node.thumbnails.find((t) => t.size === 200)!.url });
    after = page.images.pageInfo.endCursor;
  }
  log('planting thumbnails for the cold GET test');
  const keys = await plantThumbnails(serverDir, product.mediaDir, coldImages.map((i) => i.id), thumbnailBytes);
  results.notes.push(
    `thumbnail GETs serve a real ${(thumbnailBytes.length / 1024).toFixed(1)} KB h200 JPEG; the cold test reads ${keys.length} copies of it, one per seeded image`,
  );
  const ctx: BenchContext = {
    s,
    product,
    serverDir,
    workDir,
    logDir,
    images,
    lister,
    uploader,
    loginUsers,
    hot,
    cold: { paths: coldImages.map((i) => link(i.url)), keys },
    generator,
    anchors,
    results,
  };
  return { ctx, listerImageId: coldImages[0]!.id };
}

/** Which code was measured: the commit, and any uncommitted server files built into it. */
function productVersion(): { commit: string; uncommitted: string[] } {
  // the tests do not go into the build, so only source files count
  const git = (...a: string[]) => spawnSync('git', ['-C', serverDir, ...a], { encoding: 'utf8' }).stdout?.trimEnd() ?? '';
  const uncommitted = git('status', '--porcelain', '--', 'src')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  return { commit: git('rev-parse', '--short', 'HEAD') || 'unknown', uncommitted };
}

async function main(): Promise<boolean> {
  const machine = describeMachine();
  const version = productVersion();
  results.notes.push(
    `product built from ${version.commit}${version.uncommitted.length ? ` plus uncommitted changes to ${version.uncommitted.join(', ')}` : ''}`,
  );
  const workDir = await mkdtemp(join(tmpdir(), 'imageapi-bench-'));
  // embedded PostgreSQL (as the postgres user when root) and nginx's workers must reach the data folder
  await chmod(workDir, 0o755);
  const logDir = join(workDir, 'logs');
  await mkdir(logDir);
  let productLog: string | undefined;
  let generator: BenchContext['generator'] | undefined;
  try {
    const { ctx, listerImageId } = await setUp(workDir, logDir, machine);
    productLog = ctx.product.service.logFile;
    generator = ctx.generator;
    const sections: Array<[string, () => Promise<void>]> = [
      ['7 peak memory', () => memorySection(ctx)],
      ['1 uploads', () => uploadSection(ctx)],
      ['2-3 list', () => listSection(ctx)],
      ['4 thumbnail GET', () => thumbnailSection(ctx)],
      ['5 links and login', () => linksAndLoginSection(ctx, listerImageId)],
      ['6 latency under uploads', () => underLoadSection(ctx)],
      ['14 managed links and stripped originals', () => managedLinksSection(ctx)],
      ['15 formats and placeholders', () => formatsSection(ctx)],
      ['17 admin dashboard statistics', () => adminStatsSection(ctx)],
    ];
    for (const [name, run] of sections) {
      if (only && !only.some((item) => name.split(' ')[0]!.split('-').includes(item))) continue;
      log(`measuring ${name}`);
      try {
        await run();
      } catch (error) {
        results.errors.push({ section: name, message: error instanceof Error ? error.message : String(error) });
        log(`FAILED ${name}: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
    results.notes.push(...generatorNotes(ctx));
  } catch (error) {
    results.errors.push({ section: 'setup', message: error instanceof Error ? error.message : String(error) });
    log(`FAILED setup: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    await stopAll();
    if (results.errors.length && productLog) log(`product log (last lines):\n${tail(productLog, 15)}`);
    if (args.has('--keep')) log(`kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
  results.rows.sort((a, b) => a.item.localeCompare(b.item));
  results.limits.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  const seconds = (performance.now() - t0) / 1000;
  const line = machineLine(machine);
  const when = startedAt.toISOString().slice(0, 10);
  console.log(`\n${s.quick ? 'QUICK MODE (tiny sizes; figures not comparable with a full run)\n' : ''}Machine: ${line}\n`);
  console.log(toText(results));
  const outDir = join(benchDir, 'results');
  await mkdir(outDir, { recursive: true });
  // only a complete full run with the product's own settings becomes the table the README quotes
  const name = s.quick ? 'quick' : only || Object.keys(envOverrides).length || args.has('--autocannon') ? 'partial' : 'latest';
  const json = { mode: s.quick ? 'quick' : 'full', startedAt: startedAt.toISOString(), seconds: Math.round(seconds), machine, product: version, settings: s, generator, ...results };
  await writeFile(join(outDir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(outDir, `${name}.md`), toMarkdown(results, line, when));
  console.log(`\nWrote bench/results/${name}.json and ${name}.md in ${seconds.toFixed(0)} s`);
  return results.errors.length === 0;
}

const ok = await main().catch((error: unknown) => {
  console.error(error);
  return false;
});
// the plain line CI sums up across packages
console.log(ok ? 'bench: 1 passed, 0 failed' : 'bench: 0 passed, 1 failed');
process.exit(ok ? 0 : 1);
