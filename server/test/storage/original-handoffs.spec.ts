import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, noise } from '../support/images.js';
import { s3Storage, startS3rver, type LocalS3 } from '../support/s3-server.js';
import { BUILTIN_TIER_IDS, TestServer } from '../support/test-server.js';

// Originals the server does not send itself (issue 13): a 302 to a presigned S3 URL, or a hand-off to
// nginx (X-Accel-Redirect). The store or nginx answers Range there; the server's part is the checks,
// 304s and the link routes' headers, and not to claim ranges on a redirect.

describe('a large original redirected to S3', () => {
  let s3: LocalS3;
  let server: TestServer;

  beforeAll(async () => {
    s3 = await startS3rver();
    const { env: storage } = await s3Storage(s3, 'handoff');
    server = await TestServer.start({
      env: {
        ...storage,
        ORIGINAL_REDIRECT_MIN_BYTES: '1',
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await s3?.stop();
  });

  it('redirects a ranged GET, readable cross-origin, and the range is answered by the store under the uploaded name', async () => {
    const owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
    const data = await noise(300, 200).jpeg().toBuffer();
    const result = await server.upload(owner.token, [{ name: 'Été.jpg', data }], { selection: 'originalUrl' });
    const link = result.data.uploadImage.originalUrl as string;
    const redirect = await fetch(link, { headers: { range: 'bytes=0-99' }, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('access-control-allow-origin')).toBe('*');
    for (const header of ['accept-ranges', 'content-range', 'etag', 'content-disposition']) expect(redirect.headers.get(header), header).toBeNull();
    const followed = await fetch(link, { headers: { range: 'bytes=0-99' } });
    expect(followed.status).toBe(206);
    expect(followed.headers.get('content-range')).toBe(`bytes 0-99/${data.length}`);
    expect(followed.headers.get('content-disposition')).toBe(`inline; filename="Ete.jpg"; filename*=UTF-8''%C3%89t%C3%A9.jpg`);
    expect(Buffer.from(await followed.arrayBuffer()).equals(data.subarray(0, 100))).toBe(true);
  });
});

describe('an original handed to nginx', () => {
  let server: TestServer;
  const PREFIX = '/protected-media/';

  beforeAll(async () => {
    server = await TestServer.start({ env: { STORAGE: 'local', FILES_ACCEL_REDIRECT_PREFIX: PREFIX } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('leaves ranges to nginx, which says it takes them, and still answers a weak If-None-Match itself', async () => {
    const owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
    const result = await server.upload(owner.token, [{ name: 'handed.jpg', data: await jpeg(300, 200) }], { selection: 'id originalUrl' });
    const { id, originalUrl } = result.data.uploadImage;
    const { pathname, search } = new URL(originalUrl);
    const link = `${server.url}${pathname}${search}`;
    const handed = await fetch(link, { headers: { range: 'bytes=0-99' } });
    expect(handed.status).toBe(200);
    expect(handed.headers.get('x-accel-redirect')).toMatch(new RegExp(`^${PREFIX}originals/`));
    expect(handed.headers.get('content-range')).toBeNull();
    expect(handed.headers.get('accept-ranges'), 'nginx sends its own').toBeNull();
    expect(handed.headers.get('access-control-allow-origin')).toBe('*');
    expect(handed.headers.get('content-disposition')).toBe(`inline; filename="handed.jpg"; filename*=UTF-8''handed.jpg`);
    expect((await handed.arrayBuffer()).byteLength).toBe(0);
    const notModified = await fetch(link, { headers: { 'if-none-match': `W/"${id}-original"` } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('x-accel-redirect')).toBeNull();
  });
});
