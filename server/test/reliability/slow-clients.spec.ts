import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../support/test-server.js';

/**
 * Row U20 of RELIABILITY.md §1 (slowloris): a client that sends its headers or its body a byte at a
 * time holds a socket only until the configured timeout, then gets 408 and a closed connection, and
 * nobody else waits meanwhile. Short limits here so the test takes seconds; the defaults are 20 s and
 * 120 s (README, SECURITY.md).
 */

const HEADERS_MS = 2_000;
const REQUEST_MS = 3_000;
let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start({ env: { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS) } });
});
afterAll(async () => {
  await server?.stop();
});

/** Opens a raw connection that writes `head` at once, then `trickle` one byte every 200 ms; resolves with all it received once the server closes. */
function slowClient(head: string, trickle: string): { socket: Socket; closed: Promise<{ received: string; ms: number }> } {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  const startedAt = Date.now();
  let received = '';
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (next < trickle.length && socket.writable) socket.write(trickle[next++]!);
    }, 200);
  });
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  const closed = new Promise<{ received: string; ms: number }>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, ms: Date.now() - startedAt });
    });
    socket.on('error', () => {});
  });
  return { socket, closed };
}

/** Fails the test instead of hanging when the server never closes the socket. */
function within<T>(ms: number, promise: Promise<T>, socket: Socket): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server still held the connection after ${ms} ms`));
      }, ms).unref(),
    ),
  ]);
}

describe('U20: slow clients', () => {
  it('U20 headers at 5 bytes a second: 408 and the connection closed at the headers timeout, while others are served', async () => {
    const client = slowClient('POST /graphql HTTP/1.1\r\nHost: localhost\r\n', `X-Slow: ${'a'.repeat(200)}\r\n`);
    // served meanwhile: the slow socket holds nothing but itself
    expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    const { received } = await within(HEADERS_MS + 4_000, client.closed, client.socket);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('U20 a body at 5 bytes a second: 408 and the connection closed at the request timeout; nothing is stored', async () => {
    const user = await server.createUser();
    const before = await server.sql<{ n: string }>('select count(*) as n from images');
    const client = slowClient(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer ${user.token}\r\nContent-Length: 400\r\n\r\n`,
      JSON.stringify({ query: '{ __typename }' }).padEnd(400, ' '),
    );
    const { received } = await within(REQUEST_MS + 4_000, client.closed, client.socket);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(await server.sql<{ n: string }>('select count(*) as n from images')).toEqual(before);
    expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});
