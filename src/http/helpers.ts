import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../domain/context.ts';
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Jobs } from '../jobs/queue.ts';
import { Errors } from '../domain/errors.ts';
import { claimIdempotencyKey, saveIdempotentResponse } from '../db/repositories/auth.ts';

export interface Deps {
  db: Db;
  clock: Clock;
  jobs?: Jobs;
}

/** The command context for this request: database, clock and the authenticated actor. */
export function ctxOf(deps: Deps, req: FastifyRequest, db: Db = deps.db): Ctx {
  return { db, clock: deps.clock, actor: req.actor, jobs: deps.jobs, log: req.log };
}

/** Tickets carry their version as a strong ETag. */
export function etag(version: number): string {
  return `"${version}"`;
}

/**
 * The version an `If-Match` header asks for: undefined when absent or `*`;
 * -1 (never a real version, so the write gets 412) when it names no version of ours.
 */
export function expectedVersion(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(h);
  return m ? Number(m[1]) : -1;
}

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs a creating command at most once per `Idempotency-Key` (per caller): the
 * key is claimed in the command's own transaction, so a retry — even one racing
 * the first request — gets the first response back and nothing is created twice.
 */
export async function idempotent<T extends object>(
  deps: Deps,
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  run: (ctx: Ctx) => Promise<T>,
): Promise<T> {
  const key = req.headers['idempotency-key'];
  if (key === undefined) {
    const body = await run(ctxOf(deps, req));
    return sendWithEtag(reply, status, body);
  }
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw Errors.validation([{ path: 'header.idempotency-key', message: 'Must be 1–255 visible ASCII characters' }]);
  }
  const requestHash = createHash('sha256')
    .update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
  const k = { actorId: req.actor.id ?? '00000000-0000-0000-0000-000000000000', key, method: req.method, path: req.url, requestHash };
  const result = await deps.db.transaction(async (tx) => {
    const previous = await claimIdempotencyKey(tx, k, deps.clock.now());
    if (previous) {
      if (previous.request_hash !== requestHash) throw Errors.idempotencyMismatch();
      return { status: previous.status_code ?? status, body: previous.response as T, replayed: true };
    }
    const body = await run(ctxOf(deps, req, tx));
    await saveIdempotentResponse(tx, k, status, body);
    return { status, body, replayed: false };
  });
  if (result.replayed) reply.header('Idempotent-Replayed', 'true');
  return sendWithEtag(reply, result.status, result.body);
}

/** Sets the status, and the ticket's ETag when the body is a ticket (`version`) or a comment on one (`ticketVersion`). */
export function sendWithEtag<T extends object>(reply: FastifyReply, status: number, body: T): T {
  const { version, ticketVersion } = body as { version?: unknown; ticketVersion?: unknown };
  const current = version ?? ticketVersion;
  if (typeof current === 'number') reply.header('ETag', etag(current));
  reply.code(status);
  return body;
}

/** The sort a keyset cursor was made for: a cursor only means something under the same order. */
export interface CursorSort<S extends string = string> {
  sortBy: S;
  sortOrder: 'asc' | 'desc';
}

/** A keyset position: the last row's sort key (as text) and id. */
export interface CursorPosition {
  key: string;
  id: string;
}

/** An opaque keyset cursor: base64url JSON of the sort and the last row's position. */
export function encodeCursor(sort: CursorSort, last: CursorPosition): string {
  return Buffer.from(JSON.stringify({ s: sort.sortBy, o: sort.sortOrder, k: last.key, i: last.id })).toString('base64url');
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a cursor back; anything this API did not write for this very sort (and whose key
 * `validKey` refuses) is a 400 naming `query.cursor`, never a database error.
 */
export function decodeCursor<S extends string>(cursor: string, sort: CursorSort<S>, validKey: (sortBy: S, key: string) => boolean): CursorPosition {
  const invalid = (message: string) => Errors.validation([{ path: 'query.cursor', message }]);
  let v: { s?: unknown; o?: unknown; k?: unknown; i?: unknown };
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('Not a cursor returned by this API');
  }
  if (!v || typeof v !== 'object' || typeof v.k !== 'string' || typeof v.i !== 'string' || !UUID_RE.test(v.i)) {
    throw invalid('Not a cursor returned by this API');
  }
  if (v.s !== sort.sortBy || v.o !== sort.sortOrder) {
    throw invalid(`This cursor belongs to a list sorted by ${String(v.s)} ${String(v.o)}; use the same sortBy and sortOrder`);
  }
  if (!validKey(sort.sortBy, v.k)) throw invalid('Not a cursor returned by this API');
  return { key: v.k, id: v.i };
}
