/**
 * SQL of the e-mail channel: mailboxes, messages in and out, the inbound log,
 * dead letters, suspended mail, bounce state, auto-responses and their limits.
 */
import type { Db } from '../client.ts';

// --- mailboxes -------------------------------------------------------------------

export interface MailboxRow {
  id: string;
  address: string;
  name: string;
  group_slug: string | null;
  category: string | null;
  inbound: { type: 'smtp' } | { type: 'imap'; host: string; port: number; secure: boolean; user: string; folder?: string; processedFolder?: string };
  inbound_password_enc: string | null;
  outbound: { host: string; port: number; secure: boolean; user?: string } | null;
  outbound_password_enc: string | null;
  auto_acknowledge: boolean;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface MailboxWrite {
  address?: string;
  name?: string;
  groupSlug?: string | null;
  category?: string | null;
  inbound?: MailboxRow['inbound'];
  inboundPasswordEnc?: string | null;
  outbound?: MailboxRow['outbound'];
  outboundPasswordEnc?: string | null;
  autoAcknowledge?: boolean;
  isActive?: boolean;
}

const MAILBOX_COLUMNS: Record<keyof MailboxWrite, string> = {
  address: 'address', name: 'name', groupSlug: 'group_slug', category: 'category', inbound: 'inbound',
  inboundPasswordEnc: 'inbound_password_enc', outbound: 'outbound', outboundPasswordEnc: 'outbound_password_enc',
  autoAcknowledge: 'auto_acknowledge', isActive: 'is_active',
};
const JSON_COLUMNS = new Set(['inbound', 'outbound']);

function assignments(w: MailboxWrite, start: number): { sets: string[]; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [k, col] of Object.entries(MAILBOX_COLUMNS) as [keyof MailboxWrite, string][]) {
    if (w[k] === undefined) continue;
    params.push(JSON_COLUMNS.has(col) && w[k] !== null ? JSON.stringify(w[k]) : w[k]);
    sets.push(`${col} = $${start + params.length}${JSON_COLUMNS.has(col) ? '::jsonb' : ''}`);
  }
  return { sets, params };
}

export async function insertMailbox(db: Db, w: MailboxWrite & { address: string; name: string }, now: Date): Promise<MailboxRow> {
  return (
    await db.query<MailboxRow>(
      `INSERT INTO mailboxes (address, name, group_slug, category, inbound, inbound_password_enc, outbound, outbound_password_enc,
                              auto_acknowledge, is_active, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11, $11) RETURNING *`,
      [
        w.address, w.name, w.groupSlug ?? null, w.category ?? null, JSON.stringify(w.inbound ?? { type: 'smtp' }),
        w.inboundPasswordEnc ?? null, w.outbound ? JSON.stringify(w.outbound) : null, w.outboundPasswordEnc ?? null,
        w.autoAcknowledge ?? false, w.isActive ?? true, now,
      ],
    )
  ).rows[0];
}

export async function updateMailbox(db: Db, id: string, w: MailboxWrite, now: Date): Promise<MailboxRow | undefined> {
  const { sets, params } = assignments(w, 2);
  return (
    await db.query<MailboxRow>(
      `UPDATE mailboxes SET ${[...sets, `updated_at = $2`].join(', ')} WHERE id = $1 RETURNING *`,
      [id, now, ...params],
    )
  ).rows[0];
}

export async function getMailbox(db: Db, id: string): Promise<MailboxRow | undefined> {
  return (await db.query<MailboxRow>('SELECT * FROM mailboxes WHERE id = $1', [id])).rows[0];
}

export async function listMailboxes(db: Db, opts: { activeOnly?: boolean } = {}): Promise<MailboxRow[]> {
  return (await db.query<MailboxRow>(`SELECT * FROM mailboxes ${opts.activeOnly ? 'WHERE is_active' : ''} ORDER BY created_at, id`)).rows;
}

/** Every mailbox, kept per process until the configuration changes (Db.cached): read on every message. */
export function cachedMailboxes(db: Db): Promise<MailboxRow[]> {
  return db.cached('mailboxes', (d) => listMailboxes(d));
}

