import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { jpeg } from '../support/images.js';
import { s3Storage, startS3rver, type LocalS3 } from '../support/s3-server.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

let s3: LocalS3;
let server: TestServer;
let owner: TestUser;
const MIN_BYTES = 8_000;

beforeAll(async () => {
  s3 = await startS3rver();
  const { env: storage } = await s3Storage(s3, 'redirect');
  server = await TestServer.start({
    env: {
      ...storage,
      ORIGINAL_REDIRECT_MIN_BYTES: String(MIN_BYTES),
      ORIGINAL_REDIRECT_SECONDS: '60',
    },
  });
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
});
afterAll(async () => {
  await server?.stop();
  await s3?.stop();
});

async function upload(data: Buffer): Promise<{ id: string; originalUrl: string }> {
  const result = await server.upload(owner.token, [{ name: 'photo.jpg', data }], { selection: 'id originalUrl' });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

describe('redirecting large originals to presigned storage URLs', () => {
  it('redirects an original at or over the threshold to a short-lived URL that serves the same bytes', async () => {
    const bytes = await jpeg(1600, 1200);
    expect(bytes.length).toBeGreaterThanOrEqual(MIN_BYTES);
    const image = await upload(bytes);
    const response = await fetch(image.originalUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
    const fromStore = await fetch(location);
    expect(fromStore.status).toBe(200);
    expect(fromStore.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await fromStore.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('serves a small original itself', async () => {
    const bytes = await jpeg(40, 30);
    expect(bytes.length).toBeLessThan(MIN_BYTES);
    const response = await fetch((await upload(bytes)).originalUrl, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('never lets the presigned URL outlive an expiring link', async () => {
    const image = await upload(await jpeg(1600, 1200));
    const link = await server.gql(`mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 300) { url } }`, { id: image.id }, owner.token);
    server.clock.advance(300_000 - 20_000);
    try {
      const response = await fetch(link.data.createExpiringLink.url, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get('location')!).searchParams.get('X-Amz-Expires')).toBe('20');
    } finally {
      server.clock.advance(-(300_000 - 20_000));
    }
  });

  it('checks the tier before redirecting', async () => {
    const image = await upload(await jpeg(1600, 1200));
    await server.setUserTier(owner.id, BUILTIN_TIER_IDS.basic);
    try {
      const response = await fetch(image.originalUrl, { redirect: 'manual' });
      expect(response.status).toBe(403);
      expect(response.headers.get('location')).toBeNull();
    } finally {
      await server.setUserTier(owner.id, BUILTIN_TIER_IDS.enterprise);
    }
  });

  it('is refused by the config without an object store', () => {
    expect(() => loadConfig({ ORIGINAL_REDIRECT_MIN_BYTES: '1000' })).toThrow(/ORIGINAL_REDIRECT_MIN_BYTES.*needs STORAGE=s3/);
  });
});
