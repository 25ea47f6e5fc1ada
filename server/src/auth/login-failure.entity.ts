import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Failed logins of one key (an account or a client network) in its current window. Only LoginThrottle
 * writes it, with atomic upserts in SQL; the entity is here so the schema the migrations build stays
 * exactly the one the entities describe.
 */
@Entity({ tableName: 'login_failures' })
export class LoginFailure {
  /** `account:` or `address:` and a SHA-256 of the value: what people type as a username is sometimes their password. */
  @PrimaryKey({ type: 'text' })
  key!: string;

  /** When the first failure of the current window happened; the window ends LOGIN_WINDOW_SECONDS later. */
  @Property({ type: 'timestamptz' })
  @Index({ name: 'login_failures_window_start_index' })
  windowStart!: Date;

  /** Attempts counted in the window: reserved before the password check, given back on success. */
  @Property({ type: 'integer' })
  failures!: number;
}

/**
 * A client network an account logged in from, and when it last did. Only LoginThrottle writes it; a
 * known network is held to its own failure count for the account, not the account-wide one.
 */
@Entity({ tableName: 'login_known_networks' })
export class LoginKnownNetwork {
  /** `known:` and a SHA-256 of the account and the network, like LoginFailure's keys. */
  @PrimaryKey({ type: 'text' })
  key!: string;

  @Property({ type: 'timestamptz' })
  @Index({ name: 'login_known_networks_last_success_index' })
  lastSuccess!: Date;
}
