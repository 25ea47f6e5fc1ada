import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../shared/logger.js';
import type { ImageFiles } from './image-files.js';
import { makeThumbnails } from './image-processor.js';
import { Image, type ImageFormat } from './image.entity.js';
import type { PlaceholderData } from './placeholder.js';
import type { ProcessingPool } from './processing-pool.js';

/** What making a placeholder needs of an image: its files and its size. */
export interface PlaceholderSource {
  id: string;
  format: ImageFormat;
  width: number;
  height: number;
  /** Heights whose thumbnails may be stored; the smallest is decoded instead of the original. */
  heights: readonly number[];
}

/**
 * Placeholders for images stored before placeholders existed: made from the image's smallest stored
 * thumbnail (a decode of a few kilobytes; the original only when none is left), then kept in the row.
 * On first read of such an image (once per image and process, however many requests ask) and by a
 * resumable background job that works through the rest.
 */
export class Placeholders {
  private readonly inFlight = new Map<string, Promise<PlaceholderData | undefined>>();

  constructor(
    private readonly em: EntityManager,
    private readonly files: Pick<ImageFiles, 'readThumbnail' | 'readOriginal'>,
    private readonly pool: ProcessingPool,
    private readonly maxPixels: number,
    private readonly logger: Logger,
  ) {}

  /** The image's placeholder, made and stored now; undefined when its files are gone. */
  fill(image: PlaceholderSource): Promise<PlaceholderData | undefined> {
    let pending = this.inFlight.get(image.id);
    if (!pending) {
      pending = this.pool.run(() => this.make(image), 'lazy').finally(() => this.inFlight.delete(image.id));
      this.inFlight.set(image.id, pending);
    }
    return pending;
  }

  /** Fills every image without a placeholder, a batch at a time; `until` (epoch ms) stops it between batches. */
  async backfill(until = Infinity, batchSize = 50): Promise<number> {
    let filled = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    while (Date.now() < until) {
      const em = this.em.fork();
      const batch = await em.find(Image, { placeholderHash: null, id: { $gt: after } }, { populate: ['owner.tier'], orderBy: { id: 'asc' }, limit: batchSize });
      if (batch.length === 0) break;
      for (const image of batch) {
        if (await this.fill({ ...image, id: image.id, heights: image.owner.tier.thumbnailHeights })) filled++;
      }
      after = batch.at(-1)!.id;
    }
    if (filled > 0) this.logger.info({ filled }, 'placeholder backfill: placeholders made');
    return filled;
  }

  private async make(image: PlaceholderSource): Promise<PlaceholderData | undefined> {
    let source: Buffer | undefined;
    let size = { width: image.width, height: image.height };
    for (const height of [...image.heights].sort((a, b) => a - b)) {
      source = await this.files.readThumbnail(image, height);
      if (source) {
        // a thumbnail is the original scaled to that height, never up
        const scale = Math.min(1, height / image.height);
        size = { width: Math.max(1, Math.round(image.width * scale)), height: Math.min(height, image.height) };
        break;
      }
    }
    source ??= await this.files.readOriginal(image);
    if (!source) return undefined;
    const { placeholder } = await makeThumbnails(source, { ...size, format: image.format }, [], this.maxPixels, { placeholder: true });
    if (!placeholder) return undefined;
    await this.em.fork().nativeUpdate(Image, { id: image.id, placeholderHash: null }, { placeholderHash: placeholder.thumbhash, placeholderDataUrl: placeholder.dataUrl, placeholderColor: placeholder.dominantColor });
    this.logger.debug({ imageId: image.id }, 'placeholder made for an image stored before placeholders');
    return placeholder;
  }
}
