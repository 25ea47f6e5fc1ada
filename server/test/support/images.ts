import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A solid-colour RGB image; vary `background` to tell images apart. */
export const solid = (width: number, height: number, background = '#c33') =>
  sharp({ create: { width, height, channels: 3, background } });

export const jpeg = (width: number, height: number, background?: string): Promise<Buffer> => solid(width, height, background).jpeg().toBuffer();

export const png = (width: number, height: number, background?: string): Promise<Buffer> => solid(width, height, background).png().toBuffer();

export const rgbaPng = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 4, background: { r: 0, g: 128, b: 255, alpha: 0.5 } } }).png().toBuffer();

/** A JPEG whose EXIF says to rotate it, stored sideways: landscape pixels, portrait display for 5..8. */
export const orientedJpeg = (width: number, height: number, orientation: number): Promise<Buffer> =>
  solid(width, height).jpeg().withMetadata({ orientation }).toBuffer();

export const gpsJpeg = (width: number, height: number): Promise<Buffer> =>
  solid(width, height)
    .jpeg()
    .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
    .toBuffer();

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (bytes: Buffer) => {
  let c = ~0;
  for (const x of bytes) c = CRC_TABLE[(c ^ x) & 255]! ^ (c >>> 8);
  return ~c >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(body));
  return Buffer.concat([length, body, sum]);
};

/** A few dozen bytes that claim width × height pixels: a decompression bomb. */
export function bombPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const svgWithScript = () =>
  Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');

/** Random pixels compress badly, so cutting the encoded file cuts real image data, not padding. */
export const noise = (width: number, height: number) => sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });

/** A PNG with one more chunk right after IHDR (byte 33), e.g. `tEXt` carrying HTML or the `acTL` of an APNG. */
export function withPngChunk(png: Buffer, type: string, data: Buffer): Buffer {
  return Buffer.concat([png.subarray(0, 33), chunk(type, data), png.subarray(33)]);
}

/** The `acTL` chunk that makes a PNG an APNG: frame count and loop count. */
export const apngControl = (frames: number) => {
  const data = Buffer.alloc(8);
  data.writeUInt32BE(frames, 0);
  return data;
};

/**
 * A white JPEG whose stored top-left quadrant is red, tagged with an EXIF orientation, so a test can
 * tell from the pixels where that corner ends up once the image is shown upright.
 */
export function markedJpeg(width: number, height: number, orientation: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3, 255);
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < width / 2; x++) pixels.set([255, 0, 0], (y * width + x) * 3);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
}

/**
 * Images no other call returns (random pixels): the same bytes uploaded twice by one owner are one
 * image, so tests that need several images of one user upload these.
 */
export const distinctPng = (width: number, height: number): Promise<Buffer> => noise(width, height).png().toBuffer();
export const distinctJpeg = (width: number, height: number): Promise<Buffer> => noise(width, height).jpeg().toBuffer();
