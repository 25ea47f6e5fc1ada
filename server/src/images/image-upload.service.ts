import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';
import type { Sql } from '../db/sql.js';
import { QuotaService, type Reservation } from '../quotas/quota.service.js';
import type { Clock } from '../shared/clock.js';
import { AppError, BadUserInputError, ConflictError } from '../shared/errors.js';
import type { User } from '../users/user.entity.js';
import { cleanFilename } from './filename.js';
import type { ImageFiles } from './image-files.js';
import { ownedByHash } from './image-hashes.js';
import { makeThumbnails, probeImage, type VariantFormat } from './image-processor.js';
import { Image } from './image.entity.js';
import { stripLocationFromFile } from './location/strip-location.js';
import type { ProcessingPool } from './processing-pool.js';
import { extensionOf } from './storage-keys.js';
import { stageUpload, toUploadError, type StagedFile } from './upload-staging.js';
import type { UploadRef } from './upload.scalar.js';

export interface ImageLimits {
  maxUploadBytes: number;
  maxImagePixels: number;
  uploadTmpDir: string;
  /** Whether originals lose their location metadata before they are stored (ORIGINAL_LOCATION=strip). */
  stripLocation: boolean;
  /** Negotiated formats made at upload beside each thumbnail (PREGENERATE_FORMATS). */
  pregenerate: readonly VariantFormat[];
  /** Formats thumbnails are offered in besides the upload's (THUMBNAIL_FORMATS), in order of preference. */
  thumbnailFormats: readonly VariantFormat[];
}

/** Told what a committed batch stored anew and how many of its files the owner already had. */
export type UploadObserver = (stored: readonly Image[], duplicates: number) => void;

interface Received {
  index: number;
  upload: FileUpload;
  file: StagedFile;
}

/** Every column a new image row is written with; the dedupe spec holds it to the table's columns. */
export const INSERT_COLUMNS = [
  ...['id', 'owner_id', 'filename', 'format', 'width', 'height', 'bytes', 'sha256', 'created_at', 'stored_heights', 'thumbnail_sizes', 'location_stripped'],
  ...['placeholder_hash', 'placeholder_data_url', 'placeholder_color'],
];

/**
 * Uploads, in four steps: every file is received into staging and hashed as it streams; files whose
 * bytes the owner already has (or that repeat within the batch) are answered with that image; the
 * new ones are admitted against the tier's quotas; only then does image work start, and one
 * transaction commits the rows, which a concurrent upload of the same bytes may have beaten.
 */