export async function deleteMailbox(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM mailboxes WHERE id = $1', [id])).rowCount > 0;
}

/** Every mailbox address (active or not): mail from any of them is our own. */
export async function mailboxAddresses(db: Db): Promise<string[]> {
  return (await cachedMailboxes(db)).map((m) => m.address);
}

// --- messages --------------------------------------------------------------------

export interface EmailMessageRow {
  id: string;
  direction: 'inbound' | 'outbound';
  mailbox_id: string | null;
  dedupe_key: string;
  message_id: string | null;
  content_hash: string | null;
  ticket_id: string | null;
  comment_id: string | null;
  raw_sha256: string | null;
  raw_size: number | null;
  from_address: string | null;
  from_name: string | null;
  to_addresses: { address: string; name: string }[];
  cc_addresses: { address: string; name: string }[];
  subject: string;
  in_reply_to: string | null;
  references: string[];
  threaded_by: 'header' | 'token' | 'subject' | null;
  body_text: string;
  body_html_sanitized: string | null;
  quoted_text: string;
  automated: boolean;
  kind: 'reply' | 'ack' | null;
  status: 'received' | 'queued' | 'sending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  smtp_response: string | null;
  sent_at: Date | null;
  created_at: Date;
}

export interface EmailMessageWrite {
  direction: 'inbound' | 'outbound';
  mailboxId: string | null;
  dedupeKey: string;
  messageId: string | null;
  contentHash?: string | null;
  ticketId?: string | null;
  commentId?: string | null;
  rawSha256?: string | null;
  rawSize?: number | null;
  fromAddress?: string | null;
  fromName?: string | null;
  to?: { address: string; name: string }[];
  cc?: { address: string; name: string }[];
  subject?: string;
  inReplyTo?: string | null;
  references?: string[];
  threadedBy?: 'header' | 'token' | 'subject' | null;
  bodyText?: string;
  bodyHtmlSanitized?: string | null;
  quotedText?: string;
  automated?: boolean;
  kind?: 'reply' | 'ack' | null;
  status: EmailMessageRow['status'];
  lastError?: string | null;
}

/**
 * Inserts a message unless one with the same (mailbox, dedupe key) exists: returns
 * undefined then. Inside the ingest transaction, a concurrent delivery of the same
 * message waits on the unique index and then finds the first one's row.
 */
export async function insertEmailMessage(db: Db, m: EmailMessageWrite, now: Date): Promise<EmailMessageRow | undefined> {
  return (
    await db.query<EmailMessageRow>(
      `INSERT INTO email_messages (direction, mailbox_id, dedupe_key, message_id, content_hash, ticket_id, comment_id, raw_sha256, raw_size,
          from_address, from_name, to_addresses, cc_addresses, subject, in_reply_to, "references", threaded_by, body_text,
          body_html_sanitized, quoted_text, automated, kind, status, created_at, last_error)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12::jsonb,$13::jsonb,$14,$15,$16::text[],$17,$18,$19,$20,$21,$22,$23,$24,$25)
       ON CONFLICT (mailbox_id, dedupe_key) DO NOTHING RETURNING *`,
      [
        m.direction, m.mailboxId, m.dedupeKey, m.messageId, m.contentHash ?? null, m.ticketId ?? null, m.commentId ?? null,
        m.rawSha256 ?? null, m.rawSize ?? null, m.fromAddress ?? null, m.fromName ?? null, JSON.stringify(m.to ?? []),
        JSON.stringify(m.cc ?? []), m.subject ?? '', m.inReplyTo ?? null, m.references ?? [], m.threadedBy ?? null,
        m.bodyText ?? '', m.bodyHtmlSanitized ?? null, m.quotedText ?? '', m.automated ?? false, m.kind ?? null, m.status, now, m.lastError ?? null,
      ],
    )
  ).rows[0];
}

/** The row a duplicate collided with. */
export async function findEmailMessageByKey(db: Db, mailboxId: string, dedupeKey: string): Promise<EmailMessageRow | undefined> {
  return (await db.query<EmailMessageRow>('SELECT * FROM email_messages WHERE mailbox_id = $1 AND dedupe_key = $2', [mailboxId, dedupeKey])).rows[0];
}

