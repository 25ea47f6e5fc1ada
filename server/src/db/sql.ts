import type pg from 'pg';

/**
 * The ORM's own connection pool, for the few hot reads written as named statements: each pooled
 * connection parses and plans one once, and no query builder runs per request. Everything that
 * writes goes through the EntityManager.
 */
export type Sql = Pick<pg.Pool, 'query'>;
