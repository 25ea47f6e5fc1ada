import type { ImageFiles, StoredImageRef } from '../images/image-files.js';
import type { Logger } from '../shared/logger.js';
import type { JobQueue, ThumbnailSyncJob } from './job-queue.js';

/**
 * What services hand to the background after their change is committed. Queueing can fail (the
 * database just went away); the change itself stands, so a failure here never fails the request:
 * missing thumbnails are still made on first request, and files that could not be queued for
 * removal are removed at once instead.
 */
export class Background {
  constructor(
    private readonly jobs: Pick<JobQueue, 'syncThumbnails' | 'cleanupFiles'>,
    private readonly files: ImageFiles,
    private readonly logger: Logger,
  ) {}

  async syncThumbnails(scope: ThumbnailSyncJob['scope']): Promise<void> {
    try {
      await this.jobs.syncThumbnails({ scope });
    } catch (error) {
      this.logger.warn({ err: error, scope }, 'could not queue a thumbnail sync; thumbnails will be made on first request');
    }
  }

  async removeFiles(images: readonly StoredImageRef[]): Promise<void> {
    if (images.length === 0) return;
    try {
      await this.jobs.cleanupFiles(images);
    } catch (error) {
      this.logger.warn({ err: error, images: images.length }, 'could not queue file cleanup; removing the files now');
      await this.files.removeAll(images);
    }
  }
}
