import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { AccessTokenService } from '../auth/access-token.service.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthTokens } from '../auth/auth-token.js';
import { AuthService } from '../auth/auth.service.js';
import type { Authentication, Authenticator, Credential } from '../auth/authenticator.js';
import type { CredentialCache } from '../auth/credential-cache.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import type { Config } from '../config/env.js';
import type { Sql } from '../db/sql.js';
import type { ImageFiles } from '../images/image-files.js';
import { ImageService } from '../images/image.service.js';
import type { Placeholders } from '../images/placeholders.js';
import { UploadService } from '../images/image-upload.service.js';
import { QuotaService } from '../quotas/quota.service.js';
import type { Usage } from '../quotas/usage.types.js';
import type { ProcessingPool } from '../images/processing-pool.js';
import type { ThumbnailService } from '../images/thumbnail.service.js';
import type { LinkUrls } from '../links/link-urls.js';
import type { AccessChange, ServingFactsCache } from '../links/serving-facts.js';
import { LinkService } from '../links/link.service.js';
import type { Clock } from '../shared/clock.js';
import type { Background } from '../jobs/background.js';
import type { JobHandlers, JobQueue } from '../jobs/job-queue.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../shared/logger.js';
import { AdminStatsService } from '../stats/admin-stats.service.js';
import { TierService } from '../tiers/tier.service.js';
import type { User } from '../users/user.entity.js';
import { UserService } from '../users/user.service.js';
import { UnauthenticatedError, type InvalidCredentialError } from '../shared/errors.js';
import { currentRequestId } from '../shared/request-scope.js';

/** What lives as long as the process: built once at start and shared by every request. */
export interface AppDeps {
  config: Config;
  orm: MikroORM;
  files: ImageFiles;
  pool: ProcessingPool;
  thumbnails: ThumbnailService;
  links: LinkUrls;
  tokens: AuthTokens;
  /** Who each credential signs in, cached; services tell it of their own committed changes. */
  credentials: CredentialCache;
  authenticator: Authenticator;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  jobs: JobQueue;
  background: Background;
  /** What the job workers run; tests call them through `jobs.drain`. */
  jobHandlers: JobHandlers;
  /** What each image's links grant, cached; services tell it of their own committed changes. */
  servingFacts: ServingFactsCache;
  /** The ORM's pool, for the hot reads written as named statements (db/sql.ts). */
  sql: Sql;
  /** Placeholders of images from before placeholders, made once per image. */
  placeholders: Placeholders;
}

export interface Services {
  auth: AuthService;
  accessTokens: AccessTokenService;
  tiers: TierService;
  users: UserService;
  images: ImageService;
  uploads: UploadService;
  quotas: QuotaService;
  links: LinkService;
  audit: AuditService;
  stats: AdminStatsService;
}

export interface Context {
  /** Forked per request, so no request sees another's identity map. */
  em: EntityManager;
  viewer: User | undefined;
  /** How the viewer signed in; set exactly when `viewer` is. */
  credential: Credential | undefined;
  /**
   * The Authorization header held a credential that cannot be used: the operation is refused with it,
   * unless it is `login` (graphql/authentication.plugin.ts). `viewer` is undefined then.
   */
  authFailure: InvalidCredentialError | undefined;
  /** The client's IP address (`req.ip`, so after TRUST_PROXY); undefined outside HTTP. */
  clientAddress: string | undefined;
  services: Services;
  /** Per-request batching, so list fields cost one query per page, not one per row. */
  loaders: Loaders;
}

export interface Loaders {
  tierUserCount: DataLoader<string, number>;
  /** Each user's usage, for a page of users in one query. */
  usage: DataLoader<string, Usage>;
}

export function createContext(deps: AppDeps, em: EntityManager, auth: Authentication, clientAddress?: string): Context {
  const { config, clock, credentials } = deps;
  const limits = {
    maxUploadBytes: config.maxUploadBytes,
    maxImagePixels: config.maxImagePixels,
    uploadTmpDir: config.uploadTmpDir,
    stripLocation: config.originalLocation === 'strip',
    pregenerate: config.pregenerateFormats,
    thumbnailFormats: config.thumbnailFormats,
  };
  const accessChanged = (change: AccessChange) => {
    deps.servingFacts.forget(change);
    if (change.kind === 'user' || change.kind === 'tier') credentials.forget({ kind: change.kind, id: change.id });
  };
  const images = new ImageService(em, deps.sql, deps.links, deps.background, accessChanged, deps.placeholders, config.thumbnailFormats);
  const quotas = new QuotaService(em, clock);
  const uploads = new UploadService(em, deps.sql, deps.files, deps.pool, quotas, clock, limits, (stored, duplicates) => {
    for (const image of stored) {
      deps.metrics.imagesUploaded.inc({ format: image.format });
      deps.metrics.uploadedBytes.inc(image.bytes);
    }
    if (duplicates > 0) deps.metrics.duplicateUploads.inc(duplicates);
  });
  // the request's id and address are fixed now: the context is made inside the request's scope
  const viewer = auth.viewer;
  const audit = new AuditTrail(clock, { id: viewer?.id ?? 'anonymous', name: viewer?.username, requestId: currentRequestId(), clientAddress });
  const tiers = new TierService(em, clock, deps.background, audit, accessChanged);
  return {
    em,
    viewer: auth.viewer,
    credential: auth.credential,
    authFailure: auth.failure,
    clientAddress,
    // batched per tick but never cached: a mutation earlier in the same request may have moved users
    loaders: {
      tierUserCount: new DataLoader((ids: readonly string[]) => tiers.userCounts(ids), { cache: false }),
      usage: new DataLoader((ids: readonly string[]) => quotas.usageOf(ids), { cache: false }),
    },
    services: {
      auth: new AuthService(em, deps.tokens, new LoginThrottle(em, clock, config.loginThrottle), credentials, clock),
      accessTokens: new AccessTokenService(em, clock, credentials, audit),
      tiers,
      users: new UserService(em, clock, deps.background, audit, accessChanged, (userId) => credentials.forget({ kind: 'user', id: userId })),
      images,
      uploads,
      quotas,
      links: new LinkService(em, images, deps.links, clock, audit, accessChanged),
      audit: new AuditService(em),
      stats: new AdminStatsService(em, clock, deps.jobs),
    },
  };
}

/** The signed-in user; resolvers behind `@Authorized` can rely on it. */
export function viewerOf(ctx: Context): User {
  if (!ctx.viewer) throw new UnauthenticatedError();
  return ctx.viewer;
}

/** How the signed-in user signed in; resolvers behind `@Authorized` can rely on it. */
export function credentialOf(ctx: Context): Credential {
  if (!ctx.credential) throw new UnauthenticatedError();
  return ctx.credential;
}
