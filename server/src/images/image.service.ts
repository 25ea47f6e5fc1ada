import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '../db/sql.js';
import { NotFoundError } from '../shared/errors.js';
import { checkPage, escapeLike, SortOrder } from '../shared/list-args.js';
import { LinkUrls } from '../links/link-urls.js';
import { isUuid } from '../shared/ids.js';
import type { User } from '../users/user.entity.js';
import type { ImageList, ImageListArgs } from './admin-image.args.js';
import { checkHashes, ownedByHash } from './image-hashes.js';
import { imagePage } from './image-pages.js';
import type { ImagesArgs } from './image-list.args.js';
import type { Background } from '../jobs/background.js';
import { thumbnailDimensions } from './image-processor.js';
import { Image } from './image.entity.js';
import type { ImageConnection, Thumbnail } from './image.types.js';
import { allowsVariant } from '../tiers/tier-policy.js';
import type { AccessChange } from '../links/serving-facts.js';

export class ImageService {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: Sql,
    private readonly links: LinkUrls,
    private readonly background: Pick<Background, 'removeFiles'>,
    /** Told of committed changes to what links grant, so this process's links follow at once. */
    private readonly accessChanged: (change: AccessChange) => void = () => {},
  ) {}

  /** The viewer's images, a page at a time by keyset, in either order and direction (see imagePage). */
  list(viewer: User, args: ImagesArgs): Promise<ImageConnection> {
    return imagePage(this.sql, viewer, args);
  }

  /**
   * Which of these hashes (SHA-256 of the bytes as uploaded) the viewer already has: their image, in
   * the order asked, null where none. At most MAX_HASHES at a time.
   */
  async bySha256(viewer: User, hashes: readonly string[]): Promise<Array<Image | null>> {
    const wanted = checkHashes(hashes);
    const owned = await ownedByHash(this.sql, viewer, wanted);
    return wanted.map((hash) => owned.get(hash) ?? null);
  }

  /** Every user's images, for admins: offset pages with owner and tier loaded. */
  async listAll(args: ImageListArgs): Promise<ImageList> {
    const { offset, limit } = checkPage(args);
    const where: FilterQuery<Image> = {};
    const filter = args.filter;
    if (filter?.ownerId) where.owner = isUuid(filter.ownerId) ? filter.ownerId : { $in: [] };
    if (filter?.q) where.filename = { $ilike: `%${escapeLike(filter.q)}%` };
    if (filter?.ids) where.id = { $in: filter.ids.filter(isUuid) };
    const order = args.sort?.order === SortOrder.ASC ? 'asc' : 'desc';
    const [nodes, totalCount] = await this.em.findAndCount(Image, where, {
      populate: ['owner.tier'],
      orderBy: [{ [args.sort?.field ?? 'createdAt']: order }, { id: order }],
      offset,
      limit,
    });
    return { nodes, totalCount };
  }

  /** The viewer's image; another user's image is "not found", exactly like a missing one. */
  async get(viewer: User, id: string): Promise<Image> {
    const image = isUuid(id) ? await this.em.findOne(Image, { id, owner: viewer.id }) : null;
    if (!image) throw new NotFoundError('Image');
    return image;
  }

  /** Removes the row, then the files: once the row is gone every link answers 404. */
  async delete(viewer: User, id: string): Promise<boolean> {
    const image = await this.get(viewer, id);
    await this.em.remove(image).flush();
    this.accessChanged({ kind: 'image', id: image.id });
    await this.background.removeFiles([image]);
    return true;
  }

  /** One per height of the owner's current tier, ascending. */
  thumbnailsOf(image: Image): Thumbnail[] {
    return image.owner.tier.thumbnailHeights.map((size) => ({
      size,
      ...thumbnailDimensions(image, size),
      url: this.links.permanent(image.id, { kind: 'thumbnail', height: size }, image.linkVersion),
    }));
  }

  originalUrlOf(image: Image): string | null {
    return allowsVariant(image.owner.tier, { kind: 'original' }) ? this.links.permanent(image.id, { kind: 'original' }, image.linkVersion) : null;
  }
}
