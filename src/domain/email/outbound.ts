/**
 * Outbound mail: an agent's public reply (or an automatic acknowledgement) becomes an
 * outbound `email_messages` row and an `email.send` job in the command's transaction
 * (transactional outbox); the job builds the message with nodemailer and sends it.
 *
 * Idempotence: the row is the claim. A job sends only a row it moved from `queued` to
 * `sending`, and marks it `sent` afterwards; a second run finds it sent and does nothing.
 * A worker that dies between the SMTP server's 250 and the `sent` mark leaves the row
 * `sending`: after SENDING_STALE_MS the retry sends it again — the one case where a
 * customer may get a message twice (with the same Message-ID, so mail clients show one).
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/logger.ts';
import type { FileStore } from '../../platform/storage.ts';
import type { Jobs } from '../../jobs/queue.ts';
import { decryptSecret } from '../../platform/crypto.ts';
import type { Ctx } from '../context.ts';
import type { CommentRow } from '../../db/repositories/conversation.ts';
import type { TicketRow } from '../../db/repositories/tickets.ts';
import {
  bouncingAmong, claimOutbound, commentAttachments, finishOutbound, getEmailMessage, getMailbox, insertEmailMessage, listTicketCcs, mailboxAddresses,
  mailboxForTicket, setCommentDelivery, threadTicketById, ticketThread, type EmailMessageRow, type MailboxRow,
} from '../../db/repositories/email.ts';
import { outboundSubject } from './subject.ts';
import { replyAddress, replyToken } from './token.ts';
import { LOOP_HEADER } from './classify.ts';

export const EMAIL_SEND_JOB = 'email.send';
/** Retries after the first attempt, with exponential backoff from EMAIL_RETRY_DELAY_SECONDS (30 s, 1 min, 2 min … ≈ 16 min). */
export const EMAIL_RETRY_LIMIT = 5;
export const EMAIL_RETRY_DELAY_SECONDS = 30;
/** A `sending` row older than this belongs to a worker that died: it may be sent again. */
export const SENDING_STALE_MS = 5 * 60_000;
/** References are capped: the first message (the thread's root) and the most recent ones. */
const MAX_REFERENCES = 20;

/** The delivery status as shown on a comment (`sending` is shown as queued). */
export interface Delivery {
  status: 'queued' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  messageId: string | null;
}

export function deliveryOf(row: Pick<EmailMessageRow, 'status' | 'attempts' | 'last_error' | 'message_id'>): Delivery {
  const status = row.status === 'sent' || row.status === 'failed' ? row.status : 'queued';
  return { status, attempts: row.attempts, lastError: row.last_error, messageId: row.message_id };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || 'triage.invalid';
}

/** The root and the latest Message-IDs of a thread, oldest first, at most MAX_REFERENCES. */
export function capReferences(ids: string[]): string[] {
  const unique = [...new Set(ids)];
  return unique.length <= MAX_REFERENCES ? unique : [unique[0], ...unique.slice(unique.length - MAX_REFERENCES + 1)];
}

export interface OutboundDraft {
  kind: 'reply' | 'ack';
  ticketId: string;
  commentId: string | null;
  mailbox: MailboxRow;
  to: { address: string; name: string };
  cc: string[];
  subject: string;
  body: string;
  /** an HTML alternative (automatic mail rendered with escaping); replies are text only */
  html?: string;
  /** the Message-ID without brackets (unique: the dedupe key is derived from it) */
  messageId: string;
}

/**
 * Writes the outbound row (queued) and enqueues its job, in the caller's transaction.
 * Returns the row, or undefined when that Message-ID was queued already.
 */
export async function enqueueOutbound(db: Db, jobs: Jobs, d: OutboundDraft, now: Date): Promise<EmailMessageRow | undefined> {
  const thread = await ticketThread(db, d.ticketId);
  const ids = thread.map((t) => t.message_id).filter((id) => id !== d.messageId);
  const row = await insertEmailMessage(db, {
    direction: 'outbound', mailboxId: d.mailbox.id, dedupeKey: `out:${d.messageId}`, messageId: d.messageId,
    ticketId: d.ticketId, commentId: d.commentId, fromAddress: d.mailbox.address, fromName: d.mailbox.name,
    to: [d.to], cc: d.cc.map((address) => ({ address, name: '' })), subject: d.subject, bodyText: d.body, bodyHtmlSanitized: d.html ?? null,
    inReplyTo: ids.at(-1) ?? null, references: capReferences(ids), kind: d.kind, status: 'queued',
  }, now);
  if (!row) return undefined;
  await jobs.send(db, EMAIL_SEND_JOB, { emailMessageId: row.id }, {
    retryLimit: EMAIL_RETRY_LIMIT, retryDelaySeconds: EMAIL_RETRY_DELAY_SECONDS, retryBackoff: true, singletonKey: row.id,
    // the lease outlasts nodemailer's timeouts (15 s connect + 60 s socket), so a slow server is not sent to twice
    expireInSeconds: 120,
  });
  return row;
}

