import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { ORPHAN_SWEEP_CRON } from '../../src/jobs/job-queue.js';
import { originalKey, thumbnailKey } from '../../src/images/storage-keys.js';
import { jpeg } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';
import { ImageFormat } from '../../src/images/image.entity.js';
import { OrphanSweeper } from '../../src/images/orphan-sweeper.js';

const GRACE = 3600;
// the sweep also clears old multipart buffers in os.tmpdir(); these tests move the clock forward, so
// give this file a temp folder of its own rather than sweep other test runs' buffers
process.env.TMPDIR = await mkdtemp(join(tmpdir(), 'orphan-sweeper-spec-'));

describe(OrphanSweeper.name, () => {
  let server: TestServer;
  let owner: TestUser;
  beforeAll(async () => {
    server = await TestServer.start({ env: { ORPHAN_GRACE_SECONDS: String(GRACE) } });
    owner = await server.createUser();
  });
  afterAll(() => server?.stop());

  /** Runs the sweep the way the hourly schedule does: a job on the queue, taken by a worker. */
  async function sweepThroughQueue(): Promise<number> {
    await server.server.deps.jobs.sweepOrphans();
    return server.drainJobs();
  }

  /** Files as a crash between writing and committing leaves them: an original and a thumbnail, no row. */
  async function leaveOrphan(): Promise<string[]> {
    const id = randomUUID();
    const keys = [originalKey(id, ImageFormat.JPEG), thumbnailKey(id, 160, ImageFormat.JPEG)];
    for (const key of keys) await server.server.deps.files.storage.put(key, await jpeg(8, 8));
    return keys;
  }

  it('removes files without a row once they are older than the grace period, and nothing else', async () => {
    const uploaded = await server.upload(owner.token, [{ name: 'kept.jpg', data: await jpeg(300, 200) }], { selection: 'id' });
    expect(uploaded.errors).toBeUndefined();
    const kept = await server.mediaFiles();
    const orphans = await leaveOrphan();
    // a local write cut short by a kill leaves its temporary file beside the key, even for a stored image
    const id = uploaded.data.uploadImage.id as string;
    const partial = `${thumbnailKey(id, 160, ImageFormat.JPEG)}.${randomUUID()}.tmp`;
    await server.server.deps.files.storage.put(partial, Buffer.from('half a thumbn'));
    const stranger = 'elsewhere/not-an-image.bin';
    await server.server.deps.files.storage.put(stranger, Buffer.from('not ours to judge'));

    // just inside the grace period: an upload in flight may still commit these
    server.clock.set(new Date(Date.now() + (GRACE - 120) * 1000));
    expect(await sweepThroughQueue()).toBe(1);
    expect(await server.mediaFiles()).toEqual([...kept, ...orphans, partial, stranger].sort());

    server.clock.advance(240_000);
    expect(await sweepThroughQueue()).toBe(1);
    expect(await server.mediaFiles()).toEqual([...kept, stranger].sort());
    expect(await server.countRows('images')).toBe(1);
  });

  it('reports what it removed, and a second pass finds nothing', async () => {
    const orphans = await leaveOrphan();
    server.clock.set(new Date(Date.now() + (GRACE + 60) * 1000));
    const sweeper = sweeperOf(server);
    const report = await sweeper.sweep();
    expect(report.removed.sort()).toEqual(orphans.sort());
    expect(report.scanned).toBeGreaterThanOrEqual(orphans.length);
    expect((await sweeper.sweep()).removed).toEqual([]);
  });

  it('removes staged uploads older than the grace period and keeps younger ones', async () => {
    const dir = server.uploadTmpDir;
    await mkdir(dir, { recursive: true });
    const old = join(dir, `${randomUUID()}.upload`);
    const young = join(dir, `${randomUUID()}.upload`);
    await writeFile(old, 'left by a crash');
    await writeFile(young, 'still arriving');
    const now = Date.now();
    server.clock.set(new Date(now));
    await utimes(old, new Date(now - (GRACE + 60) * 1000), new Date(now - (GRACE + 60) * 1000));
    await utimes(young, new Date(now - (GRACE - 60) * 1000), new Date(now - (GRACE - 60) * 1000));
    const oldBuffer = join(tmpdir(), 'capacitor-0123abcd.tmp');
    const notOurs = join(tmpdir(), 'someone-elses.tmp');
    for (const path of [oldBuffer, notOurs]) {
      await writeFile(path, 'x');
      await utimes(path, new Date(now - (GRACE + 60) * 1000), new Date(now - (GRACE + 60) * 1000));
    }
    expect((await sweeperOf(server).sweep()).stagedRemoved).toBe(2);
    expect(await server.stagedFiles()).toEqual([young.slice(dir.length + 1)]);
    expect(existsSync(oldBuffer)).toBe(false);
    expect(existsSync(notOurs)).toBe(true);
  });
});

describe('the hourly schedule', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start({ env: { JOBS_WORKER: 'inline' } });
  });
  afterAll(() => server?.stop());

  it('is registered, hourly, by a process that takes jobs', async () => {
    const rows = await server.sql<{ name: string; cron: string }>(`select name, cron from pgboss.schedule`);
    expect(rows.filter((row: { name: string }) => row.name === 'orphan-sweep')).toEqual([{ name: 'orphan-sweep', cron: ORPHAN_SWEEP_CRON }]);
  });
});

describe('ORPHAN_GRACE_SECONDS', () => {
  it('defaults to an hour and refuses less than five minutes, which an upload in flight can outlast', () => {
    expect(loadConfig({}).orphanGraceSeconds).toBe(3600);
    expect(loadConfig({ ORPHAN_GRACE_SECONDS: '300' }).orphanGraceSeconds).toBe(300);
    expect(() => loadConfig({ ORPHAN_GRACE_SECONDS: '299' })).toThrow(/ORPHAN_GRACE_SECONDS="299"/);
    expect(() => loadConfig({ ORPHAN_GRACE_SECONDS: 'soon' })).toThrow(/ORPHAN_GRACE_SECONDS/);
  });
});

/** The sweeper the server built, on its database, storage and clock. */
function sweeperOf(server: TestServer): OrphanSweeper {
  const { orm, files, clock, logger, config } = server.server.deps;
  return new OrphanSweeper(orm.em.fork(), files.storage, clock, logger, {
    graceSeconds: config.orphanGraceSeconds,
    uploadTmpDir: config.uploadTmpDir,
    multipartTmpDir: tmpdir(),
  });
}
