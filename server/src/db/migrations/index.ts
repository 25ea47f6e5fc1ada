import { Migration20261123000000_init } from './Migration20261123000000_init.js';

/** Every migration, in order. Listed by hand so the same list runs from sources (tests) and from dist. */
export const migrations = [{ name: 'Migration20261123000000_init', class: Migration20261123000000_init }];
