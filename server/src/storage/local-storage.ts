import { randomUUID } from 'node:crypto';
import { copyFile, lstat, mkdir, open, readdir, readFile, rename, rm, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkRange, type ByteRange, type ObjectStream, type Storage, type StoredObject } from './storage.js';

/** Files under one root folder. Writes go to a temporary name first and are renamed into place. */
export class LocalStorage implements Storage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, data);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(localPath, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      // staged on another file system: copy beside the target, then rename, so the swap stays atomic
      const temp = `${target}.${randomUUID()}.tmp`;
      try {
        await copyFile(localPath, temp);
        await rename(temp, target);
      } catch (copyError) {
        await rm(temp, { force: true });
        throw copyError;
      }
      await unlink(localPath);
    }
  }

  async freeBytes(): Promise<number> {
    // bavail, not bfree: the blocks reserved for root are not ours to write
    const { bavail, bsize } = await statfs(this.root);
    return bavail * bsize;
  }

  async read(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async createReadStream(key: string, range?: ByteRange): Promise<ObjectStream | undefined> {
    checkRange(range);
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    let size;
    try {
      ({ size } = await handle.stat());
    } catch (error) {
      await handle.close();
      throw error;
    }
    // the stream owns the handle from here and closes it when done or destroyed
    if (!range || range.start >= size) return { stream: handle.createReadStream({ autoClose: true }), size };
    const part = { start: range.start, end: Math.min(range.end, size - 1) };
    return { stream: handle.createReadStream({ ...part, autoClose: true }), size, range: part };
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new Error(`a prefix names a folder and ends with '/': ${prefix}`);
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (!prefix.endsWith('/')) throw new Error(`a prefix names a folder and ends with '/': ${prefix}`);
    yield* this.walk(this.pathOf(prefix), prefix);
  }

  /** Depth first, one folder in memory at a time; folders that vanish mid-walk (a delete) are skipped. */
  private async *walk(dir: string, keyPrefix: string): AsyncIterable<StoredObject> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const key = `${keyPrefix}${entry.name}`;
      if (entry.isDirectory()) {
        yield* this.walk(join(dir, entry.name), `${key}/`);
      } else if (entry.isFile()) {
        const stats = await lstat(join(dir, entry.name)).catch((error: unknown) => {
          if (isMissing(error)) return undefined;
          throw error;
        });
        if (stats) yield { key, modifiedAt: stats.mtime };
      }
    }
  }

  /** Absolute path of a key, refusing anything that would land outside the root. */
  pathOf(key: string): string {
    const path = resolve(this.root, key);
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || key.includes('\0')) {
      throw new Error(`storage key outside the root: ${key}`);
    }
    return join(this.root, rel) + (key.endsWith('/') ? sep : '');
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
