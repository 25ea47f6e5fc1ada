import type { ImageFiles, StoredImageRef } from './image-files.js';
import { makeThumbnails, type Dimensions } from './image-processor.js';
import type { ProcessingPool } from './processing-pool.js';

export type ThumbnailSource = StoredImageRef & Dimensions;

/**
 * Serves thumbnail bytes, making a missing one from the original on first request (a height added to
 * the tier after upload, or a file lost in a crash). Concurrent requests for the same missing
 * thumbnail share one generation.
 */
export class ThumbnailService {
  private readonly inFlight = new Map<string, Promise<Buffer | undefined>>();
  /** How many thumbnails were made on request; tests read it to prove single-flight. */
  generated = 0;

  constructor(
    private readonly files: ImageFiles,
    private readonly pool: ProcessingPool,
    private readonly maxPixels: number,
  ) {}

  /** The thumbnail's bytes, or `undefined` when the original is gone too. */
  async get(image: ThumbnailSource, height: number): Promise<Buffer | undefined> {
    const key = `${image.id}/${height}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const stored = await this.files.readThumbnail(image, height);
    if (stored) return stored;
    // re-check after the read: another request may have started generating meanwhile
    let generating = this.inFlight.get(key);
    if (!generating) {
      generating = this.generate(image, height).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, generating);
    }
    return generating;
  }

  private async generate(image: ThumbnailSource, height: number): Promise<Buffer | undefined> {
    // a request that read "missing" just before another finished generating would otherwise redo it
    const written = await this.files.readThumbnail(image, height);
    if (written) return written;
    const original = await this.files.readOriginal(image);
    if (!original) return undefined;
    const [thumbnail] = await this.pool.run(() => makeThumbnails(original, image, [height], this.maxPixels), 'lazy');
    await this.files.writeThumbnails(image, [thumbnail!]);
    this.generated++;
    return thumbnail!.data;
  }
}
