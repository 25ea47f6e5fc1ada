import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jpeg } from '../support/images.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// A permanent thumbnail link answered once is answered again from memory (http/file-server.ts): no
// signature check, no await. These show that the shortcut answers exactly what the full path would,
// and never once the full path would refuse.

const logLines: Array<Record<string, unknown>> = [];
let server: TestServer;
let verifications: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  server = await TestServer.start({ logLines });
  verifications = vi.spyOn(server.server.deps.links, 'verifyPermanent');
});
afterAll(async () => {
  await server?.stop();
});

async function get(link: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  const { pathname, search } = new URL(link);
  const response = await fetch(`${server.url}${pathname}${search}`, init);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: Object.fromEntries([...response.headers].filter(([name]) => name !== 'date' && name !== 'x-request-id')), bytes };
}

async function premiumThumbnail(): Promise<{ owner: TestUser; imageId: string; h200: string }> {
  const owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
  const result = await server.upload(owner.token, [{ name: 'hot.jpg', data: await jpeg(600, 400) }], { selection: 'id thumbnails { size url }' });
  expect(result.errors).toBeUndefined();
  const image = result.data.uploadImage as { id: string; thumbnails: Array<{ size: number; url: string }> };
  return { owner, imageId: image.id, h200: image.thumbnails.find((t) => t.size === 200)!.url };
}

describe('a hot permanent link', () => {
  it('is verified once, then answered from memory with the same status, headers and bytes', async () => {
    const { h200 } = await premiumThumbnail();
    const first = await get(h200);
    verifications.mockClear();
    const again = await get(h200);
    expect(verifications).not.toHaveBeenCalled();
    expect(again.status).toBe(200);
    expect(again.headers).toEqual(first.headers);
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(Number(again.headers['content-length'])).toBe(first.bytes.length);
  });

  it('answers a conditional GET with 304 and HEAD with headers only, as the full path does', async () => {
    const { h200 } = await premiumThumbnail();
    const full = await get(h200);
    const notModified = await get(h200, { headers: { 'if-none-match': full.headers.etag! } });
    expect(notModified.status).toBe(304);
    expect(notModified.bytes.length).toBe(0);
    expect(notModified.headers.etag).toBe(full.headers.etag);
    const head = await get(h200, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.bytes.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(full.bytes.length));
  });

  it('stops at once when the owner’s tier no longer includes its height', async () => {
    const { owner, h200 } = await premiumThumbnail();
    expect((await get(h200)).status).toBe(200);
    expect((await get(h200)).status).toBe(200);
    const tier = await server.createTier({ thumbnailHeights: [400] });
    await server.setUserTier(owner.id, tier.id);
    expect((await get(h200)).status).toBe(403);
  });

  it('stops at once when its image is deleted', async () => {
    const { owner, imageId, h200 } = await premiumThumbnail();
    await get(h200);
    await get(h200);
    const deleted = await server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: imageId }, owner.token);
    expect(deleted.errors).toBeUndefined();
    expect((await get(h200)).status).toBe(404);
  });

  it('gives nothing to the same path with another signature', async () => {
    const { h200 } = await premiumThumbnail();
    await get(h200);
    const url = new URL(h200);
    const signature = url.searchParams.get('sig')!;
    url.searchParams.set('sig', `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`);
    expect((await get(url.toString())).status).toBe(403);
    url.searchParams.set('sig', signature);
    url.searchParams.append('sig', signature);
    expect((await get(url.toString())).status).toBe(403);
  });
});

describe('link access lines (LINK_ACCESS_LOG)', () => {
  const accessLines = (path: string) => logLines.filter((line) => (line.req as { path?: string } | undefined)?.path === path);

  it('by default logs refusals, not every answered GET', async () => {
    const { h200 } = await premiumThumbnail();
    const path = new URL(h200).pathname;
    logLines.length = 0;
    await get(h200);
    await get(h200);
    expect(accessLines(path)).toEqual([]);
    await get(`${h200}x`);
    expect(accessLines(path)).toMatchObject([{ res: { status: 403 }, msg: 'request completed' }]);
  });

  it('logs every request when set to all, and none when off', async () => {
    for (const [mode, expected] of [['all', 2], ['off', 0]] as const) {
      const lines: Array<Record<string, unknown>> = [];
      const other = await TestServer.start({ env: { LINK_ACCESS_LOG: mode }, logLines: lines });
      try {
        const owner = await other.createUser({ tierId: BUILTIN_TIER_IDS.basic });
        const result = await other.upload(owner.token, [{ name: 'a.jpg', data: await jpeg(300, 200) }], { selection: 'thumbnails { url }' });
        const { pathname, search } = new URL(result.data.uploadImage.thumbnails[0].url);
        expect((await fetch(`${other.url}${pathname}${search}`)).status).toBe(200);
        expect((await fetch(`${other.url}${pathname}`)).status).toBe(403);
        expect(lines.filter((line) => (line.req as { path?: string } | undefined)?.path === pathname)).toHaveLength(expected);
      } finally {
        await other.stop();
      }
    }
  });
});
