import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETE_USER, code } from '../support/admin-api.js';
import { jpeg, noise, png } from '../support/images.js';
import { ADMIN, BUILTIN_TIER_IDS, TestServer, type TestUser } from '../support/test-server.js';

// Issue 17: adminStats, read from counters the triggers on `images` keep in step, must equal what a
// direct count over the rows, the stored files and pg-boss's job table says, after a mixed run of
// uploads, deletes, a user's deletion, tier moves and edits, and the background work that follows.

const STATS = `{ adminStats {
  generatedAt
  totals { images originalBytes thumbnailBytes users }
  uploadsPerDay { day images bytes }
  tiers { tier { id name thumbnailHeights } users images originalBytes thumbnailBytes imagesOutOfStep }
  jobs { queued running failed queues { queue queued running failed } }
  topUsers { user { id username } images bytes originalBytes thumbnailBytes }
} }`;
const DAY = 86_400_000;

let server: TestServer;
beforeAll(async () => {
  server = await TestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

async function stats() {
  const result = await server.gql(STATS, {}, server.adminToken);
  expect(result.errors).toBeUndefined();
  return result.data.adminStats;
}

/** Every figure of adminStats, counted the slow way: rows, the files in storage, pg-boss's jobs. */
async function directCounts() {
  const images = await server.sql<{ id: string; owner_id: string; tier_id: string; bytes: number; day: string; in_step: boolean }>(
    `select i.id, i.owner_id, u.tier_id, i.bytes, to_char((i.created_at at time zone 'UTC')::date, 'YYYY-MM-DD') as day,
            (i.stored_heights @> t.thumbnail_heights and i.stored_heights <@ t.thumbnail_heights) as in_step
       from images i join users u on u.id = i.owner_id join tiers t on t.id = u.tier_id`,
  );
  const thumbBytes = new Map<string, number>();
  for (const key of await server.mediaFiles()) {
    const id = /^thumbnails\/[0-9a-f]{2}\/([0-9a-f-]{36})\//.exec(key)?.[1];
    if (id) thumbBytes.set(id, (thumbBytes.get(id) ?? 0) + (await server.server.deps.files.storage.read(key))!.length);
  }
  const sum = <T>(rows: T[], pick: (row: T) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const thumbs = (row: { id: string }) => thumbBytes.get(row.id) ?? 0;
  const users = await server.sql<{ id: string; tier_id: string }>('select id, tier_id from users');
  const tiers = await server.sql<{ id: string; name: string }>('select id, name from tiers order by name, id');
  const owners = [...new Set(images.map((i) => i.owner_id))].map((id) => {
    const mine = images.filter((i) => i.owner_id === id);
    return { id, images: mine.length, originalBytes: sum(mine, (i) => i.bytes), thumbnailBytes: sum(mine, thumbs), bytes: sum(mine, (i) => i.bytes + thumbs(i)) };
  });
  const jobs = await server.sql<{ name: string; state: string; n: number }>(`select name, state, count(*)::int as n from pgboss.job group by 1, 2`);
  const jobsIn = (states: string[]) => sum(jobs.filter((j) => states.includes(j.state)), (j) => j.n);
  const today = server.clock.now().getTime();
  return {
    totals: { images: images.length, originalBytes: sum(images, (i) => i.bytes), thumbnailBytes: sum(images, thumbs), users: users.length },
    uploadsPerDay: Array.from({ length: 30 }, (_, k) => {
      const day = new Date(today - (29 - k) * DAY).toISOString().slice(0, 10);
      const that = images.filter((i) => i.day === day);
      return { day, images: that.length, bytes: sum(that, (i) => i.bytes) };
    }),
    tiers: tiers.map((tier) => {
      const mine = images.filter((i) => i.tier_id === tier.id);
      return {
        tier: { id: tier.id, name: tier.name },
        users: users.filter((u) => u.tier_id === tier.id).length,
        images: mine.length,
        originalBytes: sum(mine, (i) => i.bytes),
        thumbnailBytes: sum(mine, thumbs),
        imagesOutOfStep: mine.filter((i) => !i.in_step).length,
      };
    }),
    jobs: { queued: jobsIn(['created', 'retry']), running: jobsIn(['active']), failed: jobsIn(['failed']) },
    topUsers: owners.sort((a, b) => b.bytes - a.bytes || (a.id < b.id ? -1 : 1)).slice(0, 10),
  };
}

async function expectStatsToMatchDirectCounts() {
  const [got, want] = [await stats(), await directCounts()];
  expect(got.totals).toEqual(want.totals);
  expect(got.uploadsPerDay).toEqual(want.uploadsPerDay);
  expect(got.tiers).toEqual(want.tiers.map((t) => ({ ...t, tier: expect.objectContaining(t.tier) })));
  expect({ queued: got.jobs.queued, running: got.jobs.running, failed: got.jobs.failed }).toEqual(want.jobs);
  expect(got.topUsers.map((u: { user: { id: string } }) => ({ ...u, user: undefined, id: u.user.id }))).toEqual(want.topUsers.map((u) => ({ ...u, user: undefined })));
  return got;
}

describe('adminStats', () => {
  const users: TestUser[] = [];
  const uploaded: Array<{ user: TestUser; id: string }> = [];
  let custom: { id: string };

  /** Moves the clock and signs everyone in again: their tokens were issued at another time. */
  async function moveClock(to: number) {
    server.clock.set(new Date(to));
    server.adminToken = await server.login(ADMIN.username, ADMIN.password);
    for (const user of users) user.token = await server.login(user.username, user.password);
  }

  async function upload(user: TestUser, data: Buffer, name: string) {
    const result = await server.upload(user.token, [{ name, data }], { selection: 'id' });
    expect(result.errors).toBeUndefined();
    uploaded.push({ user, id: result.data.uploadImage.id });
  }

  it('equals direct counts on an empty system (the admin alone)', async () => {
    const got = await expectStatsToMatchDirectCounts();
    expect(got.totals).toEqual({ images: 0, originalBytes: 0, thumbnailBytes: 0, users: 1 });
    expect(got.uploadsPerDay).toHaveLength(30);
    expect(got.uploadsPerDay.at(-1).day).toBe(server.clock.now().toISOString().slice(0, 10));
  });

  it('equals direct counts after uploads over 40 days, deletes and a user’s deletion', async () => {
    const today = server.clock.now().getTime();
    custom = await server.createTier({ thumbnailHeights: [60, 90] });
    for (const tierId of [BUILTIN_TIER_IDS.basic, BUILTIN_TIER_IDS.premium, custom.id, BUILTIN_TIER_IDS.enterprise]) users.push(await server.createUser({ tierId }));
    // from 40 days back, every third day: the oldest fall outside the 30-day chart
    for (let day = 40; day > 0; day -= 3) {
      await moveClock(today - day * DAY);
      const user = users[day % users.length]!;
      await upload(user, day % 2 ? await jpeg(160 + day, 120) : await noise(120, 90 + day).png().toBuffer(), `d${day}.png`);
    }
    await moveClock(today);
    await upload(users[1]!, await png(300, 200), 'today.png');
    await upload(users[1]!, await noise(200, 150).jpeg().toBuffer(), 'today.jpg');
    await expectStatsToMatchDirectCounts();

    for (const { user, id } of [uploaded[0]!, uploaded[5]!, uploaded.at(-1)!]) {
      expect((await server.gql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id }, user.token)).data.deleteImage).toBe(true);
    }
    expect((await server.gql(DELETE_USER, { id: users[3]!.id }, server.adminToken)).data.deleteUser).toBe(true);
    await server.drainJobs();
    const got = await expectStatsToMatchDirectCounts();
    expect(got.totals.images).toBeGreaterThan(5);
    expect(got.totals.thumbnailBytes).toBeGreaterThan(0);
    expect(got.topUsers.length).toBe(3);
  });

  it('shows the images out of step and the queued sync after a tier edit and a move, and in step once the jobs ran', async () => {
    await server.updateTier(custom.id, { thumbnailHeights: [60, 120] });
    await server.setUserTier(users[0]!.id, BUILTIN_TIER_IDS.premium);
    const before = await expectStatsToMatchDirectCounts();
    expect(before.tiers.find((t: { tier: { id: string } }) => t.tier.id === custom.id).imagesOutOfStep).toBeGreaterThan(0);
    expect(before.jobs.queues.find((q: { queue: string }) => q.queue === 'thumbnail-sync')).toEqual({ queue: 'thumbnail-sync', queued: 2, running: 0, failed: 0 });

    await server.drainJobs();
    const after = await expectStatsToMatchDirectCounts();
    expect(after.tiers.map((t: { imagesOutOfStep: number }) => t.imagesOutOfStep)).toEqual(after.tiers.map(() => 0));
    expect(after.jobs).toMatchObject({ queued: 0, running: 0, failed: 0 });
    expect(after.totals.thumbnailBytes).not.toBe(before.totals.thumbnailBytes);
  });

  it('counts rows written in SQL alone (a seed, a restore): the triggers see every statement', async () => {
    const owner = users[2]!;
    await server.sql(
      `insert into images (id, owner_id, filename, format, width, height, bytes, created_at, stored_heights, thumbnail_sizes)
       select gen_random_uuid(), $1, 'seed-' || g || '.jpg', 'JPEG', 4000, 3000, 1000 * g, $2, '{60,120}', '{0,0}' from generate_series(1, 50) g`,
      [owner.id, server.clock.now()],
    );
    const got = await expectStatsToMatchDirectCounts();
    expect(got.uploadsPerDay.at(-1).images).toBeGreaterThanOrEqual(50);
    await server.sql(`update images set bytes = bytes + 1 where owner_id = $1`, [owner.id]);
    await server.sql(`delete from images where owner_id = $1 and filename like 'seed-%' and (bytes - 1) % 2000 = 0`, [owner.id]);
    await expectStatsToMatchDirectCounts();
  });

  it('is for admins only: FORBIDDEN for a user, UNAUTHENTICATED without a token', async () => {
    expect(code(await server.gql(STATS, {}, users[1]!.token))).toBe('FORBIDDEN');
    expect(code(await server.gql(STATS))).toBe('UNAUTHENTICATED');
  });
});
