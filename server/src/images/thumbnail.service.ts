import type { MikroORM } from '@mikro-orm/postgresql';
import { StoredImageCorruptError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ImageFiles, StoredImageRef } from './image-files.js';
import { ImageRejectedError, makeThumbnails, type Dimensions, type MadeThumbnails, type VariantFormat } from './image-processor.js';
import type { ImageJobTrigger, ProcessingPool } from './processing-pool.js';
import { addStoredHeights } from './stored-heights.js';

export type ThumbnailSource = StoredImageRef & Dimensions;

/**
 * Serves thumbnail bytes, making a missing one from the original on first request (a height added to
 * the tier after upload and not yet made by the background sync, or a file lost in a crash), and makes
 * missing thumbnails for the background sync. Concurrent requests in this process share one
 * generation; across processes a PostgreSQL advisory lock per image lets one instance generate while
 * the others wait and then read its result.
 */
export class ThumbnailService {
  private readonly inFlight = new Map<string, Promise<Buffer | undefined>>();
  /** How many thumbnails this process made; tests read it to prove work was not repeated. */
  generated = 0;
  /** How many thumbnails in a negotiated format this process made, likewise. */
  variantsMade = 0;

  constructor(
    private readonly orm: MikroORM,
    private readonly files: ImageFiles,
    private readonly pool: ProcessingPool,
    private readonly maxPixels: number,
    private readonly onGenerated: (count: number) => void = () => {},
    private readonly logger?: Logger,
    /** Formats made beside every thumbnail as it is made (PREGENERATE_FORMATS), instead of on first request. */
    private readonly pregenerate: readonly VariantFormat[] = [],
  ) {}

  /**
   * The thumbnail in a negotiated format: from storage, or made from the original on its first request
   * (in the worker pool, once however many requests ask at the same time in this process) and stored
   * beside the thumbnail. `undefined` when the original is gone.
   */
  async variant(image: ThumbnailSource, height: number, format: VariantFormat): Promise<Buffer | undefined> {
    const key = `${image.id}/${height}.${format}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const stored = await this.files.readThumbnail(image, height, format);
    if (stored) return stored;
    let making = this.inFlight.get(key);
    if (!making) {
      making = this.pool.run(() => this.makeVariant(image, height, format), 'lazy').finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, making);
    }
    return making;
  }

  private async makeVariant(image: ThumbnailSource, height: number, format: VariantFormat): Promise<Buffer | undefined> {
    const original = await this.files.readOriginal(image);
    if (!original) return undefined;
    const [made] = (await this.decoded(image, () => makeThumbnails(original, image, [height], this.maxPixels, { format }))).thumbnails;
    await this.files.writeVariant(image, height, format, made!.data);
    this.variantsMade++;
    return made!.data;
  }

  /** A decode of an original that was accepted at upload; failing now, the file changed since. */
  private async decoded(image: ThumbnailSource, decode: () => Promise<MadeThumbnails>): Promise<MadeThumbnails> {
    try {
      return await decode();
    } catch (error) {
      if (!(error instanceof ImageRejectedError)) throw error;
      // bit rot, or a truncation by a crash
      this.logger?.error({ imageId: image.id, reason: error.extensions.reason }, 'stored original is corrupt; its thumbnails cannot be made');
      throw new StoredImageCorruptError(image.id);
    }
  }

  /**
   * The thumbnail's bytes, or `undefined` when the original is gone too. Reads go through
   * `ImageFiles`, which keeps recently read thumbnails in memory; what this makes, it writes through
   * `ImageFiles` too, which drops any cached copy.
   */
  async get(image: ThumbnailSource, height: number): Promise<Buffer | undefined> {
    const key = `${image.id}/${height}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const stored = await this.files.readThumbnail(image, height);
    if (stored) return stored;
    // re-check after the read: another request may have started generating meanwhile
    let generating = this.inFlight.get(key);
    if (!generating) {
      generating = this.ensure(image, [height], 'lazy')
        .then((made) => made.get(height))
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, generating);
    }
    return generating;
  }

  /**
   * Makes whichever of `heights` are missing from storage, from one decode of the original, and
   * records them on the image. Returns the bytes of each height it has (made or found); empty when
   * the original is gone (the image was deleted meanwhile).
   */
  ensure(image: ThumbnailSource, heights: readonly number[], trigger: ImageJobTrigger): Promise<Map<number, Buffer>> {
    // the lock is taken inside the worker slot, so waiting for another instance never holds more
    // database connections than there are workers
    const made = this.pool.run(() => this.underImageLock(image.id, () => this.makeMissing(image, heights)), trigger);
    // one corrupt original must not stop a background sync of every image after it (Immich #10452);
    // it is logged, and a request for the thumbnail still gets the error
    return trigger === 'background' ? made.catch((error) => (error instanceof StoredImageCorruptError ? new Map() : Promise.reject(error))) : made;
  }

  private async makeMissing(image: ThumbnailSource, heights: readonly number[]): Promise<Map<number, Buffer>> {
    const found = new Map<number, Buffer>();
    const missing: number[] = [];
    for (const height of heights) {
      // another instance (or request) may have made it while this one waited for the lock
      const stored = await this.files.readStoredThumbnail(image, height);
      if (stored) found.set(height, stored);
      else missing.push(height);
    }
    if (missing.length === 0) return found;
    const original = await this.files.readOriginal(image);
    if (!original) return new Map();
    const { thumbnails: made, variants } = await this.decoded(image, () => makeThumbnails(original, image, missing, this.maxPixels, { variants: this.pregenerate }));
    await this.files.writeThumbnails(image, made);
    for (const variant of variants) await this.files.writeVariant(image, variant.height, variant.format, variant.data);
    this.generated += made.length;
    this.onGenerated(made.length);
    if (!(await addStoredHeights(this.orm.em.fork(), image.id, made.map((t) => ({ height: t.height, bytes: t.data.length }))))) {
      // the image was deleted while its thumbnails were being made: its cleanup may already have run
      await this.files.removeThumbnails(image, missing);
      return new Map();
    }
    for (const thumbnail of made) found.set(thumbnail.height, thumbnail.data);
    return found;
  }

  private async underImageLock<T>(imageId: string, work: () => Promise<T>): Promise<T> {
    const em = this.orm.em.fork();
    // a transaction-scoped lock frees itself on commit, rollback or a dropped connection: a crashed
    // instance can never leave an image locked
    return em.transactional(async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`thumbnails:${imageId}`]);
      return work();
    });
  }
}
