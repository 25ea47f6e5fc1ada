import { Migration } from '@mikro-orm/migrations';

/**
 * Placeholders in every image (issue 15): a ThumbHash, its rendering as a tiny PNG data URL and the
 * dominant colour, kept in the row so a list page reads them with the rest. Rows from before have none
 * until the placeholder backfill (or their first read) computes them; the partial index is that
 * backfill's work list and shrinks to nothing once it is done.
 */
export class Migration20261206000000_placeholders extends Migration {
  override name = 'Migration20261206000000_placeholders';

  override up(): void {
    this.addSql(`alter table "images" add column "placeholder_hash" text null, add column "placeholder_data_url" text null, add column "placeholder_color" text null;`);
    this.addSql(`create index "images_placeholder_missing_index" on "images" ("id") where "placeholder_hash" is null;`);
  }

  override down(): void {
    this.addSql(`drop index "images_placeholder_missing_index";`);
    this.addSql(`alter table "images" drop column "placeholder_hash", drop column "placeholder_data_url", drop column "placeholder_color";`);
  }
}
