import type { EntityManager } from '@mikro-orm/postgresql';
import sharp from 'sharp';
import type { Logger } from '../../shared/logger.js';
import type { ImageFiles } from '../image-files.js';
import { Image } from '../image.entity.js';
import { stripLocation } from './strip-location.js';

export interface BackfillReport {
  /** Originals read and checked. */
  checked: number;
  /** Of those, the ones that carried a location and were rewritten without it. */
  stripped: number;
}

/**
 * Strips the location from originals stored before stripping was on (older releases, or while
 * ORIGINAL_LOCATION was `keep`), a batch at a time, so every original a link serves is stripped.
 * An original is rewritten under its own key; a download already under way finishes with the old bytes.
 */
export class LocationBackfill {
  constructor(
    private readonly em: EntityManager,
    private readonly files: Pick<ImageFiles, 'readOriginal' | 'replaceOriginal'>,
    private readonly logger: Logger,
    private readonly batchSize = 50,
  ) {}

  /** Works through every image not yet stripped; `until` (epoch ms) stops it between batches, for the next run to go on. */
  async run(until = Infinity): Promise<BackfillReport> {
    const report: BackfillReport = { checked: 0, stripped: 0 };
    while (Date.now() < until) {
      const em = this.em.fork();
      const batch = await em.find(Image, { locationStripped: false }, { fields: ['id', 'format'], orderBy: { id: 'asc' }, limit: this.batchSize });
      if (batch.length === 0) break;
      const unchanged: string[] = [];
      for (const image of batch) {
        const stripped = await this.strip(image);
        if (stripped) {
          await em.nativeUpdate(Image, { id: image.id }, { bytes: stripped.length, locationStripped: true });
          report.stripped++;
        } else {
          unchanged.push(image.id);
        }
      }
      if (unchanged.length) await em.nativeUpdate(Image, { id: { $in: unchanged } }, { locationStripped: true });
      report.checked += batch.length;
    }
    if (report.checked > 0) this.logger.info(report, 'location backfill: originals checked');
    return report;
  }

  /** The stripped bytes, written back; undefined when the original had no location or is missing. */
  private async strip(image: Pick<Image, 'id' | 'format'>): Promise<Buffer | undefined> {
    const bytes = await this.files.readOriginal(image);
    if (!bytes) return undefined;
    const orientation = await sharp(bytes)
      .metadata()
      .then((meta) => meta.orientation ?? 1)
      .catch(() => 1);
    const stripped = stripLocation(bytes, image.format, orientation);
    if (stripped) await this.files.replaceOriginal(image, stripped);
    return stripped;
  }
}
