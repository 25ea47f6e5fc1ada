import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { noise } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Issue 13: conditional and range requests on /files and /links as RFC 9110 has them. If-None-Match
// compares weakly, takes a list or `*`, on the synchronous hot path of a thumbnail link as on the
// full path; one byte range of a file is answered 206, one past the end 416, and If-Range decides
// whether the client's piece still fits. Runs against S3 too (TEST_STORAGE=s3).

const EXPIRING = `mutation($id: ID!, $e: Int!, $size: Int) { createExpiringLink(imageId: $id, expiresIn: $e, size: $size) { url } }`;

interface Fetched {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

interface Image {
  id: string;
  data: Buffer;
  original: string;
  h200: string;
}

let server: TestServer;
let owner: TestUser;
let verifications: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  server = await TestServer.start();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
  verifications = vi.spyOn(server.server.deps.links, 'verifyPermanent');
});
beforeEach(() => verifications.mockClear());
afterAll(async () => {
  await server?.stop();
});

async function get(link: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Fetched> {
  const { pathname, search } = new URL(link, server.url);
  const response = await fetch(`${server.url}${pathname}${search}`, { method, headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** A noisy JPEG, so its bytes are all different and a wrong offset shows. */
async function upload(): Promise<Image> {
  const data = await noise(400, 300).jpeg({ quality: 90 }).toBuffer();
  const result = await server.upload(owner.token, [{ name: 'noisy.jpg', data }], { selection: 'id thumbnails { size url } originalUrl' });
  expect(result.errors).toBeUndefined();
  const image = result.data.uploadImage;
  return { id: image.id, data, original: image.originalUrl, h200: image.thumbnails.find((t: { size: number }) => t.size === 200).url };
}

const expiringLink = async (imageId: string, size: number | null) =>
  (await server.gql(EXPIRING, { id: imageId, e: 600, size }, owner.token)).data.createExpiringLink.url as string;

/** Answers a thumbnail link once, so it is hot: answered from memory from then on, no signature checked. */
async function hot(link: string): Promise<Fetched> {
  const first = await get(link);
  expect(first.status).toBe(200);
  verifications.mockClear();
  return first;
}

let image: Image;
beforeAll(async () => {
  image = await upload();
});

describe('If-None-Match', () => {
  const validators = (etag: string) => ({
    weak: `W/${etag}`,
    'a list naming it': `"not-this", ${etag}`,
    'a list naming it weakly': `"not-this",W/${etag} , "nor-this"`,
    '*': '*',
  });

  it('answers 304 to a weak tag, a list and * on a hot thumbnail link, still from memory', async () => {
    const full = await hot(image.h200);
    const etag = full.headers.get('etag')!;
    for (const [what, header] of Object.entries(validators(etag))) {
      const answer = await get(image.h200, { 'if-none-match': header });
      expect(answer.status, what).toBe(304);
      expect(answer.bytes.length, what).toBe(0);
      expect(answer.headers.get('etag'), what).toBe(etag);
    }
    expect(verifications, 'answered on the hot path').not.toHaveBeenCalled();
    const other = await get(image.h200, { 'if-none-match': 'W/"not-this", "nor-this"' });
    expect(other.status).toBe(200);
    expect(other.bytes.equals(full.bytes)).toBe(true);
    expect(verifications).not.toHaveBeenCalled();
  });

  it('answers 304 to the same on the full path: a thumbnail not yet hot, an original, expiring links', async () => {
    const fresh = await upload();
    const etag = (link: string) => `"${fresh.id}-${link.includes('/original') ? 'original' : 'h200'}"`;
    const links = { 'cold thumbnail': fresh.h200, original: fresh.original };
    for (const [name, link] of Object.entries(links)) {
      for (const [what, header] of Object.entries(validators(etag(link)))) {
        expect((await get(link, { 'if-none-match': header })).status, `${name}, ${what}`).toBe(304);
      }
    }
    expect(verifications, 'each went through the signature check').toHaveBeenCalledTimes(8);
    for (const [size, name] of [[null, 'original'], [200, 'h200']] as const) {
      const link = await expiringLink(fresh.id, size);
      expect((await get(link, { 'if-none-match': `W/"${fresh.id}-${name}"` })).status, `expiring ${name}`).toBe(304);
      expect((await get(link, { 'if-none-match': '*' })).status, `expiring ${name}, *`).toBe(304);
      expect((await get(link, { 'if-none-match': '"x", "y"' })).status, `expiring ${name}, no match`).toBe(200);
    }
  });

  it('answers HEAD the same, and a malformed header with the whole file', async () => {
    const etag = (await get(image.original)).headers.get('etag')!;
    expect((await get(image.original, { 'if-none-match': `W/${etag}` }, 'HEAD')).status).toBe(304);
    for (const malformed of [`W/${etag.slice(0, -1)}`, `${etag} junk`, `"x", *`]) {
      const answer = await get(image.original, { 'if-none-match': malformed });
      expect(answer.status, malformed).toBe(200);
      expect(answer.bytes.equals(image.data)).toBe(true);
    }
  });

  it('wins over Range: a client holding the file gets 304, not a piece of it', async () => {
    const etag = (await get(image.original)).headers.get('etag')!;
    expect((await get(image.original, { 'if-none-match': `W/${etag}`, range: 'bytes=0-99' })).status).toBe(304);
  });
});

describe('Range on an original', () => {
  const size = () => image.data.length;

  it('says it takes ranges', async () => {
    const full = await get(image.original);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.bytes.equals(image.data)).toBe(true);
    expect(Number(full.headers.get('content-length'))).toBe(size());
  });

  // [range, first byte, last byte] for a file of n bytes
  it.each<[string, (n: number) => [string, number, number]]>([
    ['the first bytes', () => ['bytes=0-99', 0, 99]],
    ['a suffix', (n) => ['bytes=-100', n - 100, n - 1]],
    ['an open range', (n) => ['bytes=100-', 100, n - 1]],
    ['a range past the end, cut there', (n) => [`bytes=${n - 10}-${n + 500}`, n - 10, n - 1]],
    ['a suffix longer than the file, all of it', (n) => [`bytes=-${n + 1}`, 0, n - 1]],
  ])('answers %s with 206 and exactly those bytes', async (_what, ask) => {
    const [range, start, end] = ask(size());
    const answer = await get(image.original, { range });
    expect(answer.status).toBe(206);
    expect(answer.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size()}`);
    expect(Number(answer.headers.get('content-length'))).toBe(end - start + 1);
    expect(answer.bytes.equals(image.data.subarray(start, end + 1))).toBe(true);
    expect(answer.headers.get('etag')).toBe(`"${image.id}-original"`);
    expect(answer.headers.get('content-type')).toBe('image/jpeg');
    expect(answer.headers.get('accept-ranges')).toBe('bytes');
  });

  it('answers a range that starts past the end with 416 and the length, as JSON', async () => {
    for (const range of [`bytes=${size()}-`, `bytes=${size() + 100}-${size() + 200}`, 'bytes=-0']) {
      const answer = await get(image.original, { range });
      expect(answer.status, range).toBe(416);
      expect(answer.headers.get('content-range'), range).toBe(`bytes */${size()}`);
      expect(answer.headers.get('content-type'), range).toMatch(/^application\/json/);
      expect(JSON.parse(answer.bytes.toString()).error.code, range).toBe('RANGE_NOT_SATISFIABLE');
      expect(answer.headers.get('etag'), range).toBeNull();
    }
  });

  it('answers several ranges, another unit or a malformed range with the whole file', async () => {
    for (const range of ['bytes=0-9,20-29', 'items=0-9', 'bytes=9-0', 'bytes=x-']) {
      const answer = await get(image.original, { range });
      expect(answer.status, range).toBe(200);
      expect(answer.bytes.equals(image.data), range).toBe(true);
    }
  });

  it('keeps the range when If-Range names this file, and sends the whole when it does not', async () => {
    const etag = `"${image.id}-original"`;
    const matching = await get(image.original, { range: 'bytes=10-19', 'if-range': etag });
    expect(matching.status).toBe(206);
    expect(matching.bytes.equals(image.data.subarray(10, 20))).toBe(true);
    for (const other of ['"someone-else"', `W/${etag}`, `"${image.id}-h200"`, 'Wed, 21 Oct 2015 07:28:00 GMT']) {
      const whole = await get(image.original, { range: 'bytes=10-19', 'if-range': other });
      expect(whole.status, other).toBe(200);
      expect(whole.bytes.equals(image.data), other).toBe(true);
    }
    // and never a 416 for a piece of a file the client no longer has
    expect((await get(image.original, { range: `bytes=${size()}-`, 'if-range': '"someone-else"' })).status).toBe(200);
  });

  it('answers HEAD with a Range as a GET without one: 200, the whole length, no body', async () => {
    for (const range of ['bytes=0-99', `bytes=${size()}-`]) {
      const head = await get(image.original, { range }, 'HEAD');
      expect(head.status, range).toBe(200);
      expect(Number(head.headers.get('content-length')), range).toBe(size());
      expect(head.headers.get('accept-ranges'), range).toBe('bytes');
      expect(head.headers.get('content-range'), range).toBeNull();
      expect(head.bytes.length, range).toBe(0);
    }
  });

  it('resumes a download: the pieces put together are the file', async () => {
    const first = await get(image.original, { range: 'bytes=0-999' });
    const etag = first.headers.get('etag')!;
    const rest = await get(image.original, { range: 'bytes=1000-', 'if-range': etag });
    expect(Buffer.concat([first.bytes, rest.bytes]).equals(image.data)).toBe(true);
  });

  it('cuts the original of an expiring link too', async () => {
    const link = await expiringLink(image.id, null);
    const answer = await get(link, { range: 'bytes=-50' });
    expect(answer.status).toBe(206);
    expect(answer.bytes.equals(image.data.subarray(size() - 50))).toBe(true);
  });
});

describe('Range on a thumbnail', () => {
  it('cuts a hot thumbnail on the full path, and it stays hot for whole requests', async () => {
    const fresh = await upload();
    const full = await hot(fresh.h200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const piece = await get(fresh.h200, { range: 'bytes=0-9' });
    expect(piece.status).toBe(206);
    expect(piece.headers.get('content-range')).toBe(`bytes 0-9/${full.bytes.length}`);
    expect(piece.bytes.equals(full.bytes.subarray(0, 10))).toBe(true);
    expect(verifications, 'a range takes the full path').toHaveBeenCalledTimes(1);
    verifications.mockClear();
    expect((await get(fresh.h200)).bytes.equals(full.bytes)).toBe(true);
    expect(verifications).not.toHaveBeenCalled();
  });

  it('answers suffix and past-the-end ranges of a thumbnail, and of an expiring thumbnail link', async () => {
    const full = await get(image.h200);
    const n = full.bytes.length;
    const suffix = await get(image.h200, { range: 'bytes=-20' });
    expect(suffix.status).toBe(206);
    expect(suffix.bytes.equals(full.bytes.subarray(n - 20))).toBe(true);
    const past = await get(image.h200, { range: `bytes=${n}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${n}`);
    const link = await expiringLink(image.id, 200);
    const open = await get(link, { range: 'bytes=5-' });
    expect(open.status).toBe(206);
    expect(open.bytes.equals(full.bytes.subarray(5))).toBe(true);
  });
});