/**
 * Called by addComment for an agent's public reply, inside its transaction: queues the
 * e-mail to the requester (and the ticket's CCs) when a mailbox exists to send from (the one
 * the ticket came through, else the first active one). A requester whose address bounces
 * gets nothing: the comment's delivery says why. Returns the comment's delivery, or null when
 * the reply is not e-mailed at all.
 */
export async function queueReplyMail(ctx: Ctx, ticket: TicketRow, comment: CommentRow, now: Date): Promise<Delivery | null> {
  if (!ctx.jobs) return null;
  const mailbox = await mailboxForTicket(ctx.db, ticket.id);
  if (!mailbox) return null;
  const t = await threadTicketById(ctx.db, ticket.id);
  // nowhere to send: no address, or the placeholder of mail that had none (ingest's UNKNOWN_SENDER)
  if (!t?.requester_email || !t.requester_email.includes('@') || t.requester_email.endsWith('.invalid')) return null;
  const messageId = `triage.${comment.id}@${domainOf(mailbox.address)}`;
  let delivery: Delivery;
  if (t.requester_bouncing) {
    // recorded, never sent: the admin sees why the customer did not get it
    const lastError = 'The requester\'s address is bouncing: not sent';
    await insertEmailMessage(ctx.db, {
      direction: 'outbound', mailboxId: mailbox.id, dedupeKey: `out:${messageId}`, messageId, ticketId: ticket.id, commentId: comment.id,
      fromAddress: mailbox.address, fromName: mailbox.name, to: [{ address: t.requester_email, name: t.requester_name }],
      subject: outboundSubject(t.number, t.subject), bodyText: comment.content, kind: 'reply', status: 'failed', lastError,
    }, now);
    delivery = { status: 'failed', attempts: 0, lastError, messageId };
  } else {
    const own = new Set(await mailboxAddresses(ctx.db));
    const ccs = (await listTicketCcs(ctx.db, ticket.id)).filter((a) => !own.has(a) && a !== t.requester_email);
    const bouncing = await bouncingAmong(ctx.db, ccs);
    const row = await enqueueOutbound(ctx.db, ctx.jobs, {
      kind: 'reply', ticketId: ticket.id, commentId: comment.id, mailbox, to: { address: t.requester_email, name: t.requester_name },
      cc: ccs.filter((a) => !bouncing.has(a)), subject: outboundSubject(t.number, t.subject), body: comment.content, messageId,
    }, now);
    if (!row) return null;
    delivery = deliveryOf(row);
  }
  await setCommentDelivery(ctx.db, comment.id, delivery);
  return delivery;
}

export interface SendDeps {
  db: Db;
  clock: Clock;
  store: FileStore;
  secretKey: Buffer;
  /** SMTP_OUTBOUND_URL: the relay when the mailbox has no outbound settings */
  smtpOutboundUrl?: string;
  logger?: Logger;
}

/** The SMTP transport of a mailbox: its own server, else the default relay. */
function transportFor(deps: SendDeps, mailbox: MailboxRow) {
  if (mailbox.outbound) {
    const o = mailbox.outbound;
    const pass = mailbox.outbound_password_enc ? decryptSecret(mailbox.outbound_password_enc, deps.secretKey) : undefined;
    return nodemailer.createTransport({
      host: o.host, port: o.port, secure: o.secure, ...(o.user ? { auth: { user: o.user, pass: pass ?? '' } } : {}),
      connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000,
    } satisfies SMTPTransport.Options);
  }
  if (!deps.smtpOutboundUrl) throw new Error(`No outbound SMTP for ${mailbox.address}: set the mailbox's outbound settings or SMTP_OUTBOUND_URL`);
  return nodemailer.createTransport(deps.smtpOutboundUrl);
}

const bracket = (id: string) => `<${id}>`;

async function finish(deps: SendDeps, row: EmailMessageRow, r: { status: 'queued' | 'sent' | 'failed'; error?: string; response?: string }) {
  const done = await finishOutbound(deps.db, row.id, { ...r, now: deps.clock.now() });
  if (done?.comment_id) await setCommentDelivery(deps.db, done.comment_id, deliveryOf(done));
}

/**
 * One attempt of the `email.send` job. Throws on a delivery failure that may pass (the queue
 * retries with backoff); after the last attempt the row is `failed` with the error. Does nothing
 * for a row that is sent, failed for good, or being sent by another worker.
 */
