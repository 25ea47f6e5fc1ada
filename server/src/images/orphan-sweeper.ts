import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Storage, StoredObject } from '../storage/storage.js';
import { Image } from './image.entity.js';

/** The folders image files live in (see storage/paths.ts); anything else in storage is not ours to judge. */
const AREAS = ['originals/', 'thumbnails/'] as const;
/** `originals/ab/<id>.png`, `thumbnails/ab/<id>/h200.png`, and the `.tmp` files of writes under way. */
const IMAGE_KEY = /^(?:originals|thumbnails)\/[0-9a-f]{2}\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})[./]/;
/** LocalStorage writes `<key>.<uuid>.tmp` and renames it into place; one left behind is a write cut short. */
const PARTIAL_WRITE = /\.[0-9a-f-]{36}\.tmp$/;
const BATCH = 500;

export interface SweepReport {
  /** Stored objects looked at. */
  scanned: number;
  /** Keys removed: files of images with no row, and half-written files. */
  removed: string[];
  /** Staged uploads removed from the upload temp folder. */
  stagedRemoved: number;
}

export interface OrphanSweeperOptions {
  /** Only things at least this old are touched, so uploads in flight keep their files. */
  graceSeconds: number;
  /** The upload temp folder of this process. */
  uploadTmpDir: string;
  /**
   * Where graphql-upload buffers multipart files (`os.tmpdir()`); only its `capacitor-*.tmp` files are
   * touched there, since the folder is shared with everything else on the machine.
   */
  multipartTmpDir?: string;
}

/** fs-capacitor's buffer files; graphql-upload removes them when a request ends, a kill leaves them. */
const MULTIPART_BUFFER = /^capacitor-[0-9a-f]+\.tmp$/;

/**
 * Removes what a crash leaves behind. An upload writes its files before it commits the image row, so
 * a process killed in between leaves files that no row points at; a kill in the middle of a local
 * write leaves a `.tmp` file; a kill during staging leaves the staged upload. None of these is ever
 * served, but they fill the disk. Only what is older than the grace period goes: a younger file
 * without a row may belong to an upload that is about to commit.
 */
export class OrphanSweeper {
  constructor(
    private readonly em: EntityManager,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: OrphanSweeperOptions,
  ) {}

  /** One pass over storage and the staging folder; safe to run on several instances at once. */
  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { scanned: 0, removed: [], stagedRemoved: 0 };
    const cutoff = this.cutoff();
    for (const area of AREAS) {
      let batch: StoredObject[] = [];
      for await (const object of this.storage.list(area)) {
        report.scanned++;
        if (object.modifiedAt.getTime() > cutoff) continue;
        batch.push(object);
        if (batch.length >= BATCH) {
          report.removed.push(...(await this.removeOrphans(batch)));
          batch = [];
        }
      }
      report.removed.push(...(await this.removeOrphans(batch)));
    }
    report.stagedRemoved = await this.sweepStaging();
    if (report.removed.length > 0 || report.stagedRemoved > 0) {
      this.logger.warn({ removed: report.removed.length, stagedRemoved: report.stagedRemoved, scanned: report.scanned }, 'orphan sweep removed files left by an interrupted write');
    } else {
      this.logger.info({ scanned: report.scanned }, 'orphan sweep found nothing to remove');
    }
    return report;
  }

  /** Staged uploads and multipart buffers older than the grace period: every live upload's are younger. */
  async sweepStaging(): Promise<number> {
    const { uploadTmpDir, multipartTmpDir } = this.options;
    let removed = await this.removeOld(uploadTmpDir, () => true);
    if (multipartTmpDir) removed += await this.removeOld(multipartTmpDir, (name) => MULTIPART_BUFFER.test(name));
    return removed;
  }

  private async removeOld(dir: string, matches: (name: string) => boolean): Promise<number> {
    const cutoff = this.cutoff();
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    let removed = 0;
    for (const name of names.filter(matches)) {
      const path = join(dir, name);
      const stats = await stat(path).catch(() => undefined);
      if (!stats?.isFile() || stats.mtime.getTime() > cutoff) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  private cutoff(): number {
    return this.clock.now().getTime() - this.options.graceSeconds * 1000;
  }

  private async removeOrphans(objects: readonly StoredObject[]): Promise<string[]> {
    const owned = new Map<string, string>();
    for (const { key } of objects) {
      const id = IMAGE_KEY.exec(key)?.[1];
      if (id) owned.set(key, id);
    }
    if (owned.size === 0) return [];
    const ids = [...new Set(owned.values())];
    const rows = await this.em.fork().find(Image, { id: { $in: ids } }, { fields: ['id'] });
    const existing = new Set(rows.map((row) => row.id));
    const doomed = [...owned].filter(([key, id]) => !existing.has(id) || PARTIAL_WRITE.test(key)).map(([key]) => key);
    for (const key of doomed) await this.storage.delete(key);
    return doomed;
  }
}
