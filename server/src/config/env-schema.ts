import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { trustProxySetting } from './trust-proxy.js';

const MIB = 1024 * 1024;

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const signingKey = z.string().min(32, 'each key needs at least 32 characters');

/** A comma-separated list of negotiated thumbnail formats (`avif`, `webp`), each at most once. */
const variantFormats = z
  .string()
  .transform((v) => v.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.enum(['avif', 'webp'])).refine((formats) => new Set(formats).size === formats.length, 'lists a format twice'));

/** Every environment variable the server reads, with its default; `loadConfig` (env.ts) is the only reader of `process.env`. */
export const EnvSchema = z
  .object({
    /** `production` requires explicit secrets, hides the schema from errors and turns introspection off. */
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** TCP port of the HTTP server. */
    PORT: integer(0, 65535).default(4000),
    /** Interface to listen on. */
    HOST: z.string().default('0.0.0.0'),
    /** Milliseconds a client may take to send a request's headers (slowloris), then 408. */
    HTTP_HEADERS_TIMEOUT_MS: integer(1_000, 600_000).default(20_000),
    /**
     * Sockets listening on PORT (SO_REUSEPORT, Linux): each event-loop turn accepts one new connection
     * per socket, so under overload more of them let new clients in to be served or shed in time.
     */
    ACCEPT_SOCKETS: integer(1, 64).default(8),
    /** Milliseconds a client may take to send a whole request, upload included, then 408. */
    HTTP_REQUEST_TIMEOUT_MS: integer(1_000, 3_600_000).default(120_000),
    /** Milliseconds a database statement of a request or job may run (or wait for a lock) before it is cancelled and the request answers SERVICE_UNAVAILABLE. */
    DB_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000).default(15_000),
    /** PostgreSQL connection string; unset starts an embedded PostgreSQL under DATA_DIR. */
    DATABASE_URL: optionalText.pipe(
      z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
    ),
    /** Port of the embedded PostgreSQL (only without DATABASE_URL). */
    EMBEDDED_PG_PORT: integer(1, 65535).default(54329),
    /** Folder for the embedded cluster and its password; default DATA_DIR, or as root, when the postgres user cannot reach DATA_DIR, /var/lib/image-api/clusters/<DATA_DIR's name>-<hash>. */
    EMBEDDED_PG_DIR: optionalText,
    /** Folder for the embedded database, generated secrets and local media. */
    DATA_DIR: z.string().default('./data'),
    /** Base URL of every link the API hands out; defaults to http://localhost:PORT. */
    PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
    /** Admin account created or reset at start; set both or neither. */
    ADMIN_USERNAME: optionalText,
    /** Password of ADMIN_USERNAME; at least 8 characters. */
    ADMIN_PASSWORD: optionalText.pipe(z.string().min(8, 'must have at least 8 characters').optional()),
    /** HMAC secret for login tokens, at least 32 characters. Generated under DATA_DIR when unset outside production. */
    AUTH_SECRET: optionalText.pipe(signingKey.optional()),
    /** Comma-separated link keys: the first signs, all verify, so keys rotate without breaking live links. */
    LINK_SIGNING_KEYS: optionalText.pipe(
      z
        .string()
        .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
        .pipe(z.array(signingKey).min(1))
        .optional(),
    ),
    /** Lifetime of a login token in seconds. */
    AUTH_TOKEN_TTL_SECONDS: integer(60, 30 * 24 * 3600).default(24 * 3600),
    /** Largest accepted upload in bytes. */
    MAX_UPLOAD_BYTES: integer(1, 1024 * MIB).default(25 * MIB),
    /** Most files in one multipart request. */
    MAX_FILES_PER_REQUEST: integer(1, 100).default(10),
    /**
     * Formats a thumbnail link may answer in, besides the upload's own, chosen by the request's Accept
     * header (AVIF before WebP); empty sends the upload's format only.
     */
    THUMBNAIL_FORMATS: variantFormats.default(['avif', 'webp']),
    /** Of those, the formats made with every thumbnail (at upload and by the sync) instead of on their first request. */
    PREGENERATE_FORMATS: variantFormats.default([]),
    /** Largest accepted image in pixels (width × height), against decompression bombs. */
    MAX_IMAGE_PIXELS: integer(1, 268_402_689).default(50_000_000),
    /**
     * Server processes (node:cluster), one per core by default; 1 runs a single process. The primary
     * runs the embedded PostgreSQL and the background jobs; the image threads, request limits and
     * queues below are totals, shared out among the processes.
     */
    WEB_CONCURRENCY: integer(1, 64).default(availableParallelism()),
    /** Image decodes running at once; defaults to the number of cores. */
    IMAGE_WORKERS: integer(1, 64).default(availableParallelism()),
    /**
     * Image jobs allowed to wait for a worker before uploads are refused with RATE_LIMITED (HTTP 429).
     * 16: with 2 workers at ~150 ms per 12 MP photo the last in line waits ~1.2 s, and a burst of 16
     * uploads (the benchmark's) is still taken whole; 64 meant ~5 s of waiting.
     */
    IMAGE_QUEUE_LIMIT: integer(0, 10_000).default(16),
    /**
     * Requests (GraphQL and file links; not health or metrics) served at once; more wait in line for a
     * slot. 32: twice the benchmark's 16 connections, and on 2 cores at 2× load it keeps served answers
     * well under a second (64 let them reach ~1 s before the wait in line).
     */
    MAX_REQUESTS_IN_FLIGHT: integer(1, 100_000).default(32),
    /** Requests allowed to wait for a slot; beyond that they are refused at once with 503. */
    MAX_REQUESTS_QUEUED: integer(0, 1_000_000).default(256),
    /** Milliseconds a request waits for a slot before it is refused with 503 and Retry-After; short, so a refused client hears it within a second. */
    REQUEST_QUEUE_TIMEOUT_MS: integer(1, 60_000).default(250),
    /** New requests are refused with 503 while the event loop lags more than this many milliseconds; 0 turns the check off. */
    MAX_EVENT_LOOP_DELAY_MS: integer(0, 60_000).default(0),
    /** Folder of the built admin app, served at /admin. */
    ADMIN_UI_DIR: z.string().default(resolve(import.meta.dirname, '../../../admin-ui/dist')),
    /** `inline` runs background jobs (thumbnail sync, file cleanup) in this process; `off` leaves them to `pnpm --filter server worker`. */
    JOBS_WORKER: z.enum(['inline', 'off']).default('inline'),
    /** Images per thumbnail-sync job; each job queues the next batch. */
    JOBS_BATCH_SIZE: integer(1, 1000).default(50),
    /**
     * Age in seconds before a stored file with no image row (left by a crash between writing files and
     * committing) or a staged upload is removed by the orphan sweep; longer than any upload can take, so
     * files of uploads in flight are never touched.
     */
    ORPHAN_GRACE_SECONDS: integer(300, 30 * 24 * 3600).default(3600),
    /** Days an expiring link is kept after it expired or was revoked (still listed with includeExpired), then deleted by a daily job. */
    LINK_RETENTION_DAYS: integer(0, 3650).default(30),
    /** Days an audit event is kept, then deleted by a daily job. */
    AUDIT_RETENTION_DAYS: integer(1, 3650).default(365),
    /**
     * `strip` (the default) removes the place a photo was taken at from every original as it is stored:
     * the EXIF GPS directory, XMP and IPTC location fields; pixels and all other metadata stay as they
     * were. `keep` stores originals byte for byte as uploaded.
     */
    ORIGINAL_LOCATION: z.enum(['strip', 'keep']).default('strip'),
    /** Bearer token that GET /metrics requires; unset leaves /metrics open (keep it off the public network then). */
    METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'must have at least 16 characters').optional()),
    /**
     * Access lines for link requests (/files, /links): `errors` logs refusals and failures (status 400
     * and up), `all` every request, `off` none. Every link request is counted in the HTTP metrics either
     * way; a line per hot GET costs about a third of its throughput (issue 12).
     */
    LINK_ACCESS_LOG: z.enum(['all', 'errors', 'off']).default('errors'),
    /** pino log level. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Proxies whose X-Forwarded-For names the client (login throttling and logs use it): `loopback`, `false`, a hop count, or comma-separated addresses/subnets. */
    TRUST_PROXY: trustProxySetting,
    /**
     * What runs a GraphQL operation once Apollo has parsed and validated it: `jit` compiles each
     * operation into a function once (graphql-jit) and runs that; `graphql-js` walks the schema per
     * field, as Apollo does by default. Answers are the same; `graphql-js` is the way back should a
     * query ever answer differently under the compiler.
     */
    GRAPHQL_EXECUTOR: z.enum(['jit', 'graphql-js']).default('jit'),
    /** Deepest field nesting one GraphQL operation may have; the schema's own deepest useful query has 6. */
    GRAPHQL_MAX_DEPTH: integer(1, 100).default(12),
    /** Highest cost of one operation: 1 per object or root field, times the page size (limit/first, 100 for a variable) of lists. */
    GRAPHQL_MAX_COST: integer(1, 1_000_000).default(1000),
    /** Most aliases in one operation; the admin app deletes up to 250 selected rows in one request, one alias each. */
    GRAPHQL_MAX_ALIASES: integer(0, 10_000).default(250),
    /** Most directives (@include, @skip…) in one operation. */
    GRAPHQL_MAX_DIRECTIVES: integer(0, 1000).default(20),
    /** Most lexical tokens in one GraphQL document; the parser stops there. The admin app's 250-row delete has about 3,500. */
    GRAPHQL_MAX_TOKENS: integer(100, 1_000_000).default(4000),
    /** Failed logins per username within LOGIN_WINDOW_SECONDS before that username is refused with RATE_LIMITED. */
    LOGIN_MAX_FAILURES_PER_ACCOUNT: integer(1, 100_000).default(10),
    /** Failed logins per client address (per /64 for IPv6) within LOGIN_WINDOW_SECONDS before it is refused with RATE_LIMITED. */
    LOGIN_MAX_FAILURES_PER_ADDRESS: integer(1, 1_000_000).default(100),
    /**
     * Days a client network stays known to an account after a login from it. From a known network,
     * failures count per account and network, so failures from elsewhere cannot lock the owner out there. 0 turns it off.
     */
    LOGIN_KNOWN_NETWORK_DAYS: integer(0, 3650).default(30),
    /** Length of the login throttling window in seconds, counted from the first failure. */
    LOGIN_WINDOW_SECONDS: integer(1, 7 * 24 * 3600).default(900),
    /** Where image files live: `local` (folder under DATA_DIR) or `s3` (a bucket, see S3_*). */
    STORAGE: z.enum(['local', 's3']).default('local'),
    /**
     * With STORAGE=local, /readyz reports `degraded` (still 200: reads go on) and uploads start failing
     * soon once the volume has less free space than this. 100 MiB: four of the largest default uploads.
     */
    STORAGE_MIN_FREE_BYTES: integer(0, Number.MAX_SAFE_INTEGER).default(100 * MIB),
    /** Bucket for STORAGE=s3; required then. */
    S3_BUCKET: optionalText.pipe(
      z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens').optional(),
    ),
    /** Region of S3_BUCKET. */
    S3_REGION: optionalText.pipe(z.string().default('us-east-1')),
    /** URL of an S3-compatible service (MinIO, R2…); unset means AWS. */
    S3_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
    /** Access key for S3; set both or neither (neither uses the AWS default chain: env, profile, instance role). */
    S3_ACCESS_KEY_ID: optionalText,
    /** Secret of S3_ACCESS_KEY_ID. */
    S3_SECRET_ACCESS_KEY: optionalText,
    /** `true` addresses the bucket in the path (http://host/bucket/key), as MinIO and most self-hosted services need. */
    S3_FORCE_PATH_STYLE: optionalText.pipe(z.stringbool({ error: 'must be true or false' }).default(false)),
    /** With STORAGE=s3: originals of at least this many bytes are answered with a redirect to a short-lived presigned URL, so the bytes bypass the server. Unset serves every original through the server. */
    ORIGINAL_REDIRECT_MIN_BYTES: optionalText.pipe(z.string().regex(/^\d{1,13}$/, 'must be a whole number of bytes').transform(Number).optional()),
    /** Lifetime of those presigned URLs in seconds (never beyond an expiring link's own expiry). */
    ORIGINAL_REDIRECT_SECONDS: integer(1, 3600).default(60),
    /** Bytes of thumbnails kept in memory for file links, least recently used dropped first; 0 turns the cache off. */
    THUMBNAIL_CACHE_BYTES: integer(0, 64 * 1024 * MIB).default(64 * MIB),
    /** Largest thumbnail that cache keeps, in bytes; larger ones are read from storage on every request. */
    THUMBNAIL_CACHE_MAX_ITEM_BYTES: integer(1, 1024 * MIB).default(256 * 1024),
    /** Images whose serving facts (format, owner's tier policy) each process keeps, so a hot link needs no database round trip; kept right by PostgreSQL LISTEN/NOTIFY. */
    LINK_ACCESS_CACHE_ENTRIES: integer(1, 10_000_000).default(100_000),
    /** Milliseconds an entry of that cache lives at most: a safety net behind the notifications. */
    LINK_ACCESS_CACHE_TTL_MS: integer(1, 3_600_000).default(30_000),
    /** With STORAGE=local: file links answer, after the link and tier checks, with `X-Accel-Redirect: <prefix><storage key>` and no body, for nginx to send the file from DATA_DIR/media (README, "Serving files through nginx"). Like `/protected-media/`. */
    FILES_ACCEL_REDIRECT_PREFIX: optionalText.pipe(
      z.string().regex(/^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)+$/, "must be a path that starts and ends with '/', like /protected-media/").optional(),
    ),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.ADMIN_USERNAME) !== Boolean(env.ADMIN_PASSWORD)) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: 'set ADMIN_USERNAME and ADMIN_PASSWORD together' });
    }
    if (env.STORAGE === 's3' && !env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'is required when STORAGE=s3' });
    }
    if (env.ORIGINAL_REDIRECT_MIN_BYTES !== undefined && env.STORAGE !== 's3') {
      ctx.addIssue({ code: 'custom', path: ['ORIGINAL_REDIRECT_MIN_BYTES'], message: 'needs STORAGE=s3: only a bucket can hand out presigned URLs' });
    }
    const unoffered = env.PREGENERATE_FORMATS.filter((format) => !env.THUMBNAIL_FORMATS.includes(format));
    if (unoffered.length) ctx.addIssue({ code: 'custom', path: ['PREGENERATE_FORMATS'], message: `${unoffered.join(', ')} not in THUMBNAIL_FORMATS: nothing would ever send them` });
    if (env.FILES_ACCEL_REDIRECT_PREFIX !== undefined && env.STORAGE !== 'local') {
      ctx.addIssue({ code: 'custom', path: ['FILES_ACCEL_REDIRECT_PREFIX'], message: 'needs STORAGE=local: nginx can only send files from a local folder' });
    }
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      const missing = env.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together' });
    }
    if (env.NODE_ENV === 'production') {
      for (const key of ['AUTH_SECRET', 'LINK_SIGNING_KEYS'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
      }
    }
  });

export type Env = z.output<typeof EnvSchema>;
