import { Migration } from '@mikro-orm/migrations';

/**
 * Shared originals carry no location (issue 14): each image records whether its stored original went
 * through location stripping. Rows from before are not, and the backfill job finds them by the
 * partial index, which shrinks to nothing once it is done.
 */
export class Migration20261205000000_original_location extends Migration {
  override name = 'Migration20261205000000_original_location';

  override up(): void {
    this.addSql(`alter table "images" add column "location_stripped" boolean not null default false;`);
    this.addSql(`create index "images_location_unstripped_index" on "images" ("id") where not "location_stripped";`);
  }

  override down(): void {
    this.addSql(`drop index "images_location_unstripped_index";`);
    this.addSql(`alter table "images" drop column "location_stripped";`);
  }
}
