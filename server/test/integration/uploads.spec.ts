import { randomBytes } from 'node:crypto';
import { access, readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bombPng, gpsJpeg, jpeg, orientedJpeg, png, solid, svgWithScript } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type GqlResponse, type TestUser, type UploadFile } from '../support/test-server.js';

interface Thumb {
  size: number;
  width: number;
  height: number;
  url: string;
}

/** Random pixels compress badly, so cutting the encoded file cuts real image data, not padding. */
const noise = (width: number, height: number) => sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });
const truncate = (data: Buffer, fraction = 0.6) => data.subarray(0, Math.floor(data.length * fraction));

/** GETs a link from the API (against the server we started, whatever host the link names) and decodes it. */
async function served(server: TestServer, link: string) {
  const url = new URL(link);
  const response = await fetch(`${server.url}${url.pathname}${url.search}`);
  expect(response.status, link).toBe(200);
  const body = Buffer.from(await response.arrayBuffer());
  return { contentType: response.headers.get('content-type'), body, meta: await sharp(body).metadata() };
}

/** Image rows and stored files: what a refused upload must leave as it found them. */
async function footprint(server: TestServer) {
  return { rows: await server.countRows('images'), media: await server.mediaFiles() };
}

/** A rejected upload: the expected code and reason, nothing stored or staged, and the server still answers. */
async function expectRejected(server: TestServer, user: TestUser, result: GqlResponse, before: Awaited<ReturnType<typeof footprint>>, reason: string) {
  // soft, so a wrong code still reports whether anything was left behind
  expect.soft(result.errors?.[0]?.extensions, `HTTP ${result.status} ${JSON.stringify(result.errors)}`).toMatchObject({ code: 'BAD_USER_INPUT', reason });
  expect(result.data ?? null).toBeNull();
  expect(await footprint(server)).toEqual(before);
  expect(await server.stagedFiles()).toEqual([]);
  const followUp = await server.gql(`{ images(first: 1) { totalCount } }`, {}, user.token);
  expect(followUp.errors).toBeUndefined();
  const [own] = await server.sql<{ n: string }>('select count(*) as n from images where owner_id = $1', [user.id]);
  expect(followUp.data.images.totalCount).toBe(Number(own!.n));
}

/** Every file under a folder, relative to it. */
async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * `uploadImage` with a hand-written file part header, for filenames FormData cannot express: raw
 * control bytes, or RFC 5987 `filename*=utf-8''…` whose percent-escapes the parser decodes.
 */
async function rawUpload(server: TestServer, token: string, disposition: string, data: Buffer): Promise<GqlResponse> {
  const boundary = `----test${randomBytes(8).toString('hex')}`;
  const part = (headers: string, body: Buffer | string) => Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]);
  const operations = { query: 'mutation($file: Upload!) { uploadImage(file: $file) { id filename } }', variables: { file: null } };
  const body = Buffer.concat([
    part('Content-Disposition: form-data; name="operations"', JSON.stringify(operations)),
    part('Content-Disposition: form-data; name="map"', JSON.stringify({ 0: ['variables.file'] })),
    part(`Content-Disposition: form-data; name="0"; ${disposition}\r\nContent-Type: image/png`, data),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
    body,
  });
  const json = (await response.json()) as { data?: any; errors?: GqlResponse['errors'] };
  return { status: response.status, data: json.data, errors: json.errors };
}

let server: TestServer;
let basic: TestUser;
let premium: TestUser;
beforeAll(async () => {
  server = await TestServer.start();
  basic = await server.createUser();
  premium = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
});
afterAll(async () => {
  await server?.stop();
});

