import { Migration } from '@mikro-orm/migrations';

export class Migration20261123110000_stored_heights extends Migration {
  override name = 'Migration20261123110000_stored_heights';

  override up(): void {
    // which thumbnail files exist, so the background sync finds the work left without listing storage;
    // existing images start empty and the sync (or the first request) makes what their tier needs
    this.addSql(`alter table "images" add column "stored_heights" int[] not null default '{}';`);
  }

  override down(): void {
    this.addSql(`alter table "images" drop column "stored_heights";`);
  }
}
