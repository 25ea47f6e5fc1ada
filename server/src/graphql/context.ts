import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { AuthTokens } from '../auth/auth-token.js';
import { AuthService } from '../auth/auth.service.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import type { Config } from '../config/env.js';
import type { Sql } from '../db/sql.js';
import type { ImageFiles } from '../images/image-files.js';
import { ImageService } from '../images/image.service.js';
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
import { TierService } from '../tiers/tier.service.js';
import type { User } from '../users/user.entity.js';
import { UserService } from '../users/user.service.js';
import { UnauthenticatedError } from '../shared/errors.js';

/** What lives as long as the process: built once at start and shared by every request. */
export interface AppDeps {
  config: Config;
  orm: MikroORM;
  files: ImageFiles;
  pool: ProcessingPool;
  thumbnails: ThumbnailService;
  links: LinkUrls;
  tokens: AuthTokens;
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
}

export interface Services {
  auth: AuthService;
  tiers: TierService;
  users: UserService;
  images: ImageService;
  uploads: UploadService;
  quotas: QuotaService;
  links: LinkService;
}

export interface Context {
  /** Forked per request, so no request sees another's identity map. */
  em: EntityManager;
  viewer: User | undefined;
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

export function createContext(deps: AppDeps, em: EntityManager, viewer: User | undefined, clientAddress?: string): Context {
  const { config, clock } = deps;
  const limits = { maxUploadBytes: config.maxUploadBytes, maxImagePixels: config.maxImagePixels, uploadTmpDir: config.uploadTmpDir, stripLocation: config.originalLocation === 'strip' };
  const accessChanged = (change: AccessChange) => deps.servingFacts.forget(change);
  const images = new ImageService(em, deps.sql, deps.links, deps.background, accessChanged);
  const quotas = new QuotaService(em, clock);
  const uploads = new UploadService(em, deps.sql, deps.files, deps.pool, quotas, clock, limits, (stored, duplicates) => {
    for (const image of stored) {
      deps.metrics.imagesUploaded.inc({ format: image.format });
      deps.metrics.uploadedBytes.inc(image.bytes);
    }
    if (duplicates > 0) deps.metrics.duplicateUploads.inc(duplicates);
  });
  const tiers = new TierService(em, clock, deps.background, accessChanged);
  return {
    em,
    viewer,
    clientAddress,
    // batched per tick but never cached: a mutation earlier in the same request may have moved users
    loaders: {
      tierUserCount: new DataLoader((ids: readonly string[]) => tiers.userCounts(ids), { cache: false }),
      usage: new DataLoader((ids: readonly string[]) => quotas.usageOf(ids), { cache: false }),
    },
    services: {
      auth: new AuthService(em, deps.tokens, new LoginThrottle(em, clock, config.loginThrottle)),
      tiers,
      users: new UserService(em, clock, deps.background, accessChanged),
      images,
      uploads,
      quotas,
      links: new LinkService(em, images, deps.links, clock, accessChanged),
    },
  };
}

/** The signed-in user; resolvers behind `@Authorized` can rely on it. */
export function viewerOf(ctx: Context): User {
  if (!ctx.viewer) throw new UnauthenticatedError();
  return ctx.viewer;
}
