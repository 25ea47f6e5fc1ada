const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether `value` is a row id as PostgreSQL prints it (lowercase UUID). Checked before any query, so a
 * malformed id is a clear NOT_FOUND or BAD_USER_INPUT, never a 22P02 from the database.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