export async function linkEmailMessage(
  db: Db, id: string, link: { ticketId: string | null; commentId: string | null; threadedBy?: string | null; bodyHtmlSanitized?: string | null },
): Promise<void> {
  await db.query(
    'UPDATE email_messages SET ticket_id = $2, comment_id = $3, threaded_by = $4, body_html_sanitized = $5 WHERE id = $1',
    [id, link.ticketId, link.commentId, link.threadedBy ?? null, link.bodyHtmlSanitized ?? null],
  );
}

/** The ticket of the most recent message (sent or received, any mailbox) among these Message-IDs. */
export async function ticketByMessageIds(db: Db, messageIds: string[]): Promise<string | undefined> {
  if (messageIds.length === 0) return undefined;
  return (
    await db.query<{ ticket_id: string }>(
      `SELECT ticket_id FROM email_messages WHERE message_id = ANY($1::text[]) AND ticket_id IS NOT NULL
        ORDER BY created_at DESC LIMIT 1`,
      [messageIds],
    )
  ).rows[0]?.ticket_id;
}

/** Outbound message with this Message-ID (a bounce of it tells us which ticket and address). */
export async function outboundByMessageId(db: Db, messageId: string): Promise<EmailMessageRow | undefined> {
  return (
    await db.query<EmailMessageRow>(
      `SELECT * FROM email_messages WHERE message_id = $1 AND direction = 'outbound' ORDER BY created_at DESC LIMIT 1`,
      [messageId],
    )
  ).rows[0];
}

export async function getEmailMessage(db: Db, id: string): Promise<EmailMessageRow | undefined> {
  return (await db.query<EmailMessageRow>('SELECT * FROM email_messages WHERE id = $1', [id])).rows[0];
}

/** The inbound message a comment was made from (its raw message). */
export async function emailOfComment(db: Db, commentId: string): Promise<EmailMessageRow | undefined> {
  return (
    await db.query<EmailMessageRow>(
      `SELECT * FROM email_messages WHERE comment_id = $1 ORDER BY (direction = 'inbound') DESC, created_at LIMIT 1`,
      [commentId],
    )
  ).rows[0];
}

/** The Message-IDs of a ticket's thread, oldest first. */
export async function ticketThread(db: Db, ticketId: string): Promise<{ message_id: string; direction: string; automated: boolean }[]> {
  return (
    await db.query<{ message_id: string; direction: string; automated: boolean }>(
      `SELECT message_id, direction, automated FROM email_messages WHERE ticket_id = $1 AND message_id IS NOT NULL
        ORDER BY created_at, id`,
      [ticketId],
    )
  ).rows;
}

/** The active mailbox a ticket's mail came through (its first inbound message), else the first active mailbox. */
export async function mailboxForTicket(db: Db, ticketId: string): Promise<MailboxRow | undefined> {
  return (
    await db.query<MailboxRow>(
      `SELECT m.* FROM mailboxes m
        WHERE m.is_active
        ORDER BY (m.id = (SELECT e.mailbox_id FROM email_messages e WHERE e.ticket_id = $1 AND e.direction = 'inbound'
                            ORDER BY e.created_at LIMIT 1)) IS TRUE DESC, m.created_at, m.id
        LIMIT 1`,
      [ticketId],
    )
  ).rows[0];
}

/**
 * Claims an outbound message for one sending attempt: queued, or `sending` left by a worker
 * that died (claimed before `staleBefore`). Returns undefined when it is sent, failed for good,
 * or being sent right now by another worker.
 */
export async function claimOutbound(db: Db, id: string, now: Date, staleBefore: Date): Promise<EmailMessageRow | undefined> {
  return (
    await db.query<EmailMessageRow>(
      `UPDATE email_messages SET status = 'sending', attempts = attempts + 1, claimed_at = $2
        WHERE id = $1 AND direction = 'outbound' AND (status = 'queued' OR (status = 'sending' AND claimed_at < $3))
        RETURNING *`,
      [id, now, staleBefore],
    )
  ).rows[0];
}

