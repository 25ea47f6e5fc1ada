import type { MikroORM } from '@mikro-orm/postgresql';
import type { JobQueue, ThumbnailSyncJob } from '../jobs/job-queue.js';
import type { ImageFiles } from './image-files.js';
import type { ImageFormat } from './image.entity.js';
import { removeStoredHeights } from './stored-heights.js';
import type { ThumbnailService } from './thumbnail.service.js';

interface OutOfSyncImage {
  id: string;
  format: ImageFormat;
  width: number;
  height: number;
  stored_heights: number[];
  desired: number[];
}

const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Brings the thumbnails of a tier's (or a user's) images in line with the tier as it is when the job
 * runs, not as it was when the job was queued, so jobs can run late, twice or out of order and still
 * converge. One batch per run, then the next batch is queued: a crash loses at most one batch, which
 * pg-boss retries, and the work already done is skipped because `stored_heights` records it.
 */
export class ThumbnailSync {
  constructor(
    private readonly orm: MikroORM,
    private readonly thumbnails: ThumbnailService,
    private readonly files: ImageFiles,
    private readonly jobs: Pick<JobQueue, 'syncThumbnails'>,
    private readonly batchSize: number,
  ) {}

  async run(job: ThumbnailSyncJob): Promise<void> {
    const em = this.orm.em.fork();
    const byTier = 'tierId' in job.scope;
    const scopeId = 'tierId' in job.scope ? job.scope.tierId : job.scope.userId;
    const batch = await em.execute<OutOfSyncImage[]>(
      `select i."id", i."format", i."width", i."height", i."stored_heights", t."thumbnail_heights" as "desired"
         from "images" i join "users" u on u."id" = i."owner_id" join "tiers" t on t."id" = u."tier_id"
        where ${byTier ? 'u."tier_id"' : 'u."id"'} = ? and i."id" > ?
          and not (i."stored_heights" @> t."thumbnail_heights" and i."stored_heights" <@ t."thumbnail_heights")
        order by i."id" limit ?`,
      [scopeId, job.after ?? FIRST_ID, this.batchSize],
    );
    for (const image of batch) {
      const missing = image.desired.filter((height) => !image.stored_heights.includes(height));
      const dropped = image.stored_heights.filter((height) => !image.desired.includes(height));
      if (missing.length) await this.thumbnails.ensure(image, missing, 'background');
      if (dropped.length) {
        await removeStoredHeights(em, image.id, dropped);
        await this.files.removeThumbnails(image, dropped);
      }
    }
    if (batch.length === this.batchSize) await this.jobs.syncThumbnails({ scope: job.scope, after: batch.at(-1)!.id });
  }
}
