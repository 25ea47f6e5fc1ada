import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { authTrigger } from '../db/access-triggers.js';
import { User } from '../users/user.entity.js';

/**
 * A signed-out session: its login token (by `jti`) is refused until it would have expired anyway, and
 * the row is pruned after that. Ending all of a user's sessions at once (a password change) needs no
 * rows: it bumps the user's token version instead.
 */
@Entity({ tableName: 'revoked_sessions', triggers: [authTrigger('session', ['insert'], 'new')] })
export class RevokedSession {
  /** The session's id, the `jti` of its token. */
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade', index: 'revoked_sessions_user_id_index' })
  user!: User;

  /** The token's own expiry: after it, the token is refused anyway and the row can go. */
  @Property({ type: 'timestamptz', index: 'revoked_sessions_expires_at_index' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz' })
  revokedAt!: Date;
}
