import { randomBytes } from 'node:crypto';
import { baseJudge, firstCode, firstReason, isShed, type FuzzCase, type FuzzContext } from './cases.ts';
import type { RawResponse } from './http.ts';
import type { Format, Seed, Specimen } from './images.ts';
import { specimen } from './images.ts';
import type { Random } from './random.ts';

interface Part {
  name: string;
  filename?: Buffer;
  type?: string;
  data: Buffer;
}

/** A multipart body built byte by byte, so names, headers and framing can be as broken as we like. */
function multipart(boundary: string, parts: readonly Part[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`));
    if (part.filename) chunks.push(Buffer.from('; filename="'), part.filename, Buffer.from('"'));
    chunks.push(Buffer.from(`\r\n${part.type !== undefined ? `Content-Type: ${part.type}\r\n` : ''}\r\n`), part.data, Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const NAMES = [
  'photo.jpg', 'image.png', 'a.jpg', 'a.png', 'noextension', '.png', '../../etc/passwd', '..\\..\\boot.ini', 'a\u0000.png',
  '<img src=x onerror=alert(1)>.png', '\u202egnp.exe', 'CON', 'e\u0301te\u0301.jpg', '😀.png', 'x'.repeat(300), 'y'.repeat(10_000),
  'photo.svg', 'photo.html', ' ', 'a;b=c.png', "quote'.png",
];
const TYPES = ['image/png', 'image/jpeg', 'image/svg+xml', 'text/html', 'application/octet-stream', 'image/gif', '', 'image/png; charset=utf-8', 'x/y/z', '\u00ff'];

function filename(rng: Random): Buffer {
  return rng.weighted<() => Buffer>([
    [() => Buffer.from(rng.pick(NAMES)), 8],
    // invalid UTF-8 and raw control bytes; a quote or CR/LF breaks the part header itself
    [() => rng.bytes(rng.int(1, 64)), 2],
    [() => Buffer.from(`a"\r\nX-Injected: 1\r\n.png`), 1],
  ])();
}

// Without a usable filename busboy reads the part as a plain field, so the file never arrives: a quote,
// CR or LF ends or breaks the header, and busboy drops a filename holding any other control byte.
const breaksHeader = (name: Buffer | undefined) => name === undefined || name.some((byte) => byte < 0x20 || byte === 0x7f || byte === 0x22);

function uploadOperation(files: number): string {
  return files === 1
    ? JSON.stringify({ query: 'mutation($file: Upload!) { uploadImage(file: $file) { id format width height } }', variables: { file: null } })
    : JSON.stringify({ query: 'mutation($files: [Upload!]!) { uploadImages(files: $files) { id format } }', variables: { files: Array(files).fill(null) } });
}

function mapFor(files: number): string {
  return JSON.stringify(Object.fromEntries(Array.from({ length: files }, (_, i) => [String(i), [files === 1 ? 'variables.file' : `variables.files.${i}`]])));
}

const UPLOAD_REASONS = new Set(['EMPTY', 'UNSUPPORTED_FORMAT', 'CORRUPT', 'TOO_MANY_PIXELS', 'TOO_LARGE', 'MALFORMED_UPLOAD', 'INCOMPLETE_UPLOAD']);

type Envelope =
  | 'valid' | 'batch' | 'no-preflight' | 'no-auth' | 'bad-token' | 'bad-operations' | 'bad-map' | 'misordered'
  | 'missing-file' | 'too-many-files' | 'unclosed' | 'no-boundary' | 'huge-field' | 'oversize' | 'abort';

