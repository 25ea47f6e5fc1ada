import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { placeholderOf, withoutAncillaryChunks } from './placeholder.js';

const chunkTypes = (png: Buffer) => {
  const types: string[] = [];
  for (let at = 8; at + 12 <= png.length; at += 12 + png.readUInt32BE(at)) types.push(png.toString('latin1', at + 4, at + 8));
  return types;
};

async function placeholderFor(image: sharp.Sharp) {
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
