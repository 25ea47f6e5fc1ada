import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StartableStorage } from '../../src/storage/create-storage.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { S3Storage, type S3StorageOptions } from '../../src/storage/s3-storage.js';
import { freePort } from '../support/free-port.js';
import { S3Buckets, S3RVER_CREDENTIALS, startS3rver, type LocalS3 } from '../support/s3-server.js';

const MIB = 1024 * 1024;
/** Every key this run writes lives under it, so a shared real bucket is never touched outside it. */
const ROOT = `contract-${randomBytes(4).toString('hex')}/`;

interface Tuning {
  partSize?: number;
  deleteBatchSize?: number;
}

interface Subject {
  storage: StartableStorage;
  /** Names of the S3 commands the driver sent, for checking multipart and paging really happened. */
  sent?: string[];
}

interface Driver {
  /** A fresh, initialised storage; everything it holds is removed after the test. */
  make(tuning?: Tuning): Promise<Subject>;
  /** How many objects the paging case writes, and the batch size it sets. */
  paging: { objects: number; batch: number | undefined };
}

/** The behaviour every driver owes the rest of the server; each driver runs the same cases. */
function storageContract(driver: Driver) {
  const key = (name: string) => `${ROOT}${name}`;
  let staging: string;

  beforeAll(async () => {
    staging = await mkdtemp(join(tmpdir(), 'storage-contract-staging-'));
  });
  afterAll(async () => {
    await rm(staging, { recursive: true, force: true });
  });

  it('reads back exactly the bytes it was given', async () => {
    const { storage } = await driver.make();
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096)]);
    await storage.put(key('originals/ab/round-trip.png'), bytes);
    expect((await storage.read(key('originals/ab/round-trip.png')))?.equals(bytes)).toBe(true);
  });

  it('replaces an object on a second put', async () => {
    const { storage } = await driver.make();
    await storage.put(key('thumbnails/ab/x/h200.jpg'), Buffer.from('first version, longer'));
    await storage.put(key('thumbnails/ab/x/h200.jpg'), Buffer.from('second'));
    expect((await storage.read(key('thumbnails/ab/x/h200.jpg')))?.toString()).toBe('second');
    const streamed = await storage.createReadStream(key('thumbnails/ab/x/h200.jpg'));
    expect(streamed?.size).toBe(6);
    expect((await collect(streamed!.stream)).buffer.toString()).toBe('second');
  });

  it('answers undefined for a missing key, from read and from createReadStream', async () => {
    const { storage } = await driver.make();
    await storage.put(key('originals/ab/present.png'), Buffer.from('x'));
    expect(await storage.read(key('originals/ab/absent.png'))).toBeUndefined();
    expect(await storage.createReadStream(key('originals/ab/absent.png'))).toBeUndefined();
    expect(await storage.read(key('nowhere/at/all.png'))).toBeUndefined();
  });

  it('streams a multi-megabyte object in chunks with its size', async () => {
    const { storage } = await driver.make();
    const bytes = randomBytes(6 * MIB + 123);
    await storage.put(key('originals/ab/large.png'), bytes);
    const streamed = await storage.createReadStream(key('originals/ab/large.png'));
    expect(streamed?.size).toBe(bytes.length);
    const { buffer, chunks } = await collect(streamed!.stream);
    expect(chunks).toBeGreaterThan(1);
    expect(buffer.equals(bytes)).toBe(true);
  });

  it('moves a staged file over 10 MB into storage (multipart on S3) and removes the staged file', async () => {
    const subject = await driver.make({ partSize: 5 * MIB });
    const bytes = randomBytes(11 * MIB);
    const staged = join(staging, 'big-upload.bin');
    await writeFile(staged, bytes);
    await subject.storage.putFile(key('originals/ab/big.jpg'), staged);
    expect((await subject.storage.read(key('originals/ab/big.jpg')))?.equals(bytes)).toBe(true);
    await expect(access(staged)).rejects.toThrow(/ENOENT/);
    if (subject.sent) {
      expect(subject.sent.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
      expect(subject.sent).toContain('CompleteMultipartUploadCommand');
    }
  });

  it('moves a small staged file too, in one request', async () => {
    const subject = await driver.make({ partSize: 5 * MIB });
    const staged = join(staging, 'small-upload.bin');
    await writeFile(staged, 'small');
    await subject.storage.putFile(key('originals/ab/small.jpg'), staged);
    expect((await subject.storage.read(key('originals/ab/small.jpg')))?.toString()).toBe('small');
    await expect(access(staged)).rejects.toThrow(/ENOENT/);
    if (subject.sent) expect(subject.sent).not.toContain('CreateMultipartUploadCommand');
  });

  it('deletes idempotently', async () => {
    const { storage } = await driver.make();
    await storage.put(key('originals/ab/doomed.png'), Buffer.from('x'));
    await storage.delete(key('originals/ab/doomed.png'));
    expect(await storage.read(key('originals/ab/doomed.png'))).toBeUndefined();
    await storage.delete(key('originals/ab/doomed.png'));
    await storage.delete(key('never/was/here.png'));
  });

  it('deletes everything under a prefix and nothing beside it', async () => {
    const { storage } = await driver.make();
    const doomed = ['thumbnails/ab/img/h200.jpg', 'thumbnails/ab/img/h300.jpg', 'thumbnails/ab/img/deeper/h1.jpg'];
    const kept = ['thumbnails/ab/img2/h200.jpg', 'thumbnails/ab/img.jpg', 'originals/ab/img.jpg'];
    for (const name of [...doomed, ...kept]) await storage.put(key(name), Buffer.from(name));
    await storage.deletePrefix(key('thumbnails/ab/img/'));
    for (const name of doomed) expect(await storage.read(key(name)), name).toBeUndefined();
    for (const name of kept) expect((await storage.read(key(name)))?.toString(), name).toBe(name);
    await storage.deletePrefix(key('thumbnails/ab/img/'));
    await storage.deletePrefix(key('thumbnails/never/'));
    await expect(storage.deletePrefix(key('thumbnails/ab/img2'))).rejects.toThrow(/ends with '\/'/);
    expect((await storage.read(key('thumbnails/ab/img2/h200.jpg')))?.toString()).toBe('thumbnails/ab/img2/h200.jpg');
  });

  it(`deletes a prefix holding more objects than one listing page returns`, async () => {
    const { objects, batch } = driver.paging;
    const subject = await driver.make({ deleteBatchSize: batch });
    const names = Array.from({ length: objects }, (_, i) => `thumbnails/cd/many/h${i + 1}.jpg`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => subject.storage.put(key(n), Buffer.from('t'))));
    await subject.storage.put(key('thumbnails/cd/other/h1.jpg'), Buffer.from('kept'));
    subject.sent?.splice(0);
    await subject.storage.deletePrefix(key('thumbnails/cd/many/'));
    const left: string[] = [];
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map(async (n) => (await subject.storage.read(key(n))) && left.push(n)));
    }
    expect(left).toEqual([]);
    expect((await subject.storage.read(key('thumbnails/cd/other/h1.jpg')))?.toString()).toBe('kept');
    if (subject.sent) {
      expect(subject.sent.filter((c) => c === 'DeleteObjectsCommand')).toHaveLength(Math.ceil(objects / (batch ?? 1000)));
    }
  });

  it('lists every object under a prefix, across pages, with when it was written, and nothing beside it', async () => {
    const { objects, batch } = driver.paging;
    const subject = await driver.make({ deleteBatchSize: batch });
    const before = Date.now();
    const listed = Array.from({ length: objects }, (_, i) => `thumbnails/ef/many/h${i + 1}.jpg`).concat('thumbnails/ef/one.jpg');
    for (let i = 0; i < listed.length; i += 50) await Promise.all(listed.slice(i, i + 50).map((n) => subject.storage.put(key(n), Buffer.from('t'))));
    await subject.storage.put(key('originals/ef/beside.jpg'), Buffer.from('not listed'));
    await subject.storage.put(key('thumbnails/efx/near.jpg'), Buffer.from('not listed either'));
    subject.sent?.splice(0);
    const found = [];
    for await (const object of subject.storage.list(key('thumbnails/ef/'))) found.push(object);
    expect(found.map((o) => o.key).sort()).toEqual(listed.map(key).sort());
    for (const { modifiedAt } of found) {
      // S3 keeps whole seconds
      expect(modifiedAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(modifiedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    }
    if (subject.sent && batch) expect(subject.sent.filter((c) => c === 'ListObjectsV2Command').length).toBe(Math.ceil(listed.length / batch));
    const none = [];
    for await (const object of subject.storage.list(key('thumbnails/never/'))) none.push(object);
    expect(none).toEqual([]);
    await expect(async () => {
      for await (const _ of subject.storage.list(key('thumbnails/ef'))) break;
    }).rejects.toThrow(/ends with '\/'/);
    await expect(async () => {
      for await (const _ of subject.storage.list('../')) break;
    }).rejects.toThrow(/outside the root/);
  });

  it.each(['../outside.bin', '/etc/passwd', 'a/../../outside.bin', 'a\0b', ''])('refuses the key %j, which would escape the root', async (bad) => {
    const { storage } = await driver.make();
    await expect(storage.put(bad, Buffer.from('x'))).rejects.toThrow(/outside the root/);
    await expect(storage.read(bad)).rejects.toThrow(/outside the root/);
    await expect(storage.createReadStream(bad)).rejects.toThrow(/outside the root/);
    await expect(storage.delete(bad)).rejects.toThrow(/outside the root/);
    await expect(storage.deletePrefix(`${bad}/`)).rejects.toThrow(/outside the root|ends with/);
  });

  it('leaves the staged file where it was when the move is refused', async () => {
    const { storage } = await driver.make();
    const staged = join(staging, 'refused.bin');
    await writeFile(staged, 'kept');
    await expect(storage.putFile('../outside.bin', staged)).rejects.toThrow(/outside the root/);
    await access(staged);
  });
}

async function collect(stream: Readable): Promise<{ buffer: Buffer; chunks: number }> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return { buffer: Buffer.concat(parts), chunks: parts.length };
}