export async function sendOutbound(deps: SendDeps, emailMessageId: string): Promise<'sent' | 'skipped' | 'failed'> {
  const now = deps.clock.now();
  const row = await claimOutbound(deps.db, emailMessageId, now, new Date(now.getTime() - SENDING_STALE_MS));
  if (!row) {
    const current = await getEmailMessage(deps.db, emailMessageId);
    // claimed by a worker that may have died mid-send: try again once its claim is stale
    if (current?.status === 'sending') throw new Error('The message is being sent by another worker; will retry');
    return 'skipped';
  }
  const recipients = [...row.to_addresses, ...row.cc_addresses].map((a) => a.address);
  const bouncing = await bouncingAmong(deps.db, recipients);
  const to = row.to_addresses.filter((a) => !bouncing.has(a.address));
  if (to.length === 0) {
    await finish(deps, row, { status: 'failed', error: 'The recipient\'s address is bouncing: not sent' });
    return 'failed';
  }
  const mailbox = row.mailbox_id ? await getMailbox(deps.db, row.mailbox_id) : undefined;
  const ticket = row.ticket_id ? await threadTicketById(deps.db, row.ticket_id) : undefined;
  if (!mailbox || !ticket) {
    await finish(deps, row, { status: 'failed', error: 'The mailbox or the ticket no longer exists' });
    return 'failed';
  }
  const lastAttempt = row.attempts >= EMAIL_RETRY_LIMIT + 1;
  try {
    const transport = transportFor(deps, mailbox);
    try {
      const attachments = row.comment_id ? await commentFiles(deps, row.comment_id) : [];
      const headers: Record<string, string> = { [LOOP_HEADER]: mailbox.address };
      if (row.kind === 'ack') {
        headers['Auto-Submitted'] = 'auto-replied';
        // asks Exchange/Outlook not to answer with their own automatic replies
        headers['X-Auto-Response-Suppress'] = 'All';
      }
      const info = await transport.sendMail({
        from: { name: mailbox.name, address: mailbox.address },
        to: to.map((a) => (a.name ? { name: a.name, address: a.address } : a.address)),
        cc: row.cc_addresses.filter((a) => !bouncing.has(a.address)).map((a) => a.address),
        subject: row.subject,
        text: row.body_text,
        ...(row.body_html_sanitized ? { html: row.body_html_sanitized } : {}),
        messageId: bracket(row.message_id!),
        ...(row.in_reply_to ? { inReplyTo: bracket(row.in_reply_to) } : {}),
        ...(row.references.length ? { references: row.references.map(bracket) } : {}),
        replyTo: replyAddress(mailbox.address, replyToken(ticket.number, deps.secretKey)),
        headers,
        attachments,
        // bounces come back to the mailbox, where ingest attaches them to the ticket
        envelope: { from: mailbox.address, to: to.map((a) => a.address).concat(row.cc_addresses.filter((a) => !bouncing.has(a.address)).map((a) => a.address)) },
      });
      await finish(deps, row, { status: 'sent', response: String(info.response ?? '') });
      return 'sent';
    } finally {
      transport.close();
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await finish(deps, row, { status: lastAttempt ? 'failed' : 'queued', error: message });
    deps.logger?.warn({ emailMessageId, attempt: row.attempts, err: message }, lastAttempt ? 'outbound mail failed for good' : 'outbound mail failed; will retry');
    if (lastAttempt) return 'failed';
    throw err;
  }
}

async function commentFiles(deps: SendDeps, commentId: string) {
  const rows = await commentAttachments(deps.db, commentId);
  return rows.map((a) => ({ filename: a.file_name, path: deps.store.pathOf(a.sha256.trim()), contentType: a.mime_type }));
}

/**
 * An internal notice to agents (an SLA breach), from a mailbox, through its SMTP server or the
 * relay; marked automatic and with our loop header, so no auto-responder answers it into a ticket.
 * Returns false when no SMTP server is configured for that mailbox.
 */
export async function sendNotice(
  deps: Pick<SendDeps, 'secretKey' | 'smtpOutboundUrl'>,
  mailbox: MailboxRow,
  notice: { to: string[]; subject: string; text: string },
): Promise<boolean> {
  if (!mailbox.outbound && !deps.smtpOutboundUrl) return false;
  const transport = transportFor(deps as SendDeps, mailbox);
  try {
    await transport.sendMail({
      from: { name: mailbox.name, address: mailbox.address },
      to: notice.to,
      subject: notice.subject,
      text: notice.text,
      headers: { [LOOP_HEADER]: mailbox.address, 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
    });
    return true;
  } finally {
    transport.close();
  }
}

/** For tests and the admin: the outbound row as stored. */
export { getEmailMessage };