describe('uploadImage, happy path', () => {
  const cases = [
    { kind: 'JPEG', name: 'photo.jpg', type: 'image/jpeg', make: () => jpeg(800, 600, '#2a6'), width: 800, height: 600, mime: 'image/jpeg', sharpFormat: 'jpeg' },
    { kind: 'PNG', name: 'drawing.png', type: 'image/png', make: () => png(300, 500, '#36c'), width: 300, height: 500, mime: 'image/png', sharpFormat: 'png' },
  ] as const;
  const tiers = [
    { tier: 'Basic', user: () => basic, heights: [200], original: false },
    { tier: 'Premium', user: () => premium, heights: [200, 400], original: true },
  ] as const;

  for (const c of cases) {
    for (const t of tiers) {
      it(`stores a ${c.kind} for a ${t.tier} user with ${t.heights.join('+')} thumbnails in the same format`, async () => {
        const data = await c.make();
        const before = await server.countRows('images');
        const result = await server.upload(t.user().token, [{ name: c.name, data, type: c.type }]);
        expect(result.errors).toBeUndefined();
        const image = result.data.uploadImage;
        expect(image).toMatchObject({ format: c.kind, width: c.width, height: c.height, bytes: data.length, filename: c.name });
        expect(await server.countRows('images')).toBe(before + 1);

        const thumbs: Thumb[] = image.thumbnails;
        expect(thumbs.map((th) => th.size)).toEqual(t.heights);
        for (const th of thumbs) {
          expect(th.height).toBe(th.size);
          expect(th.width).toBe(Math.round((c.width * th.size) / c.height));
          const file = await served(server, th.url);
          expect(file.contentType).toBe(c.mime);
          expect(file.meta).toMatchObject({ format: c.sharpFormat, width: th.width, height: th.height });
        }

        if (t.original) {
          expect(image.originalUrl).toEqual(expect.any(String));
          const original = await served(server, image.originalUrl);
          expect(original.contentType).toBe(c.mime);
          expect(original.body.equals(data)).toBe(true);
        } else {
          expect(image.originalUrl).toBeNull();
        }
      });
    }
  }
});

describe('what the bytes say', () => {
  it('stores a PNG named a.jpg and sent as image/jpeg as a PNG (U3)', async () => {
    const result = await server.upload(basic.token, [{ name: 'a.jpg', data: await png(40, 30), type: 'image/jpeg' }]);
    expect(result.errors).toBeUndefined();
    const image = result.data.uploadImage;
    expect(image).toMatchObject({ format: 'PNG', width: 40, height: 30 });
    const thumb = await served(server, image.thumbnails[0].url);
    expect(thumb.contentType).toBe('image/png');
    expect(thumb.meta.format).toBe('png');
    expect(await server.mediaFiles()).toContain(`originals/${image.id.slice(0, 2)}/${image.id}.png`);
  });

  it('applies EXIF orientation to the reported size and the thumbnail (U13)', async () => {
    const result = await server.upload(basic.token, [{ name: 'sideways.jpg', data: await orientedJpeg(64, 32, 6) }]);
    expect(result.errors).toBeUndefined();
    const image = result.data.uploadImage;
    expect(image).toMatchObject({ width: 32, height: 64 });
    expect(image.thumbnails).toMatchObject([{ size: 200, width: 32, height: 64 }]);
    const thumb = await served(server, image.thumbnails[0].url);
    expect(thumb.meta).toMatchObject({ width: 32, height: 64 });
    // upright pixels, not a tag asking the viewer to rotate again
    expect(thumb.meta.orientation ?? 1).toBe(1);
  });

  it('strips EXIF, GPS included, from thumbnails (U14)', async () => {
    const data = await gpsJpeg(64, 32);
    expect((await sharp(data).metadata()).exif).toBeDefined();
    const result = await server.upload(basic.token, [{ name: 'where.jpg', data }]);
    expect(result.errors).toBeUndefined();
    const thumb = await served(server, result.data.uploadImage.thumbnails[0].url);
    expect(thumb.meta.exif).toBeUndefined();
  });

  it('never upscales: a 100x50 image on Premium gets 100x50 thumbnails for both heights', async () => {
    const result = await server.upload(premium.token, [{ name: 'small.png', data: await png(100, 50) }]);
    expect(result.errors).toBeUndefined();
    const thumbs: Thumb[] = result.data.uploadImage.thumbnails;
    expect(thumbs).toMatchObject([
      { size: 200, width: 100, height: 50 },
      { size: 400, width: 100, height: 50 },
    ]);
    for (const th of thumbs) expect((await served(server, th.url)).meta).toMatchObject({ width: 100, height: 50 });
  });
});

