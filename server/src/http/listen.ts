import type { Server } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

export interface ListenOptions {
  port: number;
  host: string;
  /** Sockets listening on the port, each taking connections on its own; 1 is the plain `listen`. */
  acceptors: number;
  /**
   * Other processes (cluster workers) listen on the same port, each with sockets of its own; the
   * primary checked the port was free before starting them.
   */
  shared?: boolean;
}

/** What `listen` opened: the port it got, and how to stop taking connections on every socket. */
export interface Listening {
  port: number;
  /** Stops accepting on the extra sockets at once; the HTTP server's own socket closes with `httpServer.close()`. */
  closeAcceptors(): void;
  /**
   * Resolves once every connection the extra sockets took in has ended, destroying those still open
   * after `graceMs`. `httpServer.close()` cannot wait for them: the server counts only the connections
   * its own socket accepted, and would report itself drained with uploads still in flight.
   */
  drain(graceMs: number): Promise<void>;
}

// a deep accept backlog: under overload the kernel must hand connections over to be shed with a 503,
// not drop them (a dropped SYN is retried after 1, 3, 7 s: a tail no answer could have)
const BACKLOG = 4096;

/**
 * Listens with several sockets on one port (SO_REUSEPORT) that all feed the same HTTP server.
 * libuv accepts one connection per socket per event-loop turn (libuv#3696), and a saturated turn
 * lasts tens of milliseconds: one socket then takes in ~30 connections a second, and a burst of new
 * clients waits seconds in the kernel's queue before the server can even shed it. The kernel spreads
 * new connections over the sockets, so each turn accepts up to `acceptors` of them. Linux only; one
 * socket elsewhere.
 */
export async function listen(httpServer: Server, options: ListenOptions): Promise<Listening> {
  const acceptors = process.platform === 'linux' ? options.acceptors : 1;
  const shared = options.shared === true;
  const reusePort = acceptors > 1 || shared;
  if (reusePort && !shared && options.port !== 0) {
    // SO_REUSEPORT would let a second copy of the server (same user, same port) share the port in
    // silence; a plain socket finds out whether anything holds it, and then gives it up at once
    const probe = createServer();
    await listenOn(probe, { port: options.port, host: options.host, backlog: 1, reusePort: false });
    await new Promise((resolve) => probe.close(resolve));
  }
  await listenOn(httpServer, { port: options.port, host: options.host, backlog: BACKLOG, reusePort, exclusive: shared });
  const port = (httpServer.address() as AddressInfo).port;
  const extra: NetServer[] = [];
  const handedOver = new Set<Socket>();
  try {
    for (let i = 1; i < acceptors; i++) {
      // accepted here, served there: the HTTP server parses, times out and drains these like its own;
      // half-open and no-delay as node:http sets its own socket
      const acceptor = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
        handedOver.add(socket);
        socket.once('close', () => handedOver.delete(socket));
        httpServer.emit('connection', socket);
      });
      await listenOn(acceptor, { port, host: options.host, backlog: BACKLOG, reusePort, exclusive: shared });
      extra.push(acceptor);
    }
  } catch (error) {
    for (const acceptor of extra) acceptor.close();
    httpServer.close();
    throw error;
  }
  return {
    port,
    closeAcceptors() {
      // the socket stops listening now; close's callback would wait for the connections it handed over,
      // which belong to the HTTP server and end with its drain
      for (const acceptor of extra) if (acceptor.listening) acceptor.close();
    },
    async drain(graceMs) {
      if (handedOver.size === 0) return;
      const ended = Promise.all([...handedOver].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const socket of handedOver) socket.destroy();
          resolve();
        }, graceMs);
      });
      try {
        await Promise.race([ended, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `exclusive`: in a cluster worker, a socket of its own rather than one the primary accepts on and hands over. */
function listenOn(server: NetServer, options: { port: number; host: string; backlog: number; reusePort: boolean; exclusive?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
