/**
 * The upload rows of the reliability catalogue (RELIABILITY.md §1, U1–U22, with the upload defaults of
 * §0 and F14), one test per row, against the real server over real HTTP. This file is the checklist;
 * test/integration/uploads.spec.ts covers the everyday behaviour of uploads.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apngControl, bombPng, gpsJpeg, jpeg, markedJpeg, noise, png, rgbaPng, solid, svgWithScript, withPngChunk } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type GqlResponse, type TestUser, type UploadFile } from '../support/test-server.js';
import { eventually } from '../support/polling.js';

// graphql-upload spools every file to os.tmpdir()/capacitor-*; a folder of this test file's own lets it
// count them without seeing other test files' uploads (the server runs in this process)
const spoolDir = await mkdtemp(resolve(tmpdir(), 'reliability-uploads-'));
process.env.TMPDIR = spoolDir;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SMALL_PIXEL_LIMIT = 10_000;

let server: TestServer;
let user: TestUser;
let premium: TestUser;
beforeAll(async () => {
  server = await TestServer.start();
  user = await server.createUser();
  premium = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
});
afterAll(async () => {
  await server?.stop();
  await rm(spoolDir, { recursive: true, force: true });
});

const spooledFiles = async () => (await readdir(spoolDir)).filter((name) => name.startsWith('capacitor-'));


const footprint = async (on = server) => ({ rows: await on.countRows('images'), media: await on.mediaFiles() });
type Footprint = Awaited<ReturnType<typeof footprint>>;

/** No new row, no new stored file, nothing left in staging or graphql-upload's spool, and the server still answers. */
async function expectNothingLeft(before: Footprint, on = server) {
  expect(await footprint(on)).toEqual(before);
  await eventually(async () => {
    expect(await on.stagedFiles()).toEqual([]);
    expect(await spooledFiles()).toEqual([]);
  });
  const followUp = await on.gql(`{ me { id } }`, {}, on === server ? user.token : undefined);
  expect(followUp.status).toBeLessThan(500);
  expect((await fetch(`${on.url}/healthz`)).status).toBe(200);
}

async function expectRefused(result: GqlResponse, before: Footprint, reason: string, on = server) {
  // soft, so a wrong code still reports whether anything was left behind
  expect.soft(result.errors?.[0]?.extensions, `HTTP ${result.status} ${JSON.stringify(result.errors)}`).toMatchObject({ code: 'BAD_USER_INPUT', reason });
  expect(result.data?.uploadImage ?? null).toBeNull();
  await expectNothingLeft(before, on);
}

