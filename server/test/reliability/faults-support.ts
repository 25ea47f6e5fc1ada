// What more than one of the fault spec files (faults-database, faults-storage, faults-runtime) needs:
// the temp folder each file keeps for itself, uploads and link reads as a client sends them, and the
// check that a refused request left nothing behind.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, expect } from 'vitest';
import { until } from '../support/polling.js';
import type { TestServer } from '../support/test-server.js';

/**
 * Points os.tmpdir() at a new folder of the calling spec file's own and removes it after the file's
 * tests; returns the folder. Call it at the top of every fault spec file, before anything else runs:
 * vitest runs each file in a process of its own, so the setting and its afterAll hold for that file only.
 */
export async function useOwnMultipartTmp(): Promise<string> {
  // graphql-upload buffers every multipart file in os.tmpdir(); a folder of this file's own lets the
  // tests see that those buffers are released, without other test runs' files in the way
  const multipartTmp = await mkdtemp(join(tmpdir(), 'faults-multipart-'));
  // like /tmp: embedded PostgreSQL, running as the postgres user when we are root, keeps files here too
  await chmod(multipartTmp, 0o1777);
  process.env.TMPDIR = multipartTmp;
  afterAll(() => rm(multipartTmp, { recursive: true, force: true }));
  return multipartTmp;
}

export interface Answer {
  status: number;
  body: any;
  ms: number;
}

/** `uploadImage` over multipart, as a client sends it. */
export async function uploadAt(url: string, token: string, data: Buffer, timeoutMs = 15_000): Promise<Answer> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { id thumbnails { size url } } }', variables: { f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), 'photo.jpg');
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: form,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.json(), ms: performance.now() - started };
}

/**
 * Sends `uploadImages` with two files, the first whole and the second only half (`whole` sends all of
 * it), and never reads the answer. A batch is received whole before any image work (its quota is
 * checked on the sizes of all its files), so with half the second file the server has staged the
 * first and waits; with both whole it stores the first file (thumbnails and original) and then works
 * on the second, still staged, before it commits any row. That work is the real crash window, with no
 * hook in the server.
 */
export function startHalfBatch(url: string, token: string, first: Buffer, second: Buffer, { whole = false }: { whole?: boolean } = {}): { done: Promise<unknown>; abort(): void } {
  const boundary = `----faults${randomBytes(6).toString('hex')}`;
  const part = (name: string, headers: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${headers}\r\n\r\n`;
  const operations = { query: 'mutation($f: [Upload!]!) { uploadImages(files: $f) { id } }', variables: { f: [null, null] } };
  const body = Buffer.concat([
    Buffer.from(part('operations', '') + JSON.stringify(operations) + '\r\n'),
    Buffer.from(part('map', '') + JSON.stringify({ 0: ['variables.f.0'], 1: ['variables.f.1'] }) + '\r\n'),
    Buffer.from(part('0', '; filename="first.jpg"\r\nContent-Type: image/jpeg')),
    first,
    Buffer.from('\r\n' + part('1', '; filename="second.jpg"\r\nContent-Type: image/jpeg')),
    whole ? Buffer.concat([second, Buffer.from(`\r\n--${boundary}--\r\n`)]) : second.subarray(0, Math.floor(second.length / 2)),
  ]);
  const { port } = new URL(url);
  const req = request({
    host: '127.0.0.1',
    port: Number(port),
    method: 'POST',
    path: '/graphql',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(whole ? body.length : body.length + second.length),
      authorization: `Bearer ${token}`,
      'apollo-require-preflight': 'true',
    },
  });
  const done = new Promise((resolve) => {
    req.on('error', resolve);
    req.on('response', resolve);
  });
  req.write(body);
  return { done, abort: () => req.destroy() };
}

/** GET of a link the API handed out, on the given server (links name PUBLIC_URL's origin). */
export async function getLink(url: string, link: string): Promise<{ status: number; bytes: Buffer }> {
  const { pathname, search } = new URL(link);
  const response = await fetch(`${url}${pathname}${search}`, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** A JPEG of random pixels: its decode takes a while and its thumbnails stay large. */
export const noisy = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();

const multipartBuffers = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('capacitor-'));

/** What a refused request must leave: no row, no new stored file, nothing staged, no multipart buffer. */
export async function expectNothingLeft(server: TestServer, rows: number, files: string[]): Promise<void> {
  expect(await server.countRows('images')).toBe(rows);
  expect(await server.mediaFiles()).toEqual(files);
  expect(await server.stagedFiles()).toEqual([]);
  await until(async () => (await multipartBuffers()).length === 0, 'the multipart buffers to be released', 5000);
}
