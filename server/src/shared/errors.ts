import { GraphQLError } from 'graphql';
import { ERROR_CODES, type ErrorReason, type HttpErrorCode } from './error-codes.js';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'SERVICE_UNAVAILABLE'
  | 'IMAGE_CORRUPT';

/**
 * The HTTP status of every code the API answers with, on every route: a GraphQL request refused before
 * execution, a file link refused, an upload body too large. Read from the registry of codes.
 */
export const HTTP_STATUS = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status])) as {
  readonly [Code in HttpErrorCode]: (typeof ERROR_CODES)[Code]['status'];
};

export type { HttpErrorCode };

export interface ErrorDetails {
  /** Input field the error concerns, as a dotted path (`input.name`), so forms can show it beside the field. */
  field?: string;
  /** Finer machine-readable cause, e.g. `UNSUPPORTED_FORMAT` for a rejected upload; one of the registry's. */
  reason?: ErrorReason;
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
  constructor(message = 'Authentication required', details?: ErrorDetails) {
    super(message, 'UNAUTHENTICATED', details);
  }
}

/**
 * RFC 6750's bearer challenge: `invalid_token` for a token that is forged, expired, revoked or of no
 * user; `invalid_request` for a malformed `Bearer` header; none for another scheme (the client did not
 * know a bearer token is wanted).
 */
export type BearerChallenge = 'invalid_token' | 'invalid_request' | null;

export function bearerChallenge(error: BearerChallenge): string {
  return error ? `Bearer error="${error}"` : 'Bearer';
}

/**
 * A credential in the Authorization header that cannot be used: the whole request is answered 401 with
 * `WWW-Authenticate` (except `login`, see graphql/authentication.plugin.ts), so a client knows to sign
 * in again. A request without any credential is not this: its fields that need one fail alone.
 */
export class InvalidCredentialError extends UnauthenticatedError {
  constructor(message: string, challenge: BearerChallenge = 'invalid_token') {
    // Apollo takes the status and headers from `extensions.http`; format-error drops it (see RateLimitedError)
    super(message, { http: { status: HTTP_STATUS.UNAUTHENTICATED, headers: new Map([['www-authenticate', bearerChallenge(challenge)]]) } });
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

/** Which tier limit an upload would pass. */
export type QuotaKind = 'IMAGES' | 'BYTES';

/**
 * An upload refused because it would take the user past a limit of their tier: HTTP 403 when it is the
 * operation's only result. Not 429 (waiting does not help), not 413 (one small file can be refused),
 * not 409 (there is nothing the client's input collides with): the account may not store more.
 */
export class QuotaExceededError extends AppError {
  constructor(kind: QuotaKind, details: { limit: number; used: number; requested: number }) {
    const what = kind === 'IMAGES' ? 'images' : 'bytes of originals';
    super(`Your tier allows ${details.limit} ${what}; you have ${details.used} and this upload needs ${details.requested} more`, 'QUOTA_EXCEEDED', {
      kind,
      ...details,
      http: { status: HTTP_STATUS.QUOTA_EXCEEDED },
    });
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
