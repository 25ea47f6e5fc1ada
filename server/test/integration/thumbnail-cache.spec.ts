import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormat } from '../../src/images/image.entity.js';
import { thumbnailKey } from '../../src/images/storage-keys.js';
import { jpeg } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';

interface Uploaded {
  id: string;
  thumbnails: Array<{ size: number; url: string }>;
}

interface Fetched {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: () => any;
}

/** A JPEG of random pixels: its thumbnails stay large (about 16 KB at h200 from 600×400), unlike a solid colour's (under 1 KB). */
const noisy = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();

/** A GET of a link the API handed out, on the test server's origin (PUBLIC_URL names localhost). */
async function get(server: TestServer, link: string): Promise<Fetched> {
  const { pathname, search } = new URL(link, server.url);
  const response = await fetch(`${server.url}${pathname}${search}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
}

async function metric(server: TestServer, series: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Cache hits and misses so far, and thumbnails made on request. */
async function counters(server: TestServer) {
  return {
    hits: await metric(server, 'thumbnail_cache_hits_total'),
    misses: await metric(server, 'thumbnail_cache_misses_total'),
    generated: server.server.deps.thumbnails.generated,
  };
}

async function upload(server: TestServer, owner: TestUser, data: Buffer): Promise<Uploaded> {
  const result = await server.upload(owner.token, [{ name: 'photo.jpg', data }], { selection: 'id thumbnails { size url }' });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

const thumb = (image: Uploaded, size: number) => image.thumbnails.find((t) => t.size === size)!.url;
const fileOf = (image: Uploaded, height: number) => thumbnailKey(image.id, height, ImageFormat.JPEG);

describe('with the cache on (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves a second GET of a thumbnail from memory, with the same headers, without reading storage', async () => {
    const owner = await server.createUser({ tierId: (await server.createTier({ thumbnailHeights: [200, 400] })).id });
    const image = await upload(server, owner, await jpeg(600, 400, '#a33'));
    const before = await counters(server);
    const first = await get(server, thumb(image, 200));
    expect(first.status).toBe(200);
    expect(await counters(server)).toEqual({ ...before, misses: before.misses + 1 });

    // gone from storage behind the server's back: only the cache can still answer
    await server.deleteMediaFile(fileOf(image, 200));
    const second = await get(server, thumb(image, 200));
    expect(second.status).toBe(200);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(await counters(server)).toEqual({ ...before, hits: before.hits + 1, misses: before.misses + 1 });
    for (const header of ['content-type', 'x-content-type-options', 'content-security-policy', 'cross-origin-resource-policy', 'content-disposition', 'cache-control', 'etag']) {
      expect(second.headers.get(header), header).toBe(first.headers.get(header));
    }
    expect(await metric(server, 'thumbnail_cache_bytes')).toBeGreaterThanOrEqual(first.bytes.length);
  });

  it('still checks the owner’s tier on every request: a downgrade stops a cached thumbnail at once', async () => {
    const wide = await server.createTier({ thumbnailHeights: [200, 400] });
    const narrow = await server.createTier({ thumbnailHeights: [200] });
    const owner = await server.createUser({ tierId: wide.id });
    const image = await upload(server, owner, await jpeg(600, 400, '#3a3'));
    expect((await get(server, thumb(image, 400))).status).toBe(200);
    const before = await counters(server);
    expect((await get(server, thumb(image, 400))).status).toBe(200);
    expect((await counters(server)).hits).toBe(before.hits + 1);

    await server.setUserTier(owner.id, narrow.id);
    const refused = await get(server, thumb(image, 400));
    expect(refused.status).toBe(403);
    expect(refused.json().error.code).toBe('LINK_NOT_ALLOWED');
    expect((await counters(server)).hits).toBe(before.hits + 1);
    expect((await get(server, thumb(image, 200))).status).toBe(200);
  });

  it('answers 404 for a deleted image while its bytes may still be cached', async () => {
    const owner = await server.createUser();
    const image = await upload(server, owner, await jpeg(500, 500));
    expect((await get(server, thumb(image, 200))).status).toBe(200);
    expect((await get(server, thumb(image, 200))).status).toBe(200);
    const deleted = await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id: image.id }, owner.token);
    expect(deleted.errors).toBeUndefined();
    // before the background cleanup has run
    const response = await get(server, thumb(image, 200));
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('NOT_FOUND');
  });

  it('forgets a height the background sync removes: re-added, it is made again, not served from memory', async () => {
    const tier = await server.createTier({ thumbnailHeights: [200, 400] });
    const owner = await server.createUser({ tierId: tier.id });
    const image = await upload(server, owner, await jpeg(600, 400, '#33a'));
    expect((await get(server, thumb(image, 400))).status).toBe(200);
    expect((await get(server, thumb(image, 400))).status).toBe(200);

    expect((await server.updateTier(tier.id, { thumbnailHeights: [200] })).errors).toBeUndefined();
    await server.drainJobs();
    expect(await server.mediaFiles()).not.toContain(fileOf(image, 400));

    // back in the tier; the sync that would make it again has not run yet
    expect((await server.updateTier(tier.id, { thumbnailHeights: [200, 400] })).errors).toBeUndefined();
    const before = await counters(server);
    const again = await get(server, thumb(image, 400));
    expect(again.status).toBe(200);
    expect((await sharp(again.bytes).metadata()).height).toBe(400);
    expect(await counters(server)).toEqual({ hits: before.hits, misses: before.misses + 1, generated: before.generated + 1 });
  });
});

describe('THUMBNAIL_CACHE_BYTES=0', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ env: { THUMBNAIL_CACHE_BYTES: '0' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps nothing in memory: every GET reads storage', async () => {
    const owner = await server.createUser();
    const image = await upload(server, owner, await jpeg(600, 400, '#aa3'));
    expect((await get(server, thumb(image, 200))).status).toBe(200);
    expect((await get(server, thumb(image, 200))).status).toBe(200);
    await server.deleteMediaFile(fileOf(image, 200));
    const before = await counters(server);
    expect((await get(server, thumb(image, 200))).status).toBe(200);
    // nothing to answer from but the original
    expect(await counters(server)).toEqual({ hits: 0, misses: 0, generated: before.generated + 1 });
    expect(await metric(server, 'thumbnail_cache_bytes')).toBe(0);
  });
});

describe('the per-thumbnail cap (THUMBNAIL_CACHE_MAX_ITEM_BYTES)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ env: { THUMBNAIL_CACHE_MAX_ITEM_BYTES: '4096' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps a small thumbnail and reads a larger one from storage every time', async () => {
    const owner = await server.createUser();
    const small = await upload(server, owner, await jpeg(600, 400, '#3aa'));
    const large = await upload(server, owner, await noisy(600, 400));
    const smallBytes = (await get(server, thumb(small, 200))).bytes.length;
    const largeBytes = (await get(server, thumb(large, 200))).bytes.length;
    expect(smallBytes).toBeLessThan(4096);
    expect(largeBytes).toBeGreaterThan(4096);

    const before = await counters(server);
    expect((await get(server, thumb(small, 200))).status).toBe(200);
    expect((await get(server, thumb(large, 200))).status).toBe(200);
    expect(await counters(server)).toEqual({ ...before, hits: before.hits + 1, misses: before.misses + 1 });
    expect(await metric(server, 'thumbnail_cache_bytes')).toBe(smallBytes);
  });
});

describe('the size bound (THUMBNAIL_CACHE_BYTES)', () => {
  const CAPACITY = 40_000;
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ env: { THUMBNAIL_CACHE_BYTES: String(CAPACITY) } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('drops the least recently used thumbnail once the next one would not fit', async () => {
    const owner = await server.createUser();
    const [a, b, c] = [await upload(server, owner, await noisy(600, 400)), await upload(server, owner, await noisy(600, 400)), await upload(server, owner, await noisy(600, 400))];
    const hits = async () => (await counters(server)).hits;
    /** GETs the h200 thumbnail, checking it is one that two fit in the cache and three do not. */
    const fetchSized = async (image: Uploaded) => {
      const { bytes } = await get(server, thumb(image, 200));
      expect(bytes.length).toBeGreaterThan(CAPACITY / 3);
      expect(bytes.length).toBeLessThan(CAPACITY / 2);
    };

    await fetchSized(a);
    await fetchSized(b);
    const start = await hits();
    await fetchSized(a); // a becomes the most recently used
    expect(await hits()).toBe(start + 1);
    await fetchSized(c); // evicts b
    expect(await hits()).toBe(start + 1);
    expect(await metric(server, 'thumbnail_cache_bytes')).toBeLessThanOrEqual(CAPACITY);

    await fetchSized(a);
    expect(await hits()).toBe(start + 2);
    await fetchSized(b);
    expect(await hits()).toBe(start + 2);
  });
});
