import { access } from 'node:fs/promises';
import { asStorageFaultError } from '../shared/os-errors.js';
import { LocalStorage } from '../storage/local-storage.js';
import type { ByteRange, Storage } from '../storage/storage.js';
import { originalKey, thumbnailKey, thumbnailPrefix, variantKey } from './storage-keys.js';
import type { ImageFormat } from './image.entity.js';
import { VARIANT_FORMATS, type Thumbnail, type VariantFormat } from './image-processor.js';
import { ThumbnailCache } from './thumbnail-cache.js';

export interface StoredImageRef {
  id: string;
  format: ImageFormat;
}

/**
 * The files of images in storage: where each one goes and how to remove them all. Every write and
 * removal of a thumbnail passes through here, so this is where its cached bytes are dropped.
 */
export class ImageFiles {
  constructor(
    readonly storage: Storage,
    private readonly cache: ThumbnailCache = new ThumbnailCache({ maxBytes: 0, maxItemBytes: 0 }),
  ) {}

  /** Writes all of them or, on failure, none: those already written are removed again. */
  async writeThumbnails(image: StoredImageRef, thumbnails: readonly Thumbnail[]): Promise<void> {
    const heights = thumbnails.map((t) => t.height);
    await this.changing(image, heights, async () => {
      // settled, not Promise.all: a write still under way when another failed would land after the cleanup
      const results = await Promise.allSettled(thumbnails.map((t) => this.storage.put(thumbnailKey(image.id, t.height, image.format), t.data)));
      const failed = results.find((result) => result.status === 'rejected');
      if (!failed) return;
      await Promise.all(heights.map((height) => this.storage.delete(thumbnailKey(image.id, height, image.format)))).catch(() => {
        // storage refuses deletes too (read-only): the orphan sweep removes them once it can
      });
      throw asStorageError(failed.reason);
    });
  }

  /**
   * The last write of a new image, after its thumbnails. If it fails the image will not be stored,
   * so its thumbnails go too, and the caller is left with nothing to clean up in storage.
   */
  async moveOriginal(image: StoredImageRef, stagedPath: string): Promise<void> {
    try {
      await this.storage.putFile(originalKey(image.id, image.format), stagedPath);
    } catch (error) {
      await this.changing(image, undefined, () => this.storage.deletePrefix(thumbnailPrefix(image.id))).catch(() => {});
      throw asStorageError(error);
    }
  }

  /** Writes new bytes over a stored original (the location backfill); atomic, like every write. */
  async replaceOriginal(image: StoredImageRef, data: Buffer): Promise<void> {
    await this.storage.put(originalKey(image.id, image.format), data).catch((error: unknown) => {
      throw asStorageError(error);
    });
  }

  readOriginal(image: StoredImageRef): Promise<Buffer | undefined> {
    return this.storage.read(originalKey(image.id, image.format));
  }

  /** The thumbnail's bytes (in the upload's format, or in `format`), from memory when this process read them recently. */
  async readThumbnail(image: StoredImageRef, height: number, format?: VariantFormat): Promise<Buffer | undefined> {
    const cached = this.cache.get(image, height, format);
    if (cached) return cached;
    const version = this.cache.version;
    const bytes = await this.storage.read(format ? variantKey(image.id, height, format) : thumbnailKey(image.id, height, image.format));
    if (bytes) this.cache.put(image, height, bytes, version, format);
    return bytes;
  }

  /** Stores a thumbnail made in a negotiated format, beside the one in the upload's format. */
  async writeVariant(image: StoredImageRef, height: number, format: VariantFormat, data: Buffer): Promise<void> {
    await this.changing(image, [height], () => this.storage.put(variantKey(image.id, height, format), data)).catch((error: unknown) => {
      throw asStorageError(error);
    });
  }

  /** The thumbnail's bytes if this process holds them in memory now; never reads storage. */
  cachedThumbnail(image: StoredImageRef, height: number, format?: VariantFormat): Buffer | undefined {
    return this.cache.get(image, height, format);
  }

  /** Whether `cachedThumbnail` would answer now; counts nothing. */
  holdsThumbnail(image: StoredImageRef, height: number, format?: VariantFormat): boolean {
    return this.cache.holds(image, height, format);
  }

  /** The thumbnail's bytes in storage now, past the cache: another instance may have just written them. */
  readStoredThumbnail(image: StoredImageRef, height: number): Promise<Buffer | undefined> {
    return this.storage.read(thumbnailKey(image.id, height, image.format));
  }

  /**
   * The storage key of the original (no `height`) or of a thumbnail when its file is on local disk,
   * found with a stat rather than a read, for a proxy that reads the same folder to send it
   * (X-Accel-Redirect); `undefined` when the file is missing.
   */
  async localFileKey(image: StoredImageRef, height?: number, format?: VariantFormat): Promise<string | undefined> {
    if (!(this.storage instanceof LocalStorage)) throw new Error('only files on local disk can be handed to a proxy');
    const key = height === undefined ? originalKey(image.id, image.format) : format ? variantKey(image.id, height, format) : thumbnailKey(image.id, height, image.format);
    return access(this.storage.pathOf(key)).then(
      () => key,
      () => undefined,
    );
  }

  /** A presigned URL of the original, or `undefined` when the storage cannot make one. */
  originalUrl(image: StoredImageRef, seconds: number, headers: { contentType: string; contentDisposition: string; cacheControl: string }): Promise<string> | undefined {
    return this.storage.presignedUrl?.(originalKey(image.id, image.format), seconds, headers);
  }

  /** The original, or the bytes of `range` of it (see `Storage.createReadStream`). */
  streamOriginal(image: StoredImageRef, range?: ByteRange) {
    return this.storage.createReadStream(originalKey(image.id, image.format), range);
  }

  /** Removes some thumbnails of one image, in every format; missing files are fine. */
  async removeThumbnails(image: StoredImageRef, heights: readonly number[]): Promise<void> {
    const keys = heights.flatMap((height) => [thumbnailKey(image.id, height, image.format), ...VARIANT_FORMATS.map((format) => variantKey(image.id, height, format))]);
    await this.changing(image, heights, () => Promise.all(keys.map((key) => this.storage.delete(key))));
  }

  /** Removes originals and every thumbnail; safe to call for images that were never fully written. */
  async removeAll(images: readonly StoredImageRef[]): Promise<void> {
    for (const image of images) {
      await this.changing(image, undefined, () =>
        Promise.all([this.storage.delete(originalKey(image.id, image.format)), this.storage.deletePrefix(thumbnailPrefix(image.id))]),
      );
    }
  }

  /** Drops the cached bytes before and after a change, so no read that overlapped it is kept. */
  private async changing(image: StoredImageRef, heights: readonly number[] | undefined, change: () => Promise<unknown>): Promise<void> {
    this.cache.invalidate(image, heights);
    try {
      await change();
    } finally {
      this.cache.invalidate(image, heights);
    }
  }
}

/**
 * A write the storage refused for a reason of its own (full, read-only, a broken folder) is ours, not
 * the client's: SERVICE_UNAVAILABLE with a reason an operator can act on. Anything else passes as it is.
 */
export function asStorageError(error: unknown): unknown {
  return asStorageFaultError(error) ?? error;
}