export class UploadService {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: Sql,
    private readonly files: ImageFiles,
    private readonly pool: ProcessingPool,
    private readonly quotas: QuotaService,
    private readonly clock: Clock,
    private readonly limits: ImageLimits,
    private readonly observe: UploadObserver = () => {},
  ) {}

  /**
   * Stores a batch of uploads for the viewer, all or nothing: every file is checked and its thumbnails
   * written before any row is committed, and on any failure every file written so far is removed.
   * Equal bytes are one image per owner: within the batch, and with what the owner stored before.
   */
  async upload(viewer: User, uploads: UploadRef[]): Promise<Image[]> {
    if (uploads.length === 0) throw new BadUserInputError('No files were sent', { field: 'files' });
    const staged: StagedFile[] = [];
    const written: Image[] = [];
    let reservation: Reservation | undefined;
    try {
      const received = await this.receive(uploads, staged);
      const firstOfHash = new Map<string, Received>();
      for (const item of received) if (!firstOfHash.has(item.file.sha256)) firstOfHash.set(item.file.sha256, item);
      const images = await ownedByHash(this.sql, viewer, [...firstOfHash.keys()]);
      const fresh = [...firstOfHash.values()].filter((item) => !images.has(item.file.sha256));
      let stored: Image[] = [];
      if (fresh.length > 0) {
        // admitted before any image work: a refused batch costs no decode and leaves nothing behind
        if (QuotaService.limits(viewer.tier)) {
          reservation = await this.quotas.admit(viewer.id, { images: fresh.length, bytes: fresh.reduce((sum, item) => sum + item.file.bytes, 0) });
        }
        for (const item of fresh) written.push(await atIndex(uploads.length, item.index, () => this.prepare(viewer, item)));
        stored = await this.commit(viewer, written.splice(0), reservation, images);
      }
      this.observe(stored, received.length - stored.length);
      return received.map((item) => images.get(item.file.sha256)!);
    } catch (error) {
      await this.files.removeAll(written);
      if (reservation) await this.quotas.release(reservation);
      throw error;
    } finally {
      await Promise.all(staged.map((file) => file.remove()));
    }
  }

  /** Every file into staging, in order, hashed on the way; the first failure stops the batch. */
  private async receive(uploads: UploadRef[], staged: StagedFile[]): Promise<Received[]> {
    const received: Received[] = [];
    for (const [index, ref] of uploads.entries()) {
      received.push(
        await atIndex(uploads.length, index, async () => {
          const upload = await ref.file.catch((error: unknown) => {
            throw toUploadError(error, this.limits.maxUploadBytes);
          });
          const file = await stageUpload(() => upload.createReadStream(), this.limits.uploadTmpDir, this.limits.maxUploadBytes);
          staged.push(file);
          return { index, upload, file };
        }),
      );
    }
    return received;
  }

  /** Probe, thumbnails and location stripping in the pool, then the files written; no row yet. */
  private async prepare(viewer: User, { upload, file }: Received): Promise<Image> {
    const { maxImagePixels: maxPixels, stripLocation } = this.limits;
    const { probed, made, strippedBytes } = await this.pool.run(async () => {
      const probed = await probeImage(file.path, maxPixels);
      const made = await makeThumbnails(file.path, probed, viewer.tier.thumbnailHeights, maxPixels, { placeholder: true, variants: this.limits.pregenerate });
      // after decoding: only a file that decoded whole is edited
      const strippedBytes = stripLocation ? await stripLocationFromFile(file.path, probed.format, probed.orientation) : undefined;
      return { probed, made, strippedBytes };
    });
    const { thumbnails, placeholder } = made;
    const image = new Image();
    image.id = randomUUID();
    image.owner = viewer;
    image.filename = cleanFilename(upload.filename, extensionOf(probed.format));
    image.format = probed.format;
    image.width = probed.width;
    image.height = probed.height;
    image.bytes = strippedBytes ?? file.bytes;
    // the hash of what arrived, not of the stripped file: what the client can compute (see Image.sha256)
    image.sha256 = file.sha256;
    image.locationStripped = stripLocation;
    image.createdAt = this.clock.now();
    // side by side, ascending by height: what exists and how big it is (the dashboard's thumbnail bytes)
    const stored = [...thumbnails].sort((a, b) => a.height - b.height);
    image.storedHeights = stored.map((thumbnail) => thumbnail.height);
    image.thumbnailSizes = stored.map((thumbnail) => thumbnail.data.length);
    image.setPlaceholder(placeholder);
    await this.files.writeThumbnails(image, thumbnails);
    for (const variant of made.variants) await this.files.writeVariant(image, variant.height, variant.format, variant.data);
    await this.files.moveOriginal(image, file.path);
    return image;
  }

  /**
   * One transaction: the rows, and the reservation turned into the record of what was stored (usage
   * follows by trigger). A row whose hash the owner got meanwhile from a concurrent upload is skipped
   * by the unique index; that upload's image is the answer, and this one's files go. Fills `images`
   * with every hash's image; returns the ones stored anew.
   */
  private async commit(viewer: User, prepared: Image[], reservation: Reservation | undefined, images: Map<string, Image>): Promise<Image[]> {
    const cast = (column: string) => (column === 'stored_heights' || column === 'thumbnail_sizes' ? '?::int[]' : column === 'created_at' ? '?::timestamptz' : '?');
    const row = `(${INSERT_COLUMNS.map(cast).join(', ')})`;
    const values = prepared.flatMap((image) => [
      image.id,
      viewer.id,
      image.filename,
      image.format,
      image.width,
      image.height,
      image.bytes,
      image.sha256,
      image.createdAt.toISOString(),
      `{${image.storedHeights.join(',')}}`,
      `{${image.thumbnailSizes.join(',')}}`,
      image.locationStripped,
      image.placeholderHash,
      image.placeholderDataUrl,
      image.placeholderColor,
    ]);
    let inserted = new Set<string>();
    try {
      inserted = await this.em.fork().transactional(async (tx) => {
        const rows = await tx.execute<Array<{ id: string }>>(
          `insert into "images" (${INSERT_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${prepared.map(() => row).join(', ')} on conflict ("owner_id", "sha256") do nothing returning "id"`,
          values,
        );
        const ids = new Set(rows.map((r) => r.id));
        const kept = prepared.filter((image) => ids.has(image.id));
        await this.quotas.commitIn(tx, viewer.id, reservation, { images: kept.length, bytes: kept.reduce((sum, image) => sum + image.bytes, 0) });
        return ids;
      });
    } catch (error) {
      await this.files.removeAll(prepared);
      throw error;
    }
    const stored = prepared.filter((image) => inserted.has(image.id));
    const beaten = prepared.filter((image) => !inserted.has(image.id));
    for (const image of stored) images.set(image.sha256!, image);
    if (beaten.length > 0) {
      // files of a committed batch: a failure to remove them leaves orphans for the sweep, not an error
      await this.files.removeAll(beaten).catch(() => {});
      const winners = await ownedByHash(this.sql, viewer, beaten.map((image) => image.sha256!));
      for (const image of beaten) {
        const winner = winners.get(image.sha256!);
        if (!winner) throw new ConflictError('An image with the same bytes was stored and deleted while this upload ran; upload it again');
        images.set(image.sha256!, winner);
      }
    }
    return stored;
  }
}

/** Runs one file's step; in a batch an AppError names the file (`files.<index>`). */
async function atIndex<T>(count: number, index: number, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (count > 1 && error instanceof AppError) {
      throw new AppError(`File ${index + 1}: ${error.message}`, error.code, { ...error.extensions, field: `files.${index}` });
    }
    throw error;
  }
}
