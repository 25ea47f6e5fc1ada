import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '../db/sql.js';
import { AppError, NotFoundError } from '../shared/errors.js';
import { checkPage, escapeLike, SortOrder } from '../shared/list-args.js';
import { LinkUrls } from '../links/link-urls.js';
import { isUuid } from '../shared/ids.js';
import type { User } from '../users/user.entity.js';
import type { ImageList, ImageListArgs } from './admin-image.args.js';
import { checkHashes, ownedByHash } from './image-hashes.js';
import { imagePage } from './image-pages.js';
import type { ImagesArgs } from './image-list.args.js';
import type { Background } from '../jobs/background.js';
import { thumbnailDimensions, type VariantFormat } from './image-processor.js';
import { Image, ImageFormat } from './image.entity.js';
import { ThumbnailFormat, type ImageConnection, type ImageSource, type Thumbnail } from './image.types.js';
import type { Placeholders } from './placeholders.js';
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
    /** Makes the placeholders of images stored before placeholders, when one is handed out. */
    private readonly placeholders?: Pick<Placeholders, 'fill'>,
    /** Formats thumbnails are offered in besides the upload's (THUMBNAIL_FORMATS), in order of preference. */
    private readonly thumbnailFormats: readonly VariantFormat[] = [],
  ) {}

  /**
   * The images, each with its placeholder: one from before placeholders that the backfill has not
   * reached yet gets it made now (and stored), one at a time, so a page of old images never takes more
   * than one image worker. One that cannot be made now (the workers busy, its files gone) goes out
   * grey this once; the backfill makes it later. After the backfill this is a check per row.
   */
  async withPlaceholders<T extends Image>(images: T[]): Promise<T[]> {
    if (!this.placeholders) return images;
    for (const image of images) {
      if (image.placeholderHash !== null) continue;
      const source = { id: image.id, format: image.format, width: image.width, height: image.height, heights: image.owner.tier.thumbnailHeights };
      const made = await this.placeholders.fill(source).catch((error: unknown) => {
        if (error instanceof AppError) return undefined;
        throw error;
      });
      if (made) image.setPlaceholder(made);
    }
    return images;
  }

  /** The viewer's images, a page at a time by keyset, in either order and direction (see imagePage). */
  async list(viewer: User, args: ImagesArgs): Promise<ImageConnection> {
    const page = await imagePage(this.sql, viewer, args);
    await this.withPlaceholders(page.edges.map((edge) => edge.node));
    return page;
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
    return { nodes: await this.withPlaceholders(nodes), totalCount };
  }

  /** The viewer's image; another user's image is "not found", exactly like a missing one. */
  async get(viewer: User, id: string): Promise<Image> {
    const image = isUuid(id) ? await this.em.findOne(Image, { id, owner: viewer.id }) : null;
    if (!image) throw new NotFoundError('Image');
    await this.withPlaceholders([image]);
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
      imageId: image.id,
      imageFormat: image.format,
      linkVersion: image.linkVersion,
    }));
  }

  /** The thumbnail in each offered format, best first, then in the upload's own. */
  sourcesOf(thumbnail: Thumbnail): ImageSource[] {
    const height = { kind: 'thumbnail', height: thumbnail.size } as const;
    const fixed = this.thumbnailFormats.map((format) => ({
      format: format === 'avif' ? ThumbnailFormat.AVIF : ThumbnailFormat.WEBP,
      mimeType: `image/${format}`,
      url: this.links.permanent(thumbnail.imageId, height, thumbnail.linkVersion, format),
    }));
    const own = thumbnail.imageFormat === ImageFormat.PNG ? { format: ThumbnailFormat.PNG, mimeType: 'image/png' } : { format: ThumbnailFormat.JPEG, mimeType: 'image/jpeg' };
    return [...fixed, { ...own, url: thumbnail.url }];
  }

  originalUrlOf(image: Image): string | null {
    return allowsVariant(image.owner.tier, { kind: 'original' }) ? this.links.permanent(image.id, { kind: 'original' }, image.linkVersion) : null;
  }
}
