import { Migration } from '@mikro-orm/migrations';

// one row of images with its thumbnails' bytes summed: what every tally statement reads
const withThumbs = (table: string) =>
  `(select i.*, (select coalesce(sum(s), 0) from unnest(i."thumbnail_sizes") as s) as "thumbs" from ${table} i)`;
// the rows of an update whose counted columns changed, old (o) beside new (n)
const CHANGED = `from "old_images" o join "new_images" n on n."id" = o."id"
  where (o."owner_id", o."stored_heights", o."bytes", o."thumbnail_sizes") is distinct from (n."owner_id", n."stored_heights", n."bytes", n."thumbnail_sizes")`;

const addTallies = (rows: string) => `insert into "image_tallies" as t ("owner_id", "stored_heights", "images", "original_bytes", "thumbnail_bytes")
  select r."owner_id", r."stored_heights", count(*), sum(r."bytes"), sum(r."thumbs") from ${rows} r group by r."owner_id", r."stored_heights"
  on conflict ("owner_id", "stored_heights") do update set "images" = t."images" + excluded."images",
    "original_bytes" = t."original_bytes" + excluded."original_bytes", "thumbnail_bytes" = t."thumbnail_bytes" + excluded."thumbnail_bytes";`;
// only rows that exist are taken from: a user's deletion may have removed theirs already
const takeTallies = (rows: string) => `update "image_tallies" t set "images" = t."images" - g."images",
    "original_bytes" = t."original_bytes" - g."bytes", "thumbnail_bytes" = t."thumbnail_bytes" - g."thumbs"
  from (select r."owner_id", r."stored_heights", count(*) as "images", sum(r."bytes") as "bytes", sum(r."thumbs") as "thumbs" from ${rows} r group by 1, 2) g
  where t."owner_id" = g."owner_id" and t."stored_heights" = g."stored_heights";
  delete from "image_tallies" t using (select distinct r."owner_id", r."stored_heights" from ${rows} r) g
  where t."owner_id" = g."owner_id" and t."stored_heights" = g."stored_heights" and t."images" <= 0;`;
const UTC_DAY = `(r."created_at" at time zone 'UTC')::date`;

/**
 * The dashboard (issue 17) reads counters, never a million images: `images.thumbnail_sizes` records
 * each stored thumbnail's bytes beside `stored_heights`, and statement-level triggers keep
 * `image_tallies` (per owner and set of stored heights) and `upload_days` in step in the transaction
 * of every change to `images` (see db/tally-triggers.ts). Existing rows are counted once here; their
 * thumbnails' sizes were never recorded, so they count 0 bytes until they are made again.
 */
export class Migration20261211000000_admin_stats extends Migration {
  override name = 'Migration20261211000000_admin_stats';

  override up(): void {
    this.addSql(`alter table "images" add column "thumbnail_sizes" int[] not null default '{}';`);
    this.addSql(`update "images" set "thumbnail_sizes" = array_fill(0, array[cardinality("stored_heights")]) where cardinality("stored_heights") > 0;`);
    this.addSql(`create table "image_tallies" ("owner_id" uuid not null, "stored_heights" int[] not null, "images" int not null,
      "original_bytes" bigint not null, "thumbnail_bytes" bigint not null, constraint "image_tallies_pkey" primary key ("owner_id", "stored_heights"));`);
    this.addSql(`alter table "image_tallies" add constraint "image_tallies_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on delete cascade;`);
    this.addSql(`create table "upload_days" ("day" date not null, "images" int not null, "bytes" bigint not null, constraint "upload_days_pkey" primary key ("day"));`);
    this.addSql(addTallies(withThumbs('"images"')));
    this.addSql(`insert into "upload_days" ("day", "images", "bytes") select ${UTC_DAY}, count(*), sum(r."bytes") from "images" r group by 1;`);

    const trigger = (name: string, event: string, referencing: string, body: string) => {
      this.addSql(`create or replace function "images_${name}_fn"() returns trigger as $$ begin ${body} return null; end; $$ language plpgsql;`);
      this.addSql(`create trigger "${name}" after ${event} on "images" referencing ${referencing} for each statement execute function "images_${name}_fn"();`);
    };
    trigger('tally_inserted', 'insert', 'new table as "new_images"', `${addTallies(withThumbs('"new_images"'))}
      insert into "upload_days" as d ("day", "images", "bytes") select ${UTC_DAY}, count(*), sum(r."bytes") from "new_images" r group by 1
      on conflict ("day") do update set "images" = d."images" + excluded."images", "bytes" = d."bytes" + excluded."bytes";`);
    trigger('tally_deleted', 'delete', 'old table as "old_images"', `${takeTallies(withThumbs('"old_images"'))}
      update "upload_days" d set "images" = d."images" - g."images", "bytes" = d."bytes" - g."bytes"
      from (select ${UTC_DAY} as "day", count(*) as "images", sum(r."bytes") as "bytes" from "old_images" r group by 1) g where d."day" = g."day";`);
    // added before taken: a change that keeps its tally row (new bytes only) never takes it to 0 on the way
    trigger('tally_updated', 'update', 'old table as "old_images" new table as "new_images"', `${addTallies(withThumbs(`(select n.* ${CHANGED})`))}
      ${takeTallies(withThumbs(`(select o.* ${CHANGED})`))}
      update "upload_days" d set "bytes" = d."bytes" + g."delta"
      from (select (o."created_at" at time zone 'UTC')::date as "day", sum(n."bytes" - o."bytes") as "delta" ${CHANGED} and n."bytes" <> o."bytes" group by 1) g
      where d."day" = g."day";`);
  }

  override down(): void {
    for (const name of ['tally_inserted', 'tally_updated', 'tally_deleted']) {
      this.addSql(`drop trigger if exists "${name}" on "images";`);
      this.addSql(`drop function if exists "images_${name}_fn"();`);
    }
    this.addSql(`drop table if exists "upload_days";`);
    this.addSql(`drop table if exists "image_tallies";`);
    this.addSql(`alter table "images" drop column "thumbnail_sizes";`);
  }
}
