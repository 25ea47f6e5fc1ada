/**
 * The upload rows of the reliability catalogue that the multipart layer answers before GraphQL runs
 * (RELIABILITY.md §1, U17–U20 and U22, with F14), one test per row, against the real server over real
 * HTTP. uploads.spec.ts has the others.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { png } from '../support/images.js';
import type { GqlResponse, TestServer, TestUser } from '../support/test-server.js';
import { eventually } from '../support/polling.js';
import { uploadRows } from './upload-rows.js';


const rows = uploadRows();
const { spooledFiles, footprint, expectNothingLeft, expectRefused, expectHttpRefused, UPLOAD_ONE, multipart, postMultipart } = rows;
let server: TestServer;
let user: TestUser;
beforeAll(() => {
  ({ server, user } = rows);
});

describe('the multipart layer refuses with JSON before GraphQL runs (U17–U19; §0 graphql-upload limits)', () => {
  it('U17 27 MB streamed against the 25 MiB default → TOO_LARGE, and the spooled temp file is released', async () => {
    expect(server.server.deps.config.maxUploadBytes).toBe(25 * 1024 * 1024);
    const before = await footprint();
    const result = await server.upload(user.token, [{ name: 'huge.png', data: Buffer.alloc(27_000_000) }]);
    await expectRefused(result, before, 'TOO_LARGE');
  });

  it('U18 a map of 1000 files → 413 before any file streams', async () => {
    const map = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), [`variables.files.${i}`]]));
    const before = await footprint();
    const form = multipart([
      { name: 'operations', body: JSON.stringify({ query: 'mutation($files: [Upload!]!) { uploadImages(files: $files) { id } }', variables: { files: [] } }) },
      { name: 'map', body: JSON.stringify(map) },
      { name: '0', file: 'filename="a.png"', body: await png(8, 8) },
    ]);
    await expectHttpRefused(await postMultipart(form), 413, 'PAYLOAD_TOO_LARGE', /10 max file uploads exceeded/);
    await expectNothingLeft(before);
  });

  it('U18 eleven real files in one uploadImages → 413 (MAX_FILES_PER_REQUEST is 10)', async () => {
    const before = await footprint();
    const data = await png(8, 8);
    const result = await server.upload(user.token, Array.from({ length: 11 }, (_, i) => ({ name: `${i}.png`, data })), { batch: true });
    expect(result.status).toBe(413);
    expect(result.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    await expectNothingLeft(before);
  });

  const file = async () => ({ name: '0', file: 'filename="a.png"', body: await png(8, 8) });
  const ops = (value: object) => ({ name: 'operations', body: JSON.stringify(value) });
  const map = (value: object) => ({ name: 'map', body: JSON.stringify(value) });
  const cut = (form: ReturnType<typeof multipart>, at: number) => ({ ...form, body: form.body.subarray(0, at) });
  it.each<{ title: string; form: () => Promise<ReturnType<typeof multipart>>; status: number; code: string; message: RegExp }>([
    { title: 'invalid JSON in operations', form: async () => multipart([{ name: 'operations', body: '{"query":' }, map({ 0: ['variables.file'] }), await file()]), status: 400, code: 'BAD_REQUEST', message: /Invalid JSON/ },
    { title: 'map before operations', form: async () => multipart([map({ 0: ['variables.file'] }), ops(UPLOAD_ONE), await file()]), status: 400, code: 'BAD_REQUEST', message: /Misordered/ },
    { title: 'a file before map', form: async () => multipart([ops(UPLOAD_ONE), await file(), map({ 0: ['variables.file'] })]), status: 400, code: 'BAD_REQUEST', message: /Misordered/ },
    { title: 'a map entry that is not an array', form: async () => multipart([ops(UPLOAD_ONE), map({ 0: 'variables.file' }), await file()]), status: 400, code: 'BAD_REQUEST', message: /Invalid type/ },
    { title: 'operations over the 64 KB field limit', form: async () => multipart([ops({ ...UPLOAD_ONE, extensions: { pad: 'x'.repeat(70_000) } }), map({ 0: ['variables.file'] }), await file()]), status: 413, code: 'PAYLOAD_TOO_LARGE', message: /65536 byte size limit/ },
    { title: 'a body cut short before map', form: async () => cut(multipart([ops(UPLOAD_ONE), map({ 0: ['variables.file'] }), await file()]), 60), status: 400, code: 'BAD_REQUEST', message: /multipart/i },
    { title: 'a multipart content type without a boundary', form: async () => ({ ...multipart([ops(UPLOAD_ONE)]), contentType: 'multipart/form-data' }), status: 400, code: 'BAD_REQUEST', message: /multipart/i },
    { title: 'a map path outside variables (our rule)', form: async () => multipart([ops(UPLOAD_ONE), map({ 0: ['variables.file', 'extensions.file'] }), await file()]), status: 400, code: 'BAD_REQUEST', message: /variables/ },
  ])('U19 $title → $status', async ({ form, status, code, message }) => {
    const before = await footprint();
    await expectHttpRefused(await postMultipart(await form()), status, code, message);
    await expectNothingLeft(before);
  });

  it('U19 a refusal with most of the body still to come waits for it, and the kept-alive connection serves the next request', async () => {
    // refused after the parser has handed over the map, with 2 MB of file behind it: answered before
    // the body is read, the spool is released under the parser, reading stops and the next request on
    // the connection is reset at the keep-alive timeout
    const form = multipart([ops(UPLOAD_ONE), map({ 0: ['variables.file', 'extensions.file'] }), { name: '0', file: 'filename="a.png"', body: Buffer.alloc(2_000_000, 7) }]);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: Buffer, headers: Record<string, string>) =>
      new Promise<{ status?: number; headers: IncomingHttpHeaders; body: string; socket: unknown }>((done, fail) => {
        const req = request(`${server.url}/graphql`, { method: 'POST', agent, timeout: 3000, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => done({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), socket: req.socket }));
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 3 s'))).on('error', fail);
        req.end(body);
      });
    try {
      const refused = await post(form.body, { 'content-type': form.contentType, 'apollo-require-preflight': 'true', authorization: `Bearer ${user.token}` });
      expect(refused.status).toBe(400);
      expect(refused.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(refused.body).errors[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' }, message: expect.stringMatching(/variables/) });
      const next = await post(Buffer.from(JSON.stringify({ query: '{ me { id } }' })), { 'content-type': 'application/json', authorization: `Bearer ${user.token}` });
      expect(next.status).toBe(200);
      expect(next.socket).toBe(refused.socket);
    } finally {
      agent.destroy();
    }
  });

  it('U19 a body cut short inside the file → BAD_USER_INPUT MALFORMED_UPLOAD', async () => {
    const before = await footprint();
    const form = multipart([ops(UPLOAD_ONE), map({ 0: ['variables.file'] }), { name: '0', file: 'filename="a.png"', body: await png(64, 64) }]);
    const response = await postMultipart(cut(form, form.body.length - 40));
    const body = (await response.json()) as { data?: { uploadImage?: unknown } | null; errors?: GqlResponse['errors'] };
    await expectRefused({ status: response.status, data: body.data, errors: body.errors }, before, 'MALFORMED_UPLOAD');
  });

  it.each(['variables.__proto__.polluted', '__proto__.polluted', 'variables.constructor.prototype.polluted'])('U19 a map path through the prototype (%s) stores nothing and pollutes nothing', async (path) => {
    const before = await footprint();
    const response = await postMultipart(multipart([ops(UPLOAD_ONE), map({ 0: [path] }), await file()]));
    const body = (await response.json()) as { data?: { uploadImage?: unknown }; errors?: unknown[] };
    expect(body.errors?.length, JSON.stringify(body)).toBeGreaterThan(0);
    expect(body.data?.uploadImage ?? null).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectNothingLeft(before);
  });
});

// U20's 408 itself is not waited for here: headersTimeout (20 s) and requestTimeout (120 s) are fixed in
// server.ts, and Node only checks them every connectionsCheckingInterval (30 s by default), so a trickling
// client is cut off after 20–50 s. Checked below: the values, and that such a client blocks no one else.
describe('slow and vanishing clients (U20, F14)', () => {
  it('U20 the slowloris timeouts are set: headers within 20 s, the whole request within 120 s (§0)', () => {
    const { headersTimeout, requestTimeout } = server.server.httpServer;
    expect(headersTimeout).toBeGreaterThan(0);
    expect(headersTimeout).toBeLessThanOrEqual(20_000);
    expect(requestTimeout).toBeGreaterThan(0);
    expect(requestTimeout).toBeLessThanOrEqual(120_000);
  });

  it('U20 a client sending its headers a byte at a time does not hold up anyone else', async () => {
    const socket = connect(server.server.port, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    socket.on('error', () => {});
    const trickle = Buffer.from('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n');
    try {
      for (const byte of trickle.subarray(0, 20)) {
        socket.write(Buffer.from([byte]));
        const answered = await server.gql(`{ me { id } }`, {}, user.token);
        expect(answered.errors).toBeUndefined();
      }
      expect(socket.destroyed).toBe(false);
    } finally {
      socket.destroy();
    }
  });

  it('F14/U20 a client that vanishes mid-file leaves no row, no file, no temp file, and the server keeps serving', async () => {
    const before = await footprint();
    const unhandled: unknown[] = [];
    const onUnhandled = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', onUnhandled).on('unhandledRejection', onUnhandled);
    const form = multipart([{ name: 'operations', body: JSON.stringify(UPLOAD_ONE) }, { name: 'map', body: JSON.stringify({ 0: ['variables.file'] }) }, { name: '0', file: 'filename="big.jpg"', body: Buffer.alloc(8_000_000, 7) }]);
    const half = Math.floor(form.body.length / 2);
    const req = request(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': form.contentType, 'content-length': form.body.length, 'apollo-require-preflight': 'true', authorization: `Bearer ${user.token}` },
    });
    const closed = new Promise((done) => req.once('close', done));
    req.on('error', () => {});
    req.write(form.body.subarray(0, half));
    try {
      // mid-file for real: the server has begun spooling and staging it
      await eventually(async () => {
        expect((await spooledFiles()).length).toBe(1);
        expect((await server.stagedFiles()).length).toBe(1);
      });
      req.destroy();
      await closed;
      await expectNothingLeft(before);
      expect((await server.upload(user.token, [{ name: 'after.png', data: await png(10, 10) }])).errors).toBeUndefined();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('uncaughtException', onUnhandled).off('unhandledRejection', onUnhandled);
    }
  });
});

describe('cross-site uploads (U22; §0 csrfPrevention)', () => {
  it('U22 a multipart mutation without Apollo-Require-Preflight → 400, nothing stored, spool released', async () => {
    const before = await footprint();
    const result = await server.upload(user.token, [{ name: 'csrf.png', data: await png(20, 20) }], { preflight: false });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' }, message: expect.stringMatching(/Cross-Site Request Forgery/) });
    await expectNothingLeft(before);
  });

  it('U22 the same request with the preflight header is accepted', async () => {
    expect((await server.upload(user.token, [{ name: 'ok.png', data: await png(20, 20) }])).errors).toBeUndefined();
  });
});
