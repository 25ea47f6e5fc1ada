import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// exiftool from Debian (libimage-exiftool-perl) makes and reads the test files: an implementation
// independent of the one under test, and the tool photographers' files are checked with.

/** Finds exiftool, or installs Debian's package when running as root, like the browser for the admin app. */
export function ensureExiftool(): string {
  const found = () => spawnSync('exiftool', ['-ver'], { encoding: 'utf8' }).status === 0;
  if (found()) return 'exiftool';
  if (process.getuid?.() !== 0) throw new Error('exiftool is missing: apt-get install libimage-exiftool-perl');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'libimage-exiftool-perl'], { env, stdio: 'ignore' }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
    install();
  }
  if (!found()) throw new Error('apt-get could not install libimage-exiftool-perl');
  return 'exiftool';
}

/** The file with exiftool's tag assignments (`-GPSLatitude=48.85`, …) written into it. */
export async function exiftoolWrite(data: Buffer, extension: string, assignments: string[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'exiftool-'));
  try {
    const path = join(dir, `file.${extension}`);
    await writeFile(path, data);
    execFileSync('exiftool', ['-q', '-overwrite_original', ...assignments, path]);
    return await readFile(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every tag exiftool reads from the bytes, keyed `Group:Tag` (`GPS:GPSLatitude`, `IFD0:Orientation`, …). */
export function exiftoolRead(data: Buffer): Record<string, unknown> {
  const out = execFileSync('exiftool', ['-j', '-G1', '-a', '-n', '-'], { input: data, encoding: 'utf8' });
  return (JSON.parse(out) as Array<Record<string, unknown>>)[0]!;
}
