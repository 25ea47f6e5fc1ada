import { randomUUID } from 'node:crypto';
import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '../db/sql.js';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';
import type { UploadRef } from './upload.scalar.js';
import { AppError, BadUserInputError, NotFoundError } from '../shared/errors.js';
import { checkPage, escapeLike, SortOrder } from '../shared/list-args.js';
import { LinkUrls } from '../links/link-urls.js';
import type { Clock } from '../shared/clock.js';
import { isUuid } from '../shared/ids.js';
import { extensionOf } from './storage-keys.js';
import type { User } from '../users/user.entity.js';
import type { ImageList, ImageListArgs } from './admin-image.args.js';
import { imagePage } from './image-pages.js';
import type { ImagesArgs } from './image-list.args.js';
import { cleanFilename } from './filename.js';
import type { Background } from '../jobs/background.js';
import type { ImageFiles } from './image-files.js';
import { makeThumbnails, probeImage, thumbnailDimensions, type VariantFormat } from './image-processor.js';
import { stripLocationFromFile } from './location/strip-location.js';
import { Image, ImageFormat } from './image.entity.js';
import { ThumbnailFormat, type ImageConnection, type ImageSource, type Thumbnail } from './image.types.js';
import type { ProcessingPool } from './processing-pool.js';
import type { Placeholders } from './placeholders.js';
import { stageUpload, toUploadError, type StagedFile } from './upload-staging.js';
import { allowsVariant } from '../tiers/tier-policy.js';
import type { AccessChange } from '../links/serving-facts.js';

export interface ImageLimits {
  maxUploadBytes: number;
  maxImagePixels: number;
  uploadTmpDir: string;
  /** Whether originals lose their location metadata before they are stored (ORIGINAL_LOCATION=strip). */
  stripLocation: boolean;
  /** Negotiated formats made at upload beside each thumbnail (PREGENERATE_FORMATS). */
  pregenerate: readonly VariantFormat[];
  /** Formats thumbnails are offered in besides the upload's (THUMBNAIL_FORMATS), in order of preference. */
  thumbnailFormats: readonly VariantFormat[];
}

export class ImageService {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: Sql,
    private readonly files: ImageFiles,
    private readonly pool: ProcessingPool,
    private readonly links: LinkUrls,
    private readonly clock: Clock,
    private readonly limits: ImageLimits,
    private readonly background: Pick<Background, 'removeFiles'>,
    /** Told of every committed batch (the upload metrics). */
    private readonly onStored: (images: readonly Image[]) => void = () => {},
    /** Told of committed changes to what links grant, so this process's links follow at once. */
    private readonly accessChanged: (change: AccessChange) => void = () => {},
    /** Makes the placeholders of images stored before placeholders, when one is handed out. */
    private readonly placeholders?: Pick<Placeholders, 'fill'>,
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

  /**
   * Stores a batch of uploads for the viewer, all or nothing: every file is checked and its thumbnails
   * written before any row is committed, and on any failure every file written so far is removed.
   */
  async upload(viewer: User, uploads: UploadRef[]): Promise<Image[]> {
    if (uploads.length === 0) throw new BadUserInputError('No files were sent', { field: 'files' });
    const staged: StagedFile[] = [];
    const images: Image[] = [];
    try {
      for (const [index, upload] of uploads.entries()) {
        try {
          const file = await upload.file.catch((error: unknown) => {
            throw toUploadError(error, this.limits.maxUploadBytes);
          });
          images.push(await this.storeOne(viewer, file, staged));
        } catch (error) {
          throw uploads.length > 1 && error instanceof AppError ? withIndex(error, index) : error;
        }
      }
      await this.em.persist(images).flush();
      this.onStored(images);
      return images;
    } catch (error) {
      await this.files.removeAll(images);
      throw error;
    } finally {
      await Promise.all(staged.map((file) => file.remove()));
    }
  }

  private async storeOne(viewer: User, upload: FileUpload, staged: StagedFile[]): Promise<Image> {
    const file = await stageUpload(() => upload.createReadStream(), this.limits.uploadTmpDir, this.limits.maxUploadBytes);
    staged.push(file);
    const { maxImagePixels: maxPixels, stripLocation } = this.limits;
    const { probed, made, strippedBytes } = await this.pool.run(async () => {
      const probed = await probeImage(file.path, maxPixels);
      const made = await makeThumbnails(file.path, probed, viewer.tier.thumbnailHeights, maxPixels, { placeholder: true, variants: this.limits.pregenerate });
      // after decoding: only a file that decoded whole is edited
      const strippedBytes = stripLocation ? await stripLocationFromFile(file.path, probed.format, probed.orientation) : undefined;
      return { probed, made, strippedBytes };
    });
    const { thumbnails, placeholder } = made;
    const image = new Image();
    image.id = randomUUID();
    image.owner = viewer;
    image.filename = cleanFilename(upload.filename, extensionOf(probed.format));
    image.format = probed.format;
    image.width = probed.width;
    image.height = probed.height;
    image.bytes = strippedBytes ?? file.bytes;
    image.locationStripped = stripLocation;
    image.createdAt = this.clock.now();
    // side by side, ascending by height: what exists and how big it is (the dashboard's thumbnail bytes)
    const stored = [...thumbnails].sort((a, b) => a.height - b.height);
    image.storedHeights = stored.map((thumbnail) => thumbnail.height);
    image.thumbnailSizes = stored.map((thumbnail) => thumbnail.data.length);
    image.setPlaceholder(placeholder);
    await this.files.writeThumbnails(image, thumbnails);
    for (const variant of made.variants) await this.files.writeVariant(image, variant.height, variant.format, variant.data);
    await this.files.moveOriginal(image, file.path);
    return image;
  }

  /** The viewer's images, a page at a time by keyset, in either order and direction (see imagePage). */
  async list(viewer: User, args: ImagesArgs): Promise<ImageConnection> {
    const page = await imagePage(this.sql, viewer, args);
    await this.withPlaceholders(page.edges.map((edge) => edge.node));
    return page;
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
    const fixed = this.limits.thumbnailFormats.map((format) => ({
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

function withIndex(error: AppError, index: number): AppError {
  const copy = new AppError(`File ${index + 1}: ${error.message}`, error.code, { ...error.extensions, field: `files.${index}` });
  return copy;
}
