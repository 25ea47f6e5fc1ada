import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../lib/context.ts';
import type { TestImage } from '../lib/images.ts';
import { inFlightWindow, type WindowResult } from '../lib/load.ts';
import { startNodeAnchor } from '../lib/processes.ts';
import { metric, peakRunningJobs, scrapeMetrics, uploadImage } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { mean, pairedRatio, summarize } from '../lib/stats.ts';

/** Where an upload's time goes inside the product, mean ms per upload, from its own Prometheus metrics. */
interface ServerTimes {
  /** Arrival to last byte sent, the whole POST. */
  request: number;
  /** The uploadImage operation (staging the file, the image job, files, the row). */
  operation: number;
  /** Waiting for an image worker. */
  queueWait: number;
  /** The image job: probe + decode + encode. */
  imageJob: number;
}

const SERIES: Record<keyof ServerTimes, [string, ...string[]]> = {
  // every POST in an upload window is an upload; not filtered by route, since the product labels
  // /graphql requests route="other" (its middleware reads req.path after Express has stripped the mount path)
  request: ['http_request_duration_seconds', 'method="POST"'],
  operation: ['graphql_operation_duration_seconds', 'field="uploadImage"'],
  queueWait: ['image_processing_queue_wait_seconds'],
  imageJob: ['image_processing_duration_seconds', 'trigger="upload"'],
};

/** Runs a window of uploads and reads the product's metrics around it. */
async function withServerTimes(ctx: BenchContext, run: () => Promise<WindowResult>): Promise<{ window: WindowResult; times: ServerTimes }> {
  const before = await scrapeMetrics(ctx.product);
  const window = await run();
  const after = await scrapeMetrics(ctx.product);
  const delta = (name: string, labels: string[]) => metric(after, name, ...labels) - metric(before, name, ...labels);
  const times = {} as ServerTimes;
  for (const [key, [name, ...labels]] of Object.entries(SERIES) as Array<[keyof ServerTimes, [string, ...string[]]]>) {
    const count = delta(`${name}_count`, labels);
    if (count !== window.done) throw new Error(`${count} ${name} samples for ${window.done} uploads`);
    times[key] = (delta(`${name}_sum`, labels) / count) * 1000;
  }
  return { window, times };
}

const breakdown = (t: ServerTimes[]) => {
  const m = (key: keyof ServerTimes) => Math.round(median(t.map((x) => x[key])));
  return `server: request ${m('request')} ms = ${m('request') - m('operation')} before the mutation + mutation ${m('operation')} (image job ${m('imageJob')}, queue ${m('queueWait')})`;
};

const median = (values: number[]) => summarize(values).median;

/**
 * Item 1: uploads of each test image until every tier thumbnail is stored, against the bare one-decode
 * sharp pipeline on the same bytes, with 1, 2 and 4 in flight, product and anchor alternating.
 */
export async function uploadSection(ctx: BenchContext): Promise<void> {
  const { s, product, uploader } = ctx;
  const bare = await startNodeAnchor('sharp-upload', [join(ctx.workDir, 'bare-uploads')], ctx.logDir);
  try {
    for (const image of [ctx.images.photo, ctx.images.hd, ctx.images.alpha]) {
      let pipelineMs: number[] = [];
      const productJob = async () => void (await uploadImage(product.origin, uploader.token, image));
      const bareJob = async () => {
        const res = await fetch(`${bare.url}/upload`, { method: 'POST', headers: { 'content-type': image.type }, body: image.bytes });
        if (!res.ok) throw new Error(`bare upload answered ${res.status}: ${await res.text()}`);
        pipelineMs.push(((await res.json()) as { pipelineMs: number }).pipelineMs);
      };
      await productJob();
      await bareJob();
      const byN = new Map<number, PerN>();
      let peak = 0;
      for (let round = 0; round < s.uploadRounds; round++) {
        for (const n of s.inFlight) {
          const entry = byN.get(n) ?? { product: [], bare: [], productMs: [], bareMs: [], server: [] };
          byN.set(n, entry);
          const measured = withServerTimes(ctx, () => inFlightWindow(n, s.uploadWindow, productJob));
          // with more uploads in flight than cores, watch how many image jobs the product lets run at once
          if (n > availableParallelism()) peak = Math.max(peak, await peakRunningJobs(product, measured));
          const { window, times } = await measured;
          entry.product.push(window);
          entry.productMs.push(times.imageJob);
          entry.server.push(times);
          pipelineMs = [];
          entry.bare.push(await inFlightWindow(n, s.uploadWindow, bareJob));
          entry.bareMs.push(mean(pipelineMs));
        }
      }
      recordImage(ctx, image, byN, peak);
    }
    await duplicateRow(ctx);
  } finally {
    await bare.service.stop();
  }
}

/**
 * Issue 16: an upload of bytes the owner already has against a new upload of the same file (every
 * other upload here carries a marker of its own, see markedParts), alternating, 1 in flight. The
 * duplicate is received and hashed like any upload, then answered from one indexed lookup: no image
 * work, no file, no row.
 */
