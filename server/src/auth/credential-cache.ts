import { LRUCache } from 'lru-cache';
import { AUTH_CHANNEL } from '../db/access-triggers.js';
import type { NotificationHandler } from '../db/notification-listener.js';
import type { Sql } from '../db/sql.js';
import type { Clock } from '../shared/clock.js';
import { isUuid } from '../shared/ids.js';

/** A user's row with their tier's columns prefixed `tier__`, as the viewer query returns it. */
export type ViewerRow = Readonly<Record<string, unknown>>;
export const TIER_PREFIX = 'tier__';

/** What a personal access token grants, from its row. */
export interface AccessTokenFacts {
  id: string;
  userId: string;
  /** Epoch milliseconds; null: it never expires. */
  expiresAt: number | null;
}

/** A change to who a credential signs in, as the `auth_changed` triggers send it (`<kind>:<uuid>`). */
export interface CredentialChange {
  kind: 'user' | 'tier' | 'session' | 'token';
  id: string;
}

export function parseCredentialChange(payload: string): CredentialChange | undefined {
  const match = /^(user|tier|session|token):([0-9a-f-]{36})$/.exec(payload);
  return match ? { kind: match[1] as CredentialChange['kind'], id: match[2]! } : undefined;
}

export interface CredentialCacheOptions {
  maxEntries: number;
  /** A second safety net behind the notifications: an entry is read again after this long. */
  ttlMs: number;
}

export const CREDENTIAL_CACHE_DEFAULTS: CredentialCacheOptions = { maxEntries: 10_000, ttlMs: 30_000 };

// named statements: each pooled connection parses and plans them once
const VIEWER = {
  name: 'viewer',
  text: `select u.id, u.username, u.token_version, u.is_admin, u.tier_id, u.created_at, u.updated_at,
    ${['id', 'name', 'thumbnail_heights', 'original_link', 'expiring_links', 'max_images', 'max_bytes', 'uploads_per_hour', 'builtin', 'created_at', 'updated_at'].map((c) => `t.${c} as ${TIER_PREFIX}${c}`).join(', ')}
  from users u join tiers t on t.id = u.tier_id where u.id = $1`,
};
const SESSION_REVOKED = { name: 'session-revoked', text: 'select 1 from revoked_sessions where id = $1' };
const ACCESS_TOKEN = { name: 'access-token', text: 'select id, user_id, expires_at from access_tokens where token_hash = $1' };

// absence, cached like rows (lru-cache holds no null)
const MISSING = Object.freeze({ missing: true as const });
type Missing = typeof MISSING;

/**
 * Who each credential signs in, in bounded in-process caches, so a hot request costs no database round
 * trip: users (with their tier) by id, whether a session was signed out, and access tokens by hash.
 * Kept right like the link access cache (links/serving-facts.ts): the `auth_changed` triggers NOTIFY
 * every change in its own transaction, this process also applies its own changes at once, and while
 * notifications may be missed (`trusted` false) every lookup reads the database.
 */
export class CredentialCache implements NotificationHandler {
  readonly channel = AUTH_CHANNEL;
  private readonly users: LRUCache<string, ViewerRow | Missing>;
  private readonly sessions: LRUCache<string, boolean>;
  private readonly tokens: LRUCache<string, AccessTokenFacts | Missing>;
  // bumped by every invalidation: a read that raced one must not store what it read
  private generation = 0;
  private trusted = false;

  constructor(
    private readonly sql: Sql,
    clock: Clock,
    options: CredentialCacheOptions = CREDENTIAL_CACHE_DEFAULTS,
  ) {
    // lru-cache wants a monotonic millisecond counter; the injected clock lets tests move time
    const settings = { max: options.maxEntries, ttl: options.ttlMs, ttlAutopurge: false, ttlResolution: 0, perf: { now: () => clock.now().getTime() } };
    this.users = new LRUCache(settings);
    this.sessions = new LRUCache(settings);
    this.tokens = new LRUCache(settings);
  }

  /** The user's row with their tier, or undefined when no such user exists. Never to be modified. */
  async viewerRow(userId: string): Promise<ViewerRow | undefined> {
    if (!isUuid(userId)) return undefined;
    const found = await this.cached(this.users, userId, async () => (await this.sql.query<Record<string, unknown>>({ ...VIEWER, values: [userId] })).rows[0] ?? MISSING);
    return found === MISSING ? undefined : (found as ViewerRow);
  }

  /** Whether the session was signed out. */
  async isRevoked(sessionId: string): Promise<boolean> {
    return this.cached(this.sessions, sessionId, async () => (await this.sql.query({ ...SESSION_REVOKED, values: [sessionId] })).rows.length > 0);
  }

  /** The access token with this hash, or undefined when there is none (never made, or revoked). */
  async accessToken(hash: string): Promise<AccessTokenFacts | undefined> {
    const found = await this.cached(this.tokens, hash, async () => {
      const [row] = (await this.sql.query<{ id: string; user_id: string; expires_at: string | Date | null }>({ ...ACCESS_TOKEN, values: [hash] })).rows;
      // the ORM's pool leaves timestamps as text
      return row ? { id: row.id, userId: row.user_id, expiresAt: row.expires_at === null ? null : new Date(row.expires_at).getTime() } : MISSING;
    });
    return found === MISSING ? undefined : (found as AccessTokenFacts);
  }

  /** A session this process just started: nobody can have signed it out. */
  sessionStarted(sessionId: string): void {
    if (this.trusted) this.sessions.set(sessionId, false);
  }

  /** A session this process just signed out; final, so no read can race it. */
  sessionRevoked(sessionId: string): void {
    this.generation++;
    this.sessions.set(sessionId, true);
  }

  /** Drops what the change may have made wrong. */
  forget(change: CredentialChange): void {
    this.generation++;
    if (change.kind === 'user') this.users.delete(change.id);
    else if (change.kind === 'session') this.sessions.delete(change.id);
    else if (change.kind === 'tier') {
      for (const [id, row] of this.users.entries()) if (row !== MISSING && (row as ViewerRow)[`${TIER_PREFIX}id`] === change.id) this.users.delete(id);
    } else {
      for (const [hash, facts] of this.tokens.entries()) if (facts !== MISSING && (facts as AccessTokenFacts).id === change.id) this.tokens.delete(hash);
    }
  }

  notify(payload: string): void {
    const change = parseCredentialChange(payload);
    if (change) this.forget(change);
  }

  setTrusted(trusted: boolean): void {
    this.generation++;
    this.users.clear();
    this.sessions.clear();
    this.tokens.clear();
    this.trusted = trusted;
  }

  private async cached<V extends {}>(cache: LRUCache<string, V>, key: string, read: () => Promise<V>): Promise<V> {
    if (this.trusted) {
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
    }
    const generation = this.generation;
    const value = await read();
    if (this.trusted && generation === this.generation) cache.set(key, value);
    return value;
  }
}