/** A multipart-layer refusal: the HTTP status and a JSON GraphQL-shaped body, never Express's HTML page. */
async function expectHttpRefused(response: Response, status: number, code: string, message?: RegExp) {
  const text = await response.text();
  expect.soft(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { errors: Array<{ message: string; extensions: { code: string } }> };
  expect(body.errors[0]!.extensions.code).toBe(code);
  if (message) expect(body.errors[0]!.message).toMatch(message);
}

const UPLOAD_ONE = { query: 'mutation($file: Upload!) { uploadImage(file: $file) { id filename } }', variables: { file: null } };

/** A multipart body written part by part, in the order given; `file` holds the filename parameter(s) of a file part. */
function multipart(parts: Array<{ name: string; file?: string; type?: string; body: Buffer | string }>) {
  const boundary = `----reliability${Date.now().toString(16)}`;
  const chunks = parts.map(({ name, file, type = 'image/png', body }) => {
    const head = file === undefined ? '' : `${file && '; '}${file}\r\nContent-Type: ${type}`;
    return Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${head}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]);
  });
  return { body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

function postMultipart(form: { body: Buffer; contentType: string }, token = user.token): Promise<Response> {
  return fetch(`${server.url}/graphql`, {
    method: 'POST',
    // a request the server never answers fails here, in seconds, rather than at the test timeout
    signal: AbortSignal.timeout(10_000),
    headers: { 'content-type': form.contentType, 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
    body: new Uint8Array(form.body),
  });
}

async function served(link: string) {
  const url = new URL(link);
  const response = await fetch(`${server.url}${url.pathname}${url.search}`);
  expect(response.status, link).toBe(200);
  const body = Buffer.from(await response.arrayBuffer());
  return { headers: response.headers, body, meta: await sharp(body).metadata() };
}

async function accepted(file: UploadFile, who = user) {
  const result = await server.upload(who.token, [file]);
  expect(result.errors, file.name).toBeUndefined();
  return result.data.uploadImage as { id: string; filename: string; format: string; width: number; height: number; thumbnails: Array<{ url: string; width: number; height: number }>; originalUrl: string | null };
}

// U15: GIF and WebP are off the allowlist (JPEG and PNG only), so animated ones are refused like any other;
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
describe('the multipart layer refuses with JSON before GraphQL runs (U17–U19; §0 graphql-upload limits)', () => {
  it('U17 27 MB streamed against the 25 MiB default → TOO_LARGE, and the spooled temp file is released', async () => {
    expect(server.server.deps.config.maxUploadBytes).toBe(25 * 1024 * 1024);
    const before = await footprint();
    const result = await server.upload(user.token, [{ name: 'huge.png', data: Buffer.alloc(27_000_000) }]);
    await expectRefused(result, before, 'TOO_LARGE');
  });

  it('U18 a map of 1000 files → 413 before any file streams', async () => {
    const map = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), [`variables.files.${i}`]]));
    const before = await footprint();
    const form = multipart([
      { name: 'operations', body: JSON.stringify({ query: 'mutation($files: [Upload!]!) { uploadImages(files: $files) { id } }', variables: { files: [] } }) },
      { name: 'map', body: JSON.stringify(map) },
      { name: '0', file: 'filename="a.png"', body: await png(8, 8) },
    ]);
    await expectHttpRefused(await postMultipart(form), 413, 'PAYLOAD_TOO_LARGE', /10 max file uploads exceeded/);
    await expectNothingLeft(before);
  });

  it('U18 eleven real files in one uploadImages → 413 (MAX_FILES_PER_REQUEST is 10)', async () => {
    const before = await footprint();
    const data = await png(8, 8);
    const result = await server.upload(user.token, Array.from({ length: 11 }, (_, i) => ({ name: `${i}.png`, data })), { batch: true });
    expect(result.status).toBe(413);
    expect(result.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    await expectNothingLeft(before);
  });

  const file = async () => ({ name: '0', file: 'filename="a.png"', body: await png(8, 8) });
  const ops = (value: object) => ({ name: 'operations', body: JSON.stringify(value) });
  const map = (value: object) => ({ name: 'map', body: JSON.stringify(value) });
  const cut = (form: ReturnType<typeof multipart>, at: number) => ({ ...form, body: form.body.subarray(0, at) });
  it.each<{ title: string; form: () => Promise<ReturnType<typeof multipart>>; status: number; code: string; message: RegExp }>([
    { title: 'invalid JSON in operations', form: async () => multipart([{ name: 'operations', body: '{"query":' }, map({ 0: ['variables.file'] }), await file()]), status: 400, code: 'BAD_REQUEST', message: /Invalid JSON/ },
    { title: 'map before operations', form: async () => multipart([map({ 0: ['variables.file'] }), ops(UPLOAD_ONE), await file()]), status: 400, code: 'BAD_REQUEST', message: /Misordered/ },
    { title: 'a file before map', form: async () => multipart([ops(UPLOAD_ONE), await file(), map({ 0: ['variables.file'] })]), status: 400, code: 'BAD_REQUEST', message: /Misordered/ },
    { title: 'a map entry that is not an array', form: async () => multipart([ops(UPLOAD_ONE), map({ 0: 'variables.file' }), await file()]), status: 400, code: 'BAD_REQUEST', message: /Invalid type/ },
    { title: 'operations over the 64 KB field limit', form: async () => multipart([ops({ ...UPLOAD_ONE, extensions: { pad: 'x'.repeat(70_000) } }), map({ 0: ['variables.file'] }), await file()]), status: 413, code: 'PAYLOAD_TOO_LARGE', message: /65536 byte size limit/ },
    { title: 'a body cut short before map', form: async () => cut(multipart([ops(UPLOAD_ONE), map({ 0: ['variables.file'] }), await file()]), 60), status: 400, code: 'BAD_REQUEST', message: /multipart/i },
    { title: 'a multipart content type without a boundary', form: async () => ({ ...multipart([ops(UPLOAD_ONE)]), contentType: 'multipart/form-data' }), status: 400, code: 'BAD_REQUEST', message: /multipart/i },
    { title: 'a map path outside variables (our rule)', form: async () => multipart([ops(UPLOAD_ONE), map({ 0: ['variables.file', 'extensions.file'] }), await file()]), status: 400, code: 'BAD_REQUEST', message: /variables/ },
  ])('U19 $title → $status', async ({ form, status, code, message }) => {
    const before = await footprint();
    await expectHttpRefused(await postMultipart(await form()), status, code, message);
    await expectNothingLeft(before);
  });

  it('U19 a body cut short inside the file → BAD_USER_INPUT MALFORMED_UPLOAD', async () => {
    const before = await footprint();
    const form = multipart([ops(UPLOAD_ONE), map({ 0: ['variables.file'] }), { name: '0', file: 'filename="a.png"', body: await png(64, 64) }]);
    const response = await postMultipart(cut(form, form.body.length - 40));
    const body = (await response.json()) as { data?: { uploadImage?: unknown } | null; errors?: GqlResponse['errors'] };
    await expectRefused({ status: response.status, data: body.data, errors: body.errors }, before, 'MALFORMED_UPLOAD');
  });

  it.each(['variables.__proto__.polluted', '__proto__.polluted', 'variables.constructor.prototype.polluted'])('U19 a map path through the prototype (%s) stores nothing and pollutes nothing', async (path) => {
    const before = await footprint();
    const response = await postMultipart(multipart([ops(UPLOAD_ONE), map({ 0: [path] }), await file()]));
    const body = (await response.json()) as { data?: { uploadImage?: unknown }; errors?: unknown[] };
    expect(body.errors?.length, JSON.stringify(body)).toBeGreaterThan(0);
    expect(body.data?.uploadImage ?? null).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectNothingLeft(before);
  });
});

