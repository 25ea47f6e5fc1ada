import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import { clientNetwork } from './client-network.js';

export interface LoginThrottleLimits {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
  /** How long a network an account logged in from stays known to it; 0 keeps none. */
  knownNetworkDays: number;
}

/** Expired rows one login removes at most, so pruning never makes a login slow. */
const PRUNE_BATCH = 100;

/**
 * The row key of an account (the lowercased username), a client address, or an account on one client
 * network (`known` rows, and the failure count of a known network); hashed, see LoginFailure.
 */
export function throttleKey(kind: 'account' | 'address', value: string): string;
export function throttleKey(kind: 'known' | 'account-network', account: string, address: string): string;
export function throttleKey(kind: 'account' | 'address' | 'known' | 'account-network', value: string, address?: string): string {
  const subject = kind === 'address' ? clientNetwork(value) : address === undefined ? value : `${value}\n${clientNetwork(address)}`;
  return `${kind}:${createHash('sha256').update(subject).digest('hex')}`;
}

// one statement per key, so concurrent attempts on any instance queue on the row lock and each sees the
// count the one before it left: a new or expired window starts at 1, a full one is left as it is
const TAKE = `insert into "login_failures" ("key", "window_start", "failures") values (?, ?::timestamptz, 1)
  on conflict ("key") do update set
    "failures" = case when "login_failures"."window_start" <= ?::timestamptz then 1 else "login_failures"."failures" + 1 end,
    "window_start" = case when "login_failures"."window_start" <= ?::timestamptz then excluded."window_start" else "login_failures"."window_start" end
  where "login_failures"."window_start" <= ?::timestamptz or "login_failures"."failures" < ?
  returning "failures"`;

/**
 * Failed logins per account and per client network in PostgreSQL, so the limits hold across server
 * instances. Each attempt is counted before its password is checked and given back when it succeeds,
 * so the limit is exact even for attempts that arrive together; between requests the count is the
 * failures of the window.
 *
 * From a network the account logged in from within `knownNetworkDays`, attempts count against the
 * account on that network instead of the account as a whole: whoever knows a username can exhaust its
 * account-wide count from anywhere, but not lock its owner out where the owner usually logs in.
 */
export class LoginThrottle {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly limits: LoginThrottleLimits,
  ) {}

  /**
   * Counts an attempt for `account` from `address`; `{ retryAfterSeconds }` when either has no attempts
   * left in its window, and then the attempt is not counted and the password must not be checked.
   * Depends on nothing but the keys, so existing and unknown usernames are treated alike.
   */
  async begin(account: string, address: string | undefined): Promise<{ retryAfterSeconds: number } | { fromKnownNetwork: boolean }> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.limits.windowSeconds * 1000);
    await this.prune(cutoff);
    const fromKnownNetwork = address !== undefined && (await this.isKnown(account, address, now));
    const accountKey = fromKnownNetwork ? throttleKey('account-network', account, address) : throttleKey('account', account);
    const keys: Array<[string, number]> = [[accountKey, this.limits.maxFailuresPerAccount]];
    if (address) keys.push([throttleKey('address', address), this.limits.maxFailuresPerAddress]);
    const taken: string[] = [];
    for (const [key, max] of keys) {
      const rows = await this.execute(TAKE, [key, now.toISOString(), cutoff.toISOString(), cutoff.toISOString(), cutoff.toISOString(), max]);
      if (rows.length > 0) {
        taken.push(key);
        continue;
      }
      for (const counted of taken) await this.giveBack(counted);
      return { retryAfterSeconds: await this.retryAfter(key, now) };
    }
    return { fromKnownNetwork };
  }

  /**
   * After a correct password: the count it was taken from starts over, the address gets its attempt
   * back, and its network becomes known. A login from a known network leaves the account-wide count as
   * it is, or the owner's every login would hand whoever exhausted it a fresh set of guesses.
   */
  async succeeded(account: string, address: string | undefined, fromKnownNetwork: boolean): Promise<void> {
    const counted = fromKnownNetwork && address ? throttleKey('account-network', account, address) : throttleKey('account', account);
    await this.execute(`delete from "login_failures" where "key" = ?`, [counted]);
    if (!address) return;
    await this.giveBack(throttleKey('address', address));
    if (this.limits.knownNetworkDays === 0) return;
    const now = this.clock.now();
    await this.execute(
      `insert into "login_known_networks" ("key", "last_success") values (?, ?::timestamptz) on conflict ("key") do update set "last_success" = excluded."last_success"`,
      [throttleKey('known', account, address), now.toISOString()],
    );
    await this.execute(
      `delete from "login_known_networks" where "key" in (select "key" from "login_known_networks" where "last_success" <= ?::timestamptz order by "last_success" limit ${PRUNE_BATCH} for update skip locked)`,
      [this.knownSince(now).toISOString()],
    );
  }

  private async isKnown(account: string, address: string, now: Date): Promise<boolean> {
    if (this.limits.knownNetworkDays === 0) return false;
    const rows = await this.execute(`select 1 from "login_known_networks" where "key" = ? and "last_success" > ?::timestamptz`, [
      throttleKey('known', account, address),
      this.knownSince(now).toISOString(),
    ]);
    return rows.length > 0;
  }

  private knownSince(now: Date): Date {
    return new Date(now.getTime() - this.limits.knownNetworkDays * 24 * 3600 * 1000);
  }

  private async giveBack(key: string): Promise<void> {
    await this.execute(`update "login_failures" set "failures" = "failures" - 1 where "key" = ? and "failures" > 0`, [key]);
  }

  private async retryAfter(key: string, now: Date): Promise<number> {
    const [row] = await this.execute(`select "window_start" from "login_failures" where "key" = ?`, [key]);
    const ends = row ? new Date(row.window_start as string | Date).getTime() + this.limits.windowSeconds * 1000 : now.getTime();
    return Math.max(1, Math.ceil((ends - now.getTime()) / 1000));
  }

  /** Drops a bounded batch of expired windows; rows another instance is updating are skipped, not waited for. */
  private async prune(cutoff: Date): Promise<void> {
    await this.execute(
      `delete from "login_failures" where "key" in (select "key" from "login_failures" where "window_start" <= ?::timestamptz order by "window_start" limit ${PRUNE_BATCH} for update skip locked)`,
      [cutoff.toISOString()],
    );
  }

  private execute(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.em.getConnection().execute(sql, params, 'all');
  }
}
