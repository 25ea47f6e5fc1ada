import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import { QuotaExceededError, RateLimitedError } from '../shared/errors.js';
import { isUuid } from '../shared/ids.js';
import type { TierLimits } from '../tiers/tier-rules.js';

/** The rate window: uploads count against `uploadsPerHour` for this long after they were admitted. */
export const RATE_WINDOW_MS = 3_600_000;
/**
 * How long a reservation counts while its upload runs. Far beyond any real upload (the whole request
 * has HTTP_REQUEST_TIMEOUT_MS to arrive, then one image job); one older than this belonged to a process
 * that died, and stops holding the quota.
 */
export const RESERVATION_TTL_MS = 15 * 60_000;

/** A batch admitted against the quota: it counts until `commitIn` or `release`. */
export interface Reservation {
  id: string;
  images: number;
  bytes: number;
}

/** What a user stores and how many new images they stored in the last hour. */
export interface UsageFigures {
  images: number;
  bytes: number;
  uploadsLastHour: number;
}

// The user's usage with the tier's limits and what their uploads in flight and in the last hour hold.
// Read in a statement of its own once the row lock is held: in READ COMMITTED each statement sees what
// was committed when it started, so a statement that waited for the lock would still see the sums from
// before the wait, and miss the reservation of the upload it waited for.
const USAGE = `select u."images", u."bytes", t."max_images", t."max_bytes", t."uploads_per_hour",
    coalesce(r."reserved_images", 0) as "reserved_images", coalesce(r."reserved_bytes", 0) as "reserved_bytes", coalesce(r."recent", 0) as "recent"
  from "user_usage" u
  join "users" us on us."id" = u."user_id"
  join "tiers" t on t."id" = us."tier_id"
  left join lateral (
    select sum(x."images") filter (where x."pending") as "reserved_images", sum(x."bytes") filter (where x."pending") as "reserved_bytes", sum(x."images") as "recent"
    from "recent_uploads" x
    where x."user_id" = u."user_id" and x."created_at" > ?::timestamptz and (not x."pending" or x."expires_at" > ?::timestamptz)
  ) r on true
  where u."user_id" = ?`;

interface LockedUsage {
  images: number;
  bytes: string;
  max_images: number | null;
  max_bytes: string | null;
  uploads_per_hour: number | null;
  reserved_images: string;
  reserved_bytes: string;
  recent: string;
}

/**
 * Tier quotas: images, bytes of originals and new images per hour. An upload is admitted (reserved)
 * before any image work, under a row lock on the user's usage, and the reservation becomes the stored
 * rows in the upload's own commit, or goes if the upload fails. Usage itself is kept by triggers on
 * `images` (db/usage-triggers.ts), so it is exact whatever deletes or changes an image.
 */
