import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, png } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';

// Placeholders in every image (issue 15): made at upload from the pixels already decoded, kept in the
// row and read with it; images from before placeholders get theirs from a backfill job or on first read.

const FIELDS = 'id placeholder { thumbhash dataUrl dominantColor }';

let server: TestServer;
let user: TestUser;
beforeAll(async () => {
  server = await TestServer.start();
  user = await server.createUser();
});
afterAll(() => server?.stop());

async function upload(data: Buffer, name = 'p.png'): Promise<{ id: string; placeholder: { thumbhash: string; dataUrl: string; dominantColor: string } }> {
  const result = await server.upload(user.token, [{ name, data }], { selection: FIELDS });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage;
}

/** Makes the image look as if it was stored before placeholders existed. */
const forget = (id: string) => server.sql('update images set placeholder_hash = null, placeholder_data_url = null, placeholder_color = null where id = $1', [id]);
const stored = async (id: string) => (await server.sql<{ placeholder_hash: string | null }>('select placeholder_hash from images where id = $1', [id]))[0]!.placeholder_hash;

describe('placeholders', () => {
  it('come with the upload: a ThumbHash, a small PNG data URL and the dominant colour', async () => {
    const image = await upload(await sharp({ create: { width: 300, height: 200, channels: 3, background: '#c02020' } }).png().toBuffer());
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(image.placeholder.dominantColor.slice(at, at + 2), 16));
    expect(r).toBeGreaterThan(0xa0);
    expect(Math.max(g!, b!)).toBeLessThan(0x40);
    expect(image.placeholder.dataUrl).toMatch(/^data:image\/png;base64,/);
    expect(image.placeholder.dataUrl.length).toBeLessThan(1024);
    expect(await stored(image.id)).toBe(image.placeholder.thumbhash);
  });

  it('are read with the list rows: a page of 50 runs no query beyond the page’s own', async () => {
    for (let i = 0; i < 50; i++) await upload(await jpeg(40, 30, `#${(i * 5).toString(16).padStart(2, '0')}8844`), `p${i}.jpg`);
    const queriesFor = async (selection: string) => {
      server.queries.length = 0;
      const result = await server.gql(`{ images(first: 50) { edges { node { ${selection} } } } }`, {}, user.token);
      expect(result.errors).toBeUndefined();
      expect(result.data.images.edges).toHaveLength(50);
      return { edges: result.data.images.edges as Array<{ node: { placeholder?: { thumbhash: string } } }>, queries: server.queries.length };
    };
    const withPlaceholders = await queriesFor(FIELDS);
    for (const { node } of withPlaceholders.edges) expect(node.placeholder!.thumbhash.length).toBeGreaterThan(10);
    expect(withPlaceholders.queries).toBe((await queriesFor('id')).queries);
  });

  it('are made by the backfill for images from before placeholders, from a stored thumbnail', async () => {
    const image = await upload(await png(120, 80, '#2040c0'));
    await forget(image.id);
    await server.server.deps.jobs.backfillPlaceholders();
    await server.drainJobs();
    expect(await stored(image.id)).toBe(image.placeholder.thumbhash);
  });

  it('are made on first read until the backfill reaches an image, then kept', async () => {
    const image = await upload(await png(120, 80, '#20c040'));
    await forget(image.id);
    const read = await server.gql(`query($id: ID!) { image(id: $id) { ${FIELDS} } }`, { id: image.id }, user.token);
    expect(read.data.image.placeholder).toEqual(image.placeholder);
    expect(await stored(image.id)).toBe(image.placeholder.thumbhash);
  });
});
