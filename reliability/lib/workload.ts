import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { markedParts } from '../../bench/lib/product.ts';
import { mustGql, newUser, TIERS, upload } from './api.ts';
import type { RawRequest } from './http.ts';
import type { Random } from './random.ts';
import type { ServerUnderTest } from './server.ts';

export type Kind = 'upload' | 'list' | 'thumbnail' | 'link';
export const KINDS: readonly Kind[] = ['upload', 'list', 'thumbnail', 'link'];

export const LIST_QUERY = '{ images(first: 50) { totalCount edges { node { id filename width height thumbnails { size url } } } } }';
const LINK_MUTATION = 'mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { url expiresAt } }';

/** A photo-like JPEG (noise defeats JPEG's compression as a camera's sensor noise does). */
export async function photoJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#6a9', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
    .blur(0.6)
    .jpeg({ quality: 88 })
    .toBuffer();
}

/** An upload body whose JPEG carries `marker` (see markedParts): every upload a new image, never a duplicate answered from the store. */
function uploadBody(jpeg: Buffer, marker: string): { boundary: string; body: Buffer } {
  const boundary = `----load${randomBytes(8).toString('hex')}`;
  const operations = JSON.stringify({ query: 'mutation($file: Upload!) { uploadImage(file: $file) { id } }', variables: { file: null } });
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  const file = markedParts({ bytes: new Uint8Array(jpeg), type: 'image/jpeg' }, marker);
  return { boundary, body: Buffer.concat([Buffer.from(head), ...file, Buffer.from(`\r\n--${boundary}--\r\n`)]) };
}

/** Users, seeded images and ready-made requests of each kind. */
export interface Workload {
  uploaders: Array<{ id: string; token: string }>;
  lister: { id: string; token: string };
  listerImageIds: string[];
  thumbnailPaths: string[];
  request(kind: Kind, rng: Random): RawRequest;
  jpegBytes: number;
}

export async function prepareWorkload(server: ServerUnderTest, adminToken: string, photo: Buffer): Promise<Workload> {
  const uploaders: Array<{ id: string; token: string }> = [];
  for (let i = 0; i < 4; i++) uploaders.push(await newUser(server.origin, adminToken, `load-uploader-${i}`, TIERS.enterprise));
  const lister = await newUser(server.origin, adminToken, 'load-lister', TIERS.enterprise);
  const small = await photoJpeg(400, 300);
  for (let i = 0; i < 60; i++) {
    // sixty images, not one: equal bytes would be stored once
    const answer = await upload(server.origin, lister.token, { bytes: new Uint8Array(small), name: `seed-${i}.jpg`, type: 'image/jpeg' }, 'id format', `seed-${i}`);
    if (!answer.data?.uploadImage) throw new Error(`seeding the list failed: ${JSON.stringify(answer.errors)}`);
  }
  const data = await mustGql(server.origin, LIST_QUERY, {}, lister.token);
  const nodes = data.images.edges.map((e: any) => e.node) as Array<{ id: string; thumbnails: Array<{ size: number; url: string }> }>;
  const thumbnailPaths = nodes.flatMap((n) => n.thumbnails.map((t) => new URL(t.url)).map((u) => u.pathname + u.search));
  let sent = 0;
  const json = (token: string, payload: unknown): RawRequest => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: Buffer.from(JSON.stringify(payload)),
  });
  const listBody = json(lister.token, { query: LIST_QUERY });
  return {
    uploaders,
    lister,
    listerImageIds: nodes.map((n) => n.id),
    thumbnailPaths,
    jpegBytes: photo.length,
    request(kind, rng) {
      switch (kind) {
        case 'upload': {
          const i = rng.int(0, uploaders.length - 1);
          const { boundary, body } = uploadBody(photo, `load-${++sent}`);
          return {
            method: 'POST',
            path: '/graphql',
            headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true', authorization: `Bearer ${uploaders[i]!.token}` },
            body,
          };
        }
        case 'list':
          return listBody;
        case 'thumbnail':
          return { method: 'GET', path: rng.pick(thumbnailPaths), headers: {} };
        case 'link':
          return json(lister.token, { query: LINK_MUTATION, variables: { id: rng.pick(nodes).id } });
      }
    },
  };
}
