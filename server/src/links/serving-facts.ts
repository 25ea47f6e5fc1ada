import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import type { ImageFormat } from '../images/image.entity.js';
import type { Clock } from '../shared/clock.js';
import type { TierPolicy } from '../tiers/tier-policy.js';

/** What serving a link needs to know of an image: its file, its owner, and the owner's tier policy. */
export interface ServingFacts {
  id: string;
  /** The uploaded name, cleaned; downloads are named after it. Set at upload and never changed. */
  filename: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  ownerId: string;
  tierId: string;
  policy: TierPolicy;
  /** Signed into every permanent link; rotating the image's links bumps it. */
  linkVersion: number;
}

/** What an expiring link grants, from its row; undefined `size` is the original. */
export interface ExpiringLinkFacts {
  id: string;
  imageId: string;
  size: number | null;
  /** Unix seconds. */
  expiresAt: number;
  revoked: boolean;
}

/** A change that may alter what a link grants; the database triggers publish the same on NOTIFY. */
export type AccessChange = { kind: 'image' | 'user' | 'tier' | 'link'; id: string };

/** `image:<uuid>`, `user:<uuid>`, `tier:<uuid>` or `link:<uuid>`, as the access triggers send them. */
export function parseAccessChange(payload: string): AccessChange | undefined {
  const match = /^(image|user|tier|link):([0-9a-f-]{36})$/.exec(payload);
  return match ? { kind: match[1] as AccessChange['kind'], id: match[2]! } : undefined;
}

export interface ServingFactsOptions {
  maxEntries: number;
  /** A second safety net behind the notifications: an entry is read again after this long. */
  ttlMs: number;
}

// named, so each pooled connection parses and plans it once: planning costs PostgreSQL several times
// what running it does
const FACTS_QUERY = {
  name: 'serving-facts',
  text: `select i.id, i.filename, i.format, i.width, i.height, i.bytes, i.owner_id, i.link_version, u.tier_id, t.thumbnail_heights, t.original_link, t.expiring_links
           from images i join users u on u.id = i.owner_id join tiers t on t.id = u.tier_id
          where i.id = $1`,
};

const LINK_QUERY = {
  name: 'expiring-link-facts',
  text: `select id, image_id, size, floor(extract(epoch from expires_at))::bigint as expires_at, revoked_at is not null as revoked
           from expiring_links where id = $1`,
};

// absence, cached like facts (lru-cache holds no null)
const MISSING = Object.freeze({ missing: true as const });

/**
 * Each image's serving facts in a bounded in-process cache, so a hot link costs no database round
 * trip. Kept right by invalidation: this process calls `forget` after its own committed changes, and
 * `AccessNotifications` calls it for every process's (PostgreSQL NOTIFY, sent by triggers in the same
 * transaction). While notifications may be missed (`trusted` false), every lookup reads the database.
 * Absence is cached too: ids are random, so an image never appears under an id a link was refused for.
 */
export class ServingFactsCache {
  private readonly entries: LRUCache<string, ServingFacts | typeof MISSING>;
  // expiring links by id, beside the images they point at, kept right by the same notifications
  private readonly links: LRUCache<string, ExpiringLinkFacts | typeof MISSING>;
  // bumped by every invalidation: a read that raced one must not store what it read
  private generation = 0;
  private trusted = false;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    options: ServingFactsOptions,
    clock: Clock,
  ) {
    // lru-cache wants a monotonic millisecond counter; the injected clock lets tests move time
    const settings = { max: options.maxEntries, ttl: options.ttlMs, ttlAutopurge: false, ttlResolution: 0, perf: { now: () => clock.now().getTime() } };
    this.entries = new LRUCache(settings);
    this.links = new LRUCache(settings);
  }

  /** The expiring link's facts, or undefined when no such link exists (never made, pruned, or its image deleted). */
  async link(linkId: string): Promise<ExpiringLinkFacts | undefined> {
    if (this.trusted) {
      const cached = this.links.get(linkId);
      if (cached !== undefined) return cached === MISSING ? undefined : (cached as ExpiringLinkFacts);
    }
    const generation = this.generation;
    const { rows } = await this.pool.query<Record<string, unknown>>({ ...LINK_QUERY, values: [linkId] });
    const row = rows[0];
    const facts = row && { id: row.id as string, imageId: row.image_id as string, size: row.size as number | null, expiresAt: Number(row.expires_at), revoked: row.revoked as boolean };
    if (this.trusted && generation === this.generation) this.links.set(linkId, facts ?? MISSING);
    return facts;
  }

  /** The image's facts, or undefined when it does not exist. */
  async get(imageId: string): Promise<ServingFacts | undefined> {
    if (this.trusted) {
      const cached = this.entries.get(imageId);
      if (cached !== undefined) return cached === MISSING ? undefined : (cached as ServingFacts);
    }
    const generation = this.generation;
    const facts = await this.read(imageId);
    if (this.trusted && generation === this.generation) this.entries.set(imageId, facts ?? MISSING);
    return facts;
  }

  /**
   * The facts held now, without a database read: undefined when not cached, stale, absent or while
   * untrusted. A caller that kept facts from `get` checks with it that they still hold (same object).
   */
  peek(imageId: string): ServingFacts | undefined {
    if (!this.trusted) return undefined;
    const cached = this.entries.get(imageId);
    return cached === undefined || cached === MISSING ? undefined : (cached as ServingFacts);
  }

  /** Like `peek`, for an expiring link's facts. */
  peekLink(linkId: string): ExpiringLinkFacts | undefined {
    if (!this.trusted) return undefined;
    const cached = this.links.get(linkId);
    return cached === undefined || cached === MISSING ? undefined : (cached as ExpiringLinkFacts);
  }

  /** Drops what the change may have made wrong. */
  forget(change: AccessChange): void {
    this.generation++;
    if (change.kind === 'link') {
      this.links.delete(change.id);
      return;
    }
    if (change.kind === 'image') {
      this.entries.delete(change.id);
      return;
    }
    const field = change.kind === 'user' ? 'ownerId' : 'tierId';
    for (const [id, facts] of this.entries.entries()) if (facts !== MISSING && (facts as ServingFacts)[field] === change.id) this.entries.delete(id);
  }

  /** Trusted only while changes reach us: set false when the listening connection drops, true once it is back. */
  setTrusted(trusted: boolean): void {
    this.generation++;
    this.entries.clear();
    this.links.clear();
    this.trusted = trusted;
  }

  get size(): number {
    return this.entries.size;
  }

  private async read(imageId: string): Promise<ServingFacts | undefined> {
    const { rows } = await this.pool.query<Record<string, unknown>>({ ...FACTS_QUERY, values: [imageId] });
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id as string,
      filename: row.filename as string,
      format: row.format as ImageFormat,
      width: row.width as number,
      height: row.height as number,
      bytes: row.bytes as number,
      ownerId: row.owner_id as string,
      tierId: row.tier_id as string,
      linkVersion: row.link_version as number,
      policy: { thumbnailHeights: row.thumbnail_heights as number[], originalLink: row.original_link as boolean, expiringLinks: row.expiring_links as boolean },
    };
  }
}
