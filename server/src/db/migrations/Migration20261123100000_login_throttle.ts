import { Migration } from '@mikro-orm/migrations';

export class Migration20261123100000_login_throttle extends Migration {
  override name = 'Migration20261123100000_login_throttle';

  override up(): void {
    // failed logins per account and per client network, shared by every server instance
    this.addSql(`create table "login_failures" (
      "key" text not null, "window_start" timestamptz not null, "failures" int not null,
      primary key ("key"));`);
    // pruning finds expired windows by their start
    this.addSql(`create index "login_failures_window_start_index" on "login_failures" ("window_start");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "login_failures";`);
  }
}