describe('bad inputs are refused and leave nothing behind', () => {
  const noisyJpeg = () => noise(300, 300).jpeg({ quality: 90 }).toBuffer();
  const noisyPng = () => noise(200, 200).png().toBuffer();
  const cases: Array<{ title: string; file: () => Promise<UploadFile> | UploadFile; reason: string }> = [
    { title: 'a zero-byte file (U1)', file: () => ({ name: 'x.png', data: Buffer.alloc(0), type: 'image/png' }), reason: 'EMPTY' },
    { title: 'text named x.png (U2)', file: () => ({ name: 'x.png', data: Buffer.from('hello'), type: 'image/png' }), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'an SVG with a script (U4)', file: () => ({ name: 'x.png', data: svgWithScript(), type: 'image/png' }), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'a TIFF (U16)', file: async () => ({ name: 'x.tiff', data: await solid(8, 8).tiff().toBuffer() }), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'a WebP (U16)', file: async () => ({ name: 'x.webp', data: await solid(8, 8).webp().toBuffer() }), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'a GIF (U16)', file: async () => ({ name: 'x.gif', data: await solid(8, 8).gif().toBuffer() }), reason: 'UNSUPPORTED_FORMAT' },
    { title: 'a truncated JPEG (U6)', file: async () => ({ name: 'cut.jpg', data: truncate(await noisyJpeg()) }), reason: 'CORRUPT' },
    { title: 'a truncated PNG (U7)', file: async () => ({ name: 'cut.png', data: truncate(await noisyPng()) }), reason: 'CORRUPT' },
    { title: 'a 50000x50000 decompression bomb (U8)', file: () => ({ name: 'bomb.png', data: bombPng(50_000, 50_000) }), reason: 'TOO_MANY_PIXELS' },
  ];

  for (const c of cases) {
    it(`refuses ${c.title} with ${c.reason}`, async () => {
      const file = await c.file();
      const before = await footprint(server);
      const result = await server.upload(basic.token, [file]);
      await expectRejected(server, basic, result, before, c.reason);
    });
  }
});

describe('the upload size limit (U17)', () => {
  let small: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    small = await TestServer.start({ env: { MAX_UPLOAD_BYTES: '100000' } });
    user = await small.createUser();
  });
  afterAll(async () => {
    await small?.stop();
  });

  it('refuses a ~200 KB file with TOO_LARGE and stores nothing', async () => {
    const data = await noise(300, 300).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
    expect(data.length).toBeGreaterThan(150_000);
    const before = await footprint(small);
    const result = await small.upload(user.token, [{ name: 'big.jpg', data }]);
    await expectRejected(small, user, result, before, 'TOO_LARGE');
  });

  it('still accepts a file under the limit', async () => {
    const result = await small.upload(user.token, [{ name: 'ok.jpg', data: await jpeg(50, 50) }]);
    expect(result.errors).toBeUndefined();
    expect(result.data.uploadImage.format).toBe('JPEG');
  });
});

describe('uploadImages', () => {
  it('stores three good files as three images', async () => {
    const before = await footprint(server);
    const files = [
      { name: 'one.jpg', data: await jpeg(60, 40, '#111') },
      { name: 'two.png', data: await png(40, 60, '#222') },
      { name: 'three.jpg', data: await jpeg(30, 30, '#333') },
    ];
    const result = await server.upload(basic.token, files, { batch: true });
    expect(result.errors).toBeUndefined();
    expect(result.data.uploadImages).toMatchObject([
      { filename: 'one.jpg', format: 'JPEG', width: 60, height: 40 },
      { filename: 'two.png', format: 'PNG', width: 40, height: 60 },
      { filename: 'three.jpg', format: 'JPEG', width: 30, height: 30 },
    ]);
    expect(await server.countRows('images')).toBe(before.rows + 3);
    // an original and one thumbnail (Basic: 200) per image
    expect((await server.mediaFiles()).length).toBe(before.media.length + 6);
  });

  it('stores none of them when one is bad, and names the bad one', async () => {
    const before = await footprint(server);
    const files = [
      { name: 'good1.jpg', data: await jpeg(60, 40) },
      { name: 'good2.png', data: await png(40, 60) },
      { name: 'bad.png', data: Buffer.from('hello') },
    ];
    const result = await server.upload(basic.token, files, { batch: true });
    expect(result.errors?.[0]?.extensions).toMatchObject({ field: 'files.2' });
    expect(result.errors?.[0]?.message).toMatch(/^File 3:/);
    await expectRejected(server, basic, result, before, 'UNSUPPORTED_FORMAT');
  });
});

