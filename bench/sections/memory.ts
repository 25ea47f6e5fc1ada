import { join } from 'node:path';
import type { BenchContext } from '../lib/context.ts';
import { pssBytes, startNodeAnchor, treePssBytes } from '../lib/processes.ts';
import { peakRunningJobs, uploadImage } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

const MIB = 1024 * 1024;

/** Highest memory of `pid` by `measure` (PSS, with its workers: `treePssBytes`) while `work` runs, sampled every 10 ms. */
async function peakMemory(pid: number, work: Promise<unknown>, rss: (pid: number) => number = pssBytes): Promise<number> {
  let peak = rss(pid);
  let done = false;
  const watched = work.finally(() => (done = true));
  while (!done) {
    peak = Math.max(peak, rss(pid));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await watched;
  return Math.max(peak, rss(pid));
}

/**
 * Item 7: peak memory (PSS) of the server processes while `burst` 12 MP uploads arrive at once, against the bare
 * sharp upload server taking the same burst. Runs before any other upload, so earlier uploads have
 * not already raised the process's high-water mark.
 */
export async function memorySection(ctx: BenchContext): Promise<void> {
  const { s, product, uploader, results } = ctx;
  const image = ctx.images.photo;
  // one upload first, so code paths and sharp are loaded on both sides before the idle figure
  await uploadImage(product.origin, uploader.token, image);
  const bare = await startNodeAnchor('sharp-upload', [join(ctx.workDir, 'bare-burst')], ctx.logDir);
  try {
    const bareUpload = async () => {
      const res = await fetch(`${bare.url}/upload`, { method: 'POST', headers: { 'content-type': image.type }, body: image.bytes });
      if (!res.ok) throw new Error(`bare upload answered ${res.status}`);
      await res.arrayBuffer();
    };
    await bareUpload();
    const burst = <T>(job: () => Promise<T>) => Promise.allSettled(Array.from({ length: s.burst }, job));

    const productIdle = treePssBytes(product.pid);
    const productBurst = burst(() => uploadImage(product.origin, uploader.token, image));
    const [productPeak, running] = await Promise.all([peakMemory(product.pid, productBurst, treePssBytes), peakRunningJobs(product, productBurst)]);
    const failed = (await productBurst).filter((r) => r.status === 'rejected');

    const bareIdle = pssBytes(bare.service.child.pid!);
    const bareBurst = burst(bareUpload);
    const barePeak = await peakMemory(bare.service.child.pid!, bareBurst);
    const bareFailed = (await bareBurst).filter((r) => r.status === 'rejected').length;

    const one = (bytes: number) => summarize([bytes / MIB]);
    results.rows.push({
      item: '7',
      what: `peak memory (PSS) of the server processes (primary and workers, summed), ${s.burst} concurrent ${image.label} uploads`,
      unit: 'MiB',
      product: one(productPeak),
      anchor: { name: 'bare sharp one-decode server, same burst', figure: one(barePeak) },
      ratio: summarize([productPeak / barePeak]),
      note: `idle before: ${Math.round(productIdle / MIB)} vs ${Math.round(bareIdle / MIB)} MiB; ${s.burst - failed.length}/${s.burst} product uploads stored, ${s.burst - bareFailed}/${s.burst} bare; at most ${running} image jobs ran at once in the product`,
    });
    results.rows.push({
      item: '7',
      what: `memory (PSS) growth over idle during that burst`,
      unit: 'MiB',
      product: one(productPeak - productIdle),
      anchor: { name: 'bare sharp one-decode server (no cap; libuv pool of 4)', figure: one(barePeak - bareIdle) },
      ratio: summarize([(productPeak - productIdle) / (barePeak - bareIdle)]),
    });
    // the one absolute budget: 600 MB over every server process, shown as a fraction of it
    results.limits.push(checkLimit('L10 memory', `peak memory of all server processes (PSS, summed) during ${s.burst} concurrent uploads ≤ 600 MB (issue 12), as a fraction of 600 MB`, '<=', 1, productPeak / (600 * 1000 * 1000)));
    if (failed.length) {
      const reason = (failed[0] as PromiseRejectedResult).reason;
      results.notes.push(`item 7: ${failed.length} of ${s.burst} concurrent uploads failed: ${reason instanceof Error ? reason.message : String(reason)}`);
    }
  } finally {
    await bare.service.stop();
  }
}
