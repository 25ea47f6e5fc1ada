import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditAction, AuditTargetType } from '../audit/audit-actions.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { Clock } from '../shared/clock.js';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { isUuid } from '../shared/ids.js';
import type { User } from '../users/user.entity.js';
import { AccessToken } from './access-token.entity.js';
import { accessTokenHash, newAccessToken } from './access-token-secret.js';
import type { Credential } from './authenticator.js';
import type { CredentialCache } from './credential-cache.js';

export const MAX_ACCESS_TOKENS_PER_USER = 50;
export const MAX_ACCESS_TOKEN_NAME = 100;
export const MIN_EXPIRES_IN_DAYS = 1;
export const MAX_EXPIRES_IN_DAYS = 3650;
const DAY_MS = 86_400_000;

export interface CreateAccessToken {
  name: string;
  expiresInDays?: number | null;
}

/**
 * Personal access tokens: each user makes, lists and revokes their own; admins list and revoke anyone's,
 * and to anyone else another user's token is "not found", exactly like a missing one.
 */
export class AccessTokenService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly credentials: CredentialCache,
    /** Records admins revoking other users' tokens, in the transaction that deletes them. */
    private readonly audit: AuditTrail,
  ) {}

  /**
   * A new token and its secret, which is never shown again. Only a password sign-in makes one: a leaked
   * token must not be able to mint others that outlive its revocation.
   */
  async create(viewer: User, credential: Credential, input: CreateAccessToken): Promise<{ token: string; accessToken: AccessToken }> {
    if (credential.kind !== 'session') {
      throw new ForbiddenError('An access token cannot create access tokens: sign in with your password', { reason: 'PASSWORD_SIGN_IN_REQUIRED' });
    }
    const name = input.name.trim();
    if (name.length === 0 || name.length > MAX_ACCESS_TOKEN_NAME) {
      throw new BadUserInputError(`A token's name has 1 to ${MAX_ACCESS_TOKEN_NAME} characters`, { field: 'input.name' });
    }
    const days = input.expiresInDays ?? null;
    if (days !== null && (!Number.isInteger(days) || days < MIN_EXPIRES_IN_DAYS || days > MAX_EXPIRES_IN_DAYS)) {
      throw new BadUserInputError(`expiresInDays is a whole number from ${MIN_EXPIRES_IN_DAYS} to ${MAX_EXPIRES_IN_DAYS}, or null for a token that does not expire`, {
        field: 'input.expiresInDays',
      });
    }
    const token = newAccessToken();
    const now = this.clock.now();
    const accessToken = await this.em.transactional(async (tx) => {
      // one creation per user at a time, so two at once cannot both take the last place; NO KEY UPDATE
      // leaves the rows that reference the user (uploads, links) free to be written meanwhile
      await tx.execute('select id from users where id = ? for no key update', [viewer.id]);
      if ((await tx.count(AccessToken, { user: viewer.id })) >= MAX_ACCESS_TOKENS_PER_USER) {
        throw new BadUserInputError(`You have ${MAX_ACCESS_TOKENS_PER_USER} access tokens, the most allowed: revoke one first`, {
          field: 'input',
          reason: 'TOO_MANY_ACCESS_TOKENS',
        });
      }
      return tx.create(AccessToken, {
        id: randomUUID(),
        user: viewer.id,
        name,
        tokenHash: accessTokenHash(token),
        createdAt: now,
        expiresAt: days === null ? null : new Date(now.getTime() + days * DAY_MS),
        lastUsedAt: null,
      });
    });
    return { token, accessToken };
  }

  /** The user's tokens, newest first (expired ones too, until revoked); `userId` other than the viewer's is for admins. */
  async list(viewer: User, userId?: string): Promise<AccessToken[]> {
    const owner = userId ?? viewer.id;
    if (owner !== viewer.id && !viewer.isAdmin) throw new ForbiddenError('Only admins may list another user’s access tokens');
    if (!isUuid(owner)) return [];
    return this.em.find(AccessToken, { user: owner }, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  }

  /**
   * Deletes the token: every instance refuses it within a second, this one at once. An admin revoking
   * another user's token is audited in the same transaction; of two revocations at once, only the one
   * that deleted the row succeeds (and is recorded), the other is NOT_FOUND.
   */
  async revoke(viewer: User, id: string): Promise<boolean> {
    if (!isUuid(id)) throw new NotFoundError('Access token');
    await this.em.transactional(async (tx) => {
      const token = await tx.findOne(AccessToken, viewer.isAdmin ? { id } : { id, user: viewer.id }, { populate: ['user'] });
      if (!token || (await tx.nativeDelete(AccessToken, { id })) === 0) throw new NotFoundError('Access token');
      this.audit.recordForOwner(tx, token.user.id, { action: AuditAction.ACCESS_TOKEN_REVOKE, target: { type: AuditTargetType.ACCESS_TOKEN, id }, before: auditedFields(token) });
    });
    this.credentials.forget({ kind: 'token', id });
    return true;
  }
}

/** What an audit event shows of a token: who it was for and when it was used; never its secret or hash. */
function auditedFields(token: AccessToken) {
  return {
    name: token.name,
    user: { id: token.user.id, username: token.user.username },
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
  };
}
