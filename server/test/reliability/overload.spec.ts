/**
 * Overload (issue 6; RELIABILITY.md §5 "under 2× overload"): the excess is shed with 503/429 and
 * Retry-After instead of queueing until clients time out, health and metrics still answer, an upload
 * the image pool cannot take is refused before its body is read and leaves nothing, and service
 * resumes once the load is gone. A server with tiny limits, and requests held open over raw sockets
 * (admitted, but with a body that never finishes), make "overloaded" exact instead of a race.
 * `pnpm load` shows the same at 2× this machine's capacity.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jpeg } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';
import { eventually } from '../support/polling.js';

// graphql-upload spools files to os.tmpdir()/capacitor-*; a folder of this file's own lets the test
// see that a refused upload never reached it (the server runs in this process)
const spoolDir = await mkdtemp(resolve(tmpdir(), 'reliability-overload-'));
process.env.TMPDIR = spoolDir;

const QUEUE_TIMEOUT_MS = 100;
// an upper bound for "answered at once or after the wait in line", far above both: only a request
// that queued until the client gave up would take this long
const SHED_WITHIN_MS = 1000;

let server: TestServer;
let user: TestUser;
let thumbnailPath: string;
beforeAll(async () => {
  server = await TestServer.start({
    env: {
      STORAGE: 'local',
      MAX_REQUESTS_IN_FLIGHT: '2',
      MAX_REQUESTS_QUEUED: '2',
      REQUEST_QUEUE_TIMEOUT_MS: String(QUEUE_TIMEOUT_MS),
      IMAGE_WORKERS: '1',
      IMAGE_QUEUE_LIMIT: '0',
    },
  });
  user = await server.createUser();
  const stored = await server.upload(user.token, [{ name: 'seed.jpg', data: await jpeg(300, 200), type: 'image/jpeg' }]);
  expect(stored.errors).toBeUndefined();
  const url = new URL(stored.data.uploadImage.thumbnails[0].url);
  thumbnailPath = url.pathname + url.search;
});
afterAll(async () => {
  await server?.stop();
  await rm(spoolDir, { recursive: true, force: true });
});

const held: Socket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.destroy();
  // the slots come back when the server sees the sockets close
  await eventually(async () => expect((await server.gql('{ __typename }')).status).toBe(200));
});


interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` and then `body` over a raw socket; resolves with the first full answer. */
function rawRequest(head: string, body: Buffer): { socket: Socket; answer: Promise<RawAnswer> } {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  held.push(socket);
  let received = Buffer.alloc(0);
  const answer = new Promise<RawAnswer>((done, fail) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseAnswer(received);
      if (parsed) done(parsed);
    });
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`connection closed before a full answer: ${received.toString('latin1').slice(0, 200)}`)));
  });
  // held requests are never answered: their sockets close at the end of the test, unawaited
  answer.catch(() => {});
  socket.write(head);
  socket.write(body);
  return { socket, answer };
}

function parseAnswer(bytes: Buffer): RawAnswer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const length = Number(headers['content-length'] ?? NaN);
  const body = bytes.subarray(end + 4);
  if (!(body.length >= length)) return undefined;
  return { status: Number(statusLine!.split(' ')[1]), headers, body: body.subarray(0, length).toString('utf8') };
}

/** A GraphQL request the server admits and then waits on: its body never arrives in full. */
function holdSlot(): void {
  const body = Buffer.from('{"query":"{ __typename }"}');
  rawRequest(`POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n`, body);
}

const BOUNDARY = '----overload7d1f';

/** The start of a one-file upload sending all of it but its last bytes, or only the parts before the file. */
function partialUpload(file: Buffer, sent: 'all-but-the-end' | 'head-only') {
  const boundary = BOUNDARY;
  const operations = JSON.stringify({ query: 'mutation($file: Upload!) { uploadImage(file: $file) { id } }', variables: { file: null } });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const whole = Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const http =
    `POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${user.token}\r\nApollo-Require-Preflight: true\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${whole.length}\r\n\r\n`;
  return rawRequest(http, sent === 'head-only' ? head : whole.subarray(0, whole.length - 10));
}

async function timed(send: () => Promise<Response>): Promise<{ status: number; retryAfter: string | null; body: any; ms: number }> {
  const started = performance.now();
  const response = await send();
  const body = await response.json();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body, ms: performance.now() - started };
}

