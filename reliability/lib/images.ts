import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { Random } from './random.ts';

export type Format = 'JPEG' | 'PNG';

/** A valid image to start mutating from. */
export interface Seed {
  label: string;
  format: Format;
  bytes: Buffer;
}

/** Bytes to upload and what the server must make of them. */
export interface Specimen {
  how: string;
  bytes: Buffer;
  /** `accept` with the format the bytes really are; `reject` with a reason when only one is right; `either` when a mutation may or may not leave a decodable image. */
  expect: { accept: Format } | { reject: string | undefined } | 'either';
}

const noisy = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: '#4a8', noise: { type: 'gaussian', mean: 120, sigma: 40 } } });
const flat = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#c33' } });

/** Small valid JPEGs and PNGs of the kinds the API meets: plain, progressive, CMYK, grey, EXIF-rotated, palette, 16-bit, alpha. */
export async function makeSeeds(): Promise<Seed[]> {
  const seeds: Array<[string, Format, Promise<Buffer>]> = [
    ['jpeg 64×48', 'JPEG', flat(64, 48).jpeg().toBuffer()],
    ['jpeg 320×240 noisy', 'JPEG', noisy(320, 240).jpeg({ quality: 85 }).toBuffer()],
    ['jpeg progressive', 'JPEG', noisy(200, 150).jpeg({ progressive: true }).toBuffer()],
    ['jpeg cmyk', 'JPEG', flat(64, 48).toColourspace('cmyk').jpeg().toBuffer()],
    ['jpeg grey', 'JPEG', noisy(100, 80).toColourspace('b-w').jpeg().toBuffer()],
    ['jpeg exif-rotated', 'JPEG', flat(80, 40).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
    ['jpeg 1600×1200 noisy', 'JPEG', noisy(1600, 1200).jpeg({ quality: 90 }).toBuffer()],
    ['png 64×48', 'PNG', flat(64, 48).png().toBuffer()],
    ['png rgba', 'PNG', noisy(120, 90, 4).png().toBuffer()],
    ['png palette', 'PNG', noisy(100, 100).png({ palette: true }).toBuffer()],
    ['png 16-bit', 'PNG', flat(64, 48).toColourspace('rgb16').png().toBuffer()],
    ['png grey interlaced', 'PNG', noisy(90, 70).toColourspace('b-w').png({ progressive: true }).toBuffer()],
  ];
  return Promise.all(seeds.map(async ([label, format, bytes]) => ({ label, format, bytes: await bytes })));
}

/** Formats off the allowlist, which the server must refuse whatever the name says. */
export async function makeForeign(): Promise<Array<{ label: string; bytes: Buffer }>> {
  const base = () => flat(32, 32);
  return [
    { label: 'webp', bytes: await base().webp().toBuffer() },
    { label: 'gif', bytes: await base().gif().toBuffer() },
    { label: 'tiff', bytes: await base().tiff().toBuffer() },
    { label: 'svg with script', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>') },
    { label: 'html', bytes: Buffer.from('<!doctype html><html><script>alert(1)</script></html>') },
    { label: 'pdf header', bytes: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF') },
  ];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc(bytes: Buffer): number {
  let c = ~0;
  for (const x of bytes) c = CRC_TABLE[(c ^ x) & 255]! ^ (c >>> 8);
  return ~c >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(body));
  return Buffer.concat([length, body, sum]);
}

/** 74 bytes that claim width × height pixels. */
export function bombPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width >>> 0, 0);
  header.writeUInt32BE(height >>> 0, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.alloc(1000))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A PNG whose IHDR claims other dimensions; the CRC is fixed up unless `keepCrc`, so the lie reaches the decoder. */
function withIhdr(png: Buffer, width: number, height: number, keepCrc: boolean): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width >>> 0, 16);
  out.writeUInt32BE(height >>> 0, 20);
  if (!keepCrc) out.writeUInt32BE(crc(out.subarray(12, 29)), 29);
  return out;
}

/** A JPEG whose first SOFn segment claims other dimensions (16-bit fields); undefined if none is found. */
function withSof(jpeg: Buffer, width: number, height: number): Buffer | undefined {
  for (let i = 2; i + 9 < jpeg.length; ) {
    if (jpeg[i] !== 0xff) return undefined;
    const marker = jpeg[i + 1]!;
    const length = jpeg.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const out = Buffer.from(jpeg);
      out.writeUInt16BE(height & 0xffff, i + 5);
      out.writeUInt16BE(width & 0xffff, i + 7);
      return out;
    }
    i += 2 + length;
  }
  return undefined;
}

// Past these the decoder itself calls the header invalid (libpng's default user limit, libjpeg's
// JPEG_MAX_DIMENSION), so the refusal is CORRUPT rather than TOO_MANY_PIXELS; both are right.
const LIBPNG_MAX_SIDE = 1_000_000;
const LIBJPEG_MAX_SIDE = 65_500;

const ABSURD = [0, 1, 2, 255, 65_535, 65_536, 100_000, 2 ** 31 - 1, 2 ** 31, 0xffffffff];

