import { resolve } from 'node:path';
import { EnvSchema, type Env } from './env-schema.js';
import type { TrustProxy } from './trust-proxy.js';

export type { Env } from './env-schema.js';

/** How big one GraphQL operation may be; checked before anything runs (graphql/operation-limits.ts). */
export interface OperationLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  /** Enforced by the parser (`parseOptions.maxTokens`), so an oversized document is never fully parsed. */
  maxTokens: number;
}

export type StorageConfig =
  | { driver: 'local'; dir: string }
  | {
      driver: 's3';
      bucket: string;
      region: string;
      endpoint: string | undefined;
      forcePathStyle: boolean;
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    };

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  /** Sockets listening on the port, each accepting one connection per event-loop turn (http/listen.ts). */
  acceptSockets: number;
  /** Slow clients: headers and whole request, in milliseconds. */
  httpTimeouts: { headersMs: number; requestMs: number };
  databaseUrl: string | undefined;
  /** Statements running longer are cancelled by PostgreSQL (not during start-up migrations). */
  dbStatementTimeoutMs: number;
  embeddedPgPort: number;
  embeddedPgDir: string | undefined;
  dataDir: string;
  mediaDir: string;
  uploadTmpDir: string;
  publicUrl: string;
  admin: { username: string; password: string } | undefined;
  /** Unset outside production until `resolveSecrets` fills them from DATA_DIR. */
  authSecret: string | undefined;
  linkSigningKeys: string[] | undefined;
  authTokenTtlSeconds: number;
  maxUploadBytes: number;
  maxFilesPerRequest: number;
  maxImagePixels: number;
  webConcurrency: number;
  imageWorkers: number;
  imageQueueLimit: number;
  /** Admission control in front of every request but health and metrics (http/admission.ts). */
  admission: { maxInFlight: number; maxQueued: number; queueTimeoutMs: number; maxEventLoopDelayMs: number };
  logLevel: Env['LOG_LEVEL'];
  linkAccessLog: Env['LINK_ACCESS_LOG'];
  metricsToken: string | undefined;
  trustProxy: TrustProxy;
  graphqlExecutor: Env['GRAPHQL_EXECUTOR'];
  graphqlLimits: OperationLimits;
  loginThrottle: { maxFailuresPerAccount: number; maxFailuresPerAddress: number; windowSeconds: number; knownNetworkDays: number };
  jobsWorker: boolean;
  /** Originals this large or larger are redirected to presigned storage URLs; undefined never. */
  originalRedirect: { minBytes: number; seconds: number } | undefined;
  /** In-memory thumbnail bytes for file links; `maxBytes` 0 is off. */
  thumbnailCache: { maxBytes: number; maxItemBytes: number };
  /** Formats thumbnails are negotiated into (THUMBNAIL_FORMATS), in order of preference. */
  thumbnailFormats: ReadonlyArray<'avif' | 'webp'>;
  /** Formats made with every thumbnail instead of on first request (PREGENERATE_FORMATS). */
  pregenerateFormats: ReadonlyArray<'avif' | 'webp'>;
  linkAccessCache: { maxEntries: number; ttlMs: number };
  /** Prefix of the X-Accel-Redirect answers to file links (a path nginx maps to `mediaDir`); undefined sends the bytes. */
  filesAccelRedirectPrefix: string | undefined;
  jobsBatchSize: number;
  /** Files without a row, and staged uploads, older than this are removed by the orphan sweep. */
  orphanGraceSeconds: number;
  /** Expired or revoked expiring links are deleted this many days later. */
  linkRetentionDays: number;
  /** Audit events are deleted this many days after they were written. */
  auditRetentionDays: number;
  /** Whether originals lose their location metadata when stored (ORIGINAL_LOCATION). */
  originalLocation: 'strip' | 'keep';
  adminUiDir: string;
  storage: StorageConfig;
  /** Free space under which a local storage volume counts as nearly full. */
  storageMinFreeBytes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment once and returns the typed config, or throws one message naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? 'environment');
      const value = source[key];
      const shown = value === undefined ? '(unset)' : /SECRET|PASSWORD|KEYS/.test(key) ? '(hidden)' : JSON.stringify(value);
      return `  ${key}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid environment variables:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  return {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    port: env.PORT,
    host: env.HOST,
    acceptSockets: env.ACCEPT_SOCKETS,
    httpTimeouts: { headersMs: env.HTTP_HEADERS_TIMEOUT_MS, requestMs: Math.max(env.HTTP_REQUEST_TIMEOUT_MS, env.HTTP_HEADERS_TIMEOUT_MS) },
    databaseUrl: env.DATABASE_URL,
    dbStatementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    embeddedPgPort: env.EMBEDDED_PG_PORT,
    embeddedPgDir: env.EMBEDDED_PG_DIR === undefined ? undefined : resolve(env.EMBEDDED_PG_DIR),
    dataDir,
    mediaDir: resolve(dataDir, 'media'),
    uploadTmpDir: resolve(dataDir, 'tmp'),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    admin: env.ADMIN_USERNAME && env.ADMIN_PASSWORD ? { username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD } : undefined,
    authSecret: env.AUTH_SECRET,
    linkSigningKeys: env.LINK_SIGNING_KEYS,
    authTokenTtlSeconds: env.AUTH_TOKEN_TTL_SECONDS,
    maxUploadBytes: env.MAX_UPLOAD_BYTES,
    maxFilesPerRequest: env.MAX_FILES_PER_REQUEST,
    maxImagePixels: env.MAX_IMAGE_PIXELS,
    webConcurrency: env.WEB_CONCURRENCY,
    imageWorkers: env.IMAGE_WORKERS,
    imageQueueLimit: env.IMAGE_QUEUE_LIMIT,
    admission: {
      maxInFlight: env.MAX_REQUESTS_IN_FLIGHT,
      maxQueued: env.MAX_REQUESTS_QUEUED,
      queueTimeoutMs: env.REQUEST_QUEUE_TIMEOUT_MS,
      maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS,
    },
    logLevel: env.LOG_LEVEL,
    linkAccessLog: env.LINK_ACCESS_LOG,
    metricsToken: env.METRICS_TOKEN,
    trustProxy: env.TRUST_PROXY,
    graphqlExecutor: env.GRAPHQL_EXECUTOR,
    graphqlLimits: {
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxCost: env.GRAPHQL_MAX_COST,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxDirectives: env.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
    },
    loginThrottle: {
      maxFailuresPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: env.LOGIN_WINDOW_SECONDS,
      knownNetworkDays: env.LOGIN_KNOWN_NETWORK_DAYS,
    },
    jobsWorker: env.JOBS_WORKER === 'inline',
    originalRedirect: env.ORIGINAL_REDIRECT_MIN_BYTES === undefined ? undefined : { minBytes: env.ORIGINAL_REDIRECT_MIN_BYTES, seconds: env.ORIGINAL_REDIRECT_SECONDS },
    thumbnailCache: { maxBytes: env.THUMBNAIL_CACHE_BYTES, maxItemBytes: env.THUMBNAIL_CACHE_MAX_ITEM_BYTES },
    // AVIF first: the smaller of the two wherever a browser takes both
    thumbnailFormats: (['avif', 'webp'] as const).filter((format) => env.THUMBNAIL_FORMATS.includes(format)),
    pregenerateFormats: env.PREGENERATE_FORMATS,
    linkAccessCache: { maxEntries: env.LINK_ACCESS_CACHE_ENTRIES, ttlMs: env.LINK_ACCESS_CACHE_TTL_MS },
    filesAccelRedirectPrefix: env.FILES_ACCEL_REDIRECT_PREFIX,
    jobsBatchSize: env.JOBS_BATCH_SIZE,
    orphanGraceSeconds: env.ORPHAN_GRACE_SECONDS,
    linkRetentionDays: env.LINK_RETENTION_DAYS,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS,
    originalLocation: env.ORIGINAL_LOCATION,
    storageMinFreeBytes: env.STORAGE_MIN_FREE_BYTES,
    adminUiDir: resolve(env.ADMIN_UI_DIR),
    storage:
      env.STORAGE === 's3'
        ? {
            driver: 's3',
            bucket: env.S3_BUCKET!,
            region: env.S3_REGION,
            endpoint: env.S3_ENDPOINT,
            forcePathStyle: env.S3_FORCE_PATH_STYLE,
            credentials:
              env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
                ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
                : undefined,
          }
        : { driver: 'local', dir: resolve(dataDir, 'media') },
  };
}

/** The validated config, or the process ends with the message that names every bad variable. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