const graphql = () =>
  fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` }, body: JSON.stringify({ query: '{ images(first: 5) { totalCount } }' }) });

const inFlightGauge = async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1]);
};

async function fillSlots(): Promise<void> {
  holdSlot();
  holdSlot();
  await eventually(async () => expect(await inFlightGauge()).toBe(2));
}

describe('admission control', () => {
  it('sheds the excess with 503, Retry-After and a GraphQL-shaped body, at once or after the wait in line, never later', async () => {
    await fillSlots();
    // 2 wait in line and are refused after QUEUE_TIMEOUT_MS; the other 6 find the line full
    const answers = await Promise.all(Array.from({ length: 8 }, () => timed(graphql)));
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('1');
      expect(answer.body).toEqual({ errors: [{ message: expect.stringMatching(/busy/), extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      expect(answer.ms).toBeLessThan(SHED_WITHIN_MS);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^http_requests_shed_total\{reason="queue-timeout"\} [1-9]/m);
    expect(metrics).toMatch(/^http_requests_shed_total\{reason="queue-full"\} [1-9]/m);
    // shed requests are counted like any other: the request histogram saw the 503s
    expect(metrics).toMatch(/^http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*status="503"\} [1-9]/m);
  });

  it('lets a browser on another origin read the 503 and its Retry-After', async () => {
    await fillSlots();
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://sandbox.example' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://sandbox.example');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
    await response.body?.cancel();
  });

  it('sheds file links too', async () => {
    await fillSlots();
    const answer = await timed(() => fetch(`${server.url}${thumbnailPath}`));
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('1');
    expect(answer.body.error.code, 'file routes answer in their own shape').toBe('SERVICE_UNAVAILABLE');
  });

  it('keeps /healthz, /readyz and /metrics answering while it sheds', async () => {
    await fillSlots();
    expect((await graphql()).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });

  it('serves again as soon as the load is gone', async () => {
    await fillSlots();
    expect((await graphql()).status).toBe(503);
    for (const socket of held.splice(0)) socket.destroy();
    await eventually(async () => expect(await inFlightGauge()).toBe(0));
    const answers = await Promise.all([graphql(), graphql(), fetch(`${server.url}${thumbnailPath}`)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(((await answers[0]!.json()) as any).data.images.totalCount).toBe(1);
  });
});

describe('new connections', () => {
  // one socket takes in one connection per event-loop turn, and under overload a turn is long: new
  // clients then wait seconds in the kernel's queue (pnpm load saw 15 s) before they can even be shed
  it.runIf(process.platform === 'linux')('are taken in by ACCEPT_SOCKETS sockets on the one port', async () => {
    const port = Number(new URL(server.url).port);
    const listening = (await readFile('/proc/net/tcp', 'utf8'))
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // local address is ip:port in hex; state 0A is LISTEN
      .filter((fields) => fields[1]?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`) && fields[3] === '0A');
    expect(listening).toHaveLength(8);
  });
});

describe('uploads the image pool cannot take', () => {
  const spooled = async () => (await readdir(spoolDir)).filter((name) => name.startsWith('capacitor-'));

  it('are refused with 429 and Retry-After before their body is read, and leave no row, no file, no temp file', async () => {
    const photo = await jpeg(600, 400);
    // IMAGE_WORKERS=1, IMAGE_QUEUE_LIMIT=0: the pool takes one upload, and this one is still arriving
    const first = partialUpload(photo, 'all-but-the-end');
    await eventually(async () => expect(await spooled()).toHaveLength(1));
    const rows = await server.countRows('images');
    const media = await server.mediaFiles();
    // the first upload's own file, staged as it arrives
    const staged = await server.stagedFiles();

    // only the multipart head is sent: the answer comes before the file does
    const refused = partialUpload(photo, 'head-only');
    const answer = await refused.answer;
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('1');
    expect(JSON.parse(answer.body)).toEqual({
      errors: [{ message: expect.stringMatching(/queue is full/), extensions: { code: 'RATE_LIMITED', reason: 'QUEUE_FULL' } }],
    });
    expect(await server.countRows('images')).toBe(rows);
    expect(await server.mediaFiles()).toEqual(media);
    expect(await server.stagedFiles()).toEqual(staged);
    // only the first upload's spool file: the refused one was never written anywhere
    expect(await spooled()).toHaveLength(1);

    // the first upload finishes normally once its last bytes arrive
    first.socket.write(Buffer.from(`\r\n--${BOUNDARY}--\r\n`).subarray(-10));
    const stored = await first.answer;
    expect(stored.status, stored.body).toBe(200);
    expect(JSON.parse(stored.body).data.uploadImage.id).toEqual(expect.any(String));
    await eventually(async () => {
      expect(await spooled()).toEqual([]);
      expect(await server.stagedFiles()).toEqual([]);
    });
  });

  it('are taken again once the pool has room', async () => {
    const stored = await server.upload(user.token, [{ name: 'after.jpg', data: await jpeg(300, 200), type: 'image/jpeg' }]);
    expect(stored.status).toBe(200);
    expect(stored.errors).toBeUndefined();
  });
});

describe('RATE_LIMITED from a resolver', () => {
  it('answers HTTP 429 with Retry-After, and the client sees only code and details in extensions', async () => {
    const login = (password: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', variables: { u: user.username, p: password } }),
      });
    // LOGIN_MAX_FAILURES_PER_ACCOUNT is 10 by default: the 11th attempt is refused, even with the right password
    for (let i = 0; i < 10; i++) expect((await login('wrong-password')).status).toBe(200);
    const refused = await login(user.password);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('900');
    expect(((await refused.json()) as any).errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 900 });
  });
});
