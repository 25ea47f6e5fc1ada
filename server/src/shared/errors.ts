import { GraphQLError } from 'graphql';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'IMAGE_CORRUPT';

/**
 * The HTTP status of every code the API answers with, on every route: a GraphQL request refused before
 * execution, a file link refused, an upload body too large. The one place a code gets its status.
 */
export const HTTP_STATUS = {
  BAD_REQUEST: 400,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  LINK_INVALID: 403,
  LINK_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  LINK_EXPIRED: 410,
  LINK_REVOKED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // a file link asked for a byte range past the file's end; the answer says its length in Content-Range
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  // nginx's code for a client that left before its request was read whole; only ever logged
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL_SERVER_ERROR: 500,
  // our data is broken, not the request: a 5xx, but one that says what is wrong (already logged)
  IMAGE_CORRUPT: 500,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type HttpErrorCode = keyof typeof HTTP_STATUS;

export interface ErrorDetails {
  /** Input field the error concerns, as a dotted path (`input.name`), so forms can show it beside the field. */
  field?: string;
  /** Finer machine-readable cause, e.g. `UNSUPPORTED_FORMAT` for a rejected upload. */
  reason?: string;
  [key: string]: unknown;
}

/** An error meant for the client: its message and code are shown as they are. Anything else is masked. */
export class AppError extends GraphQLError {
  constructor(message: string, code: ErrorCode, details: ErrorDetails = {}) {
    super(message, { extensions: { code, ...details } });
    this.name = new.target.name;
  }
  get code(): ErrorCode {
    return this.extensions.code as ErrorCode;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super(message, 'UNAUTHENTICATED');
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed', details?: ErrorDetails) {
    super(message, 'FORBIDDEN', details);
  }
}

export class BadUserInputError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, 'BAD_USER_INPUT', details);
  }
}

/** Also the answer for things that exist but belong to someone else, so their existence never leaks. */
export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super(`${what} not found`, 'NOT_FOUND');
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super(message, 'CONFLICT', details);
  }
}

/** Seconds a client is told to wait when nothing says better (a full queue drains in about that). */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

export class RateLimitedError extends AppError {
  /** `details.retryAfterSeconds` tells the client when trying again can succeed. */
  constructor(message = 'Too many requests, try again shortly', details?: ErrorDetails & { retryAfterSeconds?: number }) {
    // Apollo takes the response's HTTP status and headers from `extensions.http` and leaves it out of
    // what it prints; format-error drops it as well, since it rebuilds extensions from this error
    const retryAfter = String(details?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
    super(message, 'RATE_LIMITED', { ...details, http: { status: HTTP_STATUS.RATE_LIMITED, headers: new Map([['retry-after', retryAfter]]) } });
  }
}

export class ServiceUnavailableError extends AppError {
  /** `details.reason` says which part is down, e.g. `STORAGE_FULL`. */
  constructor(message = 'Service temporarily unavailable', details?: ErrorDetails) {
    super(message, 'SERVICE_UNAVAILABLE', details);
  }
}

/**
 * A stored file that no longer decodes (bit rot, truncated by an earlier crash): the server's fault,
 * never the client's, and no retry will fix it.
 */
export class StoredImageCorruptError extends AppError {
  constructor(imageId: string) {
    super('The stored image is corrupt and its thumbnail cannot be made', 'IMAGE_CORRUPT', { imageId });
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
