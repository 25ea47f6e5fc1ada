import type { EntityManager } from '@mikro-orm/postgresql';

const arrayLiteral = (heights: readonly number[]) => `{${heights.map((h) => Math.trunc(h)).join(',')}}`;

/**
 * Records that these heights' files exist; a set union in SQL, so concurrent writers never lose one.
 * False when the image row is gone (deleted meanwhile): the caller then removes what it wrote.
 */
export async function addStoredHeights(em: EntityManager, imageId: string, heights: readonly number[]): Promise<boolean> {
  if (heights.length === 0) return true;
  const result: { affectedRows: number } = await em.getConnection().execute(
    `update "images" set "stored_heights" = array(select distinct h from unnest("stored_heights" || ?::int[]) as h order by h) where "id" = ?`,
    [arrayLiteral(heights), imageId],
    'run',
  );
  return result.affectedRows > 0;
}

/** Records that these heights' files are gone. */
export async function removeStoredHeights(em: EntityManager, imageId: string, heights: readonly number[]): Promise<void> {
  if (heights.length === 0) return;
  await em.execute(
    `update "images" set "stored_heights" = array(select h from unnest("stored_heights") as h where h <> all(?::int[]) order by h) where "id" = ?`,
    [arrayLiteral(heights), imageId],
  );
}
