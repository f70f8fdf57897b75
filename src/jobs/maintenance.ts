import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { deleteExpiredSessions, deleteIdempotencyKeysBefore, deleteRateLimitsBefore } from '../db/repositories/auth.ts';

/** How long a stored Idempotency-Key response is replayed (like Stripe's 24 hours). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Housekeeping that keeps tables from growing without bound: expired sessions,
 * old idempotency keys and finished rate-limit windows are deleted. On PGlite, which has no autovacuum,
 * it also runs VACUUM (ANALYZE) so that dead rows are reclaimed and the
 * planner has statistics. Safe to run from several processes at once.
 */
export async function runMaintenance(db: Db, clock: Clock): Promise<{ sessions: number; idempotencyKeys: number }> {
  const now = clock.now();
  const sessions = await deleteExpiredSessions(db, now);
  const idempotencyKeys = await deleteIdempotencyKeysBefore(db, new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS));
  // rate-limit windows are at most minutes long: an hour-old one is over
  await deleteRateLimitsBefore(db, new Date(now.getTime() - 3600 * 1000));
  if (db.kind === 'pglite') await db.exec('VACUUM (ANALYZE)');
  return { sessions, idempotencyKeys };
}

/**
 * Runs maintenance once shortly after start, then every `everyMs`; returns a stop function.
 * Errors are logged, never thrown: housekeeping must not take the server down.
 */
export function scheduleMaintenance(db: Db, clock: Clock, logger: Logger, everyMs = 15 * 60 * 1000): () => void {
  const run = () =>
    runMaintenance(db, clock).then(
      (r) => (r.sessions || r.idempotencyKeys ? logger.info(r, 'maintenance') : undefined),
      (err) => logger.warn({ err }, 'maintenance failed'),
    );
  const first = setTimeout(run, 30_000);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
