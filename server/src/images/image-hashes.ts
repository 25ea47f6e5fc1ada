import type { Sql } from '../db/sql.js';
import { BadUserInputError } from '../shared/errors.js';
import type { User } from '../users/user.entity.js';
import { IMAGE_COLUMNS, imageFromRow, type ImageRow } from './image-pages.js';
import type { Image } from './image.entity.js';

/** Hashes one `imagesBySha256` call may ask about. */
export const MAX_HASHES = 100;
const SHA256 = /^[0-9a-fA-F]{64}$/;

const OWNED_BY_HASH = {
  name: 'images-by-sha256',
  text: `select ${IMAGE_COLUMNS} from "images" as i where i.owner_id = $1 and i.sha256 = any($2::text[])`,
};

/** The hashes as the index holds them (lower-case hex), or BAD_USER_INPUT naming the first bad one. */
export function checkHashes(hashes: readonly string[], field = 'sha256'): string[] {
  if (hashes.length > MAX_HASHES) throw new BadUserInputError(`Ask about at most ${MAX_HASHES} hashes at a time, not ${hashes.length}`, { field });
  return hashes.map((hash, index) => {
    if (!SHA256.test(hash)) throw new BadUserInputError('A SHA-256 is 64 hexadecimal digits', { field: `${field}.${index}` });
    return hash.toLowerCase();
  });
}

/** The owner's images with any of these hashes (lower-case), by hash; one indexed query. */
export async function ownedByHash(sql: Sql, owner: User, hashes: readonly string[]): Promise<Map<string, Image>> {
  if (hashes.length === 0) return new Map();
  const { rows } = await sql.query<ImageRow>({ ...OWNED_BY_HASH, values: [owner.id, [...new Set(hashes)]] });
  return new Map(rows.map((row) => [row.sha256!, imageFromRow(row, owner)]));
}
