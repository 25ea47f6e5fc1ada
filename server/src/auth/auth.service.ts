import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import { BadUserInputError, RateLimitedError, UnauthenticatedError } from '../shared/errors.js';
import { checkPassword, MAX_PASSWORD } from '../users/user-rules.js';
import { User } from '../users/user.entity.js';
import { AccessToken } from './access-token.entity.js';
import type { AuthTokens } from './auth-token.js';
import type { Credential } from './authenticator.js';
import type { CredentialCache } from './credential-cache.js';
import type { LoginThrottle } from './login-throttle.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.js';

const INVALID_LOGIN = 'Invalid username or password';
/** Expired sign-outs one sign-out removes at most, so pruning never makes it slow. */
const PRUNE_BATCH = 100;

export interface SignedIn {
  token: string;
  expiresAt: Date;
  user: User;
}

export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly tokens: AuthTokens,
    private readonly throttle: LoginThrottle,
    private readonly credentials: CredentialCache,
    private readonly clock: Clock,
  ) {}

  /**
   * One answer for an unknown user and a wrong password, after the same argon2 work, so neither the
   * message nor the response time tells which usernames exist. Too many failures for the username or
   * from the client's address are refused before any lookup, alike for existing and unknown usernames
   * (a network the account logged in from has a count of its own, see LoginThrottle).
   */
  async login(username: string, password: string, address?: string): Promise<SignedIn> {
    const name = username.trim().toLowerCase();
    const attempt = await this.begin(name, address);
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
    return this.startSession(user);
  }

  /**
   * Sets the viewer's password after checking the current one, which counts like a login attempt (a
   * stolen session must not become a way to guess the password). Ends every session of the viewer, on
   * every instance, and starts a new one. Access tokens are separate credentials and keep working.
   */
  async changePassword(viewer: User, currentPassword: string, newPassword: string, address?: string): Promise<SignedIn> {
    checkPassword(newPassword, 'newPassword');
    const attempt = await this.begin(viewer.username, address);
    const [row] = await this.em.getConnection().execute<Array<{ password_hash: string }>>('select password_hash from users where id = ?', [viewer.id]);
    if (!row) throw new UnauthenticatedError('The token is no longer valid');
    if (currentPassword.length > MAX_PASSWORD || !(await verifyPassword(row.password_hash, currentPassword))) {
      throw new BadUserInputError('The current password is wrong', { field: 'currentPassword', reason: 'WRONG_PASSWORD' });
    }
    await this.throttle.succeeded(viewer.username, address, attempt.fromKnownNetwork);
    const now = this.clock.now();
    // in SQL, so two changes at once both bump the version and neither's sessions survive the other
    const [changed] = await this.em
      .getConnection()
      .execute<Array<{ token_version: number }>>('update users set password_hash = ?, token_version = token_version + 1, updated_at = ? where id = ? returning token_version', [
        await hashPassword(newPassword),
        now,
        viewer.id,
      ]);
    if (!changed) throw new UnauthenticatedError('The token is no longer valid');
    this.credentials.forget({ kind: 'user', id: viewer.id });
    // what the database holds now; not a change for a later flush to write
    const original = this.em.getUnitOfWork().getOriginalEntityData(viewer);
    if (original) Object.assign(original, { tokenVersion: changed.token_version, updatedAt: now });
    Object.assign(viewer, { tokenVersion: changed.token_version, updatedAt: now });
    return this.startSession(viewer);
  }

  /**
   * Ends the credential the request came with: a session is refused from now on (until its token would
   * have expired, then the record goes); an access token is revoked, as revokeAccessToken does.
   */
  async logout(viewer: User, credential: Credential): Promise<boolean> {
    const connection = this.em.getConnection();
    if (credential.kind === 'token') {
      await this.em.nativeDelete(AccessToken, { id: credential.id });
      this.credentials.forget({ kind: 'token', id: credential.id });
      return true;
    }
    const now = this.clock.now();
    await connection.execute('insert into revoked_sessions (id, user_id, expires_at, revoked_at) values (?, ?, ?, ?) on conflict (id) do nothing', [
      credential.id,
      viewer.id,
      credential.expiresAt,
      now,
    ]);
    this.credentials.sessionRevoked(credential.id);
    // rows another instance is pruning are skipped, not waited for
    await connection.execute(
      `delete from revoked_sessions where id in (select id from revoked_sessions where expires_at <= ? order by expires_at limit ${PRUNE_BATCH} for update skip locked)`,
      [now],
    );
    return true;
  }

  private async begin(account: string, address: string | undefined): Promise<{ fromKnownNetwork: boolean }> {
    const attempt = await this.throttle.begin(account, address);
    if ('retryAfterSeconds' in attempt) throw new RateLimitedError('Too many failed logins, try again later', { retryAfterSeconds: attempt.retryAfterSeconds });
    return attempt;
  }

  private async startSession(user: User): Promise<SignedIn> {
    const { token, expiresAt, sessionId } = await this.tokens.issue({ userId: user.id, tokenVersion: user.tokenVersion });
    this.credentials.sessionStarted(sessionId);
    return { token, expiresAt, user };
  }
}
