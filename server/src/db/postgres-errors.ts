/**
 * PostgreSQL's codes for a connection it ends because it is shutting down (admin_shutdown) and for one
 * it refuses while it does (cannot_connect_now).
 */
const SHUTDOWN_CODES = new Set(['57P01', '57P03']);

/**
 * Whether the error is PostgreSQL saying it is shutting down, or a connection it dropped as it went
 * (reset, or ended without a word): a Ctrl-C reaches PostgreSQL and this process together, and which
 * of the two a client sees first is a race.
 */
export function isPostgresShutdown(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return SHUTDOWN_CODES.has(code) || code === 'ECONNRESET';
  return /^Connection terminated unexpectedly/.test((error as Error | null)?.message ?? '');
}

/**
 * How long PostgreSQL's shutdown notice waits for this process's own signal before it counts as a
 * fault: a terminal's Ctrl-C reaches PostgreSQL and every server process together, and PostgreSQL's
 * word can be read before the process has run its signal handler.
 */
export const SHUTDOWN_SIGNAL_GRACE_MS = 500;

// restarting or unreachable (57P01, 57P03, 08006, 08001), and statement_timeout (57014) or
// lock_timeout (55P03) cancelling a query
const UNAVAILABLE_CODES = new Set([...SHUTDOWN_CODES, '08006', '08001', '57014', '55P03']);

/** Whether the error is PostgreSQL being out of reach for now, so a retry later can succeed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE_CODES.has(code);
}
