import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '../db/sql.js';
import { RateLimitedError, UnauthenticatedError } from '../shared/errors.js';
import { MAX_PASSWORD } from '../users/user-rules.js';
import { isUuid } from '../shared/ids.js';
import { Tier } from '../tiers/tier.entity.js';
import { User } from '../users/user.entity.js';
import type { AuthTokens } from './auth-token.js';
import type { LoginThrottle } from './login-throttle.js';
import { verifyAgainstDummy, verifyPassword } from './password.js';

const INVALID_LOGIN = 'Invalid username or password';

export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly tokens: AuthTokens,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * One answer for an unknown user and a wrong password, after the same argon2 work, so neither the
   * message nor the response time tells which usernames exist. Too many failures for the username or
   * from the client's address are refused before any lookup, alike for existing and unknown usernames
   * (a network the account logged in from has a count of its own, see LoginThrottle).
   */
  async login(username: string, password: string, address?: string): Promise<{ token: string; expiresAt: Date; user: User }> {
    const name = username.trim().toLowerCase();
    const attempt = await this.throttle.begin(name, address);
    if ('retryAfterSeconds' in attempt) throw new RateLimitedError('Too many failed logins, try again later', { retryAfterSeconds: attempt.retryAfterSeconds });
    const user =
      name.length > 0 && name.length <= 64 && password.length <= MAX_PASSWORD
        ? await this.em.findOne(User, { username: name }, { populate: ['tier', 'passwordHash'] })
        : null;
    if (!user) {
      await verifyAgainstDummy(password.slice(0, MAX_PASSWORD));
      throw new UnauthenticatedError(INVALID_LOGIN);
    }
    if (!(await verifyPassword(user.passwordHash, password))) throw new UnauthenticatedError(INVALID_LOGIN);
    await this.throttle.succeeded(name, address, attempt.fromKnownNetwork);
    const { token, expiresAt } = await this.tokens.issue({ userId: user.id, tokenVersion: user.tokenVersion });
    return { token, expiresAt, user };
  }
}

/**
 * The user behind an `Authorization: Bearer` header, with their tier loaded; `undefined` without a
 * header. A header that does not resolve to a current user is an error, not an anonymous request, so a
 * client with a stale token learns it at once.
 */
export async function authenticate(em: EntityManager, sql: Sql, tokens: AuthTokens, header: string | undefined): Promise<User | undefined> {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"');
  const claims = await tokens.verify(match[1]!);
  if (!claims) throw new UnauthenticatedError('The token is invalid or expired');
  const user = await findViewer(em, sql, claims.userId);
  if (!user || user.tokenVersion !== claims.tokenVersion) throw new UnauthenticatedError('The token is no longer valid');
  return user;
}

// one statement with the tier joined, mapped straight into the identity map: the ORM's own findOne
// builds its query anew on every call, which cost more CPU than anything else in a small request
const TIER_PREFIX = 'tier__';
const VIEWER = {
  name: 'viewer',
  text: `select u.id, u.username, u.token_version, u.is_admin, u.tier_id, u.created_at, u.updated_at,
    ${['id', 'name', 'thumbnail_heights', 'original_link', 'expiring_links', 'max_images', 'max_bytes', 'uploads_per_hour', 'builtin', 'created_at', 'updated_at'].map((c) => `t.${c} as ${TIER_PREFIX}${c}`).join(', ')}
  from users u join tiers t on t.id = u.tier_id where u.id = $1`,
};

async function findViewer(em: EntityManager, sql: Sql, id: string): Promise<User | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = (await sql.query<Record<string, unknown>>({ ...VIEWER, values: [id] })).rows;
  if (!row) return undefined;
  const user: Record<string, unknown> = {};
  const tier: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column.startsWith(TIER_PREFIX)) tier[column.slice(TIER_PREFIX.length)] = value;
    else user[column] = value;
  }
  // the tier first, so the user's tier_id maps to that entity rather than to an empty reference
  em.map(Tier, tier as never);
  return em.map(User, user as never);
}