/** Records the name of every command an S3Storage's client sends. */
function recordCommands(storage: S3Storage): string[] {
  const sent: string[] = [];
  storage.client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
}

describe(LocalStorage.name, () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  storageContract({
    paging: { objects: 25, batch: undefined },
    async make() {
      const dir = await mkdtemp(join(tmpdir(), 'storage-contract-local-'));
      dirs.push(dir);
      const storage = new LocalStorage(join(dir, 'root'));
      await storage.init();
      return { storage };
    },
  });

  it('writes nothing beside its root for a key that tries to escape', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'storage-contract-local-'));
    dirs.push(dir);
    const storage = new LocalStorage(join(dir, 'root'));
    await storage.init();
    await expect(storage.put('../outside.bin', Buffer.from('x'))).rejects.toThrow(/outside the root/);
    expect(await readdir(dir)).toEqual(['root']);
  });
});

/** S3Storage against one S3 endpoint, each test on a bucket (or, on a shared real bucket, a root) of its own. */
function s3Suite(target: () => { endpoint: string; bucket?: string; region: string; credentials: S3StorageOptions['credentials'] }, paging: Driver['paging']) {
  const made: { storage: S3Storage; bucket: string; owned: boolean }[] = [];
  let buckets: S3Buckets;

  beforeAll(() => {
    const { endpoint, credentials, region } = target();
    buckets = new S3Buckets(endpoint, credentials, region);
  });
  afterEach(async () => {
    for (const { storage, bucket, owned } of made.splice(0)) {
      storage.close();
      if (owned) await buckets.remove(bucket);
      else await buckets.empty(bucket, ROOT);
    }
  });
  afterAll(() => buckets.close());

  const storageFor = (bucket: string, tuning: Tuning = {}, endpoint = target().endpoint) =>
    new S3Storage({ bucket, region: target().region, endpoint, forcePathStyle: true, credentials: target().credentials, ...tuning });

  storageContract({
    paging,
    async make(tuning) {
      const shared = target().bucket;
      const bucket = shared ?? `contract-${randomBytes(6).toString('hex')}`;
      if (!shared) await buckets.create(bucket);
      const storage = storageFor(bucket, tuning);
      made.push({ storage, bucket, owned: !shared });
      const sent = recordCommands(storage);
      await storage.init();
      return { storage, sent };
    },
  });

  it('refuses to start on a missing bucket, naming it', async () => {
    const storage = storageFor(`missing-${randomBytes(6).toString('hex')}`);
    await expect(storage.init()).rejects.toThrow(/^S3 bucket "missing-[0-9a-f]{12}" at http.* is not usable: the bucket does not exist/);
    storage.close();
  });

  it('refuses to start on an endpoint nobody answers, naming it', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const storage = storageFor('any-bucket', {}, endpoint);
    await expect(storage.init()).rejects.toThrow(new RegExp(`^S3 bucket "any-bucket" at ${endpoint} is not usable: .*ECONNREFUSED`));
    storage.close();
  });

  it('presigns a GET that serves the object with the response headers asked for', async () => {
    const bucket = target().bucket ?? `contract-${randomBytes(6).toString('hex')}`;
    if (!target().bucket) await buckets.create(bucket);
    const storage = storageFor(bucket);
    made.push({ storage, bucket, owned: !target().bucket });
    const key = `${ROOT}originals/ab/presigned.png`;
    const bytes = randomBytes(1000);
    await storage.put(key, bytes);
    const url = await storage.presignedUrl(key, 300, { contentType: 'image/png', contentDisposition: 'attachment; filename="cat.png"' });
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('300');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="cat.png"');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    await expect(storage.presignedUrl(key, 8 * 24 * 3600)).rejects.toThrow(/1 to 604800 seconds/);
  });
}

describe(`${S3Storage.name} on s3rver`, () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(() => s3?.stop());

  // 1100 tiny objects take s3rver about 7 s to write, so paging is exercised with small pages instead
  s3Suite(() => ({ endpoint: s3.endpoint, region: 'us-east-1', credentials: S3RVER_CREDENTIALS }), { objects: 25, batch: 10 });
});

const real = process.env;
describe.runIf(real.S3_TEST_ENDPOINT)(`${S3Storage.name} on S3_TEST_ENDPOINT`, () => {
  const credentials =
    real.S3_TEST_ACCESS_KEY_ID && real.S3_TEST_SECRET_ACCESS_KEY
      ? { accessKeyId: real.S3_TEST_ACCESS_KEY_ID, secretAccessKey: real.S3_TEST_SECRET_ACCESS_KEY }
      : undefined;
  // a real service pages at 1000 keys, so this one goes past a full page with the default batch
  s3Suite(
    () => ({ endpoint: real.S3_TEST_ENDPOINT!, bucket: real.S3_TEST_BUCKET, region: real.S3_TEST_REGION ?? 'us-east-1', credentials }),
    { objects: 1100, batch: undefined },
  );
});
