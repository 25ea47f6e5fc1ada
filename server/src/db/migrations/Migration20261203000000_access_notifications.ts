import { Migration } from '@mikro-orm/migrations';

/**
 * Every change that alters what a link grants sends `image_access` a NOTIFY in its own transaction, so
 * each instance's cache of serving facts (links/serving-facts.ts) hears of it at commit. The triggers
 * are declared on the entities too (db/access-triggers.ts), in the shape MikroORM creates them.
 */
export class Migration20261203000000_access_notifications extends Migration {
  override name = 'Migration20261203000000_access_notifications';

  override up(): void {
    const trigger = (table: string, name: string, events: string, body: string) => {
      this.addSql(`create or replace function "${table}_${name}_fn"() returns trigger as $$ begin ${body} end; $$ language plpgsql;`);
      this.addSql(`create trigger "${name}" AFTER ${events} on "${table}" for each ROW execute function "${table}_${name}_fn"();`);
    };
    trigger('tiers', 'access_changed', 'UPDATE OR DELETE', `perform pg_notify('image_access', 'tier:' || old.id); return null;`);
    trigger('users', 'access_deleted', 'DELETE', `perform pg_notify('image_access', 'user:' || old.id); return null;`);
    trigger('users', 'access_tier_changed', 'UPDATE', `if old.tier_id is distinct from new.tier_id then perform pg_notify('image_access', 'user:' || old.id); end if; return null;`);
    trigger('images', 'access_deleted', 'DELETE', `perform pg_notify('image_access', 'image:' || old.id); return null;`);
  }

  override down(): void {
    for (const [table, name] of [['tiers', 'access_changed'], ['users', 'access_deleted'], ['users', 'access_tier_changed'], ['images', 'access_deleted']]) {
      this.addSql(`drop trigger if exists "${name}" on "${table}";`);
      this.addSql(`drop function if exists "${table}_${name}_fn"();`);
    }
  }
}
