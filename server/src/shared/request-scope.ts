import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

interface RequestScope {
  requestId: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

// a caller's id is kept only when it is short and plain, so logs cannot be forged or flooded through it
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id of the HTTP request being served by the current async call chain, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when acceptable, else a new UUID), echoes it
 * back, and runs the rest of the request inside it, so every log line written on its behalf, down to
 * the SQL log, carries it.
 */
export function requestScope(): RequestHandler {
  return (req, res, next) => inRequestScope(req, res, next);
}

/** `serve` inside the request's scope, its id echoed in `X-Request-Id`. */
export function inRequestScope<T>(req: IncomingMessage, res: ServerResponse, serve: () => T): T {
  const requestId = requestIdOf(req);
  res.setHeader('X-Request-Id', requestId);
  return runInRequestScope(requestId, serve);
}

/** The caller's `X-Request-Id` when acceptable, else a new UUID; the caller echoes it. */
export function requestIdOf(req: IncomingMessage): string {
  const offered = req.headers['x-request-id'];
  return typeof offered === 'string' && ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
}

/** `serve` with `requestId` as the current request's id, for handlers that set the header themselves. */
export function runInRequestScope<T>(requestId: string, serve: () => T): T {
  return scope.run({ requestId }, serve);
}
