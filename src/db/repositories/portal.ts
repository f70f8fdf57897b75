import type { Db } from '../client.ts';
import type { TicketStatus } from '../../domain/tickets/lifecycle.ts';

/** A requester signed in to the portal, as resolved from their session cookie. */
export interface PortalPrincipal {
  requester_id: string;
  name: string;
  email: string;
  organization_id: string | null;
  organization: string | null;
  /** the organization lets its requesters see each other's tickets */
  organization_shared: boolean;
  csrf_token: string;
}

/** Who a sign-in link was issued for, with what the e-mail needs. */
export interface IssuedLink {
  id: string;
  base_url: string;
  return_to: string | null;
  requester_id: string;
  name: string;
  email: string;
  bouncing: boolean;
}

/** Records a requested sign-in link (no token yet: the mail job makes it); returns its id. */
export async function insertSignInLink(db: Db, l: { requesterId: string; baseUrl: string; returnTo: string | null }, now: Date): Promise<string> {
  return (
    await db.query<{ id: string }>(
      'INSERT INTO portal_sign_in_links (requester_id, base_url, return_to, requested_at) VALUES ($1, $2, $3, $4) RETURNING id',
      [l.requesterId, l.baseUrl, l.returnTo, now],
    )
  ).rows[0].id;
}

/**
 * Claims a requested link for its e-mail: stores the token's hash and expiry once. Returns
 * undefined when the link was issued already (the job ran before) or no longer exists.
 */
export async function issueSignInLink(db: Db, id: string, tokenHash: Buffer, expiresAt: Date): Promise<IssuedLink | undefined> {
  return (
    await db.query<IssuedLink>(
      `UPDATE portal_sign_in_links l SET token_hash = $2, expires_at = $3
         FROM requesters r
        WHERE l.id = $1 AND r.id = l.requester_id AND l.token_hash IS NULL AND l.used_at IS NULL
        RETURNING l.id, l.base_url, l.return_to, l.requester_id, r.name, r.email, r.email_bouncing_at IS NOT NULL AS bouncing`,
      [id, tokenHash, expiresAt],
    )
  ).rows[0];
}

/** Forgets the token of a link whose e-mail could not be sent, so the retry issues a new one. */
export async function unissueSignInLink(db: Db, id: string): Promise<void> {
  await db.query('UPDATE portal_sign_in_links SET token_hash = NULL, expires_at = NULL WHERE id = $1 AND used_at IS NULL', [id]);
}

/**
 * Uses a link: marks it used if it is unused and unexpired (one statement, so two tabs
 * opening one link get one session). Returns the requester, or why the link is refused.
 */
export async function redeemSignInLink(
  db: Db,
  tokenHash: Buffer,
  now: Date,
): Promise<{ requesterId: string } | { refused: 'unknown' | 'used' | 'expired' }> {
  const used = await db.query<{ requester_id: string }>(
    `UPDATE portal_sign_in_links SET used_at = $2
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING requester_id`,
    [tokenHash, now],
  );
  if (used.rows[0]) return { requesterId: used.rows[0].requester_id };
  const row = (await db.query<{ used_at: Date | null }>('SELECT used_at FROM portal_sign_in_links WHERE token_hash = $1', [tokenHash])).rows[0];
  return { refused: !row ? 'unknown' : row.used_at ? 'used' : 'expired' };
}

export async function insertPortalSession(
  db: Db,
  s: { tokenHash: Buffer; requesterId: string; csrfToken: string; expiresAt: Date },
  now: Date,
): Promise<void> {
  await db.query('INSERT INTO portal_sessions (token_hash, requester_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    s.tokenHash, s.requesterId, s.csrfToken, now, s.expiresAt,
  ]);
}

export async function findPortalSession(db: Db, tokenHash: Buffer, now: Date): Promise<PortalPrincipal | undefined> {
  return (
    await db.query<PortalPrincipal>(
      `SELECT s.requester_id, s.csrf_token, r.name, r.email, r.organization_id, o.name AS organization,
              coalesce(o.portal_shared, false) AS organization_shared
         FROM portal_sessions s JOIN requesters r ON r.id = s.requester_id LEFT JOIN organizations o ON o.id = r.organization_id
        WHERE s.token_hash = $1 AND s.expires_at > $2`,
      [tokenHash, now],
    )
  ).rows[0];
}

export async function deletePortalSession(db: Db, tokenHash: Buffer): Promise<void> {
  await db.query('DELETE FROM portal_sessions WHERE token_hash = $1', [tokenHash]);
}

