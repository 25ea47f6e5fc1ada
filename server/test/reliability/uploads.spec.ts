/**
 * The upload rows of the reliability catalogue (RELIABILITY.md §1, U1–U16 and U21, with the upload
 * defaults of §0), one test per row, against the real server over real HTTP; U17–U20 and U22, the
 * multipart layer and slow clients, are in uploads-multipart.spec.ts. This file and that one are the
 * checklist; test/integration/uploads.spec.ts covers the everyday behaviour of uploads.
 */
import { readdir } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apngControl, bombPng, distinctPng, gpsJpeg, jpeg, markedJpeg, noise, png, rgbaPng, solid, svgWithScript, withPngChunk } from '../support/images.js';
import { TestServer, type GqlResponse, type TestUser } from '../support/test-server.js';
import { uploadRows } from './upload-rows.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SMALL_PIXEL_LIMIT = 10_000;

const rows = uploadRows();
const { spoolDir, footprint, expectRefused, UPLOAD_ONE, multipart, postMultipart, served, accepted } = rows;
let server: TestServer;
let user: TestUser;
let premium: TestUser;
beforeAll(() => {
  ({ server, user, premium } = rows);
});

// an APNG is a PNG whose first frame libvips reads as a still (below, with the accepted inputs).
describe('inputs that are not an accepted image are refused (U1, U2, U4, U15, U16)', () => {
  const animated = async () => sharp([await png(8, 8, '#c33'), await png(8, 8, '#3c3')], { join: { animated: true } });
  it.each<{ title: string; make: () => Promise<Buffer> | Buffer; reason: string }>([
    { title: 'U1 a zero-byte file', make: () => Buffer.alloc(0), reason: 'EMPTY' },
    { title: 'U2 text named .png and sent as image/png', make: () => Buffer.from('hello'), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'U4 an SVG with a script', make: () => svgWithScript(), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'U15 an animated GIF', make: async () => (await animated()).gif().toBuffer(), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'U15 an animated WebP', make: async () => (await animated()).webp().toBuffer(), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'U16 a TIFF', make: () => solid(8, 8).tiff().toBuffer(), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'U16 a WebP', make: () => solid(8, 8).webp().toBuffer(), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'U16 an AVIF', make: () => solid(8, 8).avif().toBuffer(), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'U16 a PDF', make: () => Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'), reason: 'UNSUPPORTED_FORMAT' },
  ])('$title → $reason', async ({ make, reason }) => {
    const before = await footprint();
    await expectRefused(await server.upload(user.token, [{ name: 'x.png', data: await make(), type: 'image/png' }]), before, reason);
  });

  it('U16 the TIFF and SVG loaders are blocked in libvips itself, not only by the format check', async () => {
    for (const data of [await solid(8, 8).tiff().toBuffer(), svgWithScript()]) {
      await expect(sharp(data).metadata()).rejects.toThrow(/unsupported image format/);
    }
  });
});

// A JPEG missing only its final EOI marker is not here: libjpeg then has every pixel and decodes it (most of
// the time; it depends on its bit buffer), and refusing it by its tail would refuse phone "motion photos",
// JPEGs with a video appended. A JPEG cut anywhere earlier fails to decode.
describe('broken images are refused as CORRUPT (U6, U7)', () => {
  const noisyPng = () => noise(64, 64).png().toBuffer();
  const flip = (data: Buffer, at: number) => Buffer.from(data).fill(data[at]! ^ 0xff, at, at + 1);
  it.each<[string, () => Promise<Buffer>]>([
    ['U6 a JPEG cut at 60%', async () => { const data = await noise(300, 300).jpeg({ quality: 90 }).toBuffer(); return data.subarray(0, Math.floor(data.length * 0.6)); }],
    ['U7 a PNG cut mid-IDAT', async () => { const data = await noisyPng(); return data.subarray(0, Math.floor(data.length * 0.6)); }],
    ['U7 a PNG with a flipped byte in IHDR', async () => flip(await noisyPng(), 20)],
    ['U7 a PNG with a bad IHDR CRC', async () => flip(await noisyPng(), 29)],
    ['U7 a PNG without IEND', async () => (await noisyPng()).subarray(0, -12)],
  ])('%s', async (_title, make) => {
    const before = await footprint();
    await expectRefused(await server.upload(user.token, [{ name: 'broken.png', data: await make() }]), before, 'CORRUPT');
  });

  it('U7 bytes after IEND are not a broken PNG', async () => {
    const image = await accepted({ name: 'trailing.png', data: Buffer.concat([await png(30, 20), Buffer.from('trailing bytes')]) });
    expect(image).toMatchObject({ format: 'PNG', width: 30, height: 20 });
  });
});

describe('too many pixels is refused before decoding (U8, U9; §0 limitInputPixels)', () => {
  it('U8 a 74-byte PNG claiming 50000×50000 → TOO_MANY_PIXELS', async () => {
    const before = await footprint();
    const data = bombPng(50_000, 50_000);
    expect(data.length).toBeLessThan(100);
    await expectRefused(await server.upload(user.token, [{ name: 'bomb.png', data }]), before, 'TOO_MANY_PIXELS');
  });

  it('U9 a real 9000×9000 flat PNG (81 MP, under sharp’s own 268 MP default) → TOO_MANY_PIXELS at the 50 MP default', async () => {
    expect(server.server.deps.config.maxImagePixels).toBe(50_000_000);
    const data = await solid(9000, 9000, '#fff').png({ compressionLevel: 9 }).toBuffer();
    const before = await footprint();
    await expectRefused(await server.upload(user.token, [{ name: 'flat.png', data }]), before, 'TOO_MANY_PIXELS');
  });

  describe('at the edge of a configured limit', () => {
    let small: TestServer;
    let smallUser: TestUser;
    beforeAll(async () => {
      small = await TestServer.start({ env: { MAX_IMAGE_PIXELS: String(SMALL_PIXEL_LIMIT) } });
      smallUser = await small.createUser();
    });
    afterAll(async () => {
      await small?.stop();
    });

    it('U9 accepts exactly MAX_IMAGE_PIXELS and refuses one row more', async () => {
      const ok = await small.upload(smallUser.token, [{ name: 'edge.png', data: await png(100, 100) }]);
      expect(ok.errors).toBeUndefined();
      const before = await footprint(small);
      await expectRefused(await small.upload(smallUser.token, [{ name: 'over.png', data: await png(100, 101) }]), before, 'TOO_MANY_PIXELS', small);
    });
  });
});

// U5 and U14 concern what is served: thumbnails are re-encoded from pixels, so nothing else survives.
// Originals are kept byte for byte by design (README "The original is kept byte for byte") and served only
// to tiers with original links, with the detected type, nosniff and a sandbox CSP (S1).
describe('accepted inputs are stored by what the bytes say and re-encoded (U3, U5, U10–U15)', () => {
  it('U3 a PNG named a.jpg and sent as image/jpeg is stored, keyed and served as PNG', async () => {
    const image = await accepted({ name: 'a.jpg', data: await png(40, 30), type: 'image/jpeg' });
    expect(image).toMatchObject({ format: 'PNG', width: 40, height: 30 });
    expect(await server.mediaFiles()).toContain(`originals/${image.id.slice(0, 2)}/${image.id}.png`);
    const thumb = await served(image.thumbnails[0]!.url);
    expect(thumb.headers.get('content-type')).toBe('image/png');
    expect(thumb.meta.format).toBe('png');
  });

  it.each<[string, () => Promise<Buffer>, string]>([
    ['a JPEG with <script> appended', async () => Buffer.concat([await jpeg(64, 48), Buffer.from('<html><script>alert(1)</script>')]), 'image/jpeg'],
    ['a PNG with HTML in a tEXt chunk', async () => withPngChunk(await png(64, 48), 'tEXt', Buffer.from('Comment\0<script>alert(1)</script>')), 'image/png'],
  ])('U5 a polyglot, %s: accepted, thumbnails carry no payload, the original is served inert', async (_title, make, contentType) => {
    const data = await make();
    const image = await accepted({ name: 'polyglot.html', data, type: 'text/html' }, premium);
    for (const thumbnail of image.thumbnails) expect((await served(thumbnail.url)).body.includes('<script')).toBe(false);
    const original = await served(image.originalUrl!);
    expect(original.headers.get('content-type')).toBe(contentType);
    expect(original.headers.get('x-content-type-options')).toBe('nosniff');
    expect(original.headers.get('content-security-policy')).toMatch(/sandbox/);
  });

  it.each<[string, () => Promise<Buffer>, Partial<Metadata>]>([
    ['U10 a CMYK JPEG gets an sRGB thumbnail', () => solid(64, 48).toColourspace('cmyk').jpeg().toBuffer(), { space: 'srgb', channels: 3 }],
    ['U11 a 16-bit PNG gets an 8-bit thumbnail', () => solid(64, 48).toColourspace('rgb16').png().toBuffer(), { depth: 'uchar' }],
    ['U12 a grayscale PNG', () => solid(64, 48).toColourspace('b-w').png().toBuffer(), { format: 'png' }],
    ['U12 a palette PNG', () => solid(64, 48).png({ palette: true }).toBuffer(), { format: 'png' }],
    ['U12 a PNG with alpha keeps it (the thumbnail is a PNG)', () => rgbaPng(64, 48), { hasAlpha: true }],
    ['U15 an APNG is read as its first frame', async () => withPngChunk(await png(64, 48), 'acTL', apngControl(2)), { format: 'png' }],
  ])('%s', async (_title, make, expected) => {
    const image = await accepted({ name: 'odd.png', data: await make() });
    expect(image).toMatchObject({ width: 64, height: 48 });
    const thumb = await served(image.thumbnails[0]!.url);
    expect(thumb.meta).toMatchObject({ width: 64, height: 48, ...expected });
    expect(thumb.meta.pages ?? 1).toBe(1);
  });

  // where the stored top-left corner must appear once upright, per the EXIF orientation definitions
  const corners = { 1: 'TL', 2: 'TR', 3: 'BR', 4: 'BL', 5: 'TL', 6: 'TR', 7: 'BR', 8: 'BL' } as const;
  it.each(Object.entries(corners).map(([o, corner]) => [Number(o), corner] as const))('U13 EXIF orientation %i: stored top-left shows at %s, size after orientation', async (orientation, corner) => {
    const image = await accepted({ name: `o${orientation}.jpg`, data: await markedJpeg(64, 32, orientation) });
    const [width, height] = orientation >= 5 ? [32, 64] : [64, 32];
    expect(image).toMatchObject({ width, height });
    const thumb = await served(image.thumbnails[0]!.url);
    expect(thumb.meta).toMatchObject({ width, height });
    expect(thumb.meta.orientation ?? 1).toBe(1);
    const { data } = await sharp(thumb.body).raw().toBuffer({ resolveWithObject: true });
    const redAt = (x: number, y: number) => data[(y * width + x) * 3 + 1]! < 100;
    const found = { TL: redAt(width / 4, height / 4), TR: redAt((3 * width) / 4, height / 4), BL: redAt(width / 4, (3 * height) / 4), BR: redAt((3 * width) / 4, (3 * height) / 4) };
    expect(found).toEqual({ TL: false, TR: false, BL: false, BR: false, [corner]: true });
  });

  it('U14 EXIF with GPS is absent from every thumbnail', async () => {
    const data = await gpsJpeg(64, 32);
    expect((await sharp(data).metadata()).exif).toBeDefined();
    const image = await accepted({ name: 'where.jpg', data }, premium);
    for (const thumbnail of image.thumbnails) expect((await served(thumbnail.url)).meta.exif).toBeUndefined();
  });
});

// U17's "check Content-Length early" is not done: a body of any declared length is read up to maxFileSize
// per file (and the proxy in front is what caps the total).
describe('filenames are display data only (U21)', () => {
  const storedKeys = async (id: string) => (await server.mediaFiles()).filter((key) => key.includes(id));
  // new bytes each time: equal bytes would be answered with the image first stored under another name
  const withName = async (file: string, type?: string) =>
    postMultipart(multipart([{ name: 'operations', body: JSON.stringify(UPLOAD_ONE) }, { name: 'map', body: JSON.stringify({ 0: ['variables.file'] }) }, { name: '0', file, type, body: await distinctPng(20, 20) }]));
  it.each<{ title: string; file: string; type?: string; expected: string | RegExp }>([
    { title: 'a path traversal', file: 'filename="../../etc/passwd"', expected: 'passwd' },
    { title: 'a Windows path traversal', file: 'filename="..\\..\\windows\\evil.png"', expected: 'evil.png' },
    { title: 'a NUL byte (percent-encoded)', file: "filename*=utf-8''a%00.png", expected: 'a.png' },
    { title: 'HTML', file: 'filename="<img src=x onerror=alert(1)>.png"', expected: '<img src=x onerror=alert(1)>.png' },
    { title: 'a right-to-left override', file: "filename*=utf-8''%E2%80%AEgnp.exe", expected: 'gnp.exe' },
    { title: '10 KB of name', file: `filename="${'n'.repeat(10_000)}.png"`, expected: /^n{255}$/ },
    { title: 'NFD', file: "filename*=utf-8''e%CC%81.png", expected: 'é.png' },
    { title: 'a reserved Windows device name', file: 'filename="CON"', expected: 'CON' },
    { title: 'no filename on an octet-stream part', file: '', type: 'application/octet-stream', expected: 'image.png' },
  ])('U21 $title: stored under a server UUID, display name cleaned', async ({ file, type, expected }) => {
    const body = (await (await withName(file, type)).json()) as { data?: { uploadImage: { id: string; filename: string } }; errors?: unknown };
    expect(body.errors, file).toBeUndefined();
    const { id, filename } = body.data!.uploadImage;
    expect(id).toMatch(UUID);
    if (typeof expected === 'string') expect(filename).toBe(expected);
    else expect(filename).toMatch(expected);
    expect(filename.normalize('NFC')).toBe(filename);
    expect(Buffer.byteLength(filename)).toBeLessThanOrEqual(255);
    expect(await storedKeys(id)).toEqual([`originals/${id.slice(0, 2)}/${id}.png`, `thumbnails/${id.slice(0, 2)}/${id}/h200.png`]);
  });

  // busboy reads a part with an empty filename and an image type as a plain field, so the file is missing
  it('U21 an empty filename on an image part → BAD_USER_INPUT MALFORMED_UPLOAD, nothing stored', async () => {
    const before = await footprint();
    const response = await withName('filename=""');
    const body = (await response.json()) as { data?: { uploadImage?: unknown } | null; errors?: GqlResponse['errors'] };
    await expectRefused({ status: response.status, data: body.data, errors: body.errors }, before, 'MALFORMED_UPLOAD');
  });

  it('U21 nothing was written outside the storage root', async () => {
    const written = await readdir(server.dataDir, { recursive: true });
    expect(written.filter((path) => /passwd|evil|windows|etc/.test(path))).toEqual([]);
    expect((await readdir(spoolDir)).filter((name) => !name.startsWith('imageapi-test-'))).toEqual([]);
  });
});
