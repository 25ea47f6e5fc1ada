import type { TriggerDef } from '@mikro-orm/core';

/** The channel every instance LISTENs on for changes to what links grant (links/serving-facts.ts). */
export const ACCESS_CHANNEL = 'image_access';

/**
 * A trigger that sends `<kind>:<id of the changed row>` on ACCESS_CHANNEL, in the transaction of the
 * change: every code path, cascade or hand-written statement is covered, and a rolled-back change
 * sends nothing. Declared on the entities so MikroORM's schema diff knows them; created by
 * Migration20261203000000_access_notifications.
 */
export function accessTrigger(name: string, kind: 'image' | 'user' | 'tier' | 'link', events: Array<'update' | 'delete'>, onlyIf?: string): TriggerDef {
  const notify = `perform pg_notify('${ACCESS_CHANNEL}', '${kind}:' || old.id);`;
  return { name, timing: 'after', events, forEach: 'row', body: `${onlyIf ? `if ${onlyIf} then ${notify} end if;` : notify} return null;` };
}

/** The channel every instance LISTENs on for changes to who a credential signs in (auth/credential-cache.ts). */
export const AUTH_CHANNEL = 'auth_changed';

/**
 * Like accessTrigger, on AUTH_CHANNEL: `<kind>:<id>` of the row, its `new` row for an insert. Created by
 * Migration20261207000000_credentials.
 */
export function authTrigger(kind: 'user' | 'tier' | 'session' | 'token', events: Array<'insert' | 'update' | 'delete'>, row: 'old' | 'new' = 'old'): TriggerDef {
  return { name: 'auth_changed', timing: 'after', events, forEach: 'row', body: `perform pg_notify('${AUTH_CHANNEL}', '${kind}:' || ${row}.id); return null;` };
}
