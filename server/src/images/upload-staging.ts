import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, BadUserInputError, ServiceUnavailableError } from '../shared/errors.js';
import { storageFaultOf } from '../shared/os-errors.js';
import { ImageRejectedError } from './image-processor.js';

export interface StagedFile {
  path: string;
  bytes: number;
  /** Hex SHA-256 of the bytes as they arrived: what identifies the upload (see Image.sha256). */
  sha256: string;
  remove(): Promise<void>;
}

class TooLargeSignal extends Error {}

/**
 * Streams an upload to a file of its own in the staging folder, counting and hashing bytes as they
 * pass and stopping at the limit, so an oversized upload never sits whole in memory or on disk, and
 * its hash costs no second read.
 */
export async function stageUpload(openSource: () => Readable, dir: string, maxBytes: number): Promise<StagedFile> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${randomUUID()}.upload`);
  const remove = () => rm(path, { force: true });
  let bytes = 0;
  const hash = createHash('sha256');
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) return callback(new TooLargeSignal());
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    // graphql-upload throws from createReadStream when the file already failed while arriving (413)
    await pipeline(openSource(), counter, createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    await remove();
    throw toUploadError(error, maxBytes);
  }
  if (bytes === 0) {
    await remove();
    throw new ImageRejectedError('EMPTY');
  }
  return { path, bytes, sha256: hash.digest('hex'), remove };
}

const UNSTORABLE = 'Uploads cannot be stored right now';

/**
 * What a failed upload means to the client. Errors of our own disk are ours (SERVICE_UNAVAILABLE, or
 * masked); everything else came from the request: too large, cut short, or malformed multipart.
 */
export function toUploadError(error: unknown, maxBytes: number): Error {
  if (error instanceof AppError) return error;
  const status = (error as { status?: number }).status;
  if (error instanceof TooLargeSignal || status === 413) return new ImageRejectedError('TOO_LARGE', `the limit is ${maxBytes} bytes`);
  // the folder uploads are received into, not the image storage: the message says so
  const fault = storageFaultOf(error);
  if (fault) return new ServiceUnavailableError(UNSTORABLE, { reason: fault });
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('E')) return error as Error;
  // fs-capacitor's own buffer file failed (its folder unwritable or full); a client abort fails earlier, differently
  if ((error as Error | null)?.constructor?.name === 'ReadAfterDestroyedError') return new ServiceUnavailableError(UNSTORABLE, { reason: 'STORAGE_UNWRITABLE' });
  if (status === 499) return new BadUserInputError('The upload did not arrive whole', { reason: 'INCOMPLETE_UPLOAD' });
  return new BadUserInputError('The upload could not be read', { reason: 'MALFORMED_UPLOAD' });
}