export async function finishOutbound(
  db: Db, id: string, r: { status: 'queued' | 'sent' | 'failed'; error?: string | null; response?: string | null; now: Date },
): Promise<EmailMessageRow | undefined> {
  return (
    await db.query<EmailMessageRow>(
      `UPDATE email_messages SET status = $2, last_error = $3, smtp_response = coalesce($4, smtp_response),
              sent_at = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_at END, claimed_at = NULL
        WHERE id = $1 RETURNING *`,
      [id, r.status, r.error ?? null, r.response ?? null, r.now],
    )
  ).rows[0];
}

/** The files of a comment, in order (sent along with an e-mailed reply). */
export async function commentAttachments(db: Db, commentId: string): Promise<{ file_name: string; sha256: string; mime_type: string }[]> {
  return (await db.query<{ file_name: string; sha256: string; mime_type: string }>(
    'SELECT file_name, sha256, mime_type FROM attachments WHERE comment_id = $1 ORDER BY created_at, id', [commentId],
  )).rows;
}

/** The read copy of the delivery status on the comment. */
export async function setCommentDelivery(db: Db, commentId: string, delivery: object): Promise<void> {
  await db.query('UPDATE ticket_comments SET delivery = $2::jsonb WHERE id = $1', [commentId, JSON.stringify(delivery)]);
}

export async function setCommentEmail(db: Db, commentId: string, email: object): Promise<void> {
  await db.query('UPDATE ticket_comments SET email = $2::jsonb WHERE id = $1', [commentId, JSON.stringify(email)]);
}

// --- tickets as the e-mail channel sees them ---------------------------------------

export interface ThreadTicket {
  id: string;
  number: number;
  subject: string;
  status: string;
  priority: string;
  category: string;
  requester_id: string;
  requester_email: string;
  requester_name: string;
  requester_bouncing: boolean;
}

const THREAD_TICKET = `SELECT t.id, t.number, t.subject, t.status, t.priority, t.category, t.requester_id,
        r.email AS requester_email, r.name AS requester_name, (r.email_bouncing_at IS NOT NULL) AS requester_bouncing
   FROM tickets t JOIN requesters r ON r.id = t.requester_id`;

export async function threadTicketById(db: Db, id: string): Promise<ThreadTicket | undefined> {
  return (await db.query<ThreadTicket>(`${THREAD_TICKET} WHERE t.id = $1`, [id])).rows[0];
}

export async function threadTicketByNumber(db: Db, n: number): Promise<ThreadTicket | undefined> {
  return (await db.query<ThreadTicket>(`${THREAD_TICKET} WHERE t.number = $1`, [n])).rows[0];
}

/** The ticket's SLA deadlines (for acknowledgement templates). */
export async function ticketSlaDue(db: Db, ticketId: string): Promise<{ response_due: Date | null; resolution_due: Date | null } | undefined> {
  return (await db.query<{ response_due: Date | null; resolution_due: Date | null }>(
    'SELECT response_due, resolution_due FROM ticket_sla WHERE ticket_id = $1', [ticketId],
  )).rows[0];
}

export async function addTicketCcs(db: Db, ticketId: string, addresses: string[], now: Date): Promise<void> {
  if (addresses.length === 0) return;
  await db.query(
    `INSERT INTO ticket_email_cc (ticket_id, address, created_at) SELECT $1, a, $3 FROM unnest($2::text[]) AS a
     ON CONFLICT DO NOTHING`,
    [ticketId, [...new Set(addresses.map((a) => a.toLowerCase()))], now],
  );
}

export async function listTicketCcs(db: Db, ticketId: string): Promise<string[]> {
  return (await db.query<{ address: string }>('SELECT address FROM ticket_email_cc WHERE ticket_id = $1 ORDER BY created_at, address', [ticketId]))
    .rows.map((r) => r.address);
}

// --- bounces ---------------------------------------------------------------------

/** Marks requesters with these addresses as bouncing; returns the addresses that matched a requester. */
export async function markBouncing(db: Db, addresses: string[], reason: string, now: Date): Promise<string[]> {
  if (addresses.length === 0) return [];
  return (
    await db.query<{ email: string }>(
      `UPDATE requesters SET email_bouncing_at = $3, email_bounce_reason = $2, updated_at = $3
        WHERE email = ANY($1::text[]) RETURNING email`,
      [addresses.map((a) => a.toLowerCase()), reason, now],
    )
  ).rows.map((r) => r.email);
}

