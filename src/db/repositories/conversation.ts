import type { Db } from '../client.ts';

export type ChangeType =
  | 'created' | 'updated' | 'status_changed' | 'assigned' | 'commented'
  | 'resolved' | 'closed' | 'reopened' | 'cancelled';

export interface HistoryEntry {
  ticketId: string;
  changedBy: string | null;
  actorType: 'agent' | 'requester' | 'system';
  changeType: ChangeType;
  field?: string | null;
  changedFrom?: unknown;
  changedTo?: unknown;
  comment?: string | null;
}

export interface HistoryRow {
  id: string;
  ticket_id: string;
  changed_by: string | null;
  changed_by_name: string | null;
  actor_type: string;
  change_type: ChangeType;
  field: string | null;
  changed_from: unknown;
  changed_to: unknown;
  comment: string | null;
  created_at: Date;
}

/** A comment's e-mail as stored on it (JSON); the API's `email` object. */
export interface CommentEmail {
  messageId: string | null;
  from: { address: string; name: string } | null;
  to: { address: string; name: string }[];
  cc: { address: string; name: string }[];
  subject: string;
  inReplyTo: string | null;
  references: string[];
  threadedBy: 'header' | 'token' | 'subject' | null;
  bodyText: string;
  bodyHtmlSanitized: string | null;
  quotedText: string;
}

/** An e-mailed reply's delivery as stored on the comment (JSON). */
export interface CommentDelivery {
  status: 'queued' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  messageId: string | null;
}

export interface CommentRow {
  id: string;
  ticket_id: string;
  author_id: string;
  author_type: 'agent' | 'requester' | 'system';
  author_name: string | null;
  content: string;
  is_internal: boolean;
  created_at: Date;
  /** the e-mail this comment came from (read copy written at ingest; see email_messages) */
  email?: CommentEmail | null;
  /** an e-mailed reply's delivery status (read copy kept by the email.send job) */
  delivery?: CommentDelivery | null;
}

export interface AttachmentRow {
  id: string;
  ticket_id: string;
  comment_id: string | null;
  file_name: string;
  sha256: string;
  file_size: number;
  mime_type: string;
  uploaded_by: string;
  created_at: Date;
}

/** Writes history rows (one statement for all of them), in the order given. */
export async function insertHistory(db: Db, entries: HistoryEntry[], now: Date): Promise<void> {
  if (entries.length === 0) return;
  const values: string[] = [];
  const params: unknown[] = [];
  for (const e of entries) {
    const p = params.length;
    values.push(`($${p + 1},$${p + 2},$${p + 3},$${p + 4},$${p + 5},$${p + 6}::jsonb,$${p + 7}::jsonb,$${p + 8},$${p + 9})`);
    params.push(
      e.ticketId, e.changedBy, e.actorType, e.changeType, e.field ?? null,
      e.changedFrom === undefined ? null : JSON.stringify(e.changedFrom),
      e.changedTo === undefined ? null : JSON.stringify(e.changedTo),
      e.comment ?? null, now,
    );
  }
  await db.query(
    `INSERT INTO ticket_history (ticket_id, changed_by, actor_type, change_type, field, changed_from, changed_to, comment, created_at)
     VALUES ${values.join(',')}`,
    params,
  );
}

export async function listHistory(db: Db, ticketId: string): Promise<HistoryRow[]> {
  return (
    await db.query<HistoryRow>(
      `SELECT h.*, a.name AS changed_by_name FROM ticket_history h LEFT JOIN agents a ON a.id = h.changed_by
        WHERE h.ticket_id = $1 ORDER BY h.created_at, h.seq`,
      [ticketId],
    )
  ).rows;
}

export async function insertComment(
  db: Db,
  c: { ticketId: string; authorId: string; authorType: 'agent' | 'requester' | 'system'; content: string; isInternal: boolean; email?: object },
  now: Date,
): Promise<CommentRow> {
  return (
    await db.query<CommentRow>(
      `INSERT INTO ticket_comments (ticket_id, author_id, author_type, content, is_internal, created_at, email)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *, NULL::text AS author_name`,
      [c.ticketId, c.authorId, c.authorType, c.content, c.isInternal, now, c.email ? JSON.stringify(c.email) : null],
    )
  ).rows[0];
}

export async function insertAttachment(
  db: Db,
  a: { ticketId: string; commentId: string | null; fileName: string; sha256: string; size: number; mimeType: string; uploadedBy: string },
  now: Date,
): Promise<AttachmentRow> {
  return (
    await db.query<AttachmentRow>(
      `INSERT INTO attachments (ticket_id, comment_id, file_name, sha256, file_size, mime_type, uploaded_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [a.ticketId, a.commentId, a.fileName, a.sha256, a.size, a.mimeType, a.uploadedBy, now],
    )
  ).rows[0];
}

/** Attachments of a ticket; those on internal notes only when `includeInternal`. */
export async function listAttachments(db: Db, ticketId: string, includeInternal: boolean): Promise<AttachmentRow[]> {
  return (
    await db.query<AttachmentRow>(
      `SELECT at.* FROM attachments at LEFT JOIN ticket_comments c ON c.id = at.comment_id
        WHERE at.ticket_id = $1 AND ($2 OR c.id IS NULL OR NOT c.is_internal)
        ORDER BY at.created_at, at.id`,
      [ticketId, includeInternal],
    )
  ).rows;
}

export async function getAttachment(db: Db, id: string): Promise<(AttachmentRow & { is_internal: boolean }) | undefined> {
  return (
    await db.query<AttachmentRow & { is_internal: boolean }>(
      `SELECT at.*, coalesce(c.is_internal, false) AS is_internal
         FROM attachments at LEFT JOIN ticket_comments c ON c.id = at.comment_id WHERE at.id = $1`,
      [id],
    )
  ).rows[0];
}

/** Which of these file hashes some attachment row still references. */
export async function referencedFileHashes(db: Db, hashes: string[]): Promise<Set<string>> {
  // raw e-mail messages live in the same store
  const rows = (await db.query<{ sha256: string }>(
    `SELECT sha256 FROM attachments WHERE sha256 = ANY($1::text[])
     UNION SELECT raw_sha256 FROM email_messages WHERE raw_sha256 = ANY($1::text[])`,
    [hashes],
  )).rows;
  return new Set(rows.map((r) => r.sha256.trim()));
}
