import { crc32, deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageFormat } from '../image.entity.js';
import { withoutIptcLocation } from './iptc.js';
import { stripLocation } from './strip-location.js';
import { hasGps, stripGpsInPlace } from './tiff-gps.js';
import { blankXmpLocationInPlace, locationRanges } from './xmp.js';

// Location stripping on files sharp writes (little-endian EXIF, GPS in IFD3) and on hand-built
// structures for what sharp cannot write: big-endian TIFF, XMP, IPTC, broken directories. The
// integration test (original-location.spec) runs the same on exiftool-made files over HTTP.

const GPS = { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' };
const base = (channels: 3 | 4 = 3) => sharp({ create: { width: 40, height: 20, channels, background: '#c33' } });
const gpsJpeg = () => base().jpeg().withMetadata({ orientation: 6 }).withExif({ IFD0: { Make: 'Canon', Artist: 'Ann' }, IFD3: GPS }).toBuffer();
const gpsPng = () => base(4).png().withMetadata({ orientation: 6 }).withExif({ IFD0: { Make: 'Canon' }, IFD3: GPS }).toBuffer();
const pixels = (data: Buffer) => sharp(data).raw().toBuffer();
/** The TIFF structure of a file's EXIF, as sharp reads it. */
const tiffOf = async (data: Buffer) => {
  const exif = (await sharp(data).metadata()).exif;
  return exif ? exif.subarray(exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0) : undefined;
};

/** A big-endian TIFF: IFD0 with orientation 3 and a GPS pointer, a GPS IFD with a ref and a rational triple. */
function bigEndianTiff(gpsOffset = 38): Buffer {
  const tiff = Buffer.alloc(100);
  const u16 = (offset: number, ...values: number[]) => values.forEach((value, i) => tiff.writeUInt16BE(value, offset + i * 2));
  const u32 = (offset: number, value: number) => tiff.writeUInt32BE(value, offset);
  tiff.write('MM\0*', 0, 'latin1');
  u32(4, 8);
  u16(8, 2);
  u16(10, 0x0112, 3), u32(14, 1), u16(18, 3);
  u16(22, 0x8825, 4), u32(26, 1), u32(30, gpsOffset);
  u32(34, 0);
  u16(38, 2);
  u16(40, 1, 2), u32(44, 2), tiff.write('N\0', 48, 'latin1');
  u16(52, 2, 5), u32(56, 3), u32(60, 68);
  for (let i = 0; i < 6; i++) u32(68 + i * 4, i + 7);
  return tiff;
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** The JPEG with extra segments right after SOI. */
const withSegments = (jpeg: Buffer, ...segments: Buffer[]) => Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))));
  return Buffer.concat([head, data, crc]);
}

/** The PNG with extra chunks right after IHDR. */
const withChunks = (png: Buffer, ...chunks: Buffer[]) => Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]);

/** Every chunk's type, each checked against its CRC. */
function chunksOf(png: Buffer): string[] {
  const types: string[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const crc = crc32(png.subarray(offset + 8, offset + 8 + length), crc32(png.subarray(offset + 4, offset + 8)));
    expect(png.readUInt32BE(offset + 8 + length), 'chunk CRC').toBe(crc);
    types.push(png.toString('latin1', offset + 4, offset + 8));
    offset += 12 + length;
  }
  return types;
}

const XMP_PACKET = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 exif:GPSLatitude="48,51.504N" photoshop:City='Paris' dc:format="image/jpeg">
<exif:GPSLongitude>2,17.67E</exif:GPSLongitude>
<!-- <exif:GPSAltitude> in a comment is not an element -->
<Iptc4xmpExt:LocationCreated xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"><rdf:Bag><rdf:li rdf:parseType="Resource"><Iptc4xmpExt:City>Paris</Iptc4xmpExt:City></rdf:li></rdf:Bag></Iptc4xmpExt:LocationCreated>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Tower ☀</rdf:li></rdf:Alt></dc:title>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

