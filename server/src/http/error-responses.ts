import type { ServerResponse } from 'node:http';
import { DEFAULT_RETRY_AFTER_SECONDS, HTTP_STATUS, type HttpErrorCode } from '../shared/errors.js';
import { LINK_ROUTE_HEADERS } from './link-headers.js';

/**
 * How an error outside GraphQL execution is answered. GraphQL routes answer as a GraphQL client reads
 * any error, `{ errors: [{ message, extensions: { code } }] }`; the file routes answer
 * `{ error: { code, message } }`. Both take their status from HTTP_STATUS.
 */
export type ErrorShape = 'graphql' | 'file';

/** Headers a file answer may have set before it failed, which must not describe the error body. */
const FILE_HEADERS = ['Content-Type', 'ETag', 'Content-Disposition', 'Content-Length', 'Last-Modified', 'Accept-Ranges'];

export function sendError(res: ServerResponse, shape: ErrorShape, code: HttpErrorCode, message: string, extensions: Record<string, unknown> = {}): void {
  if (shape === 'file') for (const header of FILE_HEADERS) res.removeHeader(header);
  const { status, headers, body } = errorAnswer(shape, code, message, extensions);
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** What sendError sends, for a caller that must send it another way (Express's `res.send`). */
export function errorAnswer(shape: ErrorShape, code: HttpErrorCode, message: string, extensions: Record<string, unknown> = {}): { status: number; headers: Record<string, string>; body: string } {
  const body = JSON.stringify(shape === 'graphql' ? { errors: [{ message, extensions: { code, ...extensions } }] } : { error: { code, message, ...extensions } });
  const status = HTTP_STATUS[code];
  const headers = {
    // the link routes' own, also on a refusal sent before the route had a say (admission control)
    ...(shape === 'file' ? LINK_ROUTE_HEADERS : {}),
    ...(status === 429 || status === 503 ? { 'Retry-After': String(DEFAULT_RETRY_AFTER_SECONDS) } : {}),
    'Cache-Control': 'no-store',
    'Content-Type': 'application/json; charset=utf-8',
  };
  return { status, headers, body };
}

/** The code of an HTTP status that a library (body parser, multipart parser) raised without one. */
export function codeOfStatus(status: number): HttpErrorCode {
  return CODE_OF_STATUS.get(status) ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR');
}

// the first code of each status in the table: 403 is FORBIDDEN, not LINK_INVALID
const CODE_OF_STATUS = new Map<number, HttpErrorCode>();
for (const [code, status] of Object.entries(HTTP_STATUS).reverse()) CODE_OF_STATUS.set(status, code as HttpErrorCode);