/** Which tickets a requester may see: their own, and their organization's when it shares them. */
export interface PortalScope {
  requesterId: string;
  /** set only when the organization shares its tickets */
  sharedOrganizationId: string | null;
}

/** The SQL condition of a scope on `t` (tickets) joined with `r` (its requester); parameters from `first`. */
function scopeClause(scope: PortalScope, first: number): { sql: string; params: unknown[] } {
  return {
    sql: `(t.requester_id = $${first} OR ($${first + 1}::uuid IS NOT NULL AND r.organization_id = $${first + 1}))`,
    params: [scope.requesterId, scope.sharedOrganizationId],
  };
}

export interface PortalTicketRow {
  id: string;
  number: number;
  subject: string;
  status: TicketStatus;
  requester_name: string;
  created_at: Date;
  updated_at: Date;
}

/** Tickets in the scope, last changed first (at most `limit`, after `offset`), with the total. */
export async function listPortalTickets(
  db: Db,
  scope: PortalScope,
  page: { limit: number; offset: number },
): Promise<{ rows: PortalTicketRow[]; total: number }> {
  const where = scopeClause(scope, 1);
  const from = `FROM tickets t JOIN requesters r ON r.id = t.requester_id WHERE ${where.sql}`;
  const rows = (
    await db.query<PortalTicketRow>(
      `SELECT t.id, t.number, t.subject, t.status, r.name AS requester_name, t.created_at, t.updated_at ${from}
        ORDER BY t.updated_at DESC, t.id DESC LIMIT $3 OFFSET $4`,
      [...where.params, page.limit, page.offset],
    )
  ).rows;
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, where.params)).rows[0].n;
  return { rows, total };
}

/** The id of ticket `number` when it is in the scope; undefined otherwise (so someone else's ticket is "not found"). */
export async function findPortalTicketId(db: Db, scope: PortalScope, number: number): Promise<string | undefined> {
  const where = scopeClause(scope, 2);
  return (
    await db.query<{ id: string }>(
      `SELECT t.id FROM tickets t JOIN requesters r ON r.id = t.requester_id WHERE t.number = $1 AND ${where.sql}`,
      [number, ...where.params],
    )
  ).rows[0]?.id;
}

/**
 * An attachment the scope may download: on a ticket in the scope, and on a public comment or
 * the ticket itself (never on an internal note).
 */
export async function findPortalAttachment(
  db: Db,
  scope: PortalScope,
  id: string,
): Promise<{ file_name: string; sha256: string; file_size: number; mime_type: string } | undefined> {
  const where = scopeClause(scope, 2);
  return (
    await db.query<{ file_name: string; sha256: string; file_size: number; mime_type: string }>(
      `SELECT at.file_name, at.sha256, at.file_size, at.mime_type
         FROM attachments at
         JOIN tickets t ON t.id = at.ticket_id
         JOIN requesters r ON r.id = t.requester_id
         LEFT JOIN ticket_comments c ON c.id = at.comment_id
        WHERE at.id = $1 AND (at.comment_id IS NULL OR NOT c.is_internal) AND ${where.sql}`,
      [id, ...where.params],
    )
  ).rows[0];
}

/** Turns the organization's ticket sharing on or off; undefined when there is no such organization. */
export async function setOrganizationPortalShared(db: Db, id: string, shared: boolean, now: Date): Promise<{ id: string; portal_shared: boolean } | undefined> {
  return (
    await db.query<{ id: string; portal_shared: boolean }>(
      'UPDATE organizations SET portal_shared = $2, updated_at = $3 WHERE id = $1 RETURNING id, portal_shared',
      [id, shared, now],
    )
  ).rows[0];
}

export async function getOrganizationPortalShared(db: Db, id: string): Promise<{ id: string; portal_shared: boolean } | undefined> {
  return (await db.query<{ id: string; portal_shared: boolean }>('SELECT id, portal_shared FROM organizations WHERE id = $1', [id])).rows[0];
}

/** Housekeeping: expired requester sessions, and sign-in links requested before `linksBefore` (long unusable). */
export async function deleteExpiredPortalRows(db: Db, now: Date, linksBefore: Date): Promise<void> {
  await db.query('DELETE FROM portal_sessions WHERE expires_at <= $1', [now]);
  await db.query('DELETE FROM portal_sign_in_links WHERE requested_at < $1', [linksBefore]);
}
