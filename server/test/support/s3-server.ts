import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';

/** s3rver accepts any signature, but the SDK needs some credentials to sign with. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * A local S3 (s3rver) on a random loopback port, keeping objects in a temporary folder. It runs in a child process
 * because it needs OpenSSL's legacy provider for ListObjectsV2 paging (see s3rver-process.ts).
 */
export async function startS3rver(): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'imageapi-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', join(import.meta.dirname, 's3rver-process.ts'), directory], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  try {
    const [line] = (await Promise.race([once(createInterface({ input: child.stdout }), 'line'), exited])) as [string | number | null];
    if (typeof line !== 'string') throw new Error(`s3rver exited with code ${line} before listening`);
    const { port } = JSON.parse(line) as { port: number };
    return {
      endpoint: `http://127.0.0.1:${port}`,
      async stop() {
        child.stdin.end();
        await exited;
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child.kill();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** Bucket housekeeping for tests, outside the driver under test. */
export class S3Buckets {
  readonly client: S3Client;

  constructor(endpoint: string, credentials: typeof S3RVER_CREDENTIALS | undefined = S3RVER_CREDENTIALS, region = 'us-east-1') {
    this.client = new S3Client({ region, endpoint, forcePathStyle: true, credentials, maxAttempts: 1 });
  }

  async create(bucket: string): Promise<void> {
    await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
  }

  /** Every key in the bucket (under prefix), sorted. */
  async keys(bucket: string, prefix?: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    }
    return keys.sort();
  }

  /** Deletes every object under prefix (everything when unset). */
  async empty(bucket: string, prefix?: string): Promise<void> {
    const keys = await this.keys(bucket, prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
      await this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    }
  }

  async remove(bucket: string): Promise<void> {
    await this.empty(bucket);
    await this.client.send(new DeleteBucketCommand({ Bucket: bucket }));
  }

  close(): void {
    this.client.destroy();
  }
}

/** The settings that put a server on a bucket of its own on the local S3 server; the bucket is made here. */
export async function s3Storage(s3: LocalS3, name: string): Promise<{ bucket: string; env: Record<string, string> }> {
  const bucket = `${name}-${randomBytes(4).toString('hex')}`;
  await new S3Buckets(s3.endpoint).create(bucket);
  return {
    bucket,
    env: {
      STORAGE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
  };
}
