import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { FileStore } from '../platform/storage.ts';
import { referencedFileHashes } from '../db/repositories/conversation.ts';
import { deleteExpiredSessions, deleteIdempotencyKeysBefore, deleteRateLimitsBefore } from '../db/repositories/auth.ts';
import { deleteExpiredPortalRows } from '../db/repositories/portal.ts';
import { verifyAgentLoads, type LoadMismatch } from '../db/repositories/routing.ts';

/** How long a stored Idempotency-Key response is replayed (like Stripe's 24 hours). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Housekeeping that keeps tables from growing without bound: expired sessions,
 * old idempotency keys and finished rate-limit windows are deleted. On PGlite, which has no autovacuum,
 * it also runs VACUUM (ANALYZE) so that dead rows are reclaimed and the
 * planner has statistics. It checks the agent loads the database keeps against
 * a count of the tickets and repairs any that differ (`loadMismatches`: never
 * expected — the server logs them as an error). Safe to run from several processes at once.
 */
export async function runMaintenance(
  db: Db,
  clock: Clock,
): Promise<{ sessions: number; idempotencyKeys: number; loadMismatches: LoadMismatch[] }> {
  const now = clock.now();
  const sessions = await deleteExpiredSessions(db, now);
  const idempotencyKeys = await deleteIdempotencyKeysBefore(db, new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS));
  // rate-limit windows are at most minutes long: an hour-old one is over
  await deleteRateLimitsBefore(db, new Date(now.getTime() - 3600 * 1000));
  // portal sign-in links live 15 minutes; a day later they only take room
  await deleteExpiredPortalRows(db, now, new Date(now.getTime() - 24 * 3600 * 1000));
  const loadMismatches = await verifyAgentLoads(db);
  if (db.kind === 'pglite') await db.exec('VACUUM (ANALYZE)');
  return { sessions, idempotencyKeys, loadMismatches };
}

/** Files younger than this are never swept: a request may be about to link them. */
export const ATTACHMENT_SWEEP_GRACE_MS = 3600 * 1000;

/**
 * Deletes attachment files no row references (left by a request whose command
 * failed after its upload was stored) and stale staging files.
 */
export function sweepAttachments(db: Db, store: FileStore, clock: Clock): Promise<number> {
  return store.sweep((hashes) => referencedFileHashes(db, hashes), ATTACHMENT_SWEEP_GRACE_MS, clock.now().getTime());
}

/**
 * Runs maintenance once shortly after start, then every `everyMs`; returns a stop function.
 * Errors are logged, never thrown: housekeeping must not take the server down.
 */
export function scheduleMaintenance(db: Db, clock: Clock, logger: Logger, store?: FileStore, everyMs = 15 * 60 * 1000): () => void {
  const run = () =>
    runMaintenance(db, clock).then(
      ({ loadMismatches, ...r }) => {
        if (loadMismatches.length) logger.error({ loadMismatches }, 'agent loads differed from the tickets and were recounted');
        if (r.sessions || r.idempotencyKeys) logger.info(r, 'maintenance');
      },
      (err) => logger.warn({ err }, 'maintenance failed'),
    );
  // Walking the attachment folders is heavier: every six hours is plenty.
  const sweep = () =>
    store &&
    sweepAttachments(db, store, clock).then(
      (files) => (files ? logger.info({ files }, 'unreferenced attachment files deleted') : undefined),
      (err) => logger.warn({ err }, 'attachment sweep failed'),
    );
  const timers = [setTimeout(run, 30_000), setInterval(run, everyMs), setTimeout(sweep, 5 * 60_000), setInterval(sweep, 6 * 3600_000)];
  for (const t of timers) t.unref();
  return () => timers.forEach((t) => clearTimeout(t));
}
