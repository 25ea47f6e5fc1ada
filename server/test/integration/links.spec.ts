import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, png } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

const IMAGE_FIELDS = 'id filename format width height thumbnails { size width height url } originalUrl';
const IMAGE = `query($id: ID!) { image(id: $id) { ${IMAGE_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteImage(id: $id) }`;
const EXPIRING = `mutation($id: ID!, $e: Int!) { createExpiringLink(imageId: $id, expiresIn: $e) { url expiresAt } }`;

interface Uploaded {
  id: string;
  filename: string;
  thumbnails: Array<{ size: number; width: number; height: number; url: string }>;
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
  server = await TestServer.start();
  start = server.clock.now();
});
afterEach(() => {
  // every test starts at the same instant, so moving the clock never expires the users' tokens
  server.clock.set(start);
});
afterAll(async () => {
  await server?.stop();
});

/** GET a link the API handed out, on the test server's origin (PUBLIC_URL names localhost). */
async function get(link: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const { pathname, search } = new URL(link, server.url);
  const response = await fetch(`${server.url}${pathname}${search}`, { headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
}

const user = (tier: keyof typeof BUILTIN_TIER_IDS) => server.createUser({ tierId: BUILTIN_TIER_IDS[tier] });

async function upload(owner: TestUser, data: Buffer, name = 'holiday-photo.png'): Promise<Uploaded> {
  const result = await server.upload(owner.token, [{ name, data }]);
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

async function fetchImage(owner: TestUser, id: string): Promise<Uploaded> {
  const result = await server.gql(IMAGE, { id }, owner.token);
  expect(result.errors).toBeUndefined();
  return result.data.image;
}

const thumb = (image: Uploaded, size: number) => image.thumbnails.find((t) => t.size === size)!.url;
const nowSeconds = () => Math.floor(server.clock.now().getTime() / 1000);

async function expectError(link: string, status: number, code: string): Promise<Fetched> {
  const response = await get(link);
  expect(response.status, link).toBe(status);
  expect(response.headers.get('content-type'), link).toMatch(/^application\/json/);
  expect(response.json().error.code, link).toBe(code);
  return response;
}

describe('serving a link', () => {
  it('sends a thumbnail with strict headers and the uploaded name', async () => {
    const owner = await user('basic');
    const image = await upload(owner, await jpeg(600, 400), 'holiday-photo.jpg');
    const response = await get(thumb(image, 200));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toMatch(/\bsandbox\b/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="holiday-photo-h200.jpg"; filename*=UTF-8''holiday-photo-h200.jpg`);
    expect(response.headers.get('cache-control')).toMatch(/private/);
    expect(response.headers.get('etag')).toBeTruthy();
    expect((await sharp(response.bytes).metadata()).format).toBe('jpeg');
  });

  it('answers 304 with no body to a request carrying the ETag', async () => {
    const owner = await user('basic');
    const image = await upload(owner, await png(300, 300));
    const first = await get(thumb(image, 200));
    const etag = first.headers.get('etag')!;
    const again = await get(thumb(image, 200), { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect((await get(thumb(image, 200), { 'if-none-match': '"something-else"' })).status).toBe(200);
  });

  it('serves exactly the uploaded bytes on a Premium original link, typed by the stored format', async () => {
    const owner = await user('premium');
    const data = await png(500, 700, '#3a7');
    const image = await upload(owner, data, 'scan.jpg');
    const response = await get(image.originalUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="scan\.png"/);
    expect(response.bytes.equals(data)).toBe(true);
  });
});

describe('tampered links', () => {
  let a: Uploaded;
  let b: Uploaded;
  beforeAll(async () => {
    const owner = await user('premium');
    a = await upload(owner, await png(500, 500, '#111'));
    b = await upload(owner, await png(500, 500, '#eee'));
  });
  const sigOf = (link: string) => new URL(link).searchParams.get('sig')!;
  const fileLink = (id: string, variant: string, sig: string) => `${server.url}/files/${id}/${variant}?sig=${sig}`;

  it('refuses a signature with one character changed', async () => {
    const sig = sigOf(thumb(a, 200));
    const flipped = sig.slice(0, 5) + (sig[5] === 'A' ? 'B' : 'A') + sig.slice(6);
    await expectError(fileLink(a.id, 'h200', flipped), 403, 'LINK_INVALID');
  });

  it('refuses a link whose image id or variant was swapped, keeping the signature', async () => {
    const sig = sigOf(thumb(a, 200));
    await expectError(fileLink(b.id, 'h200', sig), 403, 'LINK_INVALID');
    await expectError(fileLink(a.id, 'h400', sig), 403, 'LINK_INVALID');
    await expectError(fileLink(a.id, 'original', sig), 403, 'LINK_INVALID');
    await expectError(fileLink(a.id, 'h200', sigOf(a.originalUrl!)), 403, 'LINK_INVALID');
  });

  it.each([
    ['an empty sig', (id: string) => `/files/${id}/h200?sig=`],
    ['no sig', (id: string) => `/files/${id}/h200`],
    ['a 10 KB sig', (id: string) => `/files/${id}/h200?sig=${'A'.repeat(10 * 1024)}`],
    ['sig=%00', (id: string) => `/files/${id}/h200?sig=%00`],
    ['a repeated sig', (id: string) => `/files/${id}/h200?sig=AAAA&sig=BBBB`],
    ['a sig in bracket syntax', (id: string) => `/files/${id}/h200?sig[x]=AAAA`],
    ['a traversal in the variant', (id: string) => `/files/${id}/..%2F..%2F..%2Fetc%2Fpasswd?sig=AAAA`],
    ['a traversal after a valid variant', (id: string) => `/files/${id}/h200%2F..%2F..%2Foriginal?sig=AAAA`],
    ['a NUL in the variant', (id: string) => `/files/${id}/h200%00?sig=AAAA`],
  ])('answers 403 LINK_INVALID to %s', async (_name, path) => {
    await expectError(`${server.url}${path(a.id)}`, 403, 'LINK_INVALID');
  });

  it.each(['not-a-uuid', '..%2F..%2Fetc', 'A3F2A9C1-0B7D-4E2A-9A51-6C0D2F9E8B10', `${randomUUID()}%00`])('answers 403 to the non-uuid id %s', async (id) => {
    await expectError(fileLink(id, 'h200', sigOf(thumb(a, 200))), 403, 'LINK_INVALID');
  });

  it('gives a missing image the same 403 as an existing one', async () => {
    const sig = sigOf(thumb(a, 200));
    const existing = await expectError(fileLink(b.id, 'h200', sig), 403, 'LINK_INVALID');
    const missing = await expectError(fileLink(randomUUID(), 'h200', sig), 403, 'LINK_INVALID');
    expect(missing.json()).toEqual(existing.json());
    expect(missing.headers.get('cache-control')).toBe(existing.headers.get('cache-control'));
  });

  it('refuses an expiring link whose expiry, image id or signature was changed', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner, await png(300, 300));
    const created = await server.gql(EXPIRING, { id: image.id, e: 600 }, owner.token);
    const link = created.data.createExpiringLink.url as string;
    const [id, sig] = new URL(link).pathname.slice('/links/'.length).split('.') as [string, string];
    const exp = nowSeconds() + 600;
    expect((await get(link)).status).toBe(200);
    const tampered = [
      // an expiry put into the URL: the shape of links made before links were rows, not signed so
      `${id}.${exp + 3600}.${sig}`,
      `${id}.${exp - 1}.${sig}`,
      `${a.id}.${sig}`,
      `${randomUUID()}.${sig}`,
      `${id}.${sig.slice(0, -3)}AAA`,
      `${id}.`,
      `${id}.${'A'.repeat(10 * 1024)}`,
      `${id}.${sig}%00`,
      `not-a-uuid.${sig}`,
      `${id}`,
      `${id}.9999999999999.${sig}`,
    ];
    const bodies = new Set<string>();
    for (const token of tampered) bodies.add(JSON.stringify((await expectError(`${server.url}/links/${token}`, 403, 'LINK_INVALID')).json()));
    expect(bodies.size).toBe(1);
  });
});

describe('tier rules at serve time', () => {
  it('follows a downgrade and an upgrade of the owner at once', async () => {
    const owner = await user('premium');
    const image = await upload(owner, await png(600, 900));
    const [h200, h400, original] = [thumb(image, 200), thumb(image, 400), image.originalUrl!];
    for (const link of [h200, h400, original]) expect((await get(link)).status, link).toBe(200);

    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.basic);
    await expectError(original, 403, 'LINK_NOT_ALLOWED');
    await expectError(h400, 403, 'LINK_NOT_ALLOWED');
    expect((await get(h200)).status).toBe(200);
    const listed = await fetchImage(owner, image.id);
    expect(listed.thumbnails.map((t) => t.size)).toEqual([200]);
    expect(listed.originalUrl).toBeNull();

    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.premium);
    for (const link of [h200, h400, original]) expect((await get(link)).status, link).toBe(200);
  });

  it('stops a height removed from a custom tier and keeps the others', async () => {
    const tier = await server.createTier({ thumbnailHeights: [200, 400] });
    const owner = await server.createUser({ tierId: tier.id });
    const image = await upload(owner, await jpeg(800, 800));
    expect((await get(thumb(image, 400))).status).toBe(200);

    const updated = await server.updateTier(tier.id, { thumbnailHeights: [200] });
    expect(updated.errors).toBeUndefined();
    await expectError(thumb(image, 400), 403, 'LINK_NOT_ALLOWED');
    expect((await get(thumb(image, 200))).status).toBe(200);
    expect(image.originalUrl).toBeNull();
  });
});

describe('a height added after upload', () => {
  it('is listed, then made once however many requests ask for it together', async () => {
    const tier = await server.createTier({ thumbnailHeights: [200] });
    const owner = await server.createUser({ tierId: tier.id });
    const image = await upload(owner, await png(450, 900, '#258'));
    expect((await server.updateTier(tier.id, { thumbnailHeights: [200, 300] })).errors).toBeUndefined();

    const listed = await fetchImage(owner, image.id);
    expect(listed.thumbnails).toEqual([
      expect.objectContaining({ size: 200, height: 200, width: 100 }),
      expect.objectContaining({ size: 300, height: 300, width: 150 }),
    ]);
    const link = thumb(listed, 300);
    const generatedBefore = server.server.deps.thumbnails.generated;
    const responses = await Promise.all(Array.from({ length: 8 }, () => get(link)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    for (const response of responses) expect(response.bytes.equals(responses[0]!.bytes)).toBe(true);
    const meta = await sharp(responses[0]!.bytes).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({ format: 'png', width: 150, height: 300 });
    expect(server.server.deps.thumbnails.generated).toBe(generatedBefore + 1);

    // made once, then served from storage
    expect((await get(link)).bytes.equals(responses[0]!.bytes)).toBe(true);
    expect(server.server.deps.thumbnails.generated).toBe(generatedBefore + 1);
    expect((await server.mediaFiles()).filter((f) => f.includes(image.id) && f.includes('h300'))).toHaveLength(1);
  });
});

describe('createExpiringLink', () => {
  it.each(['basic', 'premium'] as const)('is forbidden on the %s tier', async (tier) => {
    const owner = await user(tier);
    const image = await upload(owner, await png(300, 300));
    const result = await server.gql(EXPIRING, { id: image.id, e: 300 }, owner.token);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.data?.createExpiringLink ?? null).toBeNull();
  });

  it('refuses an expiresIn outside 300..30000 or not a whole number', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner, await png(300, 300));
    const refused = [299, 30_001, -1, 0, 300.5, '300', 1e12, null, true];
    const answers = [];
    for (const e of refused) {
      const result = await server.gql(EXPIRING, { id: image.id, e }, owner.token);
      expect(result.data?.createExpiringLink ?? null, String(e)).toBeNull();
      answers.push({ e, code: result.errors?.[0]?.extensions?.code });
    }
    // a value GraphQL itself cannot coerce to Int is the client's mistake too, not an internal error
    expect(answers).toEqual(refused.map((e) => ({ e, code: 'BAD_USER_INPUT' })));
    for (const e of [300, 30_000]) expect((await server.gql(EXPIRING, { id: image.id, e }, owner.token)).errors, String(e)).toBeUndefined();
  });

  it("answers NOT_FOUND alike for another user's image and a missing one", async () => {
    const owner = await user('enterprise');
    const other = await user('enterprise');
    const theirs = await upload(other, await png(300, 300));
    const answers = [];
    for (const id of [theirs.id, randomUUID(), 'not-a-uuid']) {
      const result = await server.gql(EXPIRING, { id, e: 300 }, owner.token);
      expect(result.data?.createExpiringLink ?? null).toBeNull();
      answers.push(result.errors?.[0]);
    }
    expect(answers[0]?.extensions?.code).toBe('NOT_FOUND');
    for (const answer of answers) expect({ message: answer?.message, extensions: answer?.extensions }).toEqual({ message: answers[0]?.message, extensions: answers[0]?.extensions });
  });

  it('gives an Enterprise link to the original that lives exactly until expiresAt', async () => {
    const owner = await user('enterprise');
    const data = await jpeg(640, 480, '#a50');
    const image = await upload(owner, data);
    server.clock.advance(1_234_000); // expiry must follow the server's clock, not the wall clock
    const created = await server.gql(EXPIRING, { id: image.id, e: 300 }, owner.token);
    expect(created.errors).toBeUndefined();
    const { url, expiresAt } = created.data.createExpiringLink;
    const exp = nowSeconds() + 300;
    expect(new Date(expiresAt).getTime()).toBe(exp * 1000);
    // the link's id and its signature: what it grants is its row's
    expect(new URL(url).pathname).toMatch(/^\/links\/[0-9a-f-]{36}\.[A-Za-z0-9_-]+$/);

    const fresh = await get(url);
    expect(fresh.status).toBe(200);
    expect(fresh.bytes.equals(data)).toBe(true);
    expect(fresh.headers.get('content-type')).toBe('image/jpeg');
    expect(fresh.headers.get('content-security-policy')).toMatch(/\bsandbox\b/);

    for (const at of [(exp - 300) * 1000, (exp - 123) * 1000, (exp - 1) * 1000, exp * 1000]) {
      server.clock.set(new Date(at));
      const response = await get(url);
      expect(response.status, new Date(at).toISOString()).toBe(200);
      // revocable: revalidated on every use, never kept by a cache past a revocation
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
    }
    for (const at of [(exp + 1) * 1000, (exp + 30_000) * 1000]) {
      server.clock.set(new Date(at));
      const expired = await expectError(url, 410, 'LINK_EXPIRED');
      expect(expired.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('stops a live link when the owner moves to a tier without expiring links', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner, await png(300, 300));
    const { url } = (await server.gql(EXPIRING, { id: image.id, e: 3600 }, owner.token)).data.createExpiringLink;
    expect((await get(url)).status).toBe(200);
    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.premium);
    await expectError(url, 403, 'LINK_NOT_ALLOWED');
    expect((await get(image.originalUrl!)).status).toBe(200);
  });
});

describe('deleteImage', () => {
  it('makes every link of the image answer 404 and removes its files', async () => {
    const owner = await user('enterprise');
    const image = await upload(owner, await png(500, 800));
    const { url: expiring } = (await server.gql(EXPIRING, { id: image.id, e: 600 }, owner.token)).data.createExpiringLink;
    const links = [thumb(image, 200), thumb(image, 400), image.originalUrl!, expiring];
    for (const link of links) expect((await get(link)).status, link).toBe(200);
    expect((await server.mediaFiles()).filter((f) => f.includes(image.id)).length).toBeGreaterThanOrEqual(3);

    const deleted = await server.gql(DELETE, { id: image.id }, owner.token);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data.deleteImage).toBe(true);
    for (const link of links) await expectError(link, 404, 'NOT_FOUND');
    // the files go in the background, after the row
    expect(await server.drainJobs()).toBeGreaterThan(0);
    expect((await server.mediaFiles()).filter((f) => f.includes(image.id))).toEqual([]);
    expect(await server.sql('select id from images where id = $1', [image.id])).toEqual([]);
  });

  it("answers NOT_FOUND for another user's image and leaves it in place", async () => {
    const owner = await user('premium');
    const intruder = await user('premium');
    const image = await upload(owner, await png(300, 300));
    const attempt = await server.gql(DELETE, { id: image.id }, intruder.token);
    const missing = await server.gql(DELETE, { id: randomUUID() }, intruder.token);
    expect(attempt.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(attempt.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(attempt.data?.deleteImage ?? null).toBeNull();
    expect((await fetchImage(owner, image.id)).id).toBe(image.id);
    expect((await get(image.originalUrl!)).status).toBe(200);
    expect((await server.mediaFiles()).filter((f) => f.includes(image.id)).length).toBeGreaterThanOrEqual(2);
  });
});

describe('an image whose stored files are gone', () => {
  it('answers 404 NOT_FOUND as JSON, not dressed as an image', async () => {
    const owner = await user('premium');
    const image = await upload(owner, await png(300, 300));
    for (const file of (await server.mediaFiles()).filter((f) => f.includes(image.id))) await server.deleteMediaFile(file);
    for (const link of [thumb(image, 200), image.originalUrl!]) {
      const response = await expectError(link, 404, 'NOT_FOUND');
      expect(response.headers.get('etag'), link).toBeNull();
      expect(response.headers.get('cache-control'), link).toBe('no-store');
    }
  });
});
