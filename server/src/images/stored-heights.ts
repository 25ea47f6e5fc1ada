import type { EntityManager } from '@mikro-orm/postgresql';

const arrayLiteral = (values: readonly number[]) => `{${values.map((v) => Math.trunc(v)).join(',')}}`;

/** A thumbnail file as the images row records it: its height and its size in bytes. */
export interface StoredThumbnail {
  height: number;
  bytes: number;
}

/**
 * Records that these thumbnails' files exist: `stored_heights` gains their heights and
 * `thumbnail_sizes`, the array beside it (same order, ascending by height), their sizes. A set union
 * in SQL, so concurrent writers never lose one, and a height already recorded keeps its size, so no
 * byte is counted twice. False when the image row is gone (deleted meanwhile): the caller then
 * removes what it wrote.
 */
export async function addStoredHeights(em: EntityManager, imageId: string, thumbnails: readonly StoredThumbnail[]): Promise<boolean> {
  if (thumbnails.length === 0) return true;
  const result: { affectedRows: number } = await em.getConnection().execute(
    `update "images" set ("stored_heights", "thumbnail_sizes") = (
       select coalesce(array_agg(h order by h), '{}'), coalesce(array_agg(b order by h), '{}') from (
         select h, b from unnest("images"."stored_heights", "images"."thumbnail_sizes") as kept(h, b) where h is not null
         union all
         select distinct on (h) h, b from unnest(?::int[], ?::int[]) as added(h, b) where h <> all("images"."stored_heights")
       ) as stored)
     where "id" = ?`,
    [arrayLiteral(thumbnails.map((t) => t.height)), arrayLiteral(thumbnails.map((t) => t.bytes)), imageId],
    'run',
  );
  return result.affectedRows > 0;
}

/** Records that these heights' files are gone, and their sizes with them. */
export async function removeStoredHeights(em: EntityManager, imageId: string, heights: readonly number[]): Promise<void> {
  if (heights.length === 0) return;
  await em.execute(
    `update "images" set ("stored_heights", "thumbnail_sizes") = (
       select coalesce(array_agg(h order by h), '{}'), coalesce(array_agg(b order by h), '{}')
         from unnest("images"."stored_heights", "images"."thumbnail_sizes") as kept(h, b) where h is not null and h <> all(?::int[]))
     where "id" = ?`,
    [arrayLiteral(heights), imageId],
  );
}
