import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { ImageFormat } from '../../src/images/image.entity.js';
import { originalKey, thumbnailKey } from '../../src/images/storage-keys.js';
import { jpeg, png } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

const PREFIX = '/protected-media/';
const EXPIRING = `mutation($id: ID!, $e: Int!) { createExpiringLink(imageId: $id, expiresIn: $e) { url } }`;

interface Uploaded {
  id: string;
  format: ImageFormat;
  thumbnails: Array<{ size: number; url: string }>;
  originalUrl: string | null;
}

interface Fetched {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: () => any;
}

let server: TestServer;
let start: Date;
beforeAll(async () => {
  // nginx sends files from a local folder, so this runs on local storage even in the S3 test run
  server = await TestServer.start({ env: { STORAGE: 'local', FILES_ACCEL_REDIRECT_PREFIX: PREFIX } });
  start = server.clock.now();
});
afterEach(() => {
  server.clock.set(start);
});
afterAll(async () => {
  await server?.stop();
});

async function get(link: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const { pathname, search } = new URL(link, server.url);
  const response = await fetch(`${server.url}${pathname}${search}`, { headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
}

const user = (tier: keyof typeof BUILTIN_TIER_IDS) => server.createUser({ tierId: BUILTIN_TIER_IDS[tier] });

async function upload(owner: TestUser, data: Buffer): Promise<Uploaded> {
  const result = await server.upload(owner.token, [{ name: 'photo', data }], { selection: 'id format thumbnails { size url } originalUrl' });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

const thumb = (image: Uploaded, size: number) => image.thumbnails.find((t) => t.size === size)!.url;

/** What nginx would send for a hand-off: the file under DATA_DIR/media that the prefix maps to. */
async function handedOff(response: Fetched): Promise<Buffer> {
  const target = response.headers.get('x-accel-redirect')!;
  expect(target.startsWith(PREFIX)).toBe(true);
  return readFile(join(server.mediaDir, target.slice(PREFIX.length)));
}

function expectFileHeaders(response: Fetched, image: Uploaded, contentType: string): void {
  expect(response.headers.get('content-type')).toBe(contentType);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="[^"]+"; filename\*=UTF-8''/);
  expect(response.headers.get('cache-control')).toMatch(/^private, /);
  expect(response.headers.get('etag')).toBeTruthy();
}

async function expectError(link: string, status: number, code: string): Promise<void> {
  const response = await get(link);
  expect(response.status, link).toBe(status);
  expect(response.headers.get('x-accel-redirect'), link).toBeNull();
  expect(response.headers.get('content-type'), link).toMatch(/^application\/json/);
  expect(response.json().error.code, link).toBe(code);
}

describe('FILES_ACCEL_REDIRECT_PREFIX', () => {
  it('hands a thumbnail to nginx: every header, the file by its storage key, no body', async () => {
    const image = await upload(await user('basic'), await jpeg(600, 400));
    const response = await get(thumb(image, 200));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-accel-redirect')).toBe(`${PREFIX}${thumbnailKey(image.id, 200, ImageFormat.JPEG)}`);
    expect(response.bytes.length).toBe(0);
    expectFileHeaders(response, image, 'image/jpeg');
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    const file = await sharp(await handedOff(response)).metadata();
    expect([file.format, file.height]).toEqual(['jpeg', 200]);
  });

  it('hands over originals, for permanent and expiring links alike', async () => {
    const owner = await user('enterprise');
    const data = await png(500, 300);
    const image = await upload(owner, data);
    const permanent = await get(image.originalUrl!);
    expect(permanent.status).toBe(200);
    expect(permanent.headers.get('x-accel-redirect')).toBe(`${PREFIX}${originalKey(image.id, ImageFormat.PNG)}`);
    expect(permanent.bytes.length).toBe(0);
    expectFileHeaders(permanent, image, 'image/png');
    expect((await handedOff(permanent)).equals(data)).toBe(true);

    const { url } = (await server.gql(EXPIRING, { id: image.id, e: 600 }, owner.token)).data.createExpiringLink;
    server.clock.advance(100_000);
    const expiring = await get(url);
    expect(expiring.status).toBe(200);
    expect(expiring.headers.get('x-accel-redirect')).toBe(permanent.headers.get('x-accel-redirect'));
    // revocable, so revalidated on every use rather than kept for the 500 s it has left
    expect(expiring.headers.get('cache-control')).toBe('private, no-cache');
    expectFileHeaders(expiring, image, 'image/png');
  });

  it('makes a thumbnail missing on disk before handing it over', async () => {
    const image = await upload(await user('premium'), await jpeg(800, 600));
    const key = thumbnailKey(image.id, 400, ImageFormat.JPEG);
    await server.deleteMediaFile(key);
    const before = server.server.deps.thumbnails.generated;
    const response = await get(thumb(image, 400));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-accel-redirect')).toBe(`${PREFIX}${key}`);
    expect(server.server.deps.thumbnails.generated).toBe(before + 1);
    expect((await sharp(await handedOff(response)).metadata()).height).toBe(400);
  });

  it('answers a matching ETag with a 304 itself', async () => {
    const image = await upload(await user('basic'), await jpeg(300, 300));
    const etag = (await get(thumb(image, 200))).headers.get('etag')!;
    const again = await get(thumb(image, 200), { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('x-accel-redirect')).toBeNull();
  });

  it('keeps its 403 and 404 answers, with no hand-off', async () => {
    const owner = await user('premium');
    const image = await upload(owner, await jpeg(600, 400));
    const link = new URL(thumb(image, 400));
    await expectError(`${link.origin}${link.pathname}?sig=AAAA`, 403, 'LINK_INVALID');

    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.basic);
    await expectError(thumb(image, 400), 403, 'LINK_NOT_ALLOWED');
    await expectError(image.originalUrl!, 403, 'LINK_NOT_ALLOWED');
    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.premium);

    await server.deleteMediaFile(originalKey(image.id, ImageFormat.JPEG));
    await expectError(image.originalUrl!, 404, 'NOT_FOUND');

    expect((await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id: image.id }, owner.token)).errors).toBeUndefined();
    await expectError(thumb(image, 200), 404, 'NOT_FOUND');
  });
});

describe('the config', () => {
  const base = { NODE_ENV: 'test', FILES_ACCEL_REDIRECT_PREFIX: PREFIX } as const;

  it('refuses the prefix with STORAGE=s3', () => {
    expect(() => loadConfig({ ...base, STORAGE: 's3', S3_BUCKET: 'images' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, STORAGE: 's3', S3_BUCKET: 'images' })).toThrow(/FILES_ACCEL_REDIRECT_PREFIX=.*needs STORAGE=local/);
    expect(loadConfig({ ...base, STORAGE: 'local' }).filesAccelRedirectPrefix).toBe(PREFIX);
  });

  it.each(['protected-media/', '/protected-media', '/../media/', '/a b/'])('refuses the prefix %j', (prefix) => {
    expect(() => loadConfig({ ...base, FILES_ACCEL_REDIRECT_PREFIX: prefix })).toThrow(/FILES_ACCEL_REDIRECT_PREFIX/);
  });
});