export class QuotaService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /** Whether the tier limits anything, i.e. whether uploads must be admitted at all. */
  static limits(tier: TierLimits): boolean {
    return tier.maxImages != null || tier.maxBytes != null || tier.uploadsPerHour != null;
  }

  /**
   * Admits `images` new images of `bytes` bytes (as uploaded) for the user, or refuses the whole batch:
   * QuotaExceededError for images or bytes (those already stored, plus every admitted upload still
   * running), RateLimitedError for the hourly rate. Nothing is stored either way.
   */
  async admit(userId: string, wanted: { images: number; bytes: number }): Promise<Reservation> {
    const now = this.clock.now();
    const windowStart = new Date(now.getTime() - RATE_WINDOW_MS);
    const reservation: Reservation = { id: randomUUID(), ...wanted };
    await this.em.fork().transactional(async (tx) => {
      // the lock orders concurrent uploads of one user, whichever instance runs them
      await tx.execute(`insert into "user_usage" ("user_id") values (?) on conflict do nothing`, [userId]);
      await tx.execute(`select 1 from "user_usage" where "user_id" = ? for update`, [userId]);
      const [row] = await tx.execute<LockedUsage[]>(USAGE, [windowStart.toISOString(), now.toISOString(), userId]);
      if (!row) throw new Error(`no usage row for user ${userId}`);
      const images = row.images + Number(row.reserved_images);
      const bytes = Number(row.bytes) + Number(row.reserved_bytes);
      if (row.max_images !== null && images + wanted.images > row.max_images) {
        throw new QuotaExceededError('IMAGES', { limit: row.max_images, used: images, requested: wanted.images });
      }
      if (row.max_bytes !== null && bytes + wanted.bytes > Number(row.max_bytes)) {
        throw new QuotaExceededError('BYTES', { limit: Number(row.max_bytes), used: bytes, requested: wanted.bytes });
      }
      const recent = Number(row.recent);
      if (row.uploads_per_hour !== null && recent + wanted.images > row.uploads_per_hour) {
        const retryAfterSeconds = await this.secondsUntilRoom(tx, userId, now, recent + wanted.images - row.uploads_per_hour, wanted.images > row.uploads_per_hour);
        throw new RateLimitedError(`Your tier allows ${row.uploads_per_hour} new images an hour; ${recent} were stored or are being stored in the last hour`, {
          reason: 'UPLOADS_PER_HOUR',
          limit: row.uploads_per_hour,
          used: recent,
          requested: wanted.images,
          retryAfterSeconds,
        });
      }
      // what left the window is no longer needed (the hourly prune removes everyone else's)
      await tx.execute(`delete from "recent_uploads" where "user_id" = ? and "created_at" <= ?::timestamptz`, [userId, windowStart.toISOString()]);
      await tx.execute(
        `insert into "recent_uploads" ("id", "user_id", "images", "bytes", "created_at", "pending", "expires_at") values (?, ?, ?, ?, ?::timestamptz, true, ?::timestamptz)`,
        [reservation.id, userId, wanted.images, wanted.bytes, now.toISOString(), new Date(now.getTime() + RESERVATION_TTL_MS).toISOString()],
      );
    });
    return reservation;
  }

  /**
   * In the upload's commit transaction: the reservation becomes the record of `stored` new images (the
   * rows, inserted in the same transaction, now count through the triggers). Without a reservation (a
   * tier without limits) the record is written all the same, so the hourly count is there should the
   * tier get a rate limit.
   */
  async commitIn(tx: EntityManager, userId: string, reservation: Reservation | undefined, stored: { images: number; bytes: number }): Promise<void> {
    if (reservation && stored.images === 0) {
      await tx.execute(`delete from "recent_uploads" where "id" = ?`, [reservation.id]);
    } else if (reservation) {
      await tx.execute(`update "recent_uploads" set "pending" = false, "expires_at" = null, "images" = ?, "bytes" = ? where "id" = ?`, [stored.images, stored.bytes, reservation.id]);
    } else if (stored.images > 0) {
      await tx.execute(`insert into "recent_uploads" ("id", "user_id", "images", "bytes", "created_at", "pending") values (?, ?, ?, ?, ?::timestamptz, false)`, [
        randomUUID(),
        userId,
        stored.images,
        stored.bytes,
        this.clock.now().toISOString(),
      ]);
    }
  }

  /** Gives an upload's reservation back (it failed). Best effort: a reservation left behind expires. */
  async release(reservation: Reservation): Promise<void> {
    await this.em
      .fork()
      .execute(`delete from "recent_uploads" where "id" = ? and "pending"`, [reservation.id])
      .catch(() => {});
  }

  /** Usage of each user in `ids`, in order, in one query; a user who never uploaded has zeros. */
  async usageOf(ids: readonly string[]): Promise<UsageFigures[]> {
    const valid = ids.filter(isUuid);
    const windowStart = new Date(this.clock.now().getTime() - RATE_WINDOW_MS).toISOString();
    const rows = valid.length
      ? await this.em.getConnection().execute<Array<{ user_id: string; images: number; bytes: string; recent: string }>>(
          `select us."id" as "user_id", coalesce(u."images", 0) as "images", coalesce(u."bytes", 0) as "bytes",
             (select coalesce(sum(x."images"), 0) from "recent_uploads" x where x."user_id" = us."id" and not x."pending" and x."created_at" > ?::timestamptz) as "recent"
           from "users" us left join "user_usage" u on u."user_id" = us."id" where us."id" in (?)`,
          [windowStart, valid],
        )
      : [];
    const byId = new Map(rows.map((row) => [row.user_id, { images: row.images, bytes: Number(row.bytes), uploadsLastHour: Number(row.recent) }]));
    return ids.map((id) => byId.get(id) ?? { images: 0, bytes: 0, uploadsLastHour: 0 });
  }

  /** Removes what left the rate window, everyone's (the hourly job); returns how many rows went. */
  static async prune(em: EntityManager, clock: Clock): Promise<number> {
    const cutoff = new Date(clock.now().getTime() - RATE_WINDOW_MS).toISOString();
    const result = await em.fork().execute<{ affectedRows: number }>(`delete from "recent_uploads" where "created_at" <= ?::timestamptz`, [cutoff], 'run');
    return result.affectedRows;
  }

  /**
   * Seconds until enough of the window's uploads age out for `excess` more to fit: the oldest first.
   * A batch larger than the whole hourly limit never fits; it is told to wait the full window.
   */
  private async secondsUntilRoom(tx: EntityManager, userId: string, now: Date, excess: number, never: boolean): Promise<number> {
    if (never) return RATE_WINDOW_MS / 1000;
    const rows = await tx.execute<Array<{ images: number; created_at: Date | string }>>(
      `select "images", "created_at" from "recent_uploads" where "user_id" = ? and "created_at" > ?::timestamptz and (not "pending" or "expires_at" > ?::timestamptz) order by "created_at"`,
      [userId, new Date(now.getTime() - RATE_WINDOW_MS).toISOString(), now.toISOString()],
    );
    let freed = 0;
    for (const row of rows) {
      freed += row.images;
      if (freed >= excess) return Math.max(1, Math.ceil((new Date(row.created_at).getTime() + RATE_WINDOW_MS - now.getTime()) / 1000));
    }
    return RATE_WINDOW_MS / 1000;
  }
}
