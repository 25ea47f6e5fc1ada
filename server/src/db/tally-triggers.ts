import type { TriggerDef } from '@mikro-orm/core';

/**
 * Statement-level triggers on `images` that keep the dashboard's counters in step, in the
 * transaction of every insert, update and delete, whatever wrote it (an upload, the thumbnail sync,
 * the location backfill, a user's deletion cascading to their images, seeding in SQL):
 * - `image_tallies`: images, original bytes and thumbnail bytes per owner and set of stored heights
 *   (so "out of step with the tier" is a sum over a table of about one row per user);
 * - `upload_days`: images and bytes per day of upload (UTC) of the images stored now.
 * Their functions (`images_<name>_fn`) are created by Migration20261211000000_admin_stats; MikroORM
 * cannot describe transition tables, so the statements are declared here whole and the schema diff
 * compares them by name only.
 */
export const TALLY_TRIGGERS: TriggerDef[] = [
  tallyTrigger('tally_inserted', 'insert', 'new table as "new_images"'),
  tallyTrigger('tally_updated', 'update', 'old table as "old_images" new table as "new_images"'),
  tallyTrigger('tally_deleted', 'delete', 'old table as "old_images"'),
];

function tallyTrigger(name: string, event: 'insert' | 'update' | 'delete', referencing: string): TriggerDef {
  return {
    name,
    timing: 'after',
    events: [event],
    forEach: 'statement',
    expression: `create trigger "${name}" after ${event} on "images" referencing ${referencing} for each statement execute function "images_${name}_fn"();`,
  };
}
