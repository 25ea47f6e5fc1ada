import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { variantHeader } from '../support/image-headers.js';
import { jpeg } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Thumbnails in the format the browser takes (issue 15): AVIF, else WebP, else the upload's; `Vary:
// Accept` on every answer; a validator per format; URLs fixed to one format for `<picture>`.

const ACCEPT = {
  chrome: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8',
  firefox: 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5',
  safari: 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5',
  oldChrome: 'image/webp,image/apng,image/*,*/*;q=0.8',
  curl: '*/*',
};

let server: TestServer;
let user: TestUser;
let thumbnail: { size: number; url: string; sources: Array<{ format: string; mimeType: string; url: string }> };
beforeAll(async () => {
  server = await TestServer.start();
  user = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
  const result = await server.upload(user.token, [{ name: 'n.jpg', data: await jpeg(600, 400, '#468') }], { selection: 'id thumbnails { size url sources { format mimeType url } }' });
  expect(result.errors).toBeUndefined();
  thumbnail = result.data.uploadImage.thumbnails[0];
});
afterAll(() => server?.stop());

async function get(link: string, headers: Record<string, string> = {}) {
  const { pathname, search } = new URL(link);
  const response = await fetch(`${server.url}${pathname}${search}`, { headers });
  return { status: response.status, type: response.headers.get('content-type'), vary: response.headers.get('vary'), etag: response.headers.get('etag'), body: Buffer.from(await response.arrayBuffer()) };
}

describe('format negotiation', () => {
  it.each([
    ['Chrome', ACCEPT.chrome, 'image/avif'],
    ['Firefox', ACCEPT.firefox, 'image/avif'],
    ['Safari', ACCEPT.safari, 'image/avif'],
    ['an older Chrome', ACCEPT.oldChrome, 'image/webp'],
    ['curl', ACCEPT.curl, 'image/jpeg'],
    ['AVIF refused with q=0', 'image/avif;q=0, image/webp', 'image/webp'],
  ])('answers %s in %s, with Vary: Accept, twice (the second from memory)', async (_client, accept, type) => {
    for (let i = 0; i < 2; i++) {
      const answer = await get(thumbnail.url, { accept });
      expect(answer).toMatchObject({ status: 200, type, vary: 'Accept' });
      const header = variantHeader(answer.body);
      if (type === 'image/jpeg') expect(answer.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      else expect(header).toEqual({ format: type.slice(6), width: 300, height: 200 });
    }
  });

  it('answers without an Accept header in the upload’s format', async () => {
    const response = await fetch(`${server.url}${new URL(thumbnail.url).pathname}${new URL(thumbnail.url).search}`, { headers: { accept: '' } });
    expect(response.headers.get('content-type')).toBe('image/jpeg');
  });

  it('gives each format its own validator, and a 304 only for the one the client holds', async () => {
    const avif = await get(thumbnail.url, { accept: ACCEPT.chrome });
    const plain = await get(thumbnail.url, { accept: ACCEPT.curl });
    expect(avif.etag).not.toBe(plain.etag);
    expect(await get(thumbnail.url, { accept: ACCEPT.chrome, 'if-none-match': avif.etag! })).toMatchObject({ status: 304, vary: 'Accept' });
    expect(await get(thumbnail.url, { accept: ACCEPT.chrome, 'if-none-match': plain.etag! })).toMatchObject({ status: 200, type: 'image/avif' });
  });

  it('puts Vary: Accept on refusals too', async () => {
    const forged = thumbnail.url.replace(/sig=[^&]+/, 'sig=AAAAAAAAAAAAAAAAAAAAAA');
    expect(await get(forged, { accept: ACCEPT.chrome })).toMatchObject({ status: 403, vary: 'Accept' });
  });

  it('lists sources whose URLs answer one format whatever the Accept header says, the upload’s last', async () => {
    expect(thumbnail.sources.map((source) => [source.format, source.mimeType])).toEqual([
      ['AVIF', 'image/avif'],
      ['WEBP', 'image/webp'],
      ['JPEG', 'image/jpeg'],
    ]);
    for (const source of thumbnail.sources.slice(0, 2)) {
      for (const accept of [ACCEPT.curl, ACCEPT.chrome]) expect(await get(source.url, { accept })).toMatchObject({ status: 200, type: source.mimeType });
    }
    expect(thumbnail.sources[2]!.url).toBe(thumbnail.url);
    expect((await get(thumbnail.sources[0]!.url.replace('.avif', '.gif'))).status).toBe(403);
  });

  it('sends the upload’s format when a variant cannot be made, and counts it', async () => {
    const other = await server.upload(user.token, [{ name: 'f.jpg', data: await jpeg(300, 200, '#864') }], { selection: 'thumbnails { url }' });
    const { thumbnails } = server.server.deps;
    const variant = thumbnails.variant.bind(thumbnails);
    thumbnails.variant = async () => {
      throw new Error('encoder failed');
    };
    try {
      const answer = await get(other.data.uploadImage.thumbnails[0].url, { accept: ACCEPT.chrome });
      expect(answer).toMatchObject({ status: 200, type: 'image/jpeg', vary: 'Accept' });
    } finally {
      thumbnails.variant = variant;
    }
    const metrics = await server.server.deps.metrics.registry.metrics();
    expect(metrics).toMatch(/thumbnail_variant_failures_total\{format="avif"\} 1/);
  });
});

describe('THUMBNAIL_FORMATS empty', () => {
  it('sends the upload’s format to every browser and lists only it as a source', async () => {
    const plain = await TestServer.start({ env: { THUMBNAIL_FORMATS: '' } });
    try {
      const owner = await plain.createUser();
      const result = await plain.upload(owner.token, [{ name: 'p.jpg', data: await jpeg(300, 200) }], { selection: 'thumbnails { url sources { format } }' });
      const [only] = result.data.uploadImage.thumbnails;
      expect(only.sources).toEqual([{ format: 'JPEG' }]);
      const { pathname, search } = new URL(only.url);
      const response = await fetch(`${plain.url}${pathname}${search}`, { headers: { accept: ACCEPT.chrome } });
      expect(response.headers.get('content-type')).toBe('image/jpeg');
    } finally {
      await plain.stop();
    }
  });
});
