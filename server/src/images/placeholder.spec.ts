import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { dominantColour, placeholderOf, withoutAncillaryChunks } from './placeholder.js';

const chunkTypes = (png: Buffer) => {
  const types: string[] = [];
  for (let at = 8; at + 12 <= png.length; at += 12 + png.readUInt32BE(at)) types.push(png.toString('latin1', at + 4, at + 8));
  return types;
};

async function placeholderFor(image: Sharp) {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const placeholder = await placeholderOf(data, info);
  return { placeholder, png: Buffer.from(placeholder.dataUrl.slice('data:image/png;base64,'.length), 'base64') };
}

describe(placeholderOf.name, () => {
  it('renders the data URL at 16 px at most, with only the chunks a browser needs', async () => {
    const { placeholder, png } = await placeholderFor(sharp({ create: { width: 400, height: 300, channels: 3, background: '#3070b0' } }).composite([{ input: { create: { width: 200, height: 300, channels: 3, background: '#e0c020' } }, left: 0, top: 0 }]));
    expect(placeholder.dataUrl.length).toBeLessThan(400);
    const { width, height, format } = await sharp(png).metadata();
    expect([format, width, height]).toEqual(['png', 16, 12]);
    expect(chunkTypes(png)).toEqual(['IHDR', 'PLTE', 'IDAT', 'IEND']);
  });

  it('keeps transparency (tRNS) for an image with alpha', async () => {
    const { png } = await placeholderFor(sharp({ create: { width: 300, height: 300, channels: 4, background: { r: 200, g: 40, b: 40, alpha: 0.3 } } }));
    expect(chunkTypes(png)).toContain('tRNS');
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
  });
});

describe(withoutAncillaryChunks.name, () => {
  it('drops the pixel density libvips writes and leaves a PNG that decodes to the same pixels', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).png({ palette: true }).toBuffer();
    expect(chunkTypes(png)).toContain('pHYs');
    const stripped = withoutAncillaryChunks(png);
    expect(chunkTypes(stripped)).not.toContain('pHYs');
    expect(await sharp(stripped).raw().toBuffer()).toEqual(await sharp(png).raw().toBuffer());
  });
});

describe(dominantColour.name, () => {
  const pixels = (...colours: Array<[number, number, number, number, number]>) =>
    Uint8Array.from(colours.flatMap(([r, g, b, a, times]) => Array.from({ length: times }, () => [r, g, b, a]).flat()));

  it('finds what sharp’s stats() finds: the centre of the fullest 16-level colour bin', async () => {
    const image = pixels([200, 30, 40, 255, 60], [10, 240, 250, 255, 40]);
    const { dominant } = await sharp(Buffer.from(image), { raw: { width: 10, height: 10, channels: 4 } }).stats();
    expect(dominantColour(image)).toEqual(dominant);
  });

  it('counts the visible pixels, and all of them only when none is', () => {
    expect(dominantColour(pixels([0, 0, 0, 0, 90], [250, 250, 250, 255, 10]))).toEqual({ r: 248, g: 248, b: 248 });
    expect(dominantColour(pixels([0, 0, 0, 0, 90], [250, 250, 250, 10, 10]))).toEqual({ r: 8, g: 8, b: 8 });
  });
});
