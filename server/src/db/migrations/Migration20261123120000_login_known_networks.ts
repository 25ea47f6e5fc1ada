import { Migration } from '@mikro-orm/migrations';

export class Migration20261123120000_login_known_networks extends Migration {
  override name = 'Migration20261123120000_login_known_networks';

  override up(): void {
    // the client networks each account last logged in from, so failures from elsewhere cannot lock it out there
    this.addSql(`create table "login_known_networks" (
      "key" text not null, "last_success" timestamptz not null,
      primary key ("key"));`);
    // pruning finds the ones not used for LOGIN_KNOWN_NETWORK_DAYS by their last success
    this.addSql(`create index "login_known_networks_last_success_index" on "login_known_networks" ("last_success");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "login_known_networks";`);
  }
}