describe('filenames (U21)', () => {
  // random pixels: equal bytes would be answered with the image first stored under another name
  const upload = async (name: string) => {
    const result = await server.upload(basic.token, [{ name, data: await noise(20, 20).png().toBuffer() }]);
    expect(result.errors, name).toBeUndefined();
    return result.data.uploadImage as { id: string; filename: string };
  };

  it('keeps only the last path segment and writes nothing outside the media folder', async () => {
    for (const name of ['../../etc/passwd.png', '..\\..\\windows\\evil.png']) {
      const image = await upload(name);
      expect(image.filename).not.toMatch(/[\\/]/);
      expect(image.filename).toMatch(/^(passwd|evil)\.png$/);
    }
    for (const base of [server.mediaDir, server.uploadTmpDir]) {
      expect(await exists(resolve(base, '../../etc/passwd.png'))).toBe(false);
      expect(await exists(resolve(base, '../etc/passwd.png'))).toBe(false);
    }
    // every file the server wrote is under media/, at a key made from the image id
    for (const path of await allFiles(server.dataDir)) expect(path).toMatch(/^media\/(originals|thumbnails)\/[0-9a-f]{2}\/[0-9a-f-]{36}/);
  });

  it('drops bidi-override and other invisible format characters', async () => {
    const image = await upload('in\u202Egnp\u200B\u2066.png');
    expect(image.filename).toBe('ingnp.png');
  });

  it('drops control characters that arrive percent-encoded in filename*', async () => {
    const result = await rawUpload(server, basic.token, "filename*=utf-8''a%00b%01c%07d%1B%7Fe%E2%80%AE.png", await noise(20, 20).png().toBuffer());
    expect(result.errors).toBeUndefined();
    expect(result.data.uploadImage.filename).toBe('abcde.png');
  });

  it('answers raw control bytes in the part header with a client error, not a server error', async () => {
    const before = await footprint(server);
    const result = await rawUpload(server, basic.token, 'filename="a\u0001b.png"', await png(20, 20));
    // the multipart parser refuses the header ("Malformed part header"); that is the client's fault
    expect.soft(result.errors?.[0]?.extensions?.code, `HTTP ${result.status} ${JSON.stringify(result.errors)}`).toMatch(/^(BAD_USER_INPUT|BAD_REQUEST)$/);
    expect(await footprint(server)).toEqual(before);
    expect(await server.stagedFiles()).toEqual([]);
  });

  it('cuts a 1000-character name to at most 255 bytes of valid UTF-8', async () => {
    const ascii = await upload(`${'x'.repeat(1000)}.png`);
    expect(Buffer.byteLength(ascii.filename)).toBeLessThanOrEqual(255);
    expect(ascii.filename).toMatch(/^x+/);
    const wide = await upload(`${'€'.repeat(1000)}.png`);
    expect(Buffer.byteLength(wide.filename)).toBeLessThanOrEqual(255);
    expect(wide.filename).toMatch(/^€+$/);
  });
});

describe('who may upload', () => {
  it('refuses a multipart upload without Apollo-Require-Preflight with HTTP 400 (U22)', async () => {
    const before = await footprint(server);
    const result = await server.upload(basic.token, [{ name: 'csrf.png', data: await png(20, 20) }], { preflight: false });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(result.data ?? null).toBeNull();
    expect(await footprint(server)).toEqual(before);
    expect(await server.stagedFiles()).toEqual([]);
  });

  it('refuses an upload without a token with UNAUTHENTICATED', async () => {
    const before = await footprint(server);
    const result = await server.upload(undefined, [{ name: 'anon.png', data: await png(20, 20) }]);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data ?? null).toBeNull();
    expect(await footprint(server)).toEqual(before);
    expect(await server.stagedFiles()).toEqual([]);
  });
});

describe('after a bad upload', () => {
  it('keeps accepting good ones, one after another', async () => {
    const bad = [Buffer.from('hello'), bombPng(50_000, 50_000), truncate(await noise(200, 200).jpeg().toBuffer())];
    const before = await server.countRows('images');
    for (const [i, data] of bad.entries()) {
      expect((await server.upload(basic.token, [{ name: `bad${i}.png`, data }])).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const good = await server.upload(basic.token, [{ name: `good${i}.jpg`, data: await jpeg(50 + i, 40) }]);
      expect(good.errors).toBeUndefined();
      expect(good.data.uploadImage).toMatchObject({ filename: `good${i}.jpg`, width: 50 + i });
    }
    expect(await server.countRows('images')).toBe(before + bad.length);
    expect(await server.stagedFiles()).toEqual([]);
  });
});
