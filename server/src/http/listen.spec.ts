import { createServer, request, type RequestListener, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, type Listening } from './listen.js';

const open: Array<{ server: Server; listening: Listening; sockets: Socket[] }> = [];

async function start(acceptors: number, handler: RequestListener = (_req, res) => res.end('ok')) {
  const server = createServer(handler);
  const listening = await listen(server, { port: 0, host: '127.0.0.1', acceptors });
  const entry = { server, listening, sockets: [] as Socket[] };
  open.push(entry);
  return entry;
}

afterEach(async () => {
  for (const { server, listening, sockets } of open.splice(0)) {
    for (const socket of sockets) socket.destroy();
    listening.closeAcceptors();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Opens `count` connections at once and counts the event-loop turns until the server has taken them all. */
async function turnsToAccept(entry: Awaited<ReturnType<typeof start>>, count: number): Promise<number> {
  let accepted = 0;
  entry.server.on('connection', () => accepted++);
  // the kernel completes each handshake by itself; what is counted is how fast the server takes them in
  for (let i = 0; i < count; i++) entry.sockets.push(connect(entry.listening.port, '127.0.0.1'));
  let turns = 0;
  while (accepted < count) {
    turns++;
    if (turns > count * 20) throw new Error(`only ${accepted} of ${count} accepted`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return turns;
}

describe.runIf(process.platform === 'linux')(listen.name, () => {
  it('takes in a burst of new connections in far fewer event-loop turns with several sockets than with one', async () => {
    const single = await turnsToAccept(await start(1), 64);
    const pooled = await turnsToAccept(await start(8), 64);
    // one socket accepts one connection per turn (libuv#3696); eight share the burst
    expect(single).toBeGreaterThanOrEqual(32);
    expect(pooled).toBeLessThan(single / 2);
  });

  it('serves requests on whichever socket accepted them, all on one port', async () => {
    const { listening } = await start(4);
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => fetch(`http://127.0.0.1:${listening.port}/`, { headers: { connection: 'close' } }).then(async (r) => [r.status, await r.text()])),
    );
    expect(answers).toEqual(Array.from({ length: 40 }, () => [200, 'ok']));
  });

  it('refuses new connections on every socket once the acceptors and the server are closed', async () => {
    const { server, listening } = await start(4);
    listening.closeAcceptors();
    await new Promise((resolve) => server.close(resolve));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${listening.port}/`).then(() => 'answered', (error: Error) => (error.cause as NodeJS.ErrnoException)?.code)),
    );
    expect(new Set(outcomes)).toEqual(new Set(['ECONNREFUSED']));
  });

  it('refuses to start when the port is taken by another program', async () => {
    // a socket without SO_REUSEPORT holds the port alone
    const { listening } = await start(1);
    const other = createServer();
    await expect(listen(other, { port: listening.port, host: '127.0.0.1', acceptors: 4 })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('refuses to start beside a second copy of itself, which SO_REUSEPORT alone would let share the port', async () => {
    const { listening } = await start(4);
    const copy = createServer();
    await expect(listen(copy, { port: listening.port, host: '127.0.0.1', acceptors: 4 })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(copy.listening).toBe(false);
  });

  describe('drain', () => {
    /** Requests the handler holds until `release`; sixteen, so that some land on the extra sockets. */
    async function held(count = 16) {
      const waiting: Array<() => void> = [];
      let arrived = 0;
      const entry = await start(8, (_req, res) => {
        arrived++;
        waiting.push(() => res.end('done'));
      });
      const answers = Array.from(
        { length: count },
        () =>
          new Promise<string>((resolve) => {
            const req = request({ port: entry.listening.port, host: '127.0.0.1', agent: false }, (res) => {
              let body = '';
              res.on('data', (chunk) => (body += chunk)).on('end', () => resolve(body));
            });
            req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
            req.end();
          }),
      );
      while (arrived < count) await new Promise((resolve) => setImmediate(resolve));
      return { entry, answers, release: () => waiting.splice(0).forEach((answer) => answer()) };
    }

    it('waits for the requests in flight on every socket, which the HTTP server alone reports drained too early', async () => {
      const { entry, answers, release } = await held();
      entry.listening.closeAcceptors();
      let serverClosed = false;
      entry.server.close(() => (serverClosed = true));
      let drained = false;
      const drain = entry.listening.drain(60_000).then(() => (drained = true));
      for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(drained).toBe(false);
      release();
      expect(await Promise.all(answers)).toEqual(Array.from({ length: 16 }, () => 'done'));
      // the clients were answered without keep-alive once closing began, so their sockets end
      entry.server.closeIdleConnections();
      await drain;
      expect(drained).toBe(true);
      expect(serverClosed).toBe(true);
    });

    it('cuts the connections still open once the grace is over', async () => {
      const { entry, answers } = await held();
      entry.listening.closeAcceptors();
      await entry.listening.drain(50);
      entry.server.closeAllConnections();
      const outcomes = await Promise.all(answers);
      expect(outcomes.every((outcome) => outcome === 'ECONNRESET' || outcome === 'socket hang up'), outcomes.join()).toBe(true);
    });
  });
});
