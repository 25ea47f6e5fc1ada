import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { Logger } from '../shared/logger.js';
import { currentRequestId } from '../shared/request-scope.js';
import { routeOf } from './http-metrics.js';

const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One line per request when its response ends: method, path, status, milliseconds. The path only: a
 * link's query string holds its signature, which is as good as the file. (pino-http did this with a
 * child logger per request, which cost more CPU than a small GraphQL request's own work.)
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const path = req.path;
    if (!QUIET_ROUTES.has(routeOf(path))) logAccess(logger, path, req, res);
    next();
  };
}

/** Writes the request's line once its response ends; `path` without the query string. */
export function logAccess(logger: Logger, path: string, req: IncomingMessage, res: ServerResponse, reqId = currentRequestId()): void {
  const startedAt = performance.now();
  // 'close' follows 'finish' on every response, and comes alone when the client left first
  res.once('close', () => writeAccessLine(logger, reqId, req.method, path, res.writableFinished ? res.statusCode : 'aborted', performance.now() - startedAt));
}

/** One access line; `status` is 'aborted' when the client left before the response was sent. */
export function writeAccessLine(logger: Logger, reqId: string | undefined, method: string | undefined, path: string, status: number | 'aborted', ms: number): void {
  const line = { reqId, req: { method, path }, res: { status }, responseTime: Math.round(ms) };
  // a 503 from admission control is the server working as meant under load, not an error to page on
  if (status === 503) logger.warn(line, 'request refused');
  else if (typeof status === 'number' && status >= 500) logger.error(line, 'request errored');
  else logger.info(line, status === 'aborted' ? 'request aborted' : 'request completed');
}
