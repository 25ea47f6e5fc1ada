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
