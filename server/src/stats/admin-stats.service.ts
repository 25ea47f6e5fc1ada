import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobQueue } from '../jobs/job-queue.js';
import type { Clock } from '../shared/clock.js';
import { Tier } from '../tiers/tier.entity.js';
import { User } from '../users/user.entity.js';
import type { AdminStats, DailyUploads, TierUsage, UserUsage } from './admin-stats.types.js';

export const UPLOAD_DAYS = 30;
export const TOP_USERS = 10;
const DAY_MS = 86_400_000;

interface TierRow {
  tier_id: string;
  users: number;
  images: number;
  original_bytes: string;
  thumbnail_bytes: string;
  out_of_step: number;
}

interface OwnerRow {
  owner_id: string;
  images: number;
  original_bytes: string;
  thumbnail_bytes: string;
}

/**
 * The dashboard's figures, from the counters the triggers on `images` keep in step (image_tallies,
 * upload_days) and pg-boss's job table: a few index and small-table reads, whatever the number of
 * images. Totals are the sums of the per-tier rows, so the two always agree.
 */
export class AdminStatsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly jobs: Pick<JobQueue, 'stateCounts'>,
  ) {}

  async read(): Promise<AdminStats> {
    const now = this.clock.now();
    const [tiers, uploadsPerDay, topUsers, queues] = await Promise.all([this.tiers(), this.uploadsPerDay(now), this.topUsers(), this.jobs.stateCounts()]);
    const sum = (pick: (usage: TierUsage) => number) => tiers.reduce((total, usage) => total + pick(usage), 0);
    const jobSum = (pick: (queue: (typeof queues)[number]) => number) => queues.reduce((total, queue) => total + pick(queue), 0);
    return {
      generatedAt: now,
      totals: { images: sum((t) => t.images), originalBytes: sum((t) => t.originalBytes), thumbnailBytes: sum((t) => t.thumbnailBytes), users: sum((t) => t.users) },
      uploadsPerDay,
      tiers,
      jobs: { queued: jobSum((q) => q.queued), running: jobSum((q) => q.running), failed: jobSum((q) => q.failed), queues },
      topUsers,
    };
  }

  private async tiers(): Promise<TierUsage[]> {
    const [tiers, rows] = await Promise.all([
      this.em.fork().find(Tier, {}, { orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
      this.em.execute<TierRow[]>(
        `select t."id" as "tier_id",
                coalesce((select count(*) from "users" u where u."tier_id" = t."id"), 0)::int as "users",
                coalesce(sum(x."images"), 0)::int as "images",
                coalesce(sum(x."original_bytes"), 0) as "original_bytes",
                coalesce(sum(x."thumbnail_bytes"), 0) as "thumbnail_bytes",
                coalesce(sum(x."images") filter (where not (x."stored_heights" @> t."thumbnail_heights" and x."stored_heights" <@ t."thumbnail_heights")), 0)::int as "out_of_step"
           from "tiers" t left join ("users" o join "image_tallies" x on x."owner_id" = o."id") on o."tier_id" = t."id"
          group by t."id"`,
      ),
    ]);
    const byTier = new Map(rows.map((row) => [row.tier_id, row]));
    return tiers.map((tier) => {
      const row = byTier.get(tier.id);
      return {
        tier,
        users: row?.users ?? 0,
        images: row?.images ?? 0,
        originalBytes: Number(row?.original_bytes ?? 0),
        thumbnailBytes: Number(row?.thumbnail_bytes ?? 0),
        imagesOutOfStep: row?.out_of_step ?? 0,
      };
    });
  }

  /** The last UPLOAD_DAYS days by the server's clock (UTC), every day present. */
  private async uploadsPerDay(now: Date): Promise<DailyUploads[]> {
    const days = Array.from({ length: UPLOAD_DAYS }, (_, i) => new Date(now.getTime() - (UPLOAD_DAYS - 1 - i) * DAY_MS).toISOString().slice(0, 10));
    const rows = await this.em.execute<Array<{ day: string; images: number; bytes: string }>>(
      `select to_char("day", 'YYYY-MM-DD') as "day", "images", "bytes" from "upload_days" where "day" between ?::date and ?::date`,
      [days[0], days.at(-1)],
    );
    const byDay = new Map(rows.map((row) => [row.day, row]));
    return days.map((day) => ({ day, images: byDay.get(day)?.images ?? 0, bytes: Number(byDay.get(day)?.bytes ?? 0) }));
  }

  private async topUsers(): Promise<UserUsage[]> {
    const rows = await this.em.execute<OwnerRow[]>(
      `select "owner_id", sum("images")::int as "images", sum("original_bytes") as "original_bytes", sum("thumbnail_bytes") as "thumbnail_bytes"
         from "image_tallies" group by "owner_id" order by sum("original_bytes") + sum("thumbnail_bytes") desc, "owner_id" limit ${TOP_USERS}`,
    );
    if (rows.length === 0) return [];
    const users = await this.em.fork().find(User, { id: { $in: rows.map((row) => row.owner_id) } }, { populate: ['tier'] });
    const byId = new Map(users.map((user) => [user.id, user]));
    // a user deleted between the two reads is left out
    return rows.flatMap((row) => {
      const user = byId.get(row.owner_id);
      if (!user) return [];
      const originalBytes = Number(row.original_bytes);
      const thumbnailBytes = Number(row.thumbnail_bytes);
      return [{ user, images: row.images, originalBytes, thumbnailBytes, bytes: originalBytes + thumbnailBytes }];
    });
  }
}
