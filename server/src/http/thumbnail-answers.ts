import type { AppDeps } from '../graphql/context.js';
import type { VariantFormat } from '../images/image-processor.js';
import type { ThumbnailSource } from '../images/thumbnail.service.js';
import { RateLimitedError, StoredImageCorruptError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** A thumbnail's bytes and the format they are in (undefined: the upload's own), or why there are none. */
export type ThumbnailBytes = { bytes: Buffer; format: VariantFormat | undefined } | { refused: 'RATE_LIMITED' | 'IMAGE_CORRUPT' | 'NOT_FOUND'; message: string };

const MISSING = { refused: 'NOT_FOUND', message: 'This image’s file is missing' } as const;

/**
 * The thumbnail in the format asked for, made on its first request. One that cannot be made in that
 * format (an encoder failing on an odd image) goes out in the upload's format instead: logged and
 * counted, never an error for the client.
 */
export async function thumbnailBytes(
  deps: Pick<AppDeps, 'thumbnails' | 'metrics'>,
  logger: Logger,
  image: ThumbnailSource,
  height: number,
  format: VariantFormat | undefined,
): Promise<ThumbnailBytes> {
  try {
    if (format) {
      try {
        const bytes = await deps.thumbnails.variant(image, height, format);
        return bytes ? { bytes, format } : MISSING;
      } catch (error) {
        if (error instanceof RateLimitedError || error instanceof StoredImageCorruptError) throw error;
        logger.warn({ err: error, imageId: image.id, height, format }, 'thumbnail variant could not be made; sending the upload’s format');
        deps.metrics.thumbnailVariantFailures.inc({ format });
      }
    }
    const bytes = await deps.thumbnails.get(image, height);
    return bytes ? { bytes, format: undefined } : MISSING;
  } catch (error) {
    if (error instanceof RateLimitedError) return { refused: 'RATE_LIMITED', message: error.message };
    if (error instanceof StoredImageCorruptError) return { refused: 'IMAGE_CORRUPT', message: error.message };
    throw error;
  }
}