/** Which of these addresses are marked bouncing. */
export async function bouncingAmong(db: Db, addresses: string[]): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  return new Set(
    (await db.query<{ email: string }>(
      'SELECT email FROM requesters WHERE email = ANY($1::text[]) AND email_bouncing_at IS NOT NULL',
      [addresses.map((a) => a.toLowerCase())],
    )).rows.map((r) => r.email),
  );
}

// --- inbound log -------------------------------------------------------------------

export interface InboundLogRow {
  id: string;
  received_at: Date;
  mailbox_id: string | null;
  mailbox_address: string | null;
  transport: string;
  message_id: string | null;
  from_address: string | null;
  subject: string | null;
  outcome: string;
  reason: string | null;
  ticket_id: string | null;
  comment_id: string | null;
}

export async function insertInboundLog(
  db: Db,
  e: { mailboxId: string | null; transport: string; messageId?: string | null; from?: string | null; subject?: string | null;
    outcome: string; reason?: string | null; ticketId?: string | null; commentId?: string | null },
  now: Date,
  /** also link this stored message to the ticket and comment (linkEmailMessage), in the same round trip */
  link?: { messageRowId: string; threadedBy: string | null; bodyHtmlSanitized: string | null },
): Promise<string> {
  const params = [now, e.mailboxId, e.transport, e.messageId ?? null, e.from ?? null, e.subject ?? null, e.outcome, e.reason ?? null,
    e.ticketId ?? null, e.commentId ?? null];
  const linked = link
    ? `WITH m AS (UPDATE email_messages SET ticket_id = $9, comment_id = $10, threaded_by = $${params.push(link.threadedBy)},
                  body_html_sanitized = $${params.push(link.bodyHtmlSanitized)} WHERE id = $${params.push(link.messageRowId)}) `
    : '';
  return (
    await db.query<{ id: string }>(
      `${linked}INSERT INTO inbound_log (received_at, mailbox_id, transport, message_id, from_address, subject, outcome, reason, ticket_id, comment_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
      params,
    )
  ).rows[0].id;
}

export async function listInboundLog(db: Db, limit: number): Promise<InboundLogRow[]> {
  return (
    await db.query<InboundLogRow>(
      `SELECT l.*, m.address AS mailbox_address FROM inbound_log l LEFT JOIN mailboxes m ON m.id = l.mailbox_id
        ORDER BY l.received_at DESC, l.id DESC LIMIT $1`,
      [limit],
    )
  ).rows;
}

// --- dead letters ------------------------------------------------------------------

export interface InboundFailureRow {
  id: string;
  mailbox_id: string | null;
  transport: string;
  raw: Buffer | Uint8Array;
  envelope: { from?: string; to?: string[] };
  error: string;
  attempts: number;
  created_at: Date;
  last_attempt_at: Date;
  resolved_at: Date | null;
  resolved_log_id: string | null;
}

export async function insertFailure(
  db: Db, f: { mailboxId: string | null; transport: string; raw: Buffer; envelope: object; error: string }, now: Date,
): Promise<string> {
  return (
    await db.query<{ id: string }>(
      `INSERT INTO inbound_failures (mailbox_id, transport, raw, envelope, error, created_at, last_attempt_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6) RETURNING id`,
      [f.mailboxId, f.transport, f.raw, JSON.stringify(f.envelope), f.error, now],
    )
  ).rows[0].id;
}

export async function listFailures(db: Db, opts: { includeResolved?: boolean; limit: number }): Promise<Omit<InboundFailureRow, 'raw'>[]> {
  return (
    await db.query<Omit<InboundFailureRow, 'raw'>>(
      `SELECT id, mailbox_id, transport, envelope, error, attempts, created_at, last_attempt_at, resolved_at, resolved_log_id,
              octet_length(raw) AS raw_size
         FROM inbound_failures ${opts.includeResolved ? '' : 'WHERE resolved_at IS NULL'}
        ORDER BY created_at DESC, id DESC LIMIT $1`,
      [opts.limit],
    )
  ).rows;
}

export async function getFailure(db: Db, id: string): Promise<InboundFailureRow | undefined> {
  return (await db.query<InboundFailureRow>('SELECT * FROM inbound_failures WHERE id = $1', [id])).rows[0];
}

export async function recordReplay(
  db: Db, id: string, r: { ok: boolean; error?: string; logId?: string }, now: Date,
): Promise<void> {
  await db.query(
    `UPDATE inbound_failures SET attempts = attempts + 1, last_attempt_at = $2,
            resolved_at = CASE WHEN $3 THEN $2 ELSE resolved_at END,
            resolved_log_id = CASE WHEN $3 THEN $4::uuid ELSE resolved_log_id END,
            error = coalesce($5, error)
      WHERE id = $1`,
    [id, now, r.ok, r.logId ?? null, r.error ?? null],
  );
}

// --- suspended mail ------------------------------------------------------------------

export interface SuspendedRow {
  id: string;
  mailbox_id: string | null;
  dedupe_key: string;
  transport: string;
  raw: Buffer | Uint8Array;
  envelope: { from?: string; to?: string[] };
  message_id: string | null;
  from_address: string | null;
  subject: string | null;
  reason: string;
  spam_score: number | null;
  spam_threshold: number | null;
  status: 'suspended' | 'released' | 'deleted';
  created_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
}

/** Suspends a message; undefined when this (mailbox, dedupe key) is suspended already. */
export async function insertSuspended(
  db: Db,
  s: { mailboxId: string; dedupeKey: string; transport: string; raw: Buffer; envelope: object; messageId?: string | null;
    from?: string | null; subject?: string | null; reason: string; score?: number | null; threshold?: number | null },
  now: Date,
): Promise<string | undefined> {
  return (
    await db.query<{ id: string }>(
      `INSERT INTO suspended_messages (mailbox_id, dedupe_key, transport, raw, envelope, message_id, from_address, subject, reason,
          spam_score, spam_threshold, created_at)
       VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7,$8,$9,$10,$11,$12)
       ON CONFLICT (mailbox_id, dedupe_key) DO NOTHING RETURNING id`,
      [s.mailboxId, s.dedupeKey, s.transport, s.raw, JSON.stringify(s.envelope), s.messageId ?? null, s.from ?? null, s.subject ?? null,
        s.reason, s.score ?? null, s.threshold ?? null, now],
    )
  ).rows[0]?.id;
}

export async function listSuspended(db: Db, limit: number): Promise<Omit<SuspendedRow, 'raw'>[]> {
  return (
    await db.query<Omit<SuspendedRow, 'raw'>>(
      `SELECT id, mailbox_id, dedupe_key, transport, envelope, message_id, from_address, subject, reason, spam_score, spam_threshold,
              status, created_at, decided_at, decided_by
         FROM suspended_messages WHERE status = 'suspended' ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit],
    )
  ).rows;
}

