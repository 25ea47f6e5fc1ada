import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, png } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start({ env: { JOBS_BATCH_SIZE: '2' } });
});
afterAll(async () => {
  await server?.stop();
});

const generated = () => server.server.deps.thumbnails.generated;

async function uploadAs(owner: TestUser, data: Buffer): Promise<string> {
  const result = await server.upload(owner.token, [{ name: 'photo', data }], { selection: 'id' });
  expect(result.errors).toBeUndefined();
  return result.data.uploadImage.id;
}

async function heightsOnDisk(imageId: string): Promise<number[]> {
  return (await server.mediaFiles())
    .filter((file) => file.startsWith('thumbnails/') && file.includes(imageId))
    .map((file) => Number(/h(\d+)\./.exec(file)![1]))
    .sort((a, b) => a - b);
}

async function storedHeights(imageId: string): Promise<number[]> {
  const [row] = await server.sql<{ stored_heights: number[] }>('select stored_heights from images where id = $1', [imageId]);
  return row!.stored_heights;
}

describe('thumbnail sync after a tier edit', () => {
  let tierId: string;
  let images: string[];
  let otherImage: string;
  let alice: TestUser;

  beforeAll(async () => {
    tierId = (await server.createTier({ thumbnailHeights: [100] })).id;
    alice = await server.createUser({ tierId });
    const bob = await server.createUser({ tierId });
    images = [await uploadAs(alice, await jpeg(800, 600)), await uploadAs(alice, await png(300, 900)), await uploadAs(bob, await jpeg(640, 480))];
    otherImage = await uploadAs(await server.createUser({ tierId: (await server.createTier({ thumbnailHeights: [100] })).id }), await jpeg(400, 400));
    expect(await server.drainJobs()).toBe(0);
  });

  it('makes the added heights for every image on the tier, one decode per image, before anyone asks', async () => {
    const before = generated();
    expect((await server.updateTier(tierId, { thumbnailHeights: [100, 150, 250] })).errors).toBeUndefined();
    // 3 images in batches of 2: the first job queues the second
    expect(await server.drainJobs()).toBe(2);
    for (const id of images) {
      expect(await heightsOnDisk(id)).toEqual([100, 150, 250]);
      expect(await storedHeights(id)).toEqual([100, 150, 250]);
    }
    expect(generated() - before).toBe(6);
    expect(await heightsOnDisk(otherImage)).toEqual([100]);
  });

  it('serves the made thumbnails without making them again', async () => {
    const before = generated();
    const result = await server.gql(`query($id: ID!) { image(id: $id) { thumbnails { size url } } }`, { id: images[0] }, alice.token);
    const thumbnails: Array<{ size: number; url: string }> = result.data.image.thumbnails;
    expect(thumbnails.map((t) => t.size)).toEqual([100, 150, 250]);
    for (const { url } of thumbnails) expect((await fetch(url)).status).toBe(200);
    expect(generated()).toBe(before);
  });

  it('removes the files of dropped heights and forgets them, leaving other tiers alone', async () => {
    expect((await server.updateTier(tierId, { thumbnailHeights: [150] })).errors).toBeUndefined();
    await server.drainJobs();
    for (const id of images) {
      expect(await heightsOnDisk(id)).toEqual([150]);
      expect(await storedHeights(id)).toEqual([150]);
    }
    expect(await heightsOnDisk(otherImage)).toEqual([100]);
  });

  it('coalesces a burst of edits into one queued job that applies the last one', async () => {
    for (const heights of [[150, 160], [150, 170], [150, 180]]) {
      expect((await server.updateTier(tierId, { thumbnailHeights: heights })).errors).toBeUndefined();
    }
    const before = generated();
    expect(await server.drainJobs()).toBe(2);
    for (const id of images) expect(await heightsOnDisk(id)).toEqual([150, 180]);
    expect(generated() - before).toBe(3);
  });

  it('converges however often it runs: a repeated sync finds nothing to do', async () => {
    await server.server.deps.jobs.syncThumbnails({ scope: { tierId } });
    const before = generated();
    expect(await server.drainJobs()).toBe(1);
    expect(generated()).toBe(before);
  });

  it('resumes from the batch it reached when stopped halfway', async () => {
    expect((await server.updateTier(tierId, { thumbnailHeights: [150, 180, 190] })).errors).toBeUndefined();
    expect(await server.drainJobs(1)).toBe(1);
    const done = await Promise.all(images.map(storedHeights));
    // the first batch of two is done and recorded; the third image waits for the queued next batch
    expect(done.filter((heights) => heights.includes(190))).toHaveLength(2);
    const before = generated();
    expect(await server.drainJobs()).toBe(1);
    expect(generated() - before).toBe(1);
    for (const id of images) expect(await storedHeights(id)).toEqual([150, 180, 190]);
  });
});

