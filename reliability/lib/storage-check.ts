import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ServerUnderTest } from './server.ts';

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const ORIGINAL = /^originals\/[0-9a-f]{2}\/([0-9a-f-]{36})\.(png|jpg)$/;
const THUMBNAIL = /^thumbnails\/[0-9a-f]{2}\/([0-9a-f-]{36})\/h\d+\.(png|jpg)$/;

/** What the server holds: image rows, and the files in its media, staging and temp folders. */
export interface Holdings {
  rows: Set<string>;
  /** Image id → its files in the media folder. */
  media: Map<string, string[]>;
  /** Media files that belong to no image (temporary names, strays). */
  strays: string[];
  staging: string[];
  temp: string[];
}

export async function holdings(server: ServerUnderTest): Promise<Holdings> {
  const rows = new Set((await server.db.query<{ id: string }>('select id from images')).rows.map((r) => r.id));
  const media = new Map<string, string[]>();
  const strays: string[] = [];
  for (const file of await filesUnder(server.mediaDir)) {
    const id = ORIGINAL.exec(file)?.[1] ?? THUMBNAIL.exec(file)?.[1];
    if (!id) strays.push(file);
    else media.set(id, [...(media.get(id) ?? []), file]);
  }
  return { rows, media, strays, staging: await filesUnder(server.stagingDir), temp: await filesUnder(server.tmpDir) };
}

/**
 * The storage invariant of a run: rows and media are exactly what was there before plus what was
 * acknowledged; no stray, staged or buffered file is left. Returns the violations, empty when it holds.
 */
export function storageViolations(before: Holdings, after: Holdings, acknowledged: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const expected = new Set([...before.rows, ...acknowledged]);
  const extraRows = [...after.rows].filter((id) => !expected.has(id));
  const lostRows = [...expected].filter((id) => !after.rows.has(id));
  if (extraRows.length) problems.push(`${extraRows.length} image row(s) nobody was told about, e.g. ${extraRows.slice(0, 3).join(', ')}`);
  if (lostRows.length) problems.push(`${lostRows.length} acknowledged image(s) without a row, e.g. ${lostRows.slice(0, 3).join(', ')}`);
  const extraFiles = [...after.media.keys()].filter((id) => !expected.has(id));
  if (extraFiles.length) problems.push(`files of ${extraFiles.length} image(s) that were never acknowledged, e.g. ${after.media.get(extraFiles[0]!)!.join(', ')}`);
  const noOriginal = [...acknowledged].filter((id) => !(after.media.get(id) ?? []).some((f) => f.startsWith('originals/')));
  if (noOriginal.length) problems.push(`${noOriginal.length} acknowledged image(s) without an original file, e.g. ${noOriginal.slice(0, 3).join(', ')}`);
  if (after.strays.length) problems.push(`stray files in the media folder: ${after.strays.slice(0, 5).join(', ')}`);
  const staged = after.staging.filter((f) => !before.staging.includes(f));
  if (staged.length) problems.push(`${staged.length} file(s) left in the upload staging folder: ${staged.slice(0, 5).join(', ')}`);
  const buffered = after.temp.filter((f) => !before.temp.includes(f));
  if (buffered.length) problems.push(`${buffered.length} file(s) left in the server's TMPDIR (graphql-upload buffers): ${buffered.slice(0, 5).join(', ')}`);
  return problems;
}
