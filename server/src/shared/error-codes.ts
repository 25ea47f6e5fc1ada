/**
 * Every `extensions.code` and `extensions.reason` a client can meet, with its HTTP status and what it
 * means: the one list. `HTTP_STATUS` (errors.ts) is read from it, an error's `reason` must be one of
 * its keys, and a test holds the README's table to it.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, meaning: 'The request is not one GraphQL operation: no query, a body that is not JSON, a persisted-query hash that does not match its text.' },
  GRAPHQL_PARSE_FAILED: { status: 400, meaning: 'The query is not GraphQL.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, meaning: 'The query does not fit the schema, or breaks an operation limit (`reason`).' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, meaning: 'The document has several operations and `operationName` picks none of them.' },
  BAD_USER_INPUT: { status: 400, meaning: 'An argument is wrong; `field` names it, `reason` says more where it helps.' },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, meaning: 'This instance does not know the hash yet: send the query text with it once.' },
  UNAUTHENTICATED: { status: 401, meaning: 'No valid token: sign in (again).' },
  FORBIDDEN: { status: 403, meaning: 'Signed in, but not allowed (an admin-only field or operation).' },
  LINK_INVALID: { status: 403, meaning: 'A link whose signature does not verify, or whose URLs were rotated.' },
  LINK_NOT_ALLOWED: { status: 403, meaning: 'The owner’s tier no longer includes this link.' },
  QUOTA_EXCEEDED: {
    status: 403,
    meaning: 'The upload would take you past your tier’s limit; nothing was stored. `kind` says which (`IMAGES` or `BYTES`), with `limit`, `used` and `requested`. Retrying does not help until you delete images or your tier changes.',
  },
  NOT_FOUND: { status: 404, meaning: 'No such thing, or not yours: the two look the same.' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'A link route asked with another method than GET or HEAD.' },
  CONFLICT: { status: 409, meaning: 'The change collides with what exists: a name taken, a tier still in use.' },
  LINK_EXPIRED: { status: 410, meaning: 'The expiring link is past its expiry.' },
  LINK_REVOKED: { status: 410, meaning: 'The expiring link was revoked.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'A JSON body over 1 MiB.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'A body in a content type the route does not read.' },
  RANGE_NOT_SATISFIABLE: { status: 416, meaning: 'A byte range past the file’s end; `Content-Range` says its length.' },
  RATE_LIMITED: { status: 429, meaning: 'Too many attempts or too much work queued; `Retry-After` says when to try again.' },
  CLIENT_CLOSED_REQUEST: { status: 499, meaning: 'Only ever logged (nginx’s code): the client left before its request was read whole.' },
  INTERNAL_SERVER_ERROR: { status: 500, meaning: 'Our fault; the details are in the server’s log, never in the answer.' },
  IMAGE_CORRUPT: { status: 500, meaning: 'The stored image no longer decodes; no retry will help.' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'A part we depend on is down or full (`reason`); `Retry-After` says when to try again.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type HttpErrorCode = keyof typeof ERROR_CODES;

export const ERROR_REASONS = {
  EMPTY: { code: 'BAD_USER_INPUT', meaning: 'The uploaded file is empty.' },
  UNSUPPORTED_FORMAT: { code: 'BAD_USER_INPUT', meaning: 'The file is not a PNG or JPEG (decided from its bytes).' },
  CORRUPT: { code: 'BAD_USER_INPUT', meaning: 'The image is corrupt or truncated.' },
  TOO_MANY_PIXELS: { code: 'BAD_USER_INPUT', meaning: 'More pixels than `MAX_IMAGE_PIXELS`.' },
  TOO_LARGE: { code: 'BAD_USER_INPUT', meaning: 'More bytes than `MAX_UPLOAD_BYTES`.' },
  INCOMPLETE_UPLOAD: { code: 'BAD_USER_INPUT', meaning: 'The upload stopped before its end.' },
  MALFORMED_UPLOAD: { code: 'BAD_USER_INPUT', meaning: 'The multipart request does not follow the GraphQL multipart request spec.' },
  NUL_CHARACTER: { code: 'BAD_USER_INPUT', meaning: 'A string holds a NUL character, which no text column can store.' },
  WRONG_PASSWORD: { code: 'BAD_USER_INPUT', meaning: '`changePassword`: the current password is wrong (counted as a failed login).' },
  TOO_MANY_ACCESS_TOKENS: { code: 'BAD_USER_INPUT', meaning: '`createAccessToken`: the user already has 50 tokens (expired ones count until revoked).' },
  PASSWORD_SIGN_IN_REQUIRED: { code: 'FORBIDDEN', meaning: '`createAccessToken` sent with an access token: only a password sign-in creates tokens.' },
  USERNAME_TAKEN: { code: 'CONFLICT', meaning: 'Another user has this username (usernames ignore case).' },
  NAME_TAKEN: { code: 'CONFLICT', meaning: 'Another tier has this name (names ignore case).' },
  TIER_IN_USE: { code: 'CONFLICT', meaning: 'The tier still has users; move them first.' },
  TIER_BUILTIN: { code: 'FORBIDDEN', meaning: 'Builtin tiers cannot be deleted.' },
  MAX_DEPTH: { code: 'GRAPHQL_VALIDATION_FAILED', meaning: 'Fields nest deeper than `GRAPHQL_MAX_DEPTH`.' },
  MAX_COST: { code: 'GRAPHQL_VALIDATION_FAILED', meaning: 'The operation could cost more than `GRAPHQL_MAX_COST`.' },
  MAX_ALIASES: { code: 'GRAPHQL_VALIDATION_FAILED', meaning: 'More aliases than `GRAPHQL_MAX_ALIASES`.' },
  MAX_DIRECTIVES: { code: 'GRAPHQL_VALIDATION_FAILED', meaning: 'More directives than `GRAPHQL_MAX_DIRECTIVES`.' },
  MAX_TOKENS: { code: 'GRAPHQL_VALIDATION_FAILED', meaning: 'More tokens than `GRAPHQL_MAX_TOKENS`.' },
  ONCE_PER_OPERATION: { code: 'GRAPHQL_VALIDATION_FAILED', meaning: 'A field that may appear once per operation (`login`) appears more often.' },
  QUEUE_FULL: { code: 'RATE_LIMITED', meaning: 'Too many images are waiting to be processed.' },
  UPLOADS_PER_HOUR: { code: 'RATE_LIMITED', meaning: 'Your tier’s `uploadsPerHour` is used up (`limit`, `used`); `retryAfterSeconds` says when enough of the last hour’s uploads age out.' },
  STORAGE_FULL: { code: 'SERVICE_UNAVAILABLE', meaning: 'Image storage is full.' },
  STORAGE_UNWRITABLE: { code: 'SERVICE_UNAVAILABLE', meaning: 'Image storage cannot be written (read-only, permissions).' },
} as const satisfies Record<string, { code: HttpErrorCode; meaning: string }>;

export type ErrorReason = keyof typeof ERROR_REASONS;

/** The README's table of codes and reasons, as the registry says it must read. */
export function errorCodeTable(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, { status, meaning }]) => {
    const reasons = Object.entries(ERROR_REASONS).filter(([, reason]) => reason.code === code);
    const detail = reasons.map(([name, reason]) => `<br>\`${name}\`: ${reason.meaning}`).join('');
    return `| \`${code}\` | ${status} | ${meaning}${detail} |`;
  });
  return ['| Code | HTTP | Meaning; `reason`s |', '|---|---|---|', ...rows].join('\n');
}