describe('thumbnail sync after a user changes tier', () => {
  it('makes the new tier’s heights and removes the old tier’s other ones', async () => {
    const from = (await server.createTier({ thumbnailHeights: [100, 120] })).id;
    const to = (await server.createTier({ thumbnailHeights: [120, 300] })).id;
    const carol = await server.createUser({ tierId: from });
    const id = await uploadAs(carol, await jpeg(1000, 700));
    expect(await heightsOnDisk(id)).toEqual([100, 120]);
    await server.setUserTier(carol.id, to);
    expect(await server.drainJobs()).toBe(1);
    expect(await heightsOnDisk(id)).toEqual([120, 300]);
    expect(await storedHeights(id)).toEqual([120, 300]);
  });
});

describe('file cleanup', () => {
  it('removes a deleted image’s files in the background, after the row', async () => {
    const dave = await server.createUser();
    const id = await uploadAs(dave, await jpeg(500, 500));
    const deleted = await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id }, dave.token);
    expect(deleted.data?.deleteImage).toBe(true);
    expect((await server.mediaFiles()).filter((file) => file.includes(id)).length).toBeGreaterThan(0);
    expect(await server.drainJobs()).toBe(1);
    expect((await server.mediaFiles()).filter((file) => file.includes(id))).toEqual([]);
  });

  it('leaves no files behind for an image deleted while its sync was queued', async () => {
    const tier = (await server.createTier({ thumbnailHeights: [100] })).id;
    const erin = await server.createUser({ tierId: tier });
    const id = await uploadAs(erin, await jpeg(500, 500));
    expect((await server.updateTier(tier, { thumbnailHeights: [100, 200] })).errors).toBeUndefined();
    await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id }, erin.token);
    await server.drainJobs();
    expect((await server.mediaFiles()).filter((file) => file.includes(id))).toEqual([]);
  });

  it('queues the files of a deleted user’s many images in chunks', async () => {
    const frank = await server.createUser();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await uploadAs(frank, await jpeg(64 + i, 64)));
    const deleted = await server.gql(`mutation($id: ID!) { deleteUser(id: $id) }`, { id: frank.id }, server.adminToken);
    expect(deleted.data?.deleteUser).toBe(true);
    await server.drainJobs();
    const left = await server.mediaFiles();
    for (const id of ids) expect(left.filter((file) => file.includes(id))).toEqual([]);
  });
});

describe('the in-process worker', () => {
  let inline: TestServer;
  beforeAll(async () => {
    inline = await TestServer.start({ env: { JOBS_WORKER: 'inline' } });
  });
  afterAll(async () => {
    await inline?.stop();
  });

  it('runs queued jobs by itself, without anyone draining the queue', async () => {
    const tier = (await inline.createTier({ thumbnailHeights: [100] })).id;
    const grace = await inline.createUser({ tierId: tier });
    const result = await inline.upload(grace.token, [{ name: 'a.jpg', data: await jpeg(600, 600) }], { selection: 'id' });
    const id = result.data.uploadImage.id;
    expect((await inline.updateTier(tier, { thumbnailHeights: [100, 222] })).errors).toBeUndefined();
    // waits on the worker's poll, a real interval of the job queue, not a stand-in for the app's clock
    await expect
      .poll(async () => (await inline.mediaFiles()).some((file) => file.includes(id) && file.endsWith('h222.jpg')), { timeout: 20_000, interval: 200 })
      .toBe(true);
  });
});
