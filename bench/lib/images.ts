import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { BenchSettings } from './config.ts';
import type { TestFile } from './product.ts';

export interface TestImage extends TestFile {
  /** Label used in the table, e.g. "4000×3000 JPEG". */
  label: string;
  width: number;
  height: number;
}

/**
 * Photo-like pixels from a fixed seed: a colour gradient, blurred random blobs, a mid-frequency ripple
 * and fine noise, so JPEG entropy decoding costs what a camera photo's does (a flat image would flatter
 * every decoder).
 */
async function photoPixels(width: number, height: number, channels: 3 | 4, noise: number): Promise<Sharp> {
  let seed = 20_240_601;
  const random = () => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
  const [cw, ch] = [48, 36];
  const coarse = Buffer.alloc(cw * ch * 3);
  for (let i = 0; i < coarse.length; i++) coarse[i] = random() * 255;
  const blobs = await sharp(coarse, { raw: { width: cw, height: ch, channels: 3 } }).resize(width, height, { kernel: 'cubic', fit: 'fill' }).blur(4).raw().toBuffer();
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const ripple = 18 * Math.sin(x / 6.5 + 3 * Math.sin(y / 12));
      const gradient = [190 * (x / width) + 30, 170 * (y / height) + 40, 110 * (1 - x / width) + 60];
      for (let c = 0; c < 3; c++) {
        const v = 0.45 * gradient[c]! + 0.55 * blobs[p * 3 + c]! + ripple + (random() - 0.5) * noise;
        out[p * channels + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      if (channels === 4) {
        const r = Math.hypot(x / width - 0.5, y / height - 0.5);
        out[p * 4 + 3] = r > 0.5 ? 0 : Math.min(255, (0.5 - r) * 1200);
      }
    }
  }
  return sharp(out, { raw: { width, height, channels } });
}

async function cached(dir: string, name: string, make: () => Promise<Buffer>): Promise<Buffer<ArrayBuffer>> {
  const path = join(dir, name);
  if (existsSync(path)) return readFile(path);
  const bytes = await make();
  // through a temporary name, so an interrupted run never leaves half a file behind
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
  return readFile(path);
}

/** The three upload inputs of the issue, generated once into bench/.cache and reused. */
export async function testImages(settings: BenchSettings, cacheDir: string): Promise<{ photo: TestImage; hd: TestImage; alpha: TestImage }> {
  await mkdir(cacheDir, { recursive: true });
  const jpeg = async (name: string, [w, h]: [number, number]): Promise<TestImage> => {
    const file = `${name}-${w}x${h}.jpg`;
    const bytes = await cached(cacheDir, file, async () => (await photoPixels(w, h, 3, 40)).jpeg({ quality: 90, mozjpeg: false }).toBuffer());
    return { name: file, type: 'image/jpeg', bytes, label: `${w}×${h} JPEG`, width: w, height: h };
  };
  const [aw, ah] = settings.images.alpha;
  const alphaFile = `alpha-${aw}x${ah}.png`;
  const alphaBytes = await cached(cacheDir, alphaFile, async () =>
    (await photoPixels(aw, ah, 4, 4)).png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer(),
  );
  return {
    photo: await jpeg('photo', settings.images.photo),
    hd: await jpeg('hd', settings.images.hd),
    alpha: { name: alphaFile, type: 'image/png', bytes: alphaBytes, label: `${aw}×${ah} RGBA PNG`, width: aw, height: ah },
  };
}
