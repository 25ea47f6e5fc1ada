// Faults F3, F4 and F5 of /work/shared/RELIABILITY.md §2, made for real on one machine: file systems
// that refuse writes (read-only bind mounts as root; chmod otherwise) and a full storage volume (a small
// tmpfs, which only root may mount).
// The other faults are in the sibling files: F1, F2, F11 and F15 (the database and the server process)
// in faults-database.spec.ts, with why F9 and F12 have no test of their own and where F10 is; F6–F8, F14 and F16
// (damaged files, busy workers, lost clients, moved clocks) in faults-runtime.spec.ts.
// Existing coverage not repeated here: F13 graceful shutdown is test/scale/shutdown-in-flight.spec.ts and
// shutdown.spec.ts; the two-instance cases are test/scale/two-instances.spec.ts.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctJpeg, jpeg } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';
import { expectNothingLeft, getLink, noisy, uploadAt, useOwnMultipartTmp } from './faults-support.js';

// the F4 test below points os.tmpdir() at a read-only folder for one request, then back here
const multipartTmp = await useOwnMultipartTmp();

const isRoot = process.getuid?.() === 0;

/**
 * Makes a folder refuse writes for real and returns the undo. As root, permissions stop nothing, so the
 * folder is bind-mounted read-only onto itself (EROFS); otherwise its mode drops to r-x (EACCES).
 */
async function readOnly(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  if (isRoot) {
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
    return async () => void execFileSync('umount', [dir]);
  }
  await chmod(dir, 0o555);
  return () => chmod(dir, 0o755);
}

describe('file systems that refuse writes', () => {
  let server: TestServer;
  let owner: TestUser;
  let existing: { id: string; thumbnails: Array<{ size: number; url: string }> };
  const undo: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    // every GET reads storage, so "still served" means read from the faulty disk, not from memory
    server = await TestServer.start({ env: { STORAGE: 'local', THUMBNAIL_CACHE_BYTES: '0' } });
    owner = await server.createUser();
  });
  afterAll(async () => {
    for (const step of undo.splice(0).reverse()) await step();
    await server?.stop();
  });

  async function uploadExisting() {
    const result = await server.upload(owner.token, [{ name: 'before.jpg', data: await jpeg(300, 200) }], { selection: 'id thumbnails { size url }' });
    expect(result.errors).toBeUndefined();
    existing = result.data.uploadImage;
  }

  async function stillServesExisting() {
    for (const thumbnail of existing.thumbnails) expect((await getLink(server.url, thumbnail.url)).status).toBe(200);
  }

  it(`F3 a storage root that refuses writes (${isRoot ? 'read-only bind mount, EROFS' : 'mode r-x, EACCES'}): SERVICE_UNAVAILABLE, nothing stored, reads go on`, async () => {
    await uploadExisting();
    const rows = await server.countRows('images');
    const files = await server.mediaFiles();
    const restore = await readOnly(server.mediaDir);
    undo.push(restore);

    const refused = await uploadAt(server.url, owner.token, await distinctJpeg(300, 200), 10_000);
    expect(refused.body.errors?.[0]?.extensions, JSON.stringify(refused.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'STORAGE_UNWRITABLE' });
    await expectNothingLeft(server, rows, files);
    await stillServesExisting();

    await restore();
    undo.pop();
    expect((await uploadAt(server.url, owner.token, await distinctJpeg(300, 200))).body.errors).toBeUndefined();
  });

  it(`F4 an upload staging folder that refuses writes: a clear SERVICE_UNAVAILABLE within the client's timeout, not a hang`, async () => {
    const rows = await server.countRows('images');
    const files = await server.mediaFiles();
    const restore = await readOnly(server.uploadTmpDir);
    undo.push(restore);

    const refused = await uploadAt(server.url, owner.token, await distinctJpeg(300, 200), 10_000);
    expect(refused.body.errors?.[0]?.extensions?.code, JSON.stringify(refused.body)).toBe('SERVICE_UNAVAILABLE');
    expect(refused.body.errors[0].message).toMatch(/cannot be stored/);
    await restore();
    undo.pop();
    await expectNothingLeft(server, rows, files);
    expect((await uploadAt(server.url, owner.token, await distinctJpeg(300, 200))).body.errors).toBeUndefined();
  });

  it(`F4 a multipart buffer folder (os.tmpdir()) that refuses writes: the request ends within the client's timeout, nothing stored`, async () => {
    const rows = await server.countRows('images');
    const files = await server.mediaFiles();
    const buffers = await mkdtemp(join(tmpdir(), 'faults-buffers-'));
    const restore = await readOnly(buffers);
    undo.push(restore);
    process.env.TMPDIR = buffers;
    try {
      const refused = await uploadAt(server.url, owner.token, await distinctJpeg(300, 200), 10_000);
      expect(refused.body.errors?.[0]?.extensions?.code, JSON.stringify(refused.body)).toBe('SERVICE_UNAVAILABLE');
    } finally {
      process.env.TMPDIR = multipartTmp;
      await restore();
      undo.pop();
    }
    await expectNothingLeft(server, rows, files);
    expect(await readdir(buffers)).toEqual([]);
  });
});

describe('F5 the storage volume is full', () => {
  let server: TestServer;
  let owner: TestUser;
  let mounted = false;
  beforeAll(async () => {
    server = await TestServer.start({ env: { STORAGE: 'local', THUMBNAIL_CACHE_BYTES: '0', STORAGE_MIN_FREE_BYTES: String(512 * 1024) } });
    owner = await server.createUser();
    // a real small volume: only root may mount one, and as root no permission bit makes a disk full
    if (!isRoot) throw new Error('F5 mounts a 2 MB tmpfs as the storage root and needs root (or CAP_SYS_ADMIN)');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'faults-full', server.mediaDir]);
    mounted = true;
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [server.mediaDir]);
    await server?.stop();
  });

  it('F5 refuses uploads with SERVICE_UNAVAILABLE/STORAGE_FULL, stores nothing, still serves what it has, reports degraded, and takes uploads again once there is room', async () => {
    const before = await server.upload(owner.token, [{ name: 'before.jpg', data: await jpeg(300, 200) }], { selection: 'id thumbnails { size url }' });
    expect(before.errors).toBeUndefined();
    // fill the volume to the last block
    const filler = join(server.mediaDir, 'filler.bin');
    await writeFile(filler, Buffer.alloc(4 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => expect(error.code).toBe('ENOSPC'));
    const rows = await server.countRows('images');
    const files = await server.mediaFiles();

    const refused = await uploadAt(server.url, owner.token, await noisy(600, 400), 10_000);
    expect(refused.body.errors?.[0]?.extensions, JSON.stringify(refused.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'STORAGE_FULL' });
    await expectNothingLeft(server, rows, files);
    for (const thumbnail of before.data.uploadImage.thumbnails) expect((await getLink(server.url, thumbnail.url)).status).toBe(200);
    // still ready, since every read works, but an operator sees why uploads fail
    const full = await fetch(`${server.url}/readyz`);
    expect({ status: full.status, body: await full.json() }).toEqual({ status: 200, body: { status: 'degraded', checks: { database: 'ok', storage: 'ok', storageSpace: 'low' } } });

    await rm(filler);
    expect((await uploadAt(server.url, owner.token, await noisy(600, 400))).body.errors).toBeUndefined();
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ status: 'ready' });
  });
});