describe('the EXIF GPS directory', () => {
  it('goes from a JPEG; orientation, other tags and pixels stay', async () => {
    const jpeg = await gpsJpeg();
    expect(hasGps((await tiffOf(jpeg))!)).toBe(true);
    const stripped = stripLocation(Buffer.from(jpeg), ImageFormat.JPEG)!;
    expect(stripped.length).toBe(jpeg.length);
    expect(hasGps((await tiffOf(stripped))!)).toBe(false);
    expect(stripped.includes('Canon')).toBe(true);
    expect((await sharp(stripped).metadata()).orientation).toBe(6);
    expect(await pixels(stripped)).toEqual(await pixels(jpeg));
  });

  it('goes from a PNG eXIf chunk, whose CRC is made again', async () => {
    const png = await gpsPng();
    expect(chunksOf(png)).toContain('eXIf');
    const stripped = stripLocation(Buffer.from(png), ImageFormat.PNG)!;
    expect(chunksOf(stripped)).toContain('eXIf');
    expect(hasGps((await tiffOf(stripped))!)).toBe(false);
    expect((await sharp(stripped).metadata()).orientation).toBe(6);
    expect(await pixels(stripped)).toEqual(await pixels(png));
  });

  it('goes from big-endian TIFF, its values zeroed and the orientation entry moved up in place', () => {
    const tiff = bigEndianTiff();
    expect(stripGpsInPlace(tiff)).toBe(true);
    expect(tiff.readUInt16BE(8)).toBe(1);
    expect(tiff.readUInt16BE(10)).toBe(0x0112);
    expect(tiff.readUInt16BE(18)).toBe(3);
    expect(tiff.readUInt32BE(22)).toBe(0);
    expect(tiff.subarray(34).every((byte) => byte === 0)).toBe(true);
    expect(hasGps(tiff)).toBe(false);
  });

  it('loses its pointer even when the directory lies outside the structure', () => {
    const tiff = bigEndianTiff(0xfffffff0);
    expect(stripGpsInPlace(tiff)).toBe(true);
    expect(hasGps(tiff)).toBe(false);
  });

  it('takes unreadable EXIF with it, keeping the orientation the decoder read', async () => {
    const plain = await base().jpeg().toBuffer();
    const broken = Buffer.concat([Buffer.from('Exif\0\0II*\0', 'latin1'), Buffer.from([0xff, 0xff, 0, 0, 0, 0])]);
    const stripped = stripLocation(withSegments(plain, jpegSegment(0xe1, broken)), ImageFormat.JPEG, 6)!;
    expect((await sharp(stripped).metadata()).orientation).toBe(6);
    expect(stripped.includes(broken)).toBe(false);
    const upright = stripLocation(withSegments(plain, jpegSegment(0xe1, broken)), ImageFormat.JPEG, 1)!;
    expect(upright).toEqual(plain);
  });
});