/** Locks a suspended message still awaiting a decision. */
export async function lockSuspended(db: Db, id: string): Promise<SuspendedRow | undefined> {
  return (await db.query<SuspendedRow>(`SELECT * FROM suspended_messages WHERE id = $1 AND status = 'suspended' FOR UPDATE`, [id])).rows[0];
}

export async function decideSuspended(db: Db, id: string, status: 'released' | 'deleted', by: string | null, now: Date): Promise<void> {
  await db.query('UPDATE suspended_messages SET status = $2, decided_at = $3, decided_by = $4 WHERE id = $1', [id, status, now, by]);
}

// --- auto-responses --------------------------------------------------------------------

export interface AutoResponseRow {
  id: string;
  name: string;
  mailbox_id: string | null;
  category: string | null;
  subject: string;
  body: string;
  is_active: boolean;
  position: number;
  created_at: Date;
  updated_at: Date;
}

export interface AutoResponseWrite {
  name?: string;
  mailboxId?: string | null;
  category?: string | null;
  subject?: string;
  body?: string;
  isActive?: boolean;
  position?: number;
}

const AR_COLUMNS: Record<keyof AutoResponseWrite, string> = {
  name: 'name', mailboxId: 'mailbox_id', category: 'category', subject: 'subject', body: 'body', isActive: 'is_active', position: 'position',
};

