import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { eventually } from '../support/polling.js';
import { BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Issue 13: a script on another origin may read what a link gives (`fetch`, a canvas), not only an
// `<img>` show it. Every answer of /files and /links says so, refusals included, with the headers a
// script wants exposed; a preflight for a GET with Range or If-None-Match succeeds. Links carry their
// own authority, so no credentials are ever allowed.

const ORIGIN = 'https://app.example';
const EXPOSED = ['etag', 'content-disposition', 'content-range', 'accept-ranges', 'content-length', 'x-request-id'];

interface Fetched {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

let server: TestServer;
let owner: TestUser;
let image: { id: string; original: string; h200: string };

beforeAll(async () => {
  server = await TestServer.start();
  owner = await server.createUser({ tierId: BUILTIN_TIER_IDS.enterprise });
  const result = await server.upload(owner.token, [{ name: 'cors.jpg', data: await jpeg(400, 300) }], { selection: 'id thumbnails { size url } originalUrl' });
  expect(result.errors).toBeUndefined();
  const uploaded = result.data.uploadImage;
  image = { id: uploaded.id, original: uploaded.originalUrl, h200: uploaded.thumbnails.find((t: { size: number }) => t.size === 200).url };
});
afterAll(async () => {
  await server?.stop();
});

async function request(link: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Fetched> {
  const { pathname, search } = new URL(link, server.url);
  const response = await fetch(`${server.url}${pathname}${search}`, { method: init.method, headers: { origin: ORIGIN, ...init.headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** What a browser checks before it lets a script on another origin read the answer. */
function expectReadableCrossOrigin(response: Fetched, what: string): void {
  expect(response.headers.get('access-control-allow-origin'), what).toBe('*');
  expect(response.headers.get('access-control-allow-credentials'), what).toBeNull();
  const exposed = (response.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
  expect(exposed, what).toEqual(expect.arrayContaining(EXPOSED));
  // the headers that keep a browser from running what comes from here stay on every answer
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(response.headers.get('cross-origin-resource-policy'), what).toBe('cross-origin');
}

describe('CORS on the link routes', () => {
  it('lets a script on any origin read a thumbnail, hot or not, and an original, whole, in part or unchanged', async () => {
    const answers: Record<string, Fetched> = {
      'thumbnail 200': await request(image.h200),
      'hot thumbnail 200': await request(image.h200),
      'original 200': await request(image.original),
      'original 206': await request(image.original, { headers: { range: 'bytes=0-9' } }),
    };
    const etag = answers['thumbnail 200']!.headers.get('etag')!;
    answers['hot thumbnail 304'] = await request(image.h200, { headers: { 'if-none-match': etag } });
    answers['original 304'] = await request(image.original, { headers: { 'if-none-match': '*' } });
    answers['HEAD'] = await request(image.original, { method: 'HEAD' });
    const expected: Record<string, number> = { 'original 206': 206, 'hot thumbnail 304': 304, 'original 304': 304 };
    for (const [what, answer] of Object.entries(answers)) {
      expect(answer.status, what).toBe(expected[what] ?? 200);
      expectReadableCrossOrigin(answer, what);
    }
  });

  it('lets it read every refusal too, so a script can tell why', async () => {
    const { pathname, search } = new URL(image.h200);
    const refusals: Array<[string, string, number, Record<string, string>?]> = [
      ['a bad signature', `/files/${image.id}/h200?sig=AAAA`, 403],
      ['a forged expiring link', `/links/${randomUUID()}.AAAA`, 403],
      ['a range past the end', image.original, 416, { range: 'bytes=999999999-' }],
    ];
    for (const [what, link, status, headers] of refusals) {
      const answer = await request(link, { headers });
      expect(answer.status, what).toBe(status);
      expectReadableCrossOrigin(answer, what);
    }
    const doomed = await server.upload(owner.token, [{ name: 'doomed.jpg', data: await jpeg(300, 200) }], { selection: 'id thumbnails { url }' });
    const link = doomed.data.uploadImage.thumbnails[0].url;
    await server.gql('mutation($id: ID!) { deleteImage(id: $id) }', { id: doomed.data.uploadImage.id }, owner.token);
    const gone = await request(link);
    expect(gone.status).toBe(404);
    expectReadableCrossOrigin(gone, '404');
    expect((await request(`${pathname}${search}`)).status, 'the other image is untouched').toBe(200);
  });

  it('answers a preflight for a GET with Range, If-None-Match and If-Range with 204 on both routes', async () => {
    const expiring = (await server.gql(`mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { url } }`, { id: image.id }, owner.token)).data.createExpiringLink.url;
    for (const link of [image.original, expiring, `/files/${randomUUID()}/h200?sig=whatever`]) {
      const preflight = await request(link, {
        method: 'OPTIONS',
        headers: { 'access-control-request-method': 'GET', 'access-control-request-headers': 'range,if-none-match,if-range' },
      });
      expect(preflight.status, link).toBe(204);
      expect(preflight.bytes.length).toBe(0);
      expect(preflight.headers.get('access-control-allow-origin'), link).toBe('*');
      expect(preflight.headers.get('access-control-allow-credentials'), link).toBeNull();
      const methods = preflight.headers.get('access-control-allow-methods')!.split(/\s*,\s*/);
      expect(methods).toEqual(expect.arrayContaining(['GET', 'HEAD']));
      const allowed = preflight.headers.get('access-control-allow-headers')!.toLowerCase().split(/\s*,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['range', 'if-none-match', 'if-range']));
      expect(Number(preflight.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    }
  });

  it('still refuses other methods with 405, readable cross-origin, naming what it allows', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await request(image.original, { method });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.get('allow'), method).toBe('GET, HEAD, OPTIONS');
      expect(JSON.parse(answer.bytes.toString()).error.code).toBe('METHOD_NOT_ALLOWED');
      expectReadableCrossOrigin(answer, method);
    }
  });
});

describe('CORS when the server sheds a link request at once', () => {
  let busy: TestServer;
  let link: string;
  const held: Socket[] = [];

  beforeAll(async () => {
    // one slot and no line to wait in: a request that finds the slot taken is refused on the spot
    busy = await TestServer.start({ env: { MAX_REQUESTS_IN_FLIGHT: '1', MAX_REQUESTS_QUEUED: '0' } });
    const user = await busy.createUser();
    const result = await busy.upload(user.token, [{ name: 'shed.jpg', data: await jpeg(300, 200) }], { selection: 'thumbnails { url }' });
    const { pathname, search } = new URL(result.data.uploadImage.thumbnails[0].url);
    link = `${busy.url}${pathname}${search}`;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await busy?.stop();
  });

  /** Requests admitted and not yet answered (/metrics itself is never counted). */
  const inFlight = async () => Number(/^http_requests_in_flight (\d+)$/m.exec(await (await fetch(`${busy.url}/metrics`)).text())![1]);

  it('answers 503 with Retry-After and the route’s headers, and keeps serving', async () => {
    // the slot is free once the set-up's last answer has closed
    await eventually(async () => expect(await inFlight()).toBe(0));
    // admitted, then waiting for a body that never comes
    const { port } = new URL(busy.url);
    const socket = connect(Number(port), '127.0.0.1');
    held.push(socket);
    socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    await eventually(async () => expect(await inFlight()).toBe(1));
    const shed = await fetch(link, { headers: { origin: ORIGIN } });
    expect(shed.status).toBe(503);
    expect(((await shed.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.headers.get('access-control-allow-origin')).toBe('*');
    expect(shed.headers.get('x-content-type-options')).toBe('nosniff');
    socket.destroy();
    await eventually(async () => expect((await fetch(link)).status).toBe(200));
  });
});
