import type { Readable } from 'node:stream';

/**
 * Where image bytes live. Keys are '/'-separated relative paths made by `paths.ts`, never by users.
 * Every write is atomic: a reader sees the whole object or nothing.
 */
/** One stored object as a listing sees it. */
export interface StoredObject {
  key: string;
  /** When the object was last written: the file's mtime, or S3's LastModified. */
  modifiedAt: Date;
}

export interface Storage {
  /** Stores bytes under key, replacing what was there. */
  put(key: string, data: Buffer): Promise<void>;
  /** Moves a local file (the staged upload) under key; the file is gone afterwards. */
  putFile(key: string, localPath: string): Promise<void>;
  /** The whole object, or `undefined` if there is none. */
  read(key: string): Promise<Buffer | undefined>;
  /** A stream of the object, or `undefined` if there is none. */
  createReadStream(key: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Removes every object under a folder prefix (ending in '/'); missing objects are fine. */
  deletePrefix(prefix: string): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Every object under a folder prefix (ending in '/'), in no particular order, page by page so a
   * bucket of millions never sits in memory; objects written meanwhile may or may not appear.
   */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** Bytes a write may still use, for a store on a volume that can fill up; object stores have no such figure. */
  freeBytes?(): Promise<number>;
  /** A URL that fetches the object straight from the store until it expires; only object stores have it. */
  presignedUrl?(key: string, expiresInSeconds: number, headers?: { contentType?: string; contentDisposition?: string; cacheControl?: string }): Promise<string>;
}
