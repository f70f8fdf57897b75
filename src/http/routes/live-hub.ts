import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../platform/logger.ts';

/** What changed: the client refetches the ticket through the API (which checks access), so only the id and kind travel. */
export interface TicketEvent {
  ticketId: string;
  kind: 'created' | 'updated' | 'commented';
}

/** Fans ticket events out to every connected browser of every Triage process. */
export interface LiveHub {
  publish(e: TicketEvent): void;
  subscribe(fn: (e: TicketEvent) => void): () => void;
  close(): Promise<void>;
}

export const CHANNEL = 'triage_ticket_events';

// Events published within this window go out as one NOTIFY (a JSON array): under a burst of
// writes (hundreds of tickets a second) that is a few notifications a second, not one per write.
const BATCH_MS = 20;
// NOTIFY payloads must stay under 8,000 bytes; an event is about 70.
const BATCH_MAX = 100;

/**
 * On a PostgreSQL server: NOTIFY through the pool, LISTEN on one dedicated connection, so an
 * event published by any process (web or worker) reaches the browsers of every web process.
 * Without a server URL (PGlite, which only one process may open): an in-process emitter — the
 * same fan-out without a round trip. PGlite does run LISTEN/NOTIFY, but only through its own
 * handle, which the Db interface deliberately does not expose.
 */
export function createLiveHub(deps: { db: Db; databaseUrl?: string; logger?: Logger }): LiveHub {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const deliver = (e: TicketEvent) => local.emit('event', e);
  const subscribe = (fn: (e: TicketEvent) => void) => {
    local.on('event', fn);
    return () => void local.off('event', fn);
  };
  if (!deps.databaseUrl) return { publish: deliver, subscribe, close: async () => undefined };

  const url = deps.databaseUrl;
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (delayMs = 0) => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (m) => {
      if (m.channel !== CHANNEL || !m.payload) return;
      let events: TicketEvent[];
      try {
        events = JSON.parse(m.payload) as TicketEvent[];
      } catch {
        return; // not ours
      }
      if (Array.isArray(events)) events.forEach(deliver);
    });
    c.on('error', (err) => {
      deps.logger?.warn({ err }, 'live events: LISTEN connection lost; reconnecting');
      client = undefined;
      c.end().catch(() => undefined);
      retry = setTimeout(() => void connect(Math.min(5_000, delayMs * 2 || 250)), delayMs || 250);
      retry.unref();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (closed) await c.end();
      else client = c;
    } catch (err) {
      deps.logger?.warn({ err }, 'live events: cannot LISTEN; retrying');
      c.end().catch(() => undefined);
      retry = setTimeout(() => void connect(Math.min(5_000, delayMs * 2 || 250)), delayMs || 250);
      retry.unref();
    }
  };
  const ready = connect();
  let batch: TicketEvent[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    flushTimer = undefined;
    const events = batch;
    batch = [];
    if (!events.length) return;
    // after the writes have committed and been answered; a lost notice only delays a refresh
    deps.db.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(events)]).catch((err) => deps.logger?.warn({ err }, 'live events: NOTIFY failed'));
  };
  return {
    publish(e) {
      batch.push(e);
      if (batch.length >= BATCH_MAX) {
        clearTimeout(flushTimer);
        flush();
      } else flushTimer ??= setTimeout(flush, BATCH_MS);
    },
    subscribe,
    async close() {
      closed = true;
      clearTimeout(retry);
      clearTimeout(flushTimer);
      flush();
      await ready;
      await client?.end().catch(() => undefined);
    },
  };
}
