import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect } from 'vitest';
import { BUILTIN_TIER_IDS, TestServer, type GqlResponse, type TestUser, type UploadFile } from '../support/test-server.js';
import { eventually } from '../support/polling.js';

/**
 * The server, users and checks the upload rows of the reliability catalogue share (uploads*.spec.ts).
 * Call once at the top of a spec file: it starts the server before the file's tests and stops it after.
 */
type Footprint = { rows: number; media: string[] };

export function uploadRows() {
  // graphql-upload spools every file to os.tmpdir()/capacitor-*; a folder of this test file's own lets it
  // count them without seeing other test files' uploads (the server runs in this process)
  const spoolDir = mkdtempSync(resolve(tmpdir(), 'reliability-uploads-'));
  process.env.TMPDIR = spoolDir;

  let server: TestServer;
  let user: TestUser;
  let premium: TestUser;
  beforeAll(async () => {
    server = await TestServer.start();
    user = await server.createUser();
    premium = await server.createUser({ tierId: BUILTIN_TIER_IDS.premium });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(spoolDir, { recursive: true, force: true });
  });

  const spooledFiles = async () => (await readdir(spoolDir)).filter((name) => name.startsWith('capacitor-'));


  const footprint = async (on = server) => ({ rows: await on.countRows('images'), media: await on.mediaFiles() });

  /** No new row, no new stored file, nothing left in staging or graphql-upload's spool, and the server still answers. */
  async function expectNothingLeft(before: Footprint, on = server) {
    expect(await footprint(on)).toEqual(before);
    await eventually(async () => {
      expect(await on.stagedFiles()).toEqual([]);
      expect(await spooledFiles()).toEqual([]);
    });
    const followUp = await on.gql(`{ me { id } }`, {}, on === server ? user.token : undefined);
    expect(followUp.status).toBeLessThan(500);
    expect((await fetch(`${on.url}/healthz`)).status).toBe(200);
  }

  async function expectRefused(result: GqlResponse, before: Footprint, reason: string, on = server) {
    // soft, so a wrong code still reports whether anything was left behind
    expect.soft(result.errors?.[0]?.extensions, `HTTP ${result.status} ${JSON.stringify(result.errors)}`).toMatchObject({ code: 'BAD_USER_INPUT', reason });
    expect(result.data?.uploadImage ?? null).toBeNull();
    await expectNothingLeft(before, on);
  }

  /** A multipart-layer refusal: the HTTP status and a JSON GraphQL-shaped body, never Express's HTML page. */
  async function expectHttpRefused(response: Response, status: number, code: string, message?: RegExp) {
    const text = await response.text();
    expect.soft(response.status, text).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe(code);
    if (message) expect(body.errors[0]!.message).toMatch(message);
  }

  const UPLOAD_ONE = { query: 'mutation($file: Upload!) { uploadImage(file: $file) { id filename } }', variables: { file: null } };

  /** A multipart body written part by part, in the order given; `file` holds the filename parameter(s) of a file part. */
  function multipart(parts: Array<{ name: string; file?: string; type?: string; body: Buffer | string }>) {
    const boundary = `----reliability${Date.now().toString(16)}`;
    const chunks = parts.map(({ name, file, type = 'image/png', body }) => {
      const head = file === undefined ? '' : `${file && '; '}${file}\r\nContent-Type: ${type}`;
      return Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${head}\r\n\r\n`), Buffer.from(body), Buffer.from('\r\n')]);
    });
    return { body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
  }

  function postMultipart(form: { body: Buffer; contentType: string }, token = user.token): Promise<Response> {
    return fetch(`${server.url}/graphql`, {
      method: 'POST',
      // a request the server never answers fails here, in seconds, rather than at the test timeout
      signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': form.contentType, 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
      body: new Uint8Array(form.body),
    });
  }

  async function served(link: string) {
    const url = new URL(link);
    const response = await fetch(`${server.url}${url.pathname}${url.search}`);
    expect(response.status, link).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    return { headers: response.headers, body, meta: await sharp(body).metadata() };
  }

  async function accepted(file: UploadFile, who = user) {
    const result = await server.upload(who.token, [file]);
    expect(result.errors, file.name).toBeUndefined();
    return result.data.uploadImage as { id: string; filename: string; format: string; width: number; height: number; thumbnails: Array<{ url: string; width: number; height: number }>; originalUrl: string | null };
  }

  // U15: GIF and WebP are off the allowlist (JPEG and PNG only), so animated ones are refused like any other;
  return {
    get server() {
      return server;
    },
    get user() {
      return user;
    },
    get premium() {
      return premium;
    },
    spoolDir,
    spooledFiles,
    footprint,
    expectNothingLeft,
    expectRefused,
    expectHttpRefused,
    UPLOAD_ONE,
    multipart,
    postMultipart,
    served,
    accepted,
  };
}
