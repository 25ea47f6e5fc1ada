import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import { InvalidCredentialError } from '../shared/errors.js';
import { Tier } from '../tiers/tier.entity.js';
import { User } from '../users/user.entity.js';
import { ACCESS_TOKEN_PREFIX, accessTokenHash, isAccessToken } from './access-token-secret.js';
import type { AuthTokens } from './auth-token.js';
import { TIER_PREFIX, type CredentialCache, type ViewerRow } from './credential-cache.js';

/** How the viewer signed this request: a login session (its token's `jti`) or a personal access token. */
export type Credential = { kind: 'session'; id: string; expiresAt: Date } | { kind: 'token'; id: string };

/**
 * The outcome of the Authorization header: nobody (no header), a viewer and their credential, or a
 * failure, which the GraphQL layer answers with 401 unless the operation is `login`.
 */
export type Authentication = { viewer?: undefined; credential?: undefined; failure?: InvalidCredentialError } | { viewer: User; credential: Credential; failure?: undefined };

/** An access token's lastUsedAt is written at most this often, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;
const LAST_USED_MEMO_LIMIT = 10_000;
const BEARER = /^Bearer\s+(\S+)$/i;

/** Resolves `Authorization: Bearer` headers, login tokens and access tokens alike, from the credential cache. */
export class Authenticator {
  // when this process last wrote each access token's lastUsedAt
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly tokens: AuthTokens,
    private readonly credentials: CredentialCache,
    private readonly clock: Clock,
  ) {}

  async authenticate(em: EntityManager, header: string | undefined): Promise<Authentication> {
    if (!header) return {};
    const match = BEARER.exec(header.trim());
    if (!match) {
      // another scheme is a client that does not know a bearer token is wanted (RFC 6750 §3.1: no error code)
      const challenge = /^Bearer(\s|$)/i.test(header.trim()) ? 'invalid_request' : null;
      return { failure: new InvalidCredentialError('The Authorization header must be "Bearer <token>"', challenge) };
    }
    const token = match[1]!;
    try {
      return token.startsWith(ACCESS_TOKEN_PREFIX) ? await this.byAccessToken(em, token) : await this.bySession(em, token);
    } catch (error) {
      if (error instanceof InvalidCredentialError) return { failure: error };
      throw error;
    }
  }

  private async bySession(em: EntityManager, token: string): Promise<Authentication> {
    const verified = await this.tokens.verify(token);
    if (!verified) throw new InvalidCredentialError('The token is invalid or expired');
    const [revoked, row] = await Promise.all([this.credentials.isRevoked(verified.sessionId), this.credentials.viewerRow(verified.userId)]);
    if (revoked) throw new InvalidCredentialError('The session has ended: sign in again');
    if (!row || row.token_version !== verified.tokenVersion) throw new InvalidCredentialError('The token is no longer valid');
    return { viewer: mapViewer(em, row), credential: { kind: 'session', id: verified.sessionId, expiresAt: new Date(verified.expiresAt * 1000) } };
  }

  private async byAccessToken(em: EntityManager, token: string): Promise<Authentication> {
    // a look-alike (typo, truncated copy) is refused before any lookup
    const facts = isAccessToken(token) ? await this.credentials.accessToken(accessTokenHash(token)) : undefined;
    if (!facts) throw new InvalidCredentialError('The access token is invalid or revoked');
    const now = this.clock.now().getTime();
    if (facts.expiresAt !== null && now >= facts.expiresAt) throw new InvalidCredentialError('The access token has expired');
    const row = await this.credentials.viewerRow(facts.userId);
    if (!row) throw new InvalidCredentialError('The access token is invalid or revoked');
    await this.touch(em, facts.id, now);
    return { viewer: mapViewer(em, row), credential: { kind: 'token', id: facts.id } };
  }

  /**
   * Records the use to the minute: a write per token and minute at most, from this process (the memo)
   * and from all of them (the condition), instead of one per request.
   */
  private async touch(em: EntityManager, tokenId: string, now: number): Promise<void> {
    const written = this.lastUsedWritten.get(tokenId);
    if (written !== undefined && now >= written && now - written < LAST_USED_RESOLUTION_MS) return;
    if (this.lastUsedWritten.size >= LAST_USED_MEMO_LIMIT) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(tokenId, now);
    await em
      .getConnection()
      .execute('update access_tokens set last_used_at = ? where id = ? and (last_used_at is null or last_used_at <= ?)', [new Date(now), tokenId, new Date(now - LAST_USED_RESOLUTION_MS)]);
  }
}

/**
 * The cached row as entities of this request's EntityManager: the tier first, so the user's tier_id maps
 * to that entity rather than to an empty reference. Copies, so no request changes the cached row.
 */
function mapViewer(em: EntityManager, row: ViewerRow): User {
  const user: Record<string, unknown> = {};
  const tier: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const copy = Array.isArray(value) ? [...value] : value instanceof Date ? new Date(value) : value;
    if (column.startsWith(TIER_PREFIX)) tier[column.slice(TIER_PREFIX.length)] = copy;
    else user[column] = copy;
  }
  em.map(Tier, tier as never);
  return em.map(User, user as never);
}
