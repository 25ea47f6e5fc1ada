// Faults F6, F7, F8, F14 and F16 of /work/shared/RELIABILITY.md §2, made for real on one machine: a
// half-written thumbnail and a truncated original on disk, more uploads than the workers take, a client
// that goes away mid-upload, and a clock that steps.
// The other faults are in the sibling files: F1, F2, F11 and F15 (the database and the server process)
// in faults-database.spec.ts, with why F9 and F12 have no test of their own and where F10 is; F3–F5 (file systems
// that refuse writes or are full) in faults-storage.spec.ts.
// Existing coverage not repeated here: F13 graceful shutdown is test/scale/shutdown-in-flight.spec.ts and
// shutdown.spec.ts; the two-instance cases are test/scale/two-instances.spec.ts.
import { randomUUID } from 'node:crypto';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFormat } from '../../src/images/image.entity.js';
import { originalKey, thumbnailKey } from '../../src/images/storage-keys.js';
import { distinctJpeg, jpeg } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';
import { until } from '../support/polling.js';
import { expectNothingLeft, getLink, noisy, startHalfBatch, uploadAt, useOwnMultipartTmp } from './faults-support.js';

// F14 checks that the multipart buffers in os.tmpdir() are released
await useOwnMultipartTmp();

describe('damaged files, busy workers, lost clients, moved clocks', () => {
  let server: TestServer;
  let owner: TestUser;
  const logLines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    server = await TestServer.start({ env: { STORAGE: 'local', THUMBNAIL_CACHE_BYTES: '0', IMAGE_WORKERS: '1', IMAGE_QUEUE_LIMIT: '0' }, logLines });
    const tier = await server.createTier({ thumbnailHeights: [120], originalLink: true, expiringLinks: true });
    owner = await server.createUser({ tierId: tier.id });
  });
  afterAll(() => server?.stop());

  async function stored(data: Buffer): Promise<{ id: string; thumbnails: Array<{ size: number; url: string }> }> {
    const result = await server.upload(owner.token, [{ name: 'photo.jpg', data }], { selection: 'id thumbnails { size url }' });
    expect(result.errors).toBeUndefined();
    return result.data.uploadImage;
  }

  it('F6 a crash in the middle of writing a thumbnail: the half file is never served, the thumbnail is made again, the sweep removes the remains', async () => {
    const image = await stored(await jpeg(300, 200, '#36c'));
    const key = thumbnailKey(image.id, 120, ImageFormat.JPEG);
    const whole = (await server.server.deps.files.storage.read(key))!;
    // what a kill -9 during LocalStorage.put leaves: the temporary file, half written, and no thumbnail
    const remains = `${key}.${randomUUID()}.tmp`;
    await server.server.deps.files.storage.put(remains, whole.subarray(0, whole.length >> 1));
    await server.deleteMediaFile(key);

    const generatedBefore = server.server.deps.thumbnails.generated;
    const got = await getLink(server.url, image.thumbnails[0]!.url);
    expect(got.status).toBe(200);
    expect((await sharp(got.bytes).metadata()).height).toBe(120);
    expect(got.bytes.length).toBeGreaterThan(whole.length >> 1);
    expect(server.server.deps.thumbnails.generated).toBe(generatedBefore + 1);

    const then = server.clock.now();
    server.clock.set(new Date(Date.now() + 2 * 3600 * 1000));
    await server.server.deps.jobs.sweepOrphans();
    await server.drainJobs();
    // back to where login tokens were issued
    server.clock.set(then);
    expect(await server.mediaFiles()).not.toContain(remains);
    expect(await server.mediaFiles()).toContain(key);
  });

  it('F7 a corrupt stored original: the thumbnail it cannot make is a clear error, logged, and the server stays up', async () => {
    const healthy = await stored(await jpeg(300, 200, '#393'));
    const image = await stored(await noisy(600, 400));
    const original = join(server.mediaDir, originalKey(image.id, ImageFormat.JPEG));
    await truncate(original, 2000);
    await server.deleteMediaFile(thumbnailKey(image.id, 120, ImageFormat.JPEG));

    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(`${server.url}${new URL(image.thumbnails[0]!.url).pathname}${new URL(image.thumbnails[0]!.url).search}`, { signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: { code: 'IMAGE_CORRUPT', message: expect.stringMatching(/corrupt/) } });
    }
    expect(logLines.some((line) => line.imageId === image.id && /corrupt/.test(String(line.msg)))).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await getLink(server.url, healthy.thumbnails[0]!.url)).status).toBe(200);
    expect((await server.gql('{ images(first: 10) { edges { node { id } } } }', {}, owner.token)).errors).toBeUndefined();
  });

  it('F7 a corrupt stored original does not stop the background sync of the images after it', async () => {
    const tier = await server.createTier({ thumbnailHeights: [100] });
    const user = await server.createUser({ tierId: tier.id });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await server.upload(user.token, [{ name: 'p.jpg', data: await noisy(600, 400) }], { selection: 'id' });
      expect(result.errors).toBeUndefined();
      ids.push(result.data.uploadImage.id);
    }
    ids.sort();
    // the first image the sync visits (it goes by id) is the corrupt one
    await truncate(join(server.mediaDir, originalKey(ids[0]!, ImageFormat.JPEG)), 2000);
    expect((await server.updateTier(tier.id, { thumbnailHeights: [100, 60] })).errors).toBeUndefined();
    await server.drainJobs();
    const files = await server.mediaFiles();
    expect(files).not.toContain(thumbnailKey(ids[0]!, 60, ImageFormat.JPEG));
    for (const id of ids.slice(1)) expect(files).toContain(thumbnailKey(id, 60, ImageFormat.JPEG));
    expect(logLines.some((line) => line.imageId === ids[0] && /corrupt/.test(String(line.msg)))).toBe(true);
  });

  it('F8 more uploads at once than workers and queue allow: the excess is refused with RATE_LIMITED at once and leaves nothing', async () => {
    const rows = await server.countRows('images');
    const files = await server.mediaFiles();
    // six different files: equal bytes would be answered from the store once the first is in
    const bigs = await Promise.all(Array.from({ length: 6 }, () => noisy(2400, 1600)));
    const answers = await Promise.all(bigs.map((big) => uploadAt(server.url, owner.token, big, 20_000)));
    const ok = answers.filter((a) => !a.body.errors);
    const limited = answers.filter((a) => a.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(ok.length + limited.length, JSON.stringify(answers.map((a) => a.body.errors))).toBe(6);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    const added = (await server.mediaFiles()).filter((f) => !files.includes(f));
    expect(added).toHaveLength(ok.length * 2);
    expect(await server.countRows('images')).toBe(rows + ok.length);
    expect(await server.stagedFiles()).toEqual([]);
  });

  it('F14 a client that disconnects halfway through its upload: no row, no file, staging and buffers released, no crash', async () => {
    const rows = await server.countRows('images');
    const files = await server.mediaFiles();
    const upload = startHalfBatch(server.url, owner.token, await noisy(900, 600), await noisy(900, 600));
    // the first file is staged while the second is still arriving (no image work starts before the
    // whole batch is in); then the client goes away
    await until(async () => (await server.stagedFiles()).length > 0, 'the batch to be under way');
    upload.abort();
    await upload.done;
    await until(async () => (await server.stagedFiles()).length === 0 && (await server.mediaFiles()).length === files.length, 'the server to clean up');
    await expectNothingLeft(server, rows, files);
    expect((await uploadAt(server.url, owner.token, await distinctJpeg(300, 200))).body.errors).toBeUndefined();
  });

  it('F16 a clock step: an expiring link is judged by the injected clock alone, at exp-1, exp and exp+1, and after a step back', async () => {
    const image = await stored(await jpeg(300, 200));
    const link = await server.gql(`mutation($id: ID!) { createExpiringLink(imageId: $id, expiresIn: 600) { url expiresAt } }`, { id: image.id }, owner.token);
    expect(link.errors).toBeUndefined();
    const { url, expiresAt } = link.data.createExpiringLink;
    const exp = new Date(expiresAt).getTime();
    const at = async (ms: number) => {
      server.clock.set(new Date(ms));
      return (await getLink(server.url, url)).status;
    };
    expect(await at(exp - 1000)).toBe(200);
    expect(await at(exp)).toBe(200);
    expect(await at(exp + 1000)).toBe(410);
    // an NTP step back a day: the link is judged against the clock again, nothing was cached or timed
    expect(await at(exp - 24 * 3600 * 1000)).toBe(200);
    expect(await at(exp + 24 * 3600 * 1000)).toBe(410);
    server.clock.set(new Date(exp - 600_000));
  });
});