/** One mutation of a seed (or something that never was an image), with what the server must answer. */
export function specimen(rng: Random, seeds: readonly Seed[], foreign: ReadonlyArray<{ label: string; bytes: Buffer }>, maxPixels: number): Specimen {
  const seed = rng.pick(seeds);
  const kind = rng.weighted([
    ['intact', 14], ['truncate', 10], ['bitflip', 10], ['header-flip', 10], ['dimensions', 12], ['append', 5],
    ['splice', 6], ['random', 8], ['magic-random', 6], ['empty', 3], ['bomb', 3], ['foreign', 6], ['large-random', 2],
  ] as const);
  const b = seed.bytes;
  switch (kind) {
    case 'intact':
      return { how: `intact ${seed.label}`, bytes: b, expect: { accept: seed.format } };
    case 'truncate': {
      const cut = rng.int(0, b.length - 1);
      // every cut before the last chunk/marker loses pixel data; the last few bytes may be IEND or EOI padding
      const expect = cut === 0 ? { reject: 'EMPTY' } : cut < b.length - 16 ? { reject: undefined } : 'either';
      return { how: `${seed.label} cut at ${cut}/${b.length}`, bytes: b.subarray(0, cut), expect };
    }
    case 'bitflip': {
      const out = Buffer.from(b);
      const flips = rng.int(1, 8);
      for (let i = 0; i < flips; i++) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7);
      return { how: `${seed.label} ${flips} bit flips`, bytes: out, expect: 'either' };
    }
    case 'header-flip': {
      const out = Buffer.from(b);
      const at = rng.int(0, Math.min(63, out.length - 1));
      out[at]! ^= 1 << rng.int(0, 7);
      return { how: `${seed.label} bit flip at header byte ${at}`, bytes: out, expect: 'either' };
    }
    case 'dimensions': {
      const [w, h] = [rng.chance(0.5) ? rng.pick(ABSURD) : rng.int(1, 20_000), rng.chance(0.5) ? rng.pick(ABSURD) : rng.int(1, 20_000)];
      const png = seeds.filter((s) => s.format === 'PNG');
      const jpeg = seeds.filter((s) => s.format === 'JPEG');
      if (rng.chance(0.5)) {
        const base = rng.pick(png);
        const keepCrc = rng.chance(0.2);
        // PNG allows 1..2^31-1 per side; anything past the pixel cap must be refused before decoding
        const tooMany = !keepCrc && w >= 1 && h >= 1 && w <= LIBPNG_MAX_SIDE && h <= LIBPNG_MAX_SIDE && w * h > maxPixels;
        return { how: `${base.label} IHDR ${w}×${h}${keepCrc ? ' (stale CRC)' : ''}`, bytes: withIhdr(base.bytes, w, h, keepCrc), expect: tooMany ? { reject: 'TOO_MANY_PIXELS' } : 'either' };
      }
      const base = rng.pick(jpeg);
      const [jw, jh] = [w & 0xffff, h & 0xffff];
      const bytes = withSof(base.bytes, jw, jh) ?? base.bytes;
      const tooMany = jw <= LIBJPEG_MAX_SIDE && jh <= LIBJPEG_MAX_SIDE && jw * jh > maxPixels;
      return { how: `${base.label} SOF ${jw}×${jh}`, bytes, expect: tooMany ? { reject: 'TOO_MANY_PIXELS' } : jw * jh > maxPixels ? { reject: undefined } : 'either' };
    }
    case 'append': {
      const tail = rng.chance(0.5) ? Buffer.from('<html><script>alert(1)</script></html>') : rng.bytes(rng.length(4096));
      // bytes after the end of the image are not read: a polyglot is still the image it starts as
      return { how: `${seed.label} + ${tail.length} trailing bytes`, bytes: Buffer.concat([b, tail]), expect: { accept: seed.format } };
    }
    case 'splice': {
      const at = rng.int(0, b.length - 1);
      const junk = rng.bytes(rng.length(512));
      const cut = rng.int(0, Math.min(512, b.length - at));
      return { how: `${seed.label} ${junk.length} bytes spliced at ${at}`, bytes: Buffer.concat([b.subarray(0, at), junk, b.subarray(at + cut)]), expect: 'either' };
    }
    case 'random':
      // any reason: one in 65 536 random files starts with a JPEG marker and is then "corrupt", not "unsupported"
      return { how: 'random bytes', bytes: rng.bytes(rng.int(1, 64 * 1024)), expect: { reject: undefined } };
    case 'magic-random': {
      const magic = seed.bytes.subarray(0, rng.int(2, 24));
      return { how: `${seed.format} magic + random`, bytes: Buffer.concat([magic, rng.bytes(rng.int(0, 32 * 1024))]), expect: 'either' };
    }
    case 'empty':
      return { how: 'empty file', bytes: Buffer.alloc(0), expect: { reject: 'EMPTY' } };
    case 'bomb': {
      const side = rng.chance(0.8) ? rng.int(Math.ceil(Math.sqrt(maxPixels)) + 1, LIBPNG_MAX_SIDE) : rng.int(LIBPNG_MAX_SIDE + 1, 2 ** 31 - 1);
      return { how: `PNG bomb ${side}×${side}`, bytes: bombPng(side, side), expect: { reject: side <= LIBPNG_MAX_SIDE ? 'TOO_MANY_PIXELS' : undefined } };
    }
    case 'foreign': {
      const other = rng.pick(foreign);
      return { how: `foreign format ${other.label}`, bytes: other.bytes, expect: { reject: 'UNSUPPORTED_FORMAT' } };
    }
    case 'large-random':
      return { how: 'large random bytes', bytes: rng.bytes(rng.int(1, 4) * 1024 * 1024), expect: { reject: undefined } };
  }
}
