import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000000_init extends Migration {
  override name = 'Migration20261123000000_init';

  override up(): void {
    this.addSql(`create table "tiers" (
      "id" uuid not null, "name" text not null, "thumbnail_heights" int[] not null,
      "original_link" boolean not null default false, "expiring_links" boolean not null default false,
      "builtin" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      primary key ("id"));`);
    this.addSql(`create unique index "tiers_name_lower_unique" on "tiers" (lower("name"));`);

    this.addSql(`create table "users" (
      "id" uuid not null, "username" text not null, "password_hash" text not null,
      "token_version" int not null default 0, "is_admin" boolean not null default false, "tier_id" uuid not null,
      "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_username_unique" unique ("username");`);
    this.addSql(`create index "users_tier_id_index" on "users" ("tier_id");`);
    this.addSql(`alter table "users" add constraint "users_tier_id_foreign" foreign key ("tier_id") references "tiers" ("id") on delete restrict;`);

    this.addSql(`create table "images" (
      "id" uuid not null, "owner_id" uuid not null, "filename" text not null, "format" text not null,
      "width" int not null, "height" int not null, "bytes" int not null, "created_at" timestamptz(3) not null,
      primary key ("id"));`);
    this.addSql(`alter table "images" add constraint "images_format_check" check ("format" in ('PNG', 'JPEG'));`);
    this.addSql(`create index "images_owner_created_id_index" on "images" ("owner_id", "created_at" desc, "id" desc);`);
    this.addSql(`alter table "images" add constraint "images_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on delete cascade;`);

    // the builtin tiers; fixed ids so code and later migrations can name them
    this.addSql(`insert into "tiers" ("id", "name", "thumbnail_heights", "original_link", "expiring_links", "builtin", "created_at", "updated_at") values
      ('00000000-0000-4000-8000-000000000001', 'Basic', '{200}', false, false, true, now(), now()),
      ('00000000-0000-4000-8000-000000000002', 'Premium', '{200,400}', true, false, true, now(), now()),
      ('00000000-0000-4000-8000-000000000003', 'Enterprise', '{200,400}', true, true, true, now(), now())
      on conflict do nothing;`);
  }
}
