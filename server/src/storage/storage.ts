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

/** Bytes `start` to `end` of an object, both counted from 0 and included, as Content-Range counts them. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An object being read: `size` is always the whole object's; `range` says which part the stream holds, when only a part. */
export interface ObjectStream {
  stream: Readable;
  size: number;
  range?: ByteRange;
}

export interface Storage {
  /** Stores bytes under key, replacing what was there. */
  put(key: string, data: Buffer): Promise<void>;
  /** Moves a local file (the staged upload) under key; the file is gone afterwards. */
  putFile(key: string, localPath: string): Promise<void>;
  /** The whole object, or `undefined` if there is none. */
  read(key: string): Promise<Buffer | undefined>;
  /**
   * A stream of the object, or `undefined` if there is none. With `range`, only those bytes, cut at the
   * object's end; a range starting past the end (the object is shorter than the caller thought) gets
   * the whole object, without `range` in the answer, so the caller never describes bytes it does not send.
   */
  createReadStream(key: string, range?: ByteRange): Promise<ObjectStream | undefined>;
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

/** Throws unless the range is one a driver can ask for: whole numbers, start ≤ end. */
export function checkRange(range: ByteRange | undefined): void {
  if (range && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.end >= range.start)) {
    throw new Error(`not a byte range: ${range.start}-${range.end}`);
  }
}