// U20's 408 itself is not waited for here: headersTimeout (20 s) and requestTimeout (120 s) are fixed in
// server.ts, and Node only checks them every connectionsCheckingInterval (30 s by default), so a trickling
// client is cut off after 20–50 s. Checked below: the values, and that such a client blocks no one else.
describe('slow and vanishing clients (U20, F14)', () => {
  it('U20 the slowloris timeouts are set: headers within 20 s, the whole request within 120 s (§0)', () => {
    const { headersTimeout, requestTimeout } = server.server.httpServer;
    expect(headersTimeout).toBeGreaterThan(0);
    expect(headersTimeout).toBeLessThanOrEqual(20_000);
    expect(requestTimeout).toBeGreaterThan(0);
    expect(requestTimeout).toBeLessThanOrEqual(120_000);
  });

  it('U20 a client sending its headers a byte at a time does not hold up anyone else', async () => {
    const socket = connect(server.server.port, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    socket.on('error', () => {});
    const trickle = Buffer.from('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n');
    try {
      for (const byte of trickle.subarray(0, 20)) {
        socket.write(Buffer.from([byte]));
        const answered = await server.gql(`{ me { id } }`, {}, user.token);
        expect(answered.errors).toBeUndefined();
      }
      expect(socket.destroyed).toBe(false);
    } finally {
      socket.destroy();
    }
  });

  it('F14/U20 a client that vanishes mid-file leaves no row, no file, no temp file, and the server keeps serving', async () => {
    const before = await footprint();
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', onUnhandled).on('unhandledRejection', onUnhandled);
    const form = multipart([{ name: 'operations', body: JSON.stringify(UPLOAD_ONE) }, { name: 'map', body: JSON.stringify({ 0: ['variables.file'] }) }, { name: '0', file: 'filename="big.jpg"', body: Buffer.alloc(8_000_000, 7) }]);
    const half = Math.floor(form.body.length / 2);
    const req = request(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': form.contentType, 'content-length': form.body.length, 'apollo-require-preflight': 'true', authorization: `Bearer ${user.token}` },
    });
    const closed = new Promise((done) => req.once('close', done));
    req.on('error', () => {});
    req.write(form.body.subarray(0, half));
    try {
      // mid-file for real: the server has begun spooling and staging it
      await eventually(async () => {
        expect((await spooledFiles()).length).toBe(1);
        expect((await server.stagedFiles()).length).toBe(1);
      });
      req.destroy();
      await closed;
      await expectNothingLeft(before);
      expect((await server.upload(user.token, [{ name: 'after.png', data: await png(10, 10) }])).errors).toBeUndefined();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('uncaughtException', onUnhandled).off('unhandledRejection', onUnhandled);
    }
  });
});

describe('filenames are display data only (U21)', () => {
  const storedKeys = async (id: string) => (await server.mediaFiles()).filter((key) => key.includes(id));
  const withName = async (file: string, type?: string) =>
    postMultipart(multipart([{ name: 'operations', body: JSON.stringify(UPLOAD_ONE) }, { name: 'map', body: JSON.stringify({ 0: ['variables.file'] }) }, { name: '0', file, type, body: await png(20, 20) }]));
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

describe('cross-site uploads (U22; §0 csrfPrevention)', () => {
  it('U22 a multipart mutation without Apollo-Require-Preflight → 400, nothing stored, spool released', async () => {
    const before = await footprint();
    const result = await server.upload(user.token, [{ name: 'csrf.png', data: await png(20, 20) }], { preflight: false });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' }, message: expect.stringMatching(/Cross-Site Request Forgery/) });
    await expectNothingLeft(before);
  });

  it('U22 the same request with the preflight header is accepted', async () => {
    expect((await server.upload(user.token, [{ name: 'ok.png', data: await png(20, 20) }])).errors).toBeUndefined();
  });
});