export async function insertAutoResponse(db: Db, w: Required<Pick<AutoResponseWrite, 'name' | 'subject' | 'body'>> & AutoResponseWrite, now: Date): Promise<AutoResponseRow> {
  return (
    await db.query<AutoResponseRow>(
      `INSERT INTO auto_responses (name, mailbox_id, category, subject, body, is_active, position, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING *`,
      [w.name, w.mailboxId ?? null, w.category ?? null, w.subject, w.body, w.isActive ?? true, w.position ?? 0, now],
    )
  ).rows[0];
}

export async function updateAutoResponse(db: Db, id: string, w: AutoResponseWrite, now: Date): Promise<AutoResponseRow | undefined> {
  const sets: string[] = ['updated_at = $2'];
  const params: unknown[] = [id, now];
  for (const [k, col] of Object.entries(AR_COLUMNS) as [keyof AutoResponseWrite, string][]) {
    if (w[k] === undefined) continue;
    params.push(w[k]);
    sets.push(`${col} = $${params.length}`);
  }
  return (await db.query<AutoResponseRow>(`UPDATE auto_responses SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params)).rows[0];
}

export async function getAutoResponse(db: Db, id: string): Promise<AutoResponseRow | undefined> {
  return (await db.query<AutoResponseRow>('SELECT * FROM auto_responses WHERE id = $1', [id])).rows[0];
}

export async function listAutoResponses(db: Db): Promise<AutoResponseRow[]> {
  return (await db.query<AutoResponseRow>('SELECT * FROM auto_responses ORDER BY position, created_at, id')).rows;
}

export async function deleteAutoResponse(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM auto_responses WHERE id = $1', [id])).rowCount > 0;
}

/** The first active template for this mailbox and category (a template without mailbox/category matches any). */
export async function pickAutoResponse(db: Db, mailboxId: string, category: string): Promise<AutoResponseRow | undefined> {
  // the active templates change with the configuration: kept per process (Db.cached), matched here
  const active = await db.cached('auto-responses', async (d) =>
    (await d.query<AutoResponseRow>('SELECT * FROM auto_responses WHERE is_active ORDER BY position, created_at, id')).rows);
  const rank = (r: AutoResponseRow) => [r.position, r.mailbox_id === null ? 1 : 0, r.category === null ? 1 : 0];
  return active
    .filter((r) => (r.mailbox_id === null || r.mailbox_id === mailboxId) && (r.category === null || r.category === category))
    .sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    })[0];
}

/** Claims the one acknowledgement of a ticket; false when it was claimed already. */
export async function claimAcknowledgement(
  db: Db, a: { ticketId: string; address: string; autoResponseId: string }, now: Date,
): Promise<boolean> {
  return (
    await db.query(
      `INSERT INTO auto_acknowledgements (ticket_id, address, auto_response_id, created_at) VALUES ($1,$2,$3,$4)
       ON CONFLICT (ticket_id) DO NOTHING`,
      [a.ticketId, a.address, a.autoResponseId, now],
    )
  ).rowCount > 0;
}

export async function setAcknowledgementMessage(db: Db, ticketId: string, emailMessageId: string): Promise<void> {
  await db.query('UPDATE auto_acknowledgements SET email_message_id = $2 WHERE ticket_id = $1', [ticketId, emailMessageId]);
}

/** Counts one more automatic mail to `address` in the hour starting at `windowStart`; returns the count including it. */
export async function countAutoMail(db: Db, address: string, windowStart: Date): Promise<number> {
  return (
    await db.query<{ sent: number }>(
      `INSERT INTO auto_mail_counts (address, window_start, sent) VALUES ($1, $2, 1)
       ON CONFLICT (address, window_start) DO UPDATE SET sent = auto_mail_counts.sent + 1 RETURNING sent`,
      [address.toLowerCase(), windowStart],
    )
  ).rows[0].sent;
}
