import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkRange, type ByteRange, type ObjectStream, type Storage, type StoredObject } from './storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible service (MinIO, Ceph, R2…); unset means AWS. */
  endpoint: string | undefined;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`; most self-hosted services need it. */
  forcePathStyle: boolean;
  /** Unset uses the SDK's default chain (environment, profile, instance or task role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Multipart part size for `putFile`, in bytes; S3 refuses parts under 5 MiB. */
  partSize?: number;
  /** Keys listed and deleted per round in `deletePrefix`; S3 allows at most 1000. */
  deleteBatchSize?: number;
}

/** Response headers a presigned URL makes S3 send, so a redirected download looks like one we served. */
export interface PresignedHeaders {
  contentType?: string;
  contentDisposition?: string;
  cacheControl?: string;
}

const MIB = 1024 * 1024;
/** SigV4 presigned URLs live at most seven days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Objects in one S3 bucket. A PUT replaces an object whole, so writes are atomic without temporary keys. */
export class S3Storage implements Storage {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly deleteBatchSize: number;

  constructor(private readonly options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.partSize = options.partSize ?? 8 * MIB;
    this.deleteBatchSize = options.deleteBatchSize ?? 1000;
    if (this.deleteBatchSize < 1 || this.deleteBatchSize > 1000) throw new Error(`deleteBatchSize must be 1 to 1000: ${this.deleteBatchSize}`);
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      maxAttempts: 3,
      // a dead endpoint fails in seconds; a stalled transfer after 30 s without a byte, not mid-way through a slow one
      requestHandler: { connectionTimeout: 5_000, socketTimeout: 30_000 },
      // many S3-compatible services reject the SDK's newer default checksum headers; AWS keeps them
      ...(options.endpoint ? ({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } as const) : {}),
    });
  }

  /** Fails with a message naming the bucket unless it exists and these credentials may use it. */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw new Error(`S3 bucket "${this.bucket}" at ${this.where()} is not usable: ${explain(error)}`, { cause: error });
    }
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: checkKey(key), Body: data }));
  }

  async putFile(key: string, localPath: string): Promise<void> {
    // streamed in parts, so a large original is never held in memory whole; on failure the staged file stays for the caller
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: checkKey(key), Body: createReadStream(localPath) },
      partSize: this.partSize,
      queueSize: 4,
    });
    await upload.done();
    await unlink(localPath);
  }

  async read(key: string): Promise<Buffer | undefined> {
    const object = await this.get(key);
    if (!object?.Body) return undefined;
    const bytes = await object.Body.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async createReadStream(key: string, range?: ByteRange): Promise<ObjectStream | undefined> {
    checkRange(range);
    const object = range ? await this.getRange(key, range) : await this.get(key);
    if (!object?.Body) return undefined;
    if (!(object.Body instanceof Readable) || object.ContentLength === undefined) {
      (object.Body as { destroy?: () => void }).destroy?.();
      throw new Error(`S3 answered ${key} without a Node stream and a length`);
    }
    // what S3 says it sent, not what was asked: it cuts a range at the object's end
    const sent = object.ContentRange && /^bytes (\d+)-(\d+)\/(\d+)$/.exec(object.ContentRange);
    if (!sent) return { stream: object.Body, size: object.ContentLength };
    return { stream: object.Body, size: Number(sent[3]), range: { start: Number(sent[1]), end: Number(sent[2]) } };
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new Error(`a prefix names a folder and ends with '/': ${prefix}`);
    checkKey(prefix.slice(0, -1));
    const pages = paginateListObjectsV2({ client: this.client, pageSize: this.deleteBatchSize }, { Bucket: this.bucket, Prefix: prefix });
    for await (const page of pages) {
      const objects = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (objects.length === 0) continue;
      const result = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }));
      // DeleteObjects answers 200 even when single keys fail; those come back in Errors
      const failed = result.Errors ?? [];
      if (failed.length > 0) throw new Error(`could not delete ${failed.length} objects under ${prefix}, first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`);
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a missing key too, so this is idempotent like rm --force
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (!prefix.endsWith('/')) throw new Error(`a prefix names a folder and ends with '/': ${prefix}`);
    checkKey(prefix.slice(0, -1));
    const pages = paginateListObjectsV2({ client: this.client, pageSize: this.deleteBatchSize }, { Bucket: this.bucket, Prefix: prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key && object.LastModified) yield { key: object.Key, modifiedAt: object.LastModified };
      }
    }
  }

  /** A URL that fetches the object straight from S3 until it expires, for redirecting large downloads. */
  async presignedUrl(key: string, expiresInSeconds: number, headers: PresignedHeaders = {}): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new Error(`a presigned URL lives 1 to ${MAX_PRESIGN_SECONDS} seconds: ${expiresInSeconds}`);
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: checkKey(key),
      ResponseContentType: headers.contentType,
      ResponseContentDisposition: headers.contentDisposition,
      ResponseCacheControl: headers.cacheControl,
    });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }

  /** Closes pooled connections; the storage is unusable afterwards. */
  close(): void {
    this.client.destroy();
  }

  /** The object from `range.start` on, or the whole when it starts past the end (S3's 416 InvalidRange): the caller thought it longer. */
  private async getRange(key: string, range: ByteRange): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.get(key, `bytes=${range.start}-${range.end}`);
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name !== 'InvalidRange' && e.$metadata?.httpStatusCode !== 416) throw error;
      return this.get(key);
    }
  }

  private async get(key: string, range?: string): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkKey(key), Range: range }));
    } catch (error) {
      // only a definite "no such key": a 403 may hide a missing object but also wrong credentials, so it stays an error
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  private where(): string {
    return this.options.endpoint ?? `AWS region ${this.options.region}`;
  }
}

/**
 * The same keys LocalStorage accepts: relative, '/'-separated, no '.' or '..' segments. S3 would store such keys
 * literally, but refusing them keeps both drivers to one contract and catches a key built from the wrong input.
 */
function checkKey(key: string): string {
  const segments = key.split('/');
  if (key === '' || key.includes('\0') || key.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`storage key outside the root: ${key}`);
  }
  return key;
}

function explain(error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status === 404) return 'the bucket does not exist (check S3_BUCKET and S3_ENDPOINT)';
  if (status === 403) return 'access denied (check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and the bucket policy)';
  if (status === 301) return 'the bucket is in another region (check S3_REGION)';
  return `${e.code ?? e.name ?? 'error'}: ${e.message ?? String(error)}`;
}
