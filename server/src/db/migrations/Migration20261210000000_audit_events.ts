import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log (issue 17): one row per admin action, written in the transaction of the change. Rows
 * are never updated; the daily prune deletes those older than AUDIT_RETENTION_DAYS. The indexes serve
 * the log newest first, a record's history, and the actor and action filters.
 */
export class Migration20261210000000_audit_events extends Migration {
  override name = 'Migration20261210000000_audit_events';

  override up(): void {
    this.addSql(`create table "audit_events" (
      "id" uuid not null, "occurred_at" timestamptz(3) not null, "actor_id" text not null, "actor_name" text null,
      "action" text not null, "target_type" text not null, "target_id" text not null,
      "before" jsonb null, "after" jsonb null, "request_id" text null, "client_address" text null,
      constraint "audit_events_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_events_occurred_at_index" on "audit_events" ("occurred_at" desc, "id" desc);`);
    this.addSql(`create index "audit_events_target_index" on "audit_events" ("target_type", "target_id", "occurred_at" desc, "id" desc);`);
    this.addSql(`create index "audit_events_actor_index" on "audit_events" ("actor_id", "occurred_at" desc, "id" desc);`);
    this.addSql(`create index "audit_events_action_index" on "audit_events" ("action", "occurred_at" desc, "id" desc);`);
  }

  override down(): void {
    this.addSql(`drop table if exists "audit_events";`);
  }
}
