import { Migration } from '@mikro-orm/migrations';

/**
 * Links owners manage (issue 14): expiring links become rows that can be listed and revoked, and each
 * image gets a link version that rotating its permanent links bumps. Both changes NOTIFY `image_access`,
 * so every instance's access cache drops what they made wrong at commit.
 */
export class Migration20261204000000_expiring_links extends Migration {
  override name = 'Migration20261204000000_expiring_links';

  override up(): void {
    this.addSql(`alter table "images" add column "link_version" int not null default 0;`);
    this.addSql(`create table "expiring_links" (
      "id" uuid not null, "image_id" uuid not null, "owner_id" uuid not null, "size" int null,
      "created_at" timestamptz(3) not null, "expires_at" timestamptz(3) not null, "revoked_at" timestamptz(3) null,
      constraint "expiring_links_pkey" primary key ("id"));`);
    this.addSql(`create index "expiring_links_image_id_index" on "expiring_links" ("image_id");`);
    this.addSql(`create index "expiring_links_expires_at_index" on "expiring_links" ("expires_at");`);
    this.addSql(`create index "expiring_links_owner_created_id_index" on "expiring_links" ("owner_id", "created_at" desc, "id" desc);`);
    this.addSql(`alter table "expiring_links" add constraint "expiring_links_image_id_foreign" foreign key ("image_id") references "images" ("id") on delete cascade;`);
    this.addSql(`alter table "expiring_links" add constraint "expiring_links_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on delete cascade;`);
    const trigger = (table: string, name: string, events: string, body: string) => {
      this.addSql(`create or replace function "${table}_${name}_fn"() returns trigger as $$ begin ${body} end; $$ language plpgsql;`);
      this.addSql(`create trigger "${name}" AFTER ${events} on "${table}" for each ROW execute function "${table}_${name}_fn"();`);
    };
    trigger('images', 'access_links_rotated', 'UPDATE', `if old.link_version is distinct from new.link_version then perform pg_notify('image_access', 'image:' || old.id); end if; return null;`);
    trigger('expiring_links', 'access_changed', 'UPDATE OR DELETE', `perform pg_notify('image_access', 'link:' || old.id); return null;`);
  }

  override down(): void {
    this.addSql(`drop trigger if exists "access_links_rotated" on "images";`);
    this.addSql(`drop function if exists "images_access_links_rotated_fn"();`);
    this.addSql(`drop table if exists "expiring_links" cascade;`);
    this.addSql(`drop function if exists "expiring_links_access_changed_fn"();`);
    this.addSql(`alter table "images" drop column "link_version";`);
  }
}
