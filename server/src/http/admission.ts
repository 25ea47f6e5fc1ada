// Admission control is our own: the npm candidates (toobusy-js, overload-protection, express-queue) each
// do one half — event-loop lag alone, or a queue without a wait limit — ship no types, and see few
// releases; the gate they would replace is ~100 lines with its own unit test (admission-gate.spec.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import { Counter } from 'prom-client';
import { QUEUE_FULL, QUEUE_FULL_MESSAGE, type ProcessingPool } from '../images/processing-pool.js';
import type { Metrics } from '../observability/metrics.js';
import type { Admission, AdmissionGate, Refusal } from './admission-gate.js';
import { sendError, type ErrorShape } from './error-responses.js';

/**
 * How long a refused request's unread body is still taken in and thrown away before the connection is
 * dropped. Dropping it at once would reset the connection, and a client still sending its body then
 * sees the reset instead of our answer; nginx's lingering close does the same.
 */
const LINGER_MS = 2000;

/**
 * Answers at once, in the route's error shape, without parsing or storing the body: Node discards what
 * the client still sends (the connection stays usable), for LINGER_MS at most.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, shape: ErrorShape, code: 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE', message: string, reason?: string): void {
  sendError(res, shape, code, message, reason ? { reason } : {});
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
  timer.unref();
  const done = () => clearTimeout(timer);
  req.once('end', done);
  req.once('close', done);
}

/**
 * Sheds what the process cannot serve in time: every request passes the gate (health and metrics are
 * mounted before this), and one refused gets 503 with Retry-After at once or after its wait in line.
 */
export function admissionControl(admit: Admit): RequestHandler {
  return async (req, res, next) => {
    if (await admit(req, res)) next();
  };
}

/** Whether a request may run: answered at once when no wait is needed, else once its wait in line ends. */
export type Admit = (req: IncomingMessage, res: ServerResponse, shape?: ErrorShape) => boolean | Promise<boolean>;

/**
 * The gate as a plain function for node:http handlers: true once the request may run (its slot is
 * released when the response ends), false when it was answered 503 or the client left. Synchronous
 * unless the request has to wait, so a request that need not wait costs no promise.
 */
export function admitter(gate: AdmissionGate, metrics: Metrics): Admit {
  const shed = new Counter({
    name: 'http_requests_shed_total',
    help: 'Requests refused by admission control, by reason',
    labelNames: ['reason'] as const,
    registers: [metrics.registry],
  });
  metrics.gauge('http_requests_in_flight', 'Requests admitted and not yet answered', () => gate.stats.inFlight);
  metrics.gauge('http_requests_queued', 'Requests waiting for admission', () => gate.stats.waiting);
  const settle = (req: IncomingMessage, res: ServerResponse, shape: ErrorShape, admission: Admission): boolean => {
    if (!admission.admitted) {
      shed.inc({ reason: admission.reason });
      if (admission.reason !== 'gone') refuse(req, res, shape, 'SERVICE_UNAVAILABLE', busyMessage(admission.reason));
      return false;
    }
    // 'close' follows 'finish' on every response, and comes alone when the client left first
    res.once('close', admission.release);
    return true;
  };
  const waitInLine = async (req: IncomingMessage, res: ServerResponse, shape: ErrorShape): Promise<boolean> => {
    const left = new AbortController();
    const onClose = () => left.abort();
    res.once('close', onClose);
    const admission = await gate.enter(left.signal);
    res.off('close', onClose);
    return settle(req, res, shape, admission);
  };
  return (req, res, shape = 'graphql') => {
    const now = gate.enterNow();
    return now ? settle(req, res, shape, now) : waitInLine(req, res, shape);
  };
}

function busyMessage(reason: Refusal): string {
  return reason === 'event-loop-delay' ? 'The server is overloaded, try again shortly' : 'The server is busy, try again shortly';
}

/**
 * Refuses an upload with 429 before its body is read when the image pool cannot take it: either the
 * pool's queue is full now, or the uploads already admitted (still sending, or being processed) will
 * fill it. Without this the whole body is spooled to disk first, only to be refused afterwards.
 */
export function uploadAdmission(pool: ProcessingPool): RequestHandler {
  let uploading = 0;
  return (req, res, next) => {
    if (req.method !== 'POST' || !req.is('multipart/form-data')) return next();
    if (pool.isFull || uploading >= pool.capacity) {
      refuse(req, res, 'graphql', 'RATE_LIMITED', QUEUE_FULL_MESSAGE, QUEUE_FULL);
      return;
    }
    uploading++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      uploading--;
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };
}

const RESOLUTION_MS = 10;

/** The event loop's lag over the last window (its 99th percentile), sampled in the background. */
export class EventLoopLag {
  private readonly histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private lastMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(windowMs = 250) {
    this.histogram.enable();
    this.timer = setInterval(() => {
      // nanoseconds between the sampling timer's runs, so an idle loop reads RESOLUTION_MS, not 0
      this.lastMs = this.histogram.count > 0 ? Math.max(0, this.histogram.percentile(99) / 1e6 - RESOLUTION_MS) : 0;
      this.histogram.reset();
    }, windowMs);
    this.timer.unref();
  }

  get currentMs(): number {
    return this.lastMs;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
