import type { Storage } from '../storage/storage.js';
import { originalKey, thumbnailKey, thumbnailPrefix } from '../storage/paths.js';
import type { ImageFormat } from './image.entity.js';
import type { Thumbnail } from './image-processor.js';

export interface StoredImageRef {
  id: string;
  format: ImageFormat;
}

/** The files of images in storage: where each one goes and how to remove them all. */
export class ImageFiles {
  constructor(readonly storage: Storage) {}

  async writeThumbnails(image: StoredImageRef, thumbnails: readonly Thumbnail[]): Promise<void> {
    await Promise.all(thumbnails.map((t) => this.storage.put(thumbnailKey(image.id, t.height, image.format), t.data)));
  }

  moveOriginal(image: StoredImageRef, stagedPath: string): Promise<void> {
    return this.storage.putFile(originalKey(image.id, image.format), stagedPath);
  }

  readOriginal(image: StoredImageRef): Promise<Buffer | undefined> {
    return this.storage.read(originalKey(image.id, image.format));
  }

  readThumbnail(image: StoredImageRef, height: number): Promise<Buffer | undefined> {
    return this.storage.read(thumbnailKey(image.id, height, image.format));
  }

  /** A presigned URL of the original, or `undefined` when the storage cannot make one. */
  originalUrl(image: StoredImageRef, seconds: number, headers: { contentType: string; contentDisposition: string; cacheControl: string }): Promise<string> | undefined {
    return this.storage.presignedUrl?.(originalKey(image.id, image.format), seconds, headers);
  }

  streamOriginal(image: StoredImageRef) {
    return this.storage.createReadStream(originalKey(image.id, image.format));
  }

  /** Removes some thumbnails of one image; missing files are fine. */
  async removeThumbnails(image: StoredImageRef, heights: readonly number[]): Promise<void> {
    await Promise.all(heights.map((height) => this.storage.delete(thumbnailKey(image.id, height, image.format))));
  }

  /** Removes originals and every thumbnail; safe to call for images that were never fully written. */
  async removeAll(images: readonly StoredImageRef[]): Promise<void> {
    for (const image of images) {
      await Promise.all([this.storage.delete(originalKey(image.id, image.format)), this.storage.deletePrefix(thumbnailPrefix(image.id))]);
    }
  }
}
