import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageFormat } from '../../src/images/image.entity.js';
import { jpeg, rgbaPng } from '../support/images.js';
import { variantHeader } from '../support/image-headers.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Thumbnails in negotiated formats (issue 15), as the thumbnail service makes and stores them: on the
// first request, once however many ask, beside the thumbnail, and gone with it.

let server: TestServer;
let user: TestUser;
beforeAll(async () => {
  server = await TestServer.start();
  user = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
});
afterAll(() => server?.stop());

async function upload(data: Buffer, name: string): Promise<{ id: string; format: ImageFormat; width: number; height: number }> {
  const result = await server.upload(user.token, [{ name, data }], { selection: 'id format width height' });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

describe('thumbnail variants', () => {
  it('are made once for 20 concurrent first requests, in the right format and height, and stored beside the thumbnail', async () => {
    const image = await upload(await jpeg(900, 600), 'v.jpg');
    const { thumbnails } = server.server.deps;
    const before = thumbnails.variantsMade;
    const answers = await Promise.all(Array.from({ length: 20 }, () => thumbnails.variant(image, 400, 'avif')));
    expect(thumbnails.variantsMade - before).toBe(1);
    for (const bytes of answers) expect(variantHeader(bytes!)).toEqual({ format: 'avif', width: 600, height: 400 });
    expect(await server.mediaFiles()).toContain(`thumbnails/${image.id.slice(0, 2)}/${image.id}/h400.avif`);
    await thumbnails.variant(image, 400, 'avif');
    expect(thumbnails.variantsMade - before).toBe(1);
  });

  it('keep a PNG’s alpha in WebP', async () => {
    const image = await upload(await rgbaPng(300, 200), 'a.png');
    const webp = await server.server.deps.thumbnails.variant(image, 200, 'webp');
    expect(variantHeader(webp!)).toEqual({ format: 'webp', width: 300, height: 200 });
    // VP8X carries the alpha flag (bit 4 of its flags byte)
    expect(webp!.toString('latin1', 12, 16)).toBe('VP8X');
    expect(webp![20]! & 0x10).toBe(0x10);
  });

  it('go with the image: deleting it removes every format', async () => {
    const image = await upload(await jpeg(300, 200), 'd.jpg');
    await server.server.deps.thumbnails.variant(image, 200, 'webp');
    await server.server.deps.thumbnails.variant(image, 200, 'avif');
    // the original, h200 and h400 (as high as the original: never upscaled), and the two variants
    expect((await server.mediaFiles()).filter((key) => key.includes(image.id))).toHaveLength(5);
    expect((await server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: image.id }, user.token)).data.deleteImage).toBe(true);
    await server.drainJobs();
    expect((await server.mediaFiles()).filter((key) => key.includes(image.id))).toEqual([]);
  });

  it('go with their height when a tier drops it', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100, 150] });
    const owner = await server.createUser({ tierId: tier.id });
    const result = await server.upload(owner.token, [{ name: 't.jpg', data: await jpeg(300, 200) }], { selection: 'id format width height' });
    const image = result.data.uploadImage;
    await server.server.deps.thumbnails.variant(image, 150, 'avif');
    expect((await server.updateTier(tier.id, { thumbnailHeights: [100] })).errors).toBeUndefined();
    await server.drainJobs();
    expect((await server.mediaFiles()).filter((key) => key.includes(image.id)).map((key) => key.split('/').at(-1)).sort()).toEqual(['h100.jpg', `${image.id}.jpg`].sort());
  });
});
