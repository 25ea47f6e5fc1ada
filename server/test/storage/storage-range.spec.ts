import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { S3Storage } from '../../src/storage/s3-storage.js';
import type { ObjectStream, Storage } from '../../src/storage/storage.js';
import { S3Buckets, S3RVER_CREDENTIALS, startS3rver, type LocalS3 } from '../support/s3-server.js';

// Ranged reads, which resumable downloads of originals stand on (issue 13): each driver streams only
// the bytes asked for, says which, and never describes bytes it does not send.

const KEY = 'originals/ab/ranged.jpg';
const DATA = randomBytes(10_000);

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The bytes read, after checking they are exactly the ones the answer says it holds. */
async function read(answer: ObjectStream | undefined): Promise<Buffer> {
  expect(answer).toBeDefined();
  const bytes = await collect(answer!.stream);
  expect(answer!.size).toBe(DATA.length);
  const { start, end } = answer!.range ?? { start: 0, end: DATA.length - 1 };
  expect(bytes.equals(DATA.subarray(start, end + 1))).toBe(true);
  return bytes;
}

function rangeContract(make: () => Promise<Storage>) {
  let storage: Storage;
  beforeAll(async () => {
    storage = await make();
    await storage.put(KEY, DATA);
  });

  it('streams the bytes of a range, both ends included, and says which', async () => {
    const answer = await storage.createReadStream(KEY, { start: 100, end: 199 });
    expect(answer?.range).toEqual({ start: 100, end: 199 });
    expect((await read(answer)).length).toBe(100);
    const last = await storage.createReadStream(KEY, { start: DATA.length - 1, end: DATA.length - 1 });
    expect(last?.range).toEqual({ start: DATA.length - 1, end: DATA.length - 1 });
    expect((await read(last)).length).toBe(1);
  });

  it('cuts a range at the end of the object', async () => {
    const answer = await storage.createReadStream(KEY, { start: 9_000, end: 20_000 });
    expect(answer?.range).toEqual({ start: 9_000, end: DATA.length - 1 });
    expect((await read(answer)).length).toBe(1_000);
  });

  it('gives the whole object, and no range, for a range starting past the end or none at all', async () => {
    for (const range of [{ start: DATA.length, end: DATA.length + 10 }, { start: 50_000, end: 60_000 }, undefined]) {
      const answer = await storage.createReadStream(KEY, range);
      expect(answer?.range, JSON.stringify(range)).toBeUndefined();
      expect((await read(answer)).length).toBe(DATA.length);
    }
  });

  it('describes exactly what it streams, whatever the store made of the range', async () => {
    // s3rver reads `bytes=0-0` as the whole object; what matters is that the answer says so
    await read(await storage.createReadStream(KEY, { start: 0, end: 0 }));
  });

  it('answers undefined for a missing key with a range too', async () => {
    expect(await storage.createReadStream('originals/ab/absent.jpg', { start: 0, end: 9 })).toBeUndefined();
  });

  it('refuses what is no byte range', async () => {
    for (const range of [{ start: 10, end: 9 }, { start: -1, end: 9 }, { start: 0.5, end: 9 }, { start: 0, end: NaN }]) {
      await expect(storage.createReadStream(KEY, range), JSON.stringify(range)).rejects.toThrow(/not a byte range/);
    }
  });
}

describe(LocalStorage.name, () => {
  let dir: string;
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  rangeContract(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storage-range-'));
    const storage = new LocalStorage(dir);
    await storage.init();
    return storage;
  });
});

describe(`${S3Storage.name} on s3rver`, () => {
  let s3: LocalS3;
  let buckets: S3Buckets;
  let storage: S3Storage;
  const bucket = `range-${randomBytes(6).toString('hex')}`;
  beforeAll(async () => {
    s3 = await startS3rver();
    buckets = new S3Buckets(s3.endpoint);
    await buckets.create(bucket);
  });
  afterAll(async () => {
    storage?.close();
    await buckets?.remove(bucket);
    buckets?.close();
    await s3?.stop();
  });
  rangeContract(async () => {
    storage = new S3Storage({ bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    await storage.init();
    return storage;
  });
});
