import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { BenchContext } from '../lib/context.ts';
import type { LoadResult, LoadTarget } from '../lib/load.ts';
import { gql, uploadImage } from '../lib/product.ts';
import { checkLimit } from '../lib/report.ts';
import { pairedRatio, summarize } from '../lib/stats.ts';
import { alternate } from '../lib/throughput.ts';

const rps = (runs: LoadResult[]) => runs.map((r) => r.rps);
const path = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

const CREATE = 'mutation($id: ID!, $size: Int) { createExpiringLink(imageId: $id, expiresIn: 30000, size: $size) { url } }';

/** The photo with an Exif segment that has GPS spliced in after SOI: the same scan data, as a phone would send it. */
async function withGps(jpeg: Buffer): Promise<Buffer<ArrayBuffer>> {
  const tagged = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
    .jpeg()
    .withExif({ IFD0: { Make: 'Bench', Model: 'Phone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 30/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 40/1', GPSAltitudeRef: '0', GPSAltitude: '35/1' } })
    .toBuffer();
  const exif = (await sharp(tagged).metadata()).exif!;
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(exif.length + 2, 2);
  return Buffer.from(Buffer.concat([jpeg.subarray(0, 2), head, exif, jpeg.subarray(2)]));
}

/**
 * Issue 14: a thumbnail through an expiring link (a row that can be revoked), hot, against the same
 * thumbnail through its permanent link; the served original of a 12 MP JPEG whose GPS was stripped at
 * upload against the same photo uploaded without any; and the stripping itself against copying the bytes.
 */
export async function managedLinksSection(ctx: BenchContext): Promise<void> {
  const { product, uploader, results, images } = ctx;
  const selection = 'id originalUrl thumbnails { size url }';
  type Uploaded = { id: string; originalUrl: string; thumbnails: Array<{ size: number; url: string }> };
  const gpsPhoto = await withGps(images.photo.bytes);
  const plain = await uploadImage<Uploaded>(product.origin, uploader.token, images.photo, selection);
  const stripped = await uploadImage<Uploaded>(product.origin, uploader.token, { ...images.photo, name: 'gps.jpg', bytes: gpsPhoto }, selection);
  const created = await gql<{ createExpiringLink: { url: string } }>(product.origin, CREATE, { id: plain.id, size: 200 }, uploader.token);
  const permanent = plain.thumbnails.find((t) => t.size === 200)!.url;
  const get = (label: string, url: string): LoadTarget => ({ label, origin: product.origin, path: path(url) });
  const runs = await alternate(ctx, {
    expiring: get('thumbnail GET via expiring link, hot (product)', created.createExpiringLink.url),
    permanent: get('thumbnail GET via permanent link, hot (product)', permanent),
    stripped: get('12 MP original GET, GPS stripped at upload (product)', stripped.originalUrl),
    plain: get('12 MP original GET, uploaded without GPS (product)', plain.originalUrl),
  });
  const linkRatio = pairedRatio(rps(runs.expiring!), rps(runs.permanent!));
  const originalRatio = pairedRatio(rps(runs.stripped!), rps(runs.plain!));
  results.rows.push(
    {
      item: '14',
      what: 'thumbnail GET via expiring link (revocable row), hot',
      unit: 'req/s',
      product: summarize(rps(runs.expiring!)),
      anchor: { name: 'same thumbnail via its permanent link, hot', figure: summarize(rps(runs.permanent!)) },
      ratio: linkRatio,
    },
    {
      item: '14',
      what: `${images.photo.label} original GET, location stripped at upload`,
      unit: 'req/s',
      product: summarize(rps(runs.stripped!)),
      anchor: { name: 'same photo uploaded without GPS', figure: summarize(rps(runs.plain!)) },
      ratio: originalRatio,
    },
  );
  results.limits.push(
    checkLimit('I14 expiring link', 'expiring-link GET, hot, ≥ 0.9× the same GET through a permanent link', '>=', 0.9, linkRatio.median),
    checkLimit('I14 stripped original', 'stripped 12 MP original GET ≥ 0.8× an unstripped one', '>=', 0.8, originalRatio.median),
  );
  await strippingMicro(ctx, gpsPhoto);
}

/** Upload-time cost: the product's stripLocation (from its build) on the 12 MP photo with GPS, against copying its bytes once. */
async function strippingMicro(ctx: BenchContext, gpsPhoto: Buffer): Promise<void> {
  const { stripLocation } = (await import(join(ctx.serverDir, 'dist/images/location/strip-location.js'))) as {
    stripLocation: (bytes: Buffer, format: 'JPEG' | 'PNG', orientation?: number) => Buffer | undefined;
  };
  const repeat = ctx.s.quick ? 20 : 100;
  const time = (work: () => unknown) => {
    const t0 = performance.now();
    for (let i = 0; i < repeat; i++) work();
    return (performance.now() - t0) / repeat;
  };
  const samples = { strip: [] as number[], copy: [] as number[] };
  for (let round = 0; round < Math.max(3, ctx.s.rounds); round++) {
    // the stripper edits the bytes it is given, as it does the staged file it just read
    samples.strip.push(time(() => stripLocation(Buffer.from(gpsPhoto), 'JPEG', 1)));
    samples.copy.push(time(() => Buffer.from(gpsPhoto)));
  }
  ctx.results.rows.push({
    item: '14',
    what: `location stripping of the ${ctx.images.photo.label} with GPS, in memory`,
    unit: 'ms',
    product: summarize(samples.strip),
    anchor: { name: 'copying the same bytes once', figure: summarize(samples.copy) },
    ratio: pairedRatio(samples.strip, samples.copy),
    note: 'includes one copy of the file, as reading it does at upload; the original is written once either way',
  });
}
