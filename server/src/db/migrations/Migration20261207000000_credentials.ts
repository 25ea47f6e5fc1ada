import { Migration } from '@mikro-orm/migrations';

/**
 * Self-service credentials (issue 13): personal access tokens (only their SHA-256 is stored) and signed-out
 * sessions (by their token's `jti`, kept until the token would have expired). Each instance caches who a
 * credential signs in, so every change to it NOTIFYs `auth_changed` in its own transaction: a user or
 * tier changed or deleted, a session signed out, a token revoked.
 */
export class Migration20261207000000_credentials extends Migration {
  override name = 'Migration20261207000000_credentials';

  override up(): void {
    this.addSql(`create table "access_tokens" (
      "id" uuid not null, "user_id" uuid not null, "name" text not null, "token_hash" text not null,
      "created_at" timestamptz not null, "expires_at" timestamptz null, "last_used_at" timestamptz null,
      constraint "access_tokens_pkey" primary key ("id"));`);
    this.addSql(`alter table "access_tokens" add constraint "access_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "access_tokens_user_id_index" on "access_tokens" ("user_id");`);
    this.addSql(`alter table "access_tokens" add constraint "access_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`create table "revoked_sessions" (
      "id" uuid not null, "user_id" uuid not null, "expires_at" timestamptz not null, "revoked_at" timestamptz not null,
      constraint "revoked_sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "revoked_sessions_user_id_index" on "revoked_sessions" ("user_id");`);
    this.addSql(`create index "revoked_sessions_expires_at_index" on "revoked_sessions" ("expires_at");`);
    this.addSql(`alter table "revoked_sessions" add constraint "revoked_sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    const trigger = (table: string, events: string, kind: string, row = 'old') => {
      this.addSql(`create or replace function "${table}_auth_changed_fn"() returns trigger as $$ begin perform pg_notify('auth_changed', '${kind}:' || ${row}.id); return null; end; $$ language plpgsql;`);
      this.addSql(`create trigger "auth_changed" AFTER ${events} on "${table}" for each ROW execute function "${table}_auth_changed_fn"();`);
    };
    trigger('users', 'UPDATE OR DELETE', 'user');
    trigger('tiers', 'UPDATE OR DELETE', 'tier');
    trigger('access_tokens', 'DELETE', 'token');
    trigger('revoked_sessions', 'INSERT', 'session', 'new');
  }

  override down(): void {
    for (const table of ['users', 'tiers']) {
      this.addSql(`drop trigger if exists "auth_changed" on "${table}";`);
      this.addSql(`drop function if exists "${table}_auth_changed_fn"();`);
    }
    this.addSql(`drop table if exists "access_tokens" cascade;`);
    this.addSql(`drop table if exists "revoked_sessions" cascade;`);
    this.addSql(`drop function if exists "access_tokens_auth_changed_fn"();`);
    this.addSql(`drop function if exists "revoked_sessions_auth_changed_fn"();`);
  }
}
