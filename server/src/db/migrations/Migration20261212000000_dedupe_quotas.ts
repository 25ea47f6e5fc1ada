import { Migration } from '@mikro-orm/migrations';
import { USAGE_TRIGGERS } from '../usage-triggers.js';

/**
 * Fair storage (issue 16): each image keeps the SHA-256 of its bytes as uploaded, unique per owner, so
 * the same bytes are stored once; tiers get quotas (null: no limit, which every existing tier keeps);
 * each user's usage is a row the triggers on `images` keep in step; and `recent_uploads` holds the
 * reservations of uploads in flight and the last hour's uploads for the rate limit.
 *
 * Images stored before this migration keep a null hash: their uploaded bytes are gone where location
 * stripping rewrote them, so a hash of the stored file would not be the hash a client computes. They
 * are simply never matched. Their usage is counted here, once, from the rows.
 */
export class Migration20261212000000_dedupe_quotas extends Migration {
  override name = 'Migration20261212000000_dedupe_quotas';

  override up(): void {
    this.addSql(`alter table "images" add column "sha256" text null;`);
    this.addSql(`alter table "images" add constraint "images_owner_sha256_unique" unique ("owner_id", "sha256");`);

    this.addSql(`alter table "tiers" add column "max_images" int null, add column "max_bytes" bigint null, add column "uploads_per_hour" int null;`);

    this.addSql(`create table "user_usage" (
      "user_id" uuid not null, "images" int not null default 0, "bytes" bigint not null default 0,
      constraint "user_usage_pkey" primary key ("user_id"));`);
    this.addSql(`alter table "user_usage" add constraint "user_usage_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`insert into "user_usage" ("user_id", "images", "bytes") select "id", 0, 0 from "users";`);
    this.addSql(`update "user_usage" u set "images" = i."n", "bytes" = i."b"
      from (select "owner_id", count(*) as "n", sum("bytes") as "b" from "images" group by "owner_id") i where u."user_id" = i."owner_id";`);

    this.addSql(`create table "recent_uploads" (
      "id" uuid not null, "user_id" uuid not null, "images" int not null, "bytes" bigint not null,
      "created_at" timestamptz(3) not null, "pending" boolean not null, "expires_at" timestamptz(3) null,
      constraint "recent_uploads_pkey" primary key ("id"));`);
    this.addSql(`create index "recent_uploads_user_created_index" on "recent_uploads" ("user_id", "created_at");`);
    this.addSql(`create index "recent_uploads_created_at_index" on "recent_uploads" ("created_at");`);
    this.addSql(`alter table "recent_uploads" add constraint "recent_uploads_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    for (const { fn, trigger } of USAGE_TRIGGERS) {
      this.addSql(fn);
      this.addSql(trigger);
    }
  }

  override down(): void {
    for (const { name } of USAGE_TRIGGERS) {
      this.addSql(`drop trigger if exists "${name}" on "images";`);
      this.addSql(`drop function if exists "images_${name}_fn"();`);
    }
    this.addSql(`drop table if exists "recent_uploads";`);
    this.addSql(`drop table if exists "user_usage";`);
    this.addSql(`alter table "tiers" drop column "max_images", drop column "max_bytes", drop column "uploads_per_hour";`);
    this.addSql(`alter table "images" drop constraint "images_owner_sha256_unique";`);
    this.addSql(`alter table "images" drop column "sha256";`);
  }
}
