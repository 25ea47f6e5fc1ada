import type { TriggerDef } from '@mikro-orm/core';

/**
 * Each user's usage (`user_usage`: images and bytes of originals) follows every insert, delete and
 * size change of `images` inside the same statement's transaction, whatever wrote it: an upload, a
 * deleted image, a deleted user's cascade, the location backfill rewriting an original. Inserts and
 * deletes are counted once per statement from its transition table, so deleting a user with ten
 * thousand images is one update, not ten thousand. Declared on the Image entity as raw DDL (MikroORM
 * cannot express `referencing` or `update of`), created by Migration20261210000000_dedupe_quotas.
 */
export const USAGE_TRIGGERS = [
  {
    name: 'usage_added',
    fn: `create or replace function "images_usage_added_fn"() returns trigger as $$ begin
      insert into "user_usage" ("user_id", "images", "bytes")
        select "owner_id", count(*), sum("bytes") from "added" group by "owner_id"
        on conflict ("user_id") do update set "images" = "user_usage"."images" + excluded."images", "bytes" = "user_usage"."bytes" + excluded."bytes";
      return null; end; $$ language plpgsql;`,
    trigger: `create trigger "usage_added" after insert on "images" referencing new table as "added" for each statement execute function "images_usage_added_fn"();`,
  },
  {
    name: 'usage_removed',
    fn: `create or replace function "images_usage_removed_fn"() returns trigger as $$ begin
      update "user_usage" u set "images" = u."images" - r."n", "bytes" = u."bytes" - r."b"
        from (select "owner_id", count(*) as "n", sum("bytes") as "b" from "removed" group by "owner_id") r
        where u."user_id" = r."owner_id";
      return null; end; $$ language plpgsql;`,
    trigger: `create trigger "usage_removed" after delete on "images" referencing old table as "removed" for each statement execute function "images_usage_removed_fn"();`,
  },
  {
    // per row, and only when `bytes` is set and differs: link rotations and thumbnail bookkeeping
    // update images far more often and never reach the function
    name: 'usage_resized',
    fn: `create or replace function "images_usage_resized_fn"() returns trigger as $$ begin
      update "user_usage" set "bytes" = "bytes" + new."bytes" - old."bytes" where "user_id" = new."owner_id";
      return null; end; $$ language plpgsql;`,
    trigger: `create trigger "usage_resized" after update of "bytes" on "images" for each row when (old."bytes" is distinct from new."bytes") execute function "images_usage_resized_fn"();`,
  },
] as const;

/** The triggers as the Image entity declares them, so the schema diff knows they belong. */
export const usageTriggerDefs: TriggerDef[] = USAGE_TRIGGERS.map(({ name, fn, trigger }) => ({
  name,
  timing: 'after',
  events: [name === 'usage_added' ? 'insert' : name === 'usage_removed' ? 'delete' : 'update'],
  expression: `${fn}\n${trigger}`,
}));
