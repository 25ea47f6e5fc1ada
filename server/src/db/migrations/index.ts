import { Migration20261123000000_init } from './Migration20261123000000_init.js';
import { Migration20261123110000_stored_heights } from './Migration20261123110000_stored_heights.js';
import { Migration20261123100000_login_throttle } from './Migration20261123100000_login_throttle.js';
import { Migration20261123120000_login_known_networks } from './Migration20261123120000_login_known_networks.js';
import { Migration20261203000000_access_notifications } from './Migration20261203000000_access_notifications.js';
import { Migration20261204000000_expiring_links } from './Migration20261204000000_expiring_links.js';
import { Migration20261205000000_original_location } from './Migration20261205000000_original_location.js';
import { Migration20261206000000_placeholders } from './Migration20261206000000_placeholders.js';
import { Migration20261207000000_credentials } from './Migration20261207000000_credentials.js';
import { Migration20261210000000_audit_events } from './Migration20261210000000_audit_events.js';
import { Migration20261211000000_admin_stats } from './Migration20261211000000_admin_stats.js';
import { Migration20261212000000_dedupe_quotas } from './Migration20261212000000_dedupe_quotas.js';

/** Every migration, in order. Listed by hand so the same list runs from sources (tests) and from dist. */
export const migrations = [
  { name: 'Migration20261123000000_init', class: Migration20261123000000_init },
  { name: 'Migration20261123110000_stored_heights', class: Migration20261123110000_stored_heights },
  { name: 'Migration20261123100000_login_throttle', class: Migration20261123100000_login_throttle },
  { name: 'Migration20261123120000_login_known_networks', class: Migration20261123120000_login_known_networks },
  { name: 'Migration20261203000000_access_notifications', class: Migration20261203000000_access_notifications },
  { name: 'Migration20261204000000_expiring_links', class: Migration20261204000000_expiring_links },
  { name: 'Migration20261205000000_original_location', class: Migration20261205000000_original_location },
  { name: 'Migration20261206000000_placeholders', class: Migration20261206000000_placeholders },
  { name: 'Migration20261207000000_credentials', class: Migration20261207000000_credentials },
  { name: 'Migration20261210000000_audit_events', class: Migration20261210000000_audit_events },
  { name: 'Migration20261211000000_admin_stats', class: Migration20261211000000_admin_stats },
  { name: 'Migration20261212000000_dedupe_quotas', class: Migration20261212000000_dedupe_quotas },
];
