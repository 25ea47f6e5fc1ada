import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send only this many bytes of the body, then drop the connection (a client that goes away mid-upload). */
  abortAfter?: number;
}

export interface RawResponse {
  /** HTTP status, or `dropped` when we cut the connection on purpose, or `error` when the connection failed. */
  status: number | 'dropped' | 'error';
  body: string;
  ms: number;
  error?: string;
  /** When each step was reached, in ms from the start: where a slow answer spent its time. */
  phases?: Phases;
}

export interface Phases {
  /** The agent handed the request a socket (a pooled one, or a new one still connecting). */
  socket?: number;
  /** A new socket's TCP connection was established; absent for a reused socket. */
  connected?: number;
  /** The whole request had been handed to the kernel. */
  sent?: number;
  /** The response's status line and headers arrived. */
  headers?: number;
}

/**
 * One request over node:http, so bodies, headers and file names can be any bytes at all (fetch would
 * re-encode or refuse some of them). Never throws: a failed connection is an outcome like any other.
 */
export function send(origin: string, agent: Agent, req: RawRequest, timeoutMs = 60_000): Promise<RawResponse> {
  const started = performance.now();
  const url = new URL(req.path, origin);
  const phases: Phases = {};
  const mark = (phase: keyof Phases) => {
    phases[phase] ??= performance.now() - started;
  };
  return new Promise((done) => {
    let finished = false;
    const finish = (response: Omit<RawResponse, 'ms'>) => {
      if (finished) return;
      finished = true;
      done({ ...response, ms: performance.now() - started, phases });
    };
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body && req.abortAfter === undefined) headers['content-length'] = req.body.length;
    if (req.abortAfter !== undefined) headers['content-length'] = req.body!.length;
    const outgoing = request(url, { method: req.method, headers, agent, timeout: timeoutMs }, (res) => {
      mark('headers');
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => finish({ status: 'error', body: '', error: error.message }));
    });
    outgoing.on('socket', (socket) => {
      mark('socket');
      if (socket.connecting) socket.once('connect', () => mark('connected'));
    });
    outgoing.on('finish', () => mark('sent'));
    outgoing.on('timeout', () => {
      outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    outgoing.on('error', (error) => finish({ status: req.abortAfter !== undefined ? 'dropped' : 'error', body: '', error: error.message }));
    if (req.abortAfter !== undefined) {
      outgoing.write(req.body!.subarray(0, req.abortAfter), () => {
        // give the server the bytes before the connection goes, so it is mid-parse when it does
        setImmediate(() => {
          outgoing.destroy();
          finish({ status: 'dropped', body: '' });
        });
      });
      return;
    }
    outgoing.end(req.body);
  });
}

export const newAgent = (sockets: number) => new Agent({ keepAlive: true, maxSockets: sockets });
