import { EventEmitter } from 'node:events';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../platform/logger.ts';

/** What changed: the client refetches the ticket through the API (which checks access), so only the id and kind travel. */
export interface TicketEvent {
  ticketId: string;
  kind: 'created' | 'updated' | 'commented';
}

/** Fans the database's ticket events out to this process's connected browsers. */
export interface LiveHub {
  subscribe(fn: (e: TicketEvent) => void): () => void;
  close(): Promise<void>;
}

/** How often the hub looks for new events (the most a browser waits for a change, plus its refetch). */
const POLL_MS = 200;
/** Rows that a snapshot this old saw are deleted (every reader has read them by then). */
const KEEP_MS = 30_000;

// This statement's snapshot and the events it sees that the previous look's snapshot did not
// (committed since, whenever they began), in one round trip. A snapshot lists the transactions
// still running, so a long one elsewhere delays nothing but its own events. Without a previous
// snapshot (start-up) only the snapshot: the past is not replayed. The xmin bound is the index's.
const POLL_SQL = `
  SELECT s.snap::text AS snapshot, e.events
    FROM (SELECT pg_current_snapshot() AS snap) s
    LEFT JOIN live_events e
      ON e.xid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(e.xid, $1::pg_snapshot)
   ORDER BY e.xid`;
const PRUNE_SQL = 'DELETE FROM live_events WHERE xid < pg_snapshot_xmax($1::pg_snapshot) AND pg_visible_in_snapshot(xid, $1::pg_snapshot)';

/**
 * Reads the ticket events that the triggers of migration 0013 append to `live_events` — for
 * every committed change to tickets and comments, whoever made it: any route, the mail role, the
 * worker, any process on the database — and hands them to the subscribers. One small query every
 * POLL_MS while the process runs, on PGlite as on a PostgreSQL server (where every web process
 * reads for itself, so each sees every process's changes). A failed look is retried at the next
 * tick from the same snapshot, so nothing is lost while the database is briefly away.
 */
export function createLiveHub(deps: { db: Db; logger?: Logger }): LiveHub {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  let snapshot: string | null = null;
  let prune: { at: number; snapshot: string } | undefined;
  let failing = false;

  const poll = async () => {
    try {
      const { rows } = await deps.db.query<{ snapshot: string; events: TicketEvent[] | null }>(POLL_SQL, [snapshot]);
      if (failing) deps.logger?.info('live events: reading again');
      failing = false;
      snapshot = rows[0].snapshot;
      for (const r of rows) for (const e of r.events ?? []) local.emit('event', e);
      const now = Date.now();
      if (!prune) prune = { at: now, snapshot };
      else if (now - prune.at >= KEEP_MS) {
        await deps.db.query(PRUNE_SQL, [prune.snapshot]);
        prune = { at: now, snapshot };
      }
    } catch (err) {
      if (!failing) deps.logger?.warn({ err }, 'live events: cannot read; retrying');
      failing = true;
    }
  };

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = poll().finally(() => {
      if (closed) return;
      timer = setTimeout(tick, POLL_MS);
      timer.unref();
    });
  };
  tick();

  return {
    subscribe(fn) {
      local.on('event', fn);
      return () => void local.off('event', fn);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
