import { LRUCache } from 'lru-cache';
import type { ImageFormat } from './image.entity.js';

export interface ThumbnailCacheLimits {
  /** Total bytes held; 0 turns the cache off. */
  maxBytes: number;
  /** Largest thumbnail kept; bigger ones are read from storage every time. */
  maxItemBytes: number;
}

export interface ThumbnailCacheEvents {
  hit(): void;
  miss(): void;
}

interface ImageRef {
  id: string;
  format: ImageFormat;
}

/** A thumbnail in the upload's format, or in a negotiated one (`avif`, `webp`). */
const keyOf = (image: ImageRef, height: number, format: string = image.format) => `${image.id}/${height}/${format}`;

/**
 * Recently read thumbnails' bytes, least recently used dropped first once `maxBytes` is reached. It
 * holds bytes only, never an access decision: callers check the link and the owner's tier before
 * they ask. `ImageFiles` is its only user, and every write or removal of a thumbnail goes through
 * `ImageFiles`, which drops the entries it touches.
 */
export class ThumbnailCache {
  private readonly lru: LRUCache<string, Buffer> | undefined;
  /** The cached keys of each image, so removing an image drops its entries without a scan. */
  private readonly keysByImage = new Map<string, Set<string>>();
  /**
   * Moves on every invalidation. A read from storage that overlapped one is not cached: it may have
   * read a file that was then removed or replaced.
   */
  private generation = 0;

  constructor(
    limits: ThumbnailCacheLimits,
    private readonly events: ThumbnailCacheEvents = { hit() {}, miss() {} },
  ) {
    if (limits.maxBytes <= 0) return;
    this.lru = new LRUCache<string, Buffer>({
      maxSize: limits.maxBytes,
      maxEntrySize: Math.min(limits.maxItemBytes, limits.maxBytes),
      sizeCalculation: (bytes) => Math.max(1, bytes.length),
      dispose: (_bytes, key, reason) => {
        if (reason !== 'set') this.forget(key);
      },
    });
  }

  /** Bytes held now. */
  get size(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  /** A token to pass to `put` after reading from storage. */
  get version(): number {
    return this.generation;
  }

  get(image: ImageRef, height: number, format?: string): Buffer | undefined {
    if (!this.lru) return undefined;
    const bytes = this.lru.get(keyOf(image, height, format));
    if (bytes) this.events.hit();
    else this.events.miss();
    return bytes;
  }

  /** Whether the bytes are held, without counting a hit or a miss or touching their recency. */
  holds(image: ImageRef, height: number, format?: string): boolean {
    return this.lru?.has(keyOf(image, height, format)) ?? false;
  }

  /** Keeps bytes read from storage, unless they are too large or an invalidation came after `version`. */
  put(image: ImageRef, height: number, bytes: Buffer, version: number, format?: string): void {
    if (!this.lru || version !== this.generation) return;
    const key = keyOf(image, height, format);
    this.lru.set(key, bytes);
    if (!this.lru.has(key)) return; // over the per-item cap
    let keys = this.keysByImage.get(image.id);
    if (!keys) this.keysByImage.set(image.id, (keys = new Set()));
    keys.add(key);
  }

  /** Drops some heights of one image, in every format, or all of them when `heights` is omitted. */
  invalidate(image: ImageRef, heights?: readonly number[]): void {
    this.generation++;
    if (!this.lru) return;
    const held = [...(this.keysByImage.get(image.id) ?? [])];
    const prefixes = heights?.map((height) => `${image.id}/${height}/`);
    const keys = prefixes ? held.filter((key) => prefixes.some((prefix) => key.startsWith(prefix))) : held;
    for (const key of keys) this.lru.delete(key);
  }

  private forget(key: string): void {
    const imageId = key.slice(0, key.indexOf('/'));
    const keys = this.keysByImage.get(imageId);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.keysByImage.delete(imageId);
  }
}
