import { randomUUID } from 'node:crypto';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { AuditAction, AuditTargetType } from '../audit/audit-actions.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import { decodeCursor, encodeCursor } from '../images/cursor.js';
import { Image } from '../images/image.entity.js';
import type { ImageService } from '../images/image.service.js';
import type { Clock } from '../shared/clock.js';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { isUuid } from '../shared/ids.js';
import { allowsExpiringLinks } from '../tiers/tier-policy.js';
import type { User } from '../users/user.entity.js';
import { ExpiringLink } from './expiring-link.entity.js';
import type { ExpiringLinkConnection } from './link.types.js';
import type { LinkUrls } from './link-urls.js';
import type { AccessChange } from './serving-facts.js';

export const MIN_EXPIRES_IN = 300;
export const MAX_EXPIRES_IN = 30_000;
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

export interface ExpiringLinkQuery {
  imageId?: string;
  /** Admins only: another user's links. */
  ownerId?: string;
  includeExpired: boolean;
  first?: number;
  after?: string;
}

/**
 * Links owners manage: expiring links as rows they can list and revoke, and rotation of an image's
 * permanent links. Admins may act on anyone's; anyone else only on their own, and another user's link
 * or image is "not found", exactly like a missing one.
 */
export class LinkService {
  constructor(
    private readonly em: EntityManager,
    private readonly images: ImageService,
    private readonly urls: LinkUrls,
    private readonly clock: Clock,
    /** Records what admins do to other users' links, in the transaction that does it. */
    private readonly audit: AuditTrail,
    /** Told of committed changes to what links grant, so this process's links follow at once. */
    private readonly accessChanged: (change: AccessChange) => void = () => {},
  ) {}

  /** A link to one size of the image (`size` null: the original) that works for `expiresIn` seconds. */
  async createExpiring(viewer: User, imageId: string, expiresIn: number, size: number | null): Promise<ExpiringLink> {
    if (!Number.isInteger(expiresIn) || expiresIn < MIN_EXPIRES_IN || expiresIn > MAX_EXPIRES_IN) {
      throw new BadUserInputError(`expiresIn must be a whole number of seconds from ${MIN_EXPIRES_IN} to ${MAX_EXPIRES_IN}`, { field: 'expiresIn' });
    }
    if (!allowsExpiringLinks(viewer.tier)) throw new ForbiddenError(`The ${viewer.tier.name} tier has no expiring links`);
    if (size !== null && !viewer.tier.thumbnailHeights.includes(size)) {
      throw new BadUserInputError(`size must be one of your tier's thumbnail heights (${viewer.tier.thumbnailHeights.join(', ')}), or null for the original`, { field: 'size' });
    }
    const image = await this.images.get(viewer, imageId);
    const now = this.clock.now();
    const link = this.em.create(ExpiringLink, {
      id: randomUUID(),
      image,
      owner: viewer,
      size,
      createdAt: now,
      // whole seconds, as links always had: the expiry a client is shown is the one enforced
      expiresAt: new Date((Math.floor(now.getTime() / 1000) + expiresIn) * 1000),
      revokedAt: null,
    });
    await this.em.flush();
    return link;
  }

  urlOf(link: ExpiringLink): string {
    return this.urls.expiring(link.id);
  }

  /** The owner's links, newest first, by keyset; without `includeExpired` only those that still work. */
  async list(viewer: User, query: ExpiringLinkQuery): Promise<ExpiringLinkConnection> {
    const limit = query.first ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE) throw new BadUserInputError(`first must be between 0 and ${MAX_PAGE}`, { field: 'first' });
    const ownerId = query.ownerId ?? viewer.id;
    if (ownerId !== viewer.id && !viewer.isAdmin) throw new ForbiddenError('Only admins may list another user’s links');
    const where: FilterQuery<ExpiringLink> = { owner: isUuid(ownerId) ? ownerId : { $in: [] } };
    if (query.imageId !== undefined) {
      if (!viewer.isAdmin) await this.images.get(viewer, query.imageId);
      where.image = isUuid(query.imageId) ? query.imageId : { $in: [] };
    }
    if (!query.includeExpired) {
      where.revokedAt = null;
      where.expiresAt = { $gt: this.clock.now() };
    }
    const filter = { ...where };
    if (query.after) {
      const cursor = decodeCursor(query.after);
      where.$or = [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }];
    }
    // one row past the page says whether another follows, for `first: 0` too
    const rows = await this.em.find(ExpiringLink, where, { populate: ['image.owner.tier'], orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: limit + 1 });
    const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(node), node }));
    return {
      edges,
      // forward only: the Connections spec lets hasPreviousPage be false then
      pageInfo: { hasNextPage: rows.length > limit, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      countTotal: () => this.em.count(ExpiringLink, filter),
    };
  }

  /**
   * Stops the link at once; revoking a revoked link answers it unchanged. An admin revoking another
   * user's link is audited (also when it was revoked already: the admin still acted).
   */
  async revoke(viewer: User, id: string): Promise<ExpiringLink> {
    const link = isUuid(id) ? await this.em.findOne(ExpiringLink, viewer.isAdmin ? { id } : { id, owner: viewer.id }, { populate: ['image.owner.tier'] }) : null;
    if (!link) throw new NotFoundError('Expiring link');
    const revokedBefore = link.revokedAt;
    if (link.revokedAt === null) link.revokedAt = this.clock.now();
    const target = { type: AuditTargetType.EXPIRING_LINK, id: link.id };
    const changes = revokedBefore === null ? { before: { revokedAt: null }, after: { revokedAt: link.revokedAt.toISOString() } } : { before: {}, after: {} };
    this.audit.recordForOwner(this.em, link.owner.id, { action: AuditAction.EXPIRING_LINK_REVOKE, target, ...changes });
    await this.em.flush();
    if (revokedBefore === null) this.accessChanged({ kind: 'link', id: link.id });
    return link;
  }

  /** New permanent URLs for the image; the old ones answer 403 LINK_INVALID. Expiring links are not affected. */
  async rotate(viewer: User, imageId: string): Promise<Image> {
    const image = viewer.isAdmin
      ? isUuid(imageId) ? await this.em.findOne(Image, { id: imageId }, { populate: ['owner.tier'] }) : null
      : await this.images.get(viewer, imageId);
    if (!image) throw new NotFoundError('Image');
    const row = await this.em.transactional(async (tx) => {
      // in SQL, so two rotations at once both count and neither undoes the other
      const [updated] = await tx.execute<Array<{ link_version: number }>>('update images set link_version = link_version + 1 where id = ? returning link_version', [image.id]);
      if (!updated) throw new NotFoundError('Image');
      const target = { type: AuditTargetType.IMAGE, id: image.id };
      this.audit.recordForOwner(tx, image.owner.id, { action: AuditAction.IMAGE_ROTATE_LINKS, target, before: { linkVersion: updated.link_version - 1 }, after: { linkVersion: updated.link_version } });
      return updated;
    });
    // what the database holds now; not a change for the next flush to write
    this.em.getUnitOfWork().getOriginalEntityData(image)!.linkVersion = row.link_version;
    image.linkVersion = row.link_version;
    this.accessChanged({ kind: 'image', id: image.id });
    return image;
  }

  /** Deletes links that expired or were revoked more than `retentionDays` ago; the count deleted. */
  static async prune(em: EntityManager, clock: Clock, retentionDays: number): Promise<number> {
    const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000);
    return em.nativeDelete(ExpiringLink, { $or: [{ expiresAt: { $lt: cutoff } }, { revokedAt: { $lt: cutoff } }] });
  }
}