async function duplicateRow(ctx: BenchContext): Promise<void> {
  const { s, product, uploader, results } = ctx;
  const image = ctx.images.photo;
  const marker = `duplicate-${process.pid}`;
  const first = await uploadImage(product.origin, uploader.token, image, 'id', marker);
  const timed = async (repeat?: string) => {
    const started = performance.now();
    const answer = await uploadImage(product.origin, uploader.token, image, 'id', repeat);
    if (repeat && answer.id !== first.id) throw new Error(`a duplicate upload stored a new image (${answer.id}, first ${first.id})`);
    return performance.now() - started;
  };
  const duplicate: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < (s.quick ? 8 : 24); i++) {
    duplicate.push(await timed(marker));
    fresh.push(await timed());
  }
  results.rows.push({
    item: '1',
    what: `${image.label} duplicate upload (bytes the owner already has), 1 in flight`,
    unit: 'ms',
    product: summarize(duplicate),
    anchor: { name: 'a new upload of the same file, alternating', figure: summarize(fresh) },
    ratio: pairedRatio(duplicate, fresh),
    note: 'the duplicate is received and hashed like any upload, then answered with the stored image: no image job, file or row',
  });
}

interface PerN {
  product: WindowResult[];
  bare: WindowResult[];
  /** Image job ms in the product and pipeline ms in the bare server, one mean per window. */
  productMs: number[];
  bareMs: number[];
  server: ServerTimes[];
}

function recordImage(ctx: BenchContext, image: TestImage, byN: Map<number, PerN>, peak: number): void {
  const { results } = ctx;
  const anchor = 'bare sharp one-decode server';
  const one = byN.get(1)!;
  const latency = {
    product: one.product.map((w) => median(w.latencies)),
    bare: one.bare.map((w) => median(w.latencies)),
  };
  results.rows.push({
    item: '1',
    what: `${image.label} upload until all tier thumbnails stored, 1 in flight`,
    unit: 'ms',
    product: summarize(one.product.flatMap((w) => w.latencies)),
    anchor: { name: `${anchor} (incl. writing original)`, figure: summarize(one.bare.flatMap((w) => w.latencies)) },
    ratio: pairedRatio(latency.product, latency.bare),
    note: breakdown(one.server),
  });
  results.rows.push({
    item: '1',
    what: `${image.label} thumbnail work in the server (probe + decode + encode), 1 in flight`,
    unit: 'ms',
    product: summarize(one.productMs),
    anchor: { name: 'one-decode pipeline in the bare server', figure: summarize(one.bareMs) },
    ratio: pairedRatio(one.productMs, one.bareMs),
    note: 'product: mean of its image_processing_duration_seconds per window',
  });
  const ips: Record<number, number[]> = {};
  const bareIps: Record<number, number[]> = {};
  for (const [n, entry] of byN) {
    ips[n] = entry.product.map((w) => w.perSecond);
    bareIps[n] = entry.bare.map((w) => w.perSecond);
    results.rows.push({
      item: '1',
      what: `${image.label} uploads, ${n} in flight`,
      unit: 'images/s',
      product: summarize(ips[n]),
      anchor: { name: anchor, figure: summarize(entry.bare.map((w) => w.perSecond)) },
      ratio: pairedRatio(ips[n], entry.bare.map((w) => w.perSecond)),
      note: `p50 latency ${Math.round(median(entry.product.flatMap((w) => w.latencies)))} ms vs ${Math.round(median(entry.bare.flatMap((w) => w.latencies)))} ms; ${breakdown(entry.server)}`,
    });
  }
  const isPhoto = image === ctx.images.photo;
  if (isPhoto) {
    results.limits.push(
      checkLimit('L1 thumbnails', `${image.label}: thumbnail work ≤ 1.3× the bare one-decode pipeline`, '<=', 1.3, pairedRatio(one.productMs, one.bareMs).median),
      checkLimit('L1 upload', `${image.label}: whole upload ≤ 1.6× (pipeline + writing the original)`, '<=', 1.6, pairedRatio(latency.product, latency.bare).median),
    );
  }
  if (isPhoto || image === ctx.images.hd) {
    const two = byN.get(2);
    if (two) {
      results.limits.push(
        checkLimit('L2 throughput', `${image.label}: images/s with 2 in flight ≥ 0.8× bare one-decode N=2`, '>=', 0.8, pairedRatio(ips[2]!, two.bare.map((w) => w.perSecond)).median),
      );
    }
  }
  if (isPhoto && ips[1] && ips[2]) {
    const scaling = pairedRatio(ips[2], ips[1]);
    // the bare server's own scaling shows how much of the second core this run actually had
    results.rows.push({
      item: '1',
      what: `${image.label} scaling: images/s with 2 in flight / with 1`,
      unit: '×',
      product: scaling,
      anchor: { name: 'bare sharp one-decode server, same', figure: pairedRatio(bareIps[2]!, bareIps[1]!) },
      ratio: pairedRatio(
        ips[2].map((v, i) => v / ips[1]![i]!),
        bareIps[2]!.map((v, i) => v / bareIps[1]![i]!),
      ),
    });
    results.limits.push(checkLimit('L4 scaling', `${image.label}: 2 uploads in flight ≥ 1.7× the images/s of 1`, '>=', 1.7, scaling.median));
  }
  if (isPhoto) {
    const cores = availableParallelism();
    results.limits.push({
      id: 'L3 parallelism',
      text: `image jobs running at once ≤ cores (${cores}) with ${Math.max(...ctx.s.inFlight)} uploads in flight`,
      op: '<=',
      bound: cores,
      measured: peak,
      verdict: peak <= cores ? 'PASS' : 'MISS',
      detail: `at most ${peak} seen (image_processing_running)`,
    });
  }
}
