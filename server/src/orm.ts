import 'reflect-metadata';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { AccessToken } from './auth/access-token.entity.js';
import { AuditEvent } from './audit/audit-event.entity.js';
import { LoginFailure, LoginKnownNetwork } from './auth/login-failure.entity.js';
import { RevokedSession } from './auth/revoked-session.entity.js';
import { Image } from './images/image.entity.js';
import { ExpiringLink } from './links/expiring-link.entity.js';
import { RecentUpload, UserUsage } from './quotas/usage.entity.js';
import type { Logger } from './shared/logger.js';
import { ImageTally } from './stats/image-tally.entity.js';
import { UploadDay } from './stats/upload-day.entity.js';
import { Tier } from './tiers/tier.entity.js';
import { User } from './users/user.entity.js';
import { migrations } from './db/migrations/index.js';

export const entities = [Tier, User, Image, ExpiringLink, LoginFailure, LoginKnownNetwork, AccessToken, RevokedSession, AuditEvent, ImageTally, UploadDay, UserUsage, RecentUpload];

export interface OrmOptions {
  clientUrl: string;
  logger?: Logger;
  /** Called with every SQL statement; tests count queries with it. */
  onQuery?: (sql: string) => void;
  poolMax?: number;
  /**
   * Longest a statement may run before PostgreSQL cancels it (57014): a hung database or a held lock
   * then fails the request instead of holding it, and its connection, without end. Unset for
   * start-up work, where a migration may rightly run long.
   */
  statementTimeoutMs?: number;
}

export function ormConfig({ clientUrl, logger, onQuery, poolMax = 10, statementTimeoutMs }: OrmOptions): Options {
  return {
    clientUrl,
    entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    // no snapshot file: the schema lives in the migrations, and a running server must not write its tree
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    driverOptions: { connectionTimeoutMillis: 5_000, ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}) },
    debug: onQuery ? ['query'] : false,
    logger: (message) => {
      if (onQuery) onQuery(message);
      else logger?.debug(message);
    },
    // the app forks an EntityManager per request; the global one must never hold request state
    allowGlobalContext: false,
    forceUtcTimezone: true,
  };
}

export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(options));
}

/** Applies every pending migration; the schema changes only this way. */
export async function migrate(orm: MikroORM): Promise<void> {
  await orm.migrator.up();
}

/**
 * Runs start-up work (migrations, the admin account) one instance at a time: instances that boot
 * together take turns under an advisory lock, so each migration runs once and the others find it
 * applied, and no two create the same admin.
 */
export async function underStartupLock<T>(orm: MikroORM, work: () => Promise<T>): Promise<T> {
  return orm.em.fork().transactional(async (tx) => {
    // held by this transaction's connection until it ends; the work runs on connections of its own
    await tx.execute(`select pg_advisory_xact_lock(hashtextextended('image-api:startup', 0))`);
    return work();
  });
}