describe('XMP location properties', () => {
  it('are blanked as attributes and as elements, structures whole; the packet keeps its length', () => {
    const packet = Buffer.from(XMP_PACKET);
    expect(blankXmpLocationInPlace(packet)).toBe(true);
    const text = packet.toString();
    expect(packet.length).toBe(Buffer.byteLength(XMP_PACKET));
    for (const gone of ['GPSLatitude', 'GPSLongitude', 'photoshop:City', 'LocationCreated', 'Paris']) expect(text).not.toContain(gone);
    for (const kept of ['dc:format="image/jpeg"', 'Tower ☀', '<!-- <exif:GPSAltitude> in a comment', '</rdf:Description>']) expect(text).toContain(kept);
  });

  it('go from a JPEG APP1 and a compressed PNG iTXt; extended XMP goes whole', async () => {
    const xmpSegment = jpegSegment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(XMP_PACKET)]));
    const extended = jpegSegment(0xe1, Buffer.from('http://ns.adobe.com/xmp/extension/\0' + '0'.repeat(40) + '<exif:GPSLatitude>1</exif:GPSLatitude>', 'latin1'));
    const jpeg = stripLocation(withSegments(await base().jpeg().toBuffer(), xmpSegment, extended), ImageFormat.JPEG)!;
    expect(jpeg.includes('GPSLatitude')).toBe(false);
    expect(jpeg.includes('GPSLongitude')).toBe(false);
    expect(jpeg.includes('xmp/extension')).toBe(false);
    expect(jpeg.includes('Tower')).toBe(true);

    const itxt = Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\x01\0\0\0', 'latin1'), deflateSync(Buffer.from(XMP_PACKET))]);
    const png = stripLocation(withChunks(await base().png().toBuffer(), pngChunk('iTXt', itxt)), ImageFormat.PNG)!;
    const at = png.indexOf('XML:com.adobe.xmp');
    const length = png.readUInt32BE(at - 8);
    const text = inflateSync(png.subarray(at + 22, at + length)).toString();
    expect(text).not.toContain('GPSLongitude');
    expect(text).toContain('Tower');
    expect(chunksOf(png)).toContain('iTXt');
  });

  it('are found in one pass through thousands of unclosed location tags', () => {
    const ranges = locationRanges('<x>' + '<a:City>'.repeat(20_000));
    expect(ranges).toEqual([[3, 3 + 8 * 20_000]]);
  });
});

describe('IPTC location datasets', () => {
  const dataset = (number: number, value: string) => Buffer.concat([Buffer.from([0x1c, 2, number, 0, value.length]), Buffer.from(value, 'latin1')]);
  const resource = (id: number, data: Buffer) => {
    const head = Buffer.alloc(12);
    head.write('8BIM', 0, 'latin1');
    head.writeUInt16BE(id, 4);
    head.writeUInt32BE(data.length, 8);
    return Buffer.concat(data.length & 1 ? [head, data, Buffer.alloc(1)] : [head, data]);
  };

  it('go, with the IPTC digest; keywords and other resources stay', () => {
    const iptc = Buffer.concat([dataset(25, 'tower'), dataset(90, 'Paris'), dataset(101, 'France'), dataset(120, 'caption')]);
    const block = Buffer.concat([resource(0x03ed, Buffer.alloc(16, 1)), resource(0x0404, iptc), resource(0x0425, Buffer.alloc(16, 2))]);
    const kept = withoutIptcLocation(block)!;
    expect(kept.includes('Paris')).toBe(false);
    expect(kept.includes('France')).toBe(false);
    expect(kept.includes('tower')).toBe(true);
    expect(kept.includes('caption')).toBe(true);
    expect(kept.includes(Buffer.alloc(16, 2))).toBe(false);
    expect(kept.includes(Buffer.alloc(16, 1))).toBe(true);
    expect(withoutIptcLocation(kept)).toBeUndefined();
  });

  it('take an unreadable APP13 segment with them', async () => {
    const plain = await base().jpeg().toBuffer();
    const broken = jpegSegment(0xed, Buffer.from('Photoshop 3.0\x008BIM\x04\x04\0\0\xff\xff\xff\xff', 'latin1'));
    expect(stripLocation(withSegments(plain, broken), ImageFormat.JPEG)).toEqual(plain);
  });
});

describe('files without a location', () => {
  it('are left alone', async () => {
    expect(stripLocation(await base().jpeg().withMetadata({ orientation: 3 }).toBuffer(), ImageFormat.JPEG)).toBeUndefined();
    expect(stripLocation(await base().png().toBuffer(), ImageFormat.PNG)).toBeUndefined();
  });

  it('ImageMagick raw-profile text chunks go from PNGs', async () => {
    const png = await base().png().toBuffer();
    const raw = pngChunk('tEXt', Buffer.from('Raw profile type exif\0\nexif\n   10\n45786966000049492a00', 'latin1'));
    const comment = pngChunk('tEXt', Buffer.from('Comment\0hello', 'latin1'));
    expect(chunksOf(stripLocation(withChunks(png, raw, comment), ImageFormat.PNG)!)).toEqual(chunksOf(withChunks(png, comment)));
  });
});
