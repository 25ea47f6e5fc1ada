import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageFormat } from './image.entity.js';
import { makeThumbnails, probeImage, thumbnailDimensions } from './image-processor.js';

const LIMIT = 50_000_000;
const create = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: channels === 4 ? { r: 10, g: 20, b: 30, alpha: 0.5 } : '#3a6' } });

async function thumbnailsOf(input: Buffer, heights: number[]) {
  const probed = await probeImage(input, LIMIT);
  const { thumbnails } = await makeThumbnails(input, probed, heights, LIMIT);
  return { probed, thumbnails: await Promise.all(thumbnails.map(async (t) => ({ height: t.height, meta: await sharp(t.data).metadata() }))) };
}

describe(thumbnailDimensions.name, () => {
  it('keeps the aspect ratio and never upscales', () => {
    expect(thumbnailDimensions({ width: 4000, height: 3000 }, 200)).toEqual({ width: 267, height: 200 });
    expect(thumbnailDimensions({ width: 100, height: 50 }, 400)).toEqual({ width: 100, height: 50 });
    expect(thumbnailDimensions({ width: 1, height: 4000 }, 200)).toEqual({ width: 1, height: 200 });
  });
});

describe(makeThumbnails.name, () => {
  it.each([
    [1000, 333],
    [333, 1000],
    [7, 3],
    [4000, 10],
    [641, 479],
  ])('produces exactly the reported dimensions for %ix%i', async (width, height) => {
    const input = await create(width, height).jpeg().toBuffer();
    const { probed, thumbnails } = await thumbnailsOf(input, [200, 400, 37]);
    for (const { height: size, meta } of thumbnails) {
      expect({ width: meta.width, height: meta.height }).toEqual(thumbnailDimensions(probed, size));
    }
  });

  it('keeps PNG as PNG with its alpha, and JPEG as JPEG', async () => {
    const png = await thumbnailsOf(await create(300, 300, 4).png().toBuffer(), [200]);
    expect(png.probed.format).toBe(ImageFormat.PNG);
    expect(png.thumbnails[0]!.meta).toMatchObject({ format: 'png', hasAlpha: true });
    const jpeg = await thumbnailsOf(await create(300, 300).jpeg().toBuffer(), [200]);
    expect(jpeg.thumbnails[0]!.meta.format).toBe('jpeg');
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('applies EXIF orientation %i and drops the tag', async (orientation) => {
    const input = await create(64, 32).jpeg().withMetadata({ orientation }).toBuffer();
    const { probed, thumbnails } = await thumbnailsOf(input, [200]);
    const portrait = orientation >= 5;
    expect(probed).toMatchObject(portrait ? { width: 32, height: 64 } : { width: 64, height: 32 });
    expect(thumbnails[0]!.meta).toMatchObject({ width: probed.width, height: probed.height });
    expect(thumbnails[0]!.meta.orientation).toBeUndefined();
    expect(thumbnails[0]!.meta.exif).toBeUndefined();
  });

  it('turns CMYK, 16-bit and palette colour inputs into 8-bit sRGB thumbnails', async () => {
    const inputs = [
      await create(64, 48).toColourspace('cmyk').jpeg().toBuffer(),
      await create(64, 48).toColourspace('rgb16').png().toBuffer(),
      await create(64, 48).png({ palette: true }).toBuffer(),
    ];
    for (const input of inputs) {
      const { thumbnails } = await thumbnailsOf(input, [24]);
      expect(thumbnails[0]!.meta).toMatchObject({ space: 'srgb', depth: 'uchar', height: 24 });
    }
  });

  it('keeps greyscale greyscale, with its alpha, in 8 bits, in both formats', async () => {
    const grey = (channels: 1 | 2) => create(64, 48, channels === 2 ? 4 : 3).toColourspace(channels === 2 ? 'b-w' : 'b-w');
    const cases = [
      [await grey(1).png().toBuffer(), { channels: 1, hasAlpha: false }],
      [await grey(2).png().toBuffer(), { channels: 2, hasAlpha: true }],
      [await grey(1).toColourspace('grey16').png().toBuffer(), { channels: 1, depth: 'uchar' }],
      [await grey(1).jpeg().toBuffer(), { channels: 1, format: 'jpeg' }],
    ] as const;
    for (const [index, [input, expected]] of cases.entries()) {
      const { thumbnails } = await thumbnailsOf(input, [24]);
      expect(thumbnails[0]!.meta, `case ${index}`).toMatchObject({ space: 'b-w', depth: 'uchar', ...expected });
    }
  });

  it('makes a noisy 16-bit grey PNG’s thumbnail at least 2× smaller than the RGB one it used to be', async () => {
    let seed = 7;
    const noise = Buffer.from(Array.from({ length: 400 * 300 }, () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) >> 23));
    const input = await sharp(noise, { raw: { width: 400, height: 300, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    expect((await sharp(input).metadata()).depth).toBe('ushort');
    const { thumbnails } = await makeThumbnails(input, await probeImage(input, LIMIT), [200], LIMIT);
    // the pipeline before greyscale was kept: everything to 8-bit sRGB
    const rgb = await sharp(input).resize(267, 200, { fit: 'fill' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const before = await sharp(rgb.data, { raw: { width: 267, height: 200, channels: rgb.info.channels } }).png().toBuffer();
    expect(thumbnails[0]!.data.length * 2).toBeLessThanOrEqual(before.length);
  });

  it('makes a placeholder from the same decode when asked: ThumbHash, a PNG data URL under 1 KB, the dominant colour', async () => {
    const input = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();
    const { placeholder } = await makeThumbnails(input, await probeImage(input, LIMIT), [200], LIMIT, { placeholder: true });
    expect(placeholder!.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(placeholder!.dominantColor.slice(i, i + 2), 16));
    expect(Math.abs(r! - 0x33) + Math.abs(g! - 0x66) + Math.abs(b! - 0xaa)).toBeLessThan(48);
    expect(Buffer.from(placeholder!.thumbhash, 'base64').length).toBeGreaterThan(4);
    expect(placeholder!.dataUrl.length).toBeLessThan(1024);
    const png = Buffer.from(placeholder!.dataUrl.replace('data:image/png;base64,', ''), 'base64');
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(32);
    expect((await makeThumbnails(input, await probeImage(input, LIMIT), [200], LIMIT)).placeholder).toBeUndefined();
  });

  it('strips GPS and every other metadata from thumbnails', async () => {
    const input = await create(64, 32).jpeg().withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } }).toBuffer();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const { thumbnails } = await thumbnailsOf(input, [16]);
    expect(thumbnails[0]!.meta.exif).toBeUndefined();
  });
});

describe(probeImage.name, () => {
  it('reads the format from the bytes', async () => {
    expect((await probeImage(await create(8, 8).png().toBuffer(), LIMIT)).format).toBe(ImageFormat.PNG);
    expect((await probeImage(await create(8, 8).jpeg().toBuffer(), LIMIT)).format).toBe(ImageFormat.JPEG);
  });

  it.each([
    ['TIFF', () => create(8, 8).tiff().toBuffer()],
    ['WebP', () => create(8, 8).webp().toBuffer()],
    ['GIF', () => create(8, 8).gif().toBuffer()],
    ['AVIF', () => create(8, 8).avif().toBuffer()],
    ['SVG', async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')],
  ])('refuses %s', async (_name, make) => {
    await expect(probeImage(await make(), LIMIT)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'UNSUPPORTED_FORMAT' } });
  });

  it('refuses an image over the pixel limit from its header alone', async () => {
    const input = await create(100, 100).png().toBuffer();
    await expect(probeImage(input, 9_999)).rejects.toMatchObject({ extensions: { reason: 'TOO_MANY_PIXELS' } });
  });
});