/** Generates one upload request: a mutated file in a (possibly broken) multipart envelope. */
export function uploadCase(rng: Random, ctx: FuzzContext, seeds: readonly Seed[], foreign: ReadonlyArray<{ label: string; bytes: Buffer }>, allowOversize: boolean): FuzzCase {
  const envelope = rng.weighted<Envelope>([
    ['valid', 60], ['batch', 8], ['no-preflight', 3], ['no-auth', 2], ['bad-token', 2], ['bad-operations', 4], ['bad-map', 6],
    ['misordered', 3], ['missing-file', 3], ['too-many-files', 2], ['unclosed', 3], ['no-boundary', 2], ['huge-field', 1],
    ['oversize', allowOversize ? 1 : 0], ['abort', 3],
  ]);
  const boundary = `----fuzz${randomBytes(8).toString('hex')}`;
  const count = envelope === 'batch' ? rng.int(2, 4) : envelope === 'too-many-files' ? rng.int(11, 40) : 1;
  const specimens: Specimen[] = Array.from({ length: count }, () => specimen(rng, seeds, foreign, ctx.maxPixels));
  if (envelope === 'oversize') specimens[0] = { how: 'oversize', bytes: Buffer.alloc(ctx.maxUploadBytes + rng.int(1, 2 * 1024 * 1024), 0x41), expect: { reject: 'TOO_LARGE' } };
  const files: Part[] = specimens.map((s, i) => ({
    name: String(i),
    filename: rng.chance(0.95) ? filename(rng) : undefined,
    type: rng.chance(0.9) ? rng.pick(TYPES) : undefined,
    data: s.bytes,
  }));
  let operations = uploadOperation(count);
  let map = mapFor(count);
  let parts: Part[];
  switch (envelope) {
    case 'bad-operations':
      operations = rng.pick(['{', '[]', 'null', '"x"', JSON.stringify({ query: 42 }), JSON.stringify({ query: 'mutation { uploadImage }' }), operations.slice(0, rng.int(0, operations.length - 1))]);
      break;
    case 'bad-map':
      map = rng.pick([
        '{', '[]', '"x"', 'null', JSON.stringify({ 0: 'variables.file' }), JSON.stringify({ 0: [] }), JSON.stringify({ 0: ['variables.__proto__'] }),
        JSON.stringify({ 0: ['__proto__.polluted'] }), JSON.stringify({ 0: ['constructor.prototype.x'] }),
        JSON.stringify({ 0: ['variables.nope.deep'] }), JSON.stringify({ 0: ['query'] }), JSON.stringify({ 0: [42] }),
      ]);
      break;
    case 'missing-file':
      // the map names file 0, but the file arrives under a name the map does not know
      files[0]!.name = '7';
      break;
    case 'huge-field':
      operations = JSON.stringify({ query: `mutation($file: Upload!) { uploadImage(file: $file) { id } } # ${'x'.repeat(1024 * 1024 + 10)}`, variables: { file: null } });
      break;
  }
  const fields: Part[] = [{ name: 'operations', data: Buffer.from(operations) }, { name: 'map', data: Buffer.from(map) }];
  parts = envelope === 'misordered' ? [...files, ...fields] : [...fields, ...files];
  const body = multipart(boundary, parts, envelope !== 'unclosed');
  const token = envelope === 'no-auth' ? undefined : envelope === 'bad-token' ? rng.pick(['x', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', ctx.userToken.slice(0, -3) + 'AAA']) : ctx.userToken;
  const headers: Record<string, string> = {
    'content-type': envelope === 'no-boundary' ? 'multipart/form-data' : `multipart/form-data; boundary=${boundary}`,
    ...(envelope === 'no-preflight' ? {} : { 'apollo-require-preflight': 'true' }),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };

  const describe = `${envelope}: ${specimens.map((s, i) => `${s.how} as ${JSON.stringify(files[i]!.filename?.toString('latin1').slice(0, 40))} ${JSON.stringify(files[i]!.type)}`).join(' | ')}`;
  const wellFormed = envelope === 'valid' || envelope === 'batch';
  const intactParts = files.every((f) => !breaksHeader(f.filename));
  const mustAccept = wellFormed && intactParts && specimens.every((s) => typeof s.expect === 'object' && 'accept' in s.expect);
  const mustReject = !wellFormed || specimens.some((s) => typeof s.expect === 'object' && 'reject' in s.expect);
  const expectedReason = count === 1 && wellFormed && intactParts && typeof specimens[0]!.expect === 'object' && 'reject' in specimens[0]!.expect ? specimens[0]!.expect.reject : undefined;
  const formats: Array<Format | undefined> = specimens.map((s) => (typeof s.expect === 'object' && 'accept' in s.expect ? s.expect.accept : undefined));

  return {
    kind: 'upload',
    family: `upload/${envelope}`,
    label: describe,
    request: { method: 'POST', path: '/graphql', headers, body, abortAfter: envelope === 'abort' ? rng.int(1, body.length - 1) : undefined },
    judge(response: RawResponse, json: unknown) {
      const base = baseJudge(response, json, true);
      if (base) return base;
      if (envelope === 'abort' || response.status === 'dropped') return undefined;
      if (isShed(response, json)) return undefined;
      const stored = storedImages(json);
      if (envelope === 'oversize') {
        // the 413 may arrive while the body is still being sent; either way nothing may be stored
        return stored.length ? 'an oversize upload was stored' : undefined;
      }
      if (mustReject && stored.length) return `stored ${stored.length} image(s) from a request that must be refused`;
      if (mustAccept) {
        if (stored.length !== count) return `refused a valid upload: HTTP ${response.status} ${firstCode(json)}/${firstReason(json)}: ${(json as any)?.errors?.[0]?.message}`;
        const wrong = stored.findIndex((image, i) => image.format !== formats[i]);
        if (wrong >= 0) return `file ${wrong} is ${formats[wrong]} but was stored as ${stored[wrong]!.format}`;
        return undefined;
      }
      if (stored.length) return undefined;
      const code = firstCode(json);
      if (envelope === 'no-preflight') return response.status === 400 && code === 'BAD_REQUEST' ? undefined : `CSRF: expected 400 BAD_REQUEST, got ${response.status} ${code}`;
      if (envelope === 'bad-token') return code === 'UNAUTHENTICATED' ? undefined : `bad token: expected UNAUTHENTICATED, got ${code}`;
      if (envelope === 'no-auth') return code === 'UNAUTHENTICATED' ? undefined : `no token: expected UNAUTHENTICATED, got ${code}`;
      if (!code) return `refused without an error code: HTTP ${response.status} ${response.body.slice(0, 200)}`;
      if (wellFormed && code === 'BAD_USER_INPUT') {
        const reason = firstReason(json);
        if (!reason || !UPLOAD_REASONS.has(reason)) return `BAD_USER_INPUT without a known reason: ${reason}`;
        if (expectedReason && reason !== expectedReason) return `expected reason ${expectedReason}, got ${reason}`;
      }
      return undefined;
    },
    storedIds: (json) => storedImages(json).map((image) => image.id),
  };
}

function storedImages(json: unknown): Array<{ id: string; format: string }> {
  const data = (json as { data?: { uploadImage?: { id: string; format: string } | null; uploadImages?: Array<{ id: string; format: string }> | null } } | undefined)?.data;
  if (!data) return [];
  if (data.uploadImage) return [data.uploadImage];
  return data.uploadImages ?? [];
}
