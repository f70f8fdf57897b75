/**
 * The inbound pipeline (docs/ARCHITECTURE.md "E-mail"): raw bytes from a transport
 * become a ticket, a comment on one, or a logged non-event — never nothing.
 *
 *   parse → classify (filters only annotate) → spam (header verdict, spamd) → [one transaction:
 *   dedupe by the UNIQUE (mailbox, Message-ID | content hash) → suppress (auto-reply, bounce,
 *   list, loop) → sender → follow-up (headers, signed reply address, [#n] from the requester
 *   or a CC) → ticket or comment with the message, its attachments and the inbound log row]
 *
 * A message that fails anywhere is stored whole in `inbound_failures` (its own transaction)
 * and the outcome is `failed`; only when even that cannot be written does this throw, and
 * the transport must then not acknowledge the message (SMTP 451, IMAP leaves it unseen).
 */
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/logger.ts';
import type { FileStore, StoredFile } from '../../platform/storage.ts';
import type { Jobs } from '../../jobs/queue.ts';
import { checkSpam } from '../../platform/spamd.ts';
import {
  addTicketCcs, finishOutbound, findEmailMessageByKey, getFailure, insertEmailMessage, insertFailure, insertInboundLog,
  insertSuspended, linkEmailMessage, listTicketCcs, lockSuspended, decideSuspended, markBouncing, cachedMailboxes,
  outboundByMessageId, recordReplay, setCommentDelivery, setCommentEmail, threadTicketById, threadTicketByNumber,
  ticketByMessageIds, type EmailMessageRow, type MailboxRow, type ThreadTicket,
} from '../../db/repositories/email.ts';
import { listAttachments } from '../../db/repositories/conversation.ts';
import { findOrCreateRequester } from '../../db/repositories/people.ts';
import { SYSTEM_ACTOR, type Ctx } from '../context.ts';
import { Errors } from '../errors.ts';
import { addComment, appendComment, assignTicket, createTicket } from '../tickets/commands.ts';
import { parseEmail } from './parse.ts';
import { classifyEmail } from './classify.ts';
import { splitQuoted } from './quote.ts';
import { sanitizeEmailHtml } from './sanitize.ts';
import { stripReplyPrefixes, ticketNumberFromSubject } from './subject.ts';
import { tokenFromAddress, verifyReplyToken } from './token.ts';
import { acknowledgeNewTicket } from './acknowledge.ts';
import { deliveryOf } from './outbound.ts';
import type { Address, Classification, IngestOutcome, ParsedEmail, ThreadedBy, Transport } from './types.ts';

export interface IngestDeps {
  db: Db;
  clock: Clock;
  jobs?: Jobs;
  store: FileStore;
  secretKey: Buffer;
  spamdUrl?: string;
  /** base URL of `ticket.url` in acknowledgements (PUBLIC_URL, see publicBaseUrl) */
  publicUrl?: string;
  log?: Logger;
}

export interface IngestInput {
  raw: Buffer;
  mailboxId: string;
  transport: Transport;
  envelopeFrom?: string;
  envelopeTo?: string[];
}

interface IngestOptions {
  /** an agent released it from the suspended list: no spam check */
  skipSpamCheck?: boolean;
  /** a replay of this dead letter: a new failure updates it instead of adding another */
  replayOf?: string;
}

const SPAMD_TIMEOUT_MS = 10_000;
/** The requester of mail without any usable sender address (RFC 2606: .invalid never resolves). */
export const UNKNOWN_SENDER = 'unknown-sender@sender.invalid';
const MAX_SUBJECT = 500;

/** Ingests one raw message; see the module comment for what it never does. */
export async function ingestMessage(deps: IngestDeps, input: IngestInput, opts: IngestOptions = {}): Promise<IngestOutcome> {
  const now = deps.clock.now();
  let mailbox: MailboxRow | undefined;
  let parsed: ParsedEmail | undefined;
  try {
    const mailboxes = await cachedMailboxes(deps.db);
    mailbox = mailboxes.find((m) => m.id === input.mailboxId);
    if (!mailbox) throw new Error(`No mailbox ${input.mailboxId}`);
    const p: ParsedEmail = storable(await parseEmail(input.raw));
    parsed = p;
    const box: MailboxRow = mailbox;
    const own = mailboxes.map((m) => m.address);
    const classification = classifyEmail(p, { ownAddresses: own });
    const dedupeKey = p.messageId ? p.messageId : `sha256:${p.contentHash}`;
    // spam is judged before suppression: what spamd (or an upstream filter) flags is suspended for
    // an agent to see, even when it dresses as a bounce or a list mail
    if (!opts.skipSpamCheck && classification.suppress?.reason !== 'loop') {
      const spam = await spamVerdict(deps, input.raw, classification);
      if (spam) return await suspend(deps, input, box, p, dedupeKey, spam, now);
    }
    // files first: the store's sweep leaves unreferenced files alone for a grace period,
    // and the transaction below links them (or a duplicate leaves them to the sweep)
    const rawFile = await deps.store.saveBuffer(input.raw, 'message.eml');
    return await deps.db.transaction((tx) => commitMessage({ ...deps, db: tx }, input, box, p, classification, dedupeKey, rawFile, new Set(own), now));
  } catch (err) {
    return recordFailure(deps, input, mailbox, parsed, err, now, opts.replayOf);
  }
}

/** Text PostgreSQL can store: no NUL characters (text and jsonb refuse them), lengths within the columns. */
const pgText = (s: string, max = Infinity) => {
  const clean = s.includes('\u0000') ? s.replace(/\u0000/g, '') : s;
  return clean.length > max ? clean.slice(0, max) : clean;
};
const pgAddress = (a: Address): Address => ({ address: pgText(a.address, 320), name: pgText(a.name, 255) });
const pgId = (s: string | undefined) => (s === undefined ? undefined : pgText(s, 500) || undefined);

/** The parsed message with every field the database stores made storable (odd mail carries NULs and huge headers). */
function storable(p: ParsedEmail): ParsedEmail {
  return {
    ...p,
    messageId: pgId(p.messageId), inReplyTo: pgId(p.inReplyTo), references: p.references.map((r) => pgId(r)).filter((r): r is string => !!r).slice(-100),
    from: p.from && pgAddress(p.from), replyTo: p.replyTo && pgAddress(p.replyTo), to: p.to.map(pgAddress), cc: p.cc.map(pgAddress),
    subject: pgText(p.subject, 2000), text: pgText(p.text), html: p.html === undefined ? undefined : pgText(p.html),
    attachments: p.attachments.map((a) => ({ ...a, filename: pgText(a.filename, 255), contentId: pgId(a.contentId) })),
  };
}

interface SpamFinding {
  detail: string;
  score?: number;
  threshold?: number;
}

/** The upstream header verdict, else spamd's when configured; spamd unreachable = not spam (logged), the mail is never lost. */
async function spamVerdict(deps: IngestDeps, raw: Buffer, c: Classification): Promise<SpamFinding | undefined> {
  if (c.spam) return { detail: c.spam.detail };
  if (!deps.spamdUrl) return undefined;
  try {
    const v = await checkSpam(deps.spamdUrl, raw, { timeoutMs: SPAMD_TIMEOUT_MS });
    return v.isSpam ? { detail: `spamd: ${v.score} / ${v.threshold}`, score: v.score, threshold: v.threshold } : undefined;
  } catch (err) {
    deps.log?.warn({ err: (err as Error).message }, 'spamd unreachable: message accepted without a spam check');
    return undefined;
  }
}

async function suspend(
  deps: IngestDeps, input: IngestInput, mailbox: MailboxRow, parsed: ParsedEmail, dedupeKey: string, spam: SpamFinding, now: Date,
): Promise<IngestOutcome> {
  return deps.db.transaction(async (tx) => {
    const id = await insertSuspended(tx, {
      mailboxId: mailbox.id, dedupeKey, transport: input.transport, raw: input.raw,
      envelope: { from: input.envelopeFrom, to: input.envelopeTo }, messageId: parsed.messageId, from: parsed.from?.address || null,
      subject: parsed.subject.slice(0, MAX_SUBJECT), reason: spam.detail, score: spam.score, threshold: spam.threshold,
    }, now);
    const base = { mailboxId: mailbox.id, transport: input.transport, messageId: parsed.messageId, from: parsed.from?.address, subject: parsed.subject };
    if (!id) {
      const logId = await insertInboundLog(tx, { ...base, outcome: 'suppressed', reason: 'duplicate' }, now);
      return { outcome: 'suppressed', reason: 'duplicate', logId };
    }
    const logId = await insertInboundLog(tx, { ...base, outcome: 'suspended', reason: 'spam' }, now);
    return { outcome: 'suspended', reason: 'spam', suspendedId: id, logId };
  });
}

/** Stores the message as a dead letter (or updates the one being replayed) and logs `failed`. */
async function recordFailure(
  deps: IngestDeps, input: IngestInput, mailbox: MailboxRow | undefined, parsed: ParsedEmail | undefined, err: unknown, now: Date,
  replayOf?: string,
): Promise<IngestOutcome> {
  const error = err instanceof Error ? err.message || err.name : String(err);
  deps.log?.warn({ err: error, mailboxId: input.mailboxId, transport: input.transport }, 'inbound message failed; kept for replay');
  return deps.db.transaction(async (tx) => {
    let failureId = replayOf;
    if (failureId) await recordReplay(tx, failureId, { ok: false, error }, now);
    else {
      failureId = await insertFailure(tx, {
        mailboxId: mailbox?.id ?? null, transport: input.transport, raw: input.raw,
        envelope: { from: input.envelopeFrom, to: input.envelopeTo }, error,
      }, now);
    }
    const logId = await insertInboundLog(tx, {
      mailboxId: mailbox?.id ?? null, transport: input.transport, messageId: parsed?.messageId, from: parsed?.from?.address || null,
      subject: parsed?.subject ?? null, outcome: 'failed', reason: error.slice(0, 500),
    }, now);
    return { outcome: 'failed', failureId, error, logId };
  });
}

const systemCtx = (deps: IngestDeps, db: Db): Ctx => ({ db, clock: deps.clock, actor: SYSTEM_ACTOR, jobs: deps.jobs, log: deps.log });

/** Everything after the spam check, in the one transaction. */
async function commitMessage(
  deps: IngestDeps, input: IngestInput, mailbox: MailboxRow, parsed: ParsedEmail, c: Classification, dedupeKey: string,
  rawFile: StoredFile, ownAddresses: Set<string>, now: Date,
): Promise<IngestOutcome> {
  const { db } = deps;
  const { newText, quotedText } = splitQuoted(parsed.text, parsed.html);
  const message = await insertEmailMessage(db, {
    direction: 'inbound', mailboxId: mailbox.id, dedupeKey, messageId: parsed.messageId ?? null, contentHash: parsed.contentHash,
    rawSha256: rawFile.sha256, rawSize: rawFile.size, fromAddress: parsed.from?.address || null, fromName: parsed.from?.name || null,
    to: parsed.to, cc: parsed.cc, subject: parsed.subject, inReplyTo: parsed.inReplyTo ?? null, references: parsed.references,
    bodyText: parsed.text, quotedText, automated: c.automated, status: 'received',
  }, now);
  const log = (e: { outcome: string; reason?: string | null; ticketId?: string | null; commentId?: string | null }, link?: Parameters<typeof insertInboundLog>[3]) =>
    insertInboundLog(db, {
      mailboxId: mailbox.id, transport: input.transport, messageId: parsed.messageId, from: parsed.from?.address || null,
      subject: parsed.subject, ...e,
    }, now, link);

  if (!message) {
    // the database decided: this (mailbox, Message-ID) was ingested already
    const first = await findEmailMessageByKey(db, mailbox.id, dedupeKey);
    const logId = await log({ outcome: 'suppressed', reason: 'duplicate', ticketId: first?.ticket_id, commentId: first?.comment_id });
    return { outcome: 'suppressed', reason: 'duplicate', ticketId: first?.ticket_id ?? undefined, commentId: first?.comment_id ?? undefined, logId };
  }

  if (c.suppress) {
    const note = c.suppress.reason === 'bounce' ? await recordBounce(deps, c, parsed, now) : undefined;
    if (note) await linkEmailMessage(db, message.id, { ticketId: note.ticketId, commentId: null });
    const logId = await log({ outcome: 'suppressed', reason: c.suppress.reason, ticketId: note?.ticketId, commentId: note?.commentId });
    return { outcome: 'suppressed', reason: c.suppress.reason, ticketId: note?.ticketId, commentId: note?.commentId, logId };
  }

  // no usable address anywhere (a From like `<EMAIL_FROM>`): the message is still a ticket, for a
  // placeholder requester on the reserved .invalid domain that outbound mail never goes to
  const sender = senderOf(parsed, input, ownAddresses)
    ?? { address: UNKNOWN_SENDER, name: (parsed.from?.name || parsed.from?.address || 'Unknown sender').slice(0, 255) };
  const ccs = parsed.cc.map((a) => a.address).filter((a) => a && !ownAddresses.has(a) && a !== sender.address);
  const files = await storeAttachments(deps.store, parsed);
  const follow = await findFollowUp(deps, parsed, input, sender.address);
  const ctx = systemCtx(deps, db);
  const who = { name: (sender.name || sender.address.split('@')[0]).slice(0, 255), email: sender.address };
  // found or created with the ticket when the mail opens one (createTicket does it), else here
  let requester: { id: string; name: string; email: string };
  const content = newText.trim() || parsed.text.trim() || (files.length ? '(attachments only)' : '(empty message)');

  let ticketId: string;
  let created: { id: string; number: number; subject: string; status: string; priority: string; category: string } | null = null;
  let threadedBy: ThreadedBy | null = null;
  let followUpOf: string | undefined;
  if (follow && follow.ticket.status !== 'closed' && follow.ticket.status !== 'cancelled') {
    ticketId = follow.ticket.id;
    threadedBy = follow.by;
    requester = await findOrCreateRequester(db, who, now);
  } else {
    followUpOf = follow?.ticket.id;
    const subject = (parsed.subject.trim() || '(no subject)').slice(0, MAX_SUBJECT);
    const ticket = await createTicket(ctx, {
      subject, description: content, requester: who,
      category: c.tags.category ?? mailbox.category ?? 'general', priority: c.tags.priority, source: 'email', channel: mailbox.address,
      tags: c.tags.tags, ...(followUpOf ? { followUpOf } : {}),
    });
    ticketId = ticket.id;
    created = ticket;
    requester = ticket.requester;
    if (mailbox.group_slug) await assignTicket(ctx, ticketId, { group: mailbox.group_slug });
  }
  const emailOf = (html: string | null) => ({
    messageId: parsed.messageId ?? null, from: parsed.from ?? null, to: parsed.to, cc: parsed.cc, subject: parsed.subject,
    inReplyTo: parsed.inReplyTo ?? null, references: parsed.references, threadedBy, bodyText: parsed.text, bodyHtmlSanitized: html, quotedText,
  });
  // inline images (cid:) point to the comment's stored attachments, known only once it is written: such a
  // message's HTML is sanitized afterwards; any other's is stored with the comment (no second write)
  const inline = parsed.attachments.some((a) => a.contentId);
  let html = parsed.html && !inline ? sanitizeEmailHtml(parsed.html).html : null;
  const comment = await appendComment(
    ctx, ticketId, { content, from: 'requester', requesterId: requester.id, ...(inline ? {} : { email: emailOf(html) }) }, files,
  );
  await addTicketCcs(db, ticketId, ccs, now);
  if (inline) {
    const stored = (await listAttachments(db, ticketId, true)).filter((a) => a.comment_id === comment.id);
    const urlByCid = new Map<string, string>();
    parsed.attachments.forEach((att, i) => {
      const row = att.contentId ? stored.find((s) => s.sha256.trim() === files[i].sha256) : undefined;
      if (row) urlByCid.set(att.contentId!.toLowerCase(), `/api/v1/attachments/${row.id}`);
    });
    html = parsed.html ? sanitizeEmailHtml(parsed.html, { cidUrl: (cid: string) => urlByCid.get(cid.toLowerCase()) }).html : null;
    await setCommentEmail(db, comment.id, emailOf(html));
  }
  // the stored message is linked to its ticket and comment by the statement that logs it
  const link = { messageRowId: message.id, threadedBy, bodyHtmlSanitized: html };

  if (created) {
    // the ticket as created: a rule or the mailbox's group may have changed its assignee since, not these fields
    const t = created;
    await acknowledgeNewTicket(db, deps.jobs, {
      ticket: { id: t.id, number: Number(t.number), subject: t.subject, status: t.status, priority: t.priority, category: t.category },
      requester: { name: requester.name, email: requester.email }, mailbox, automated: c.automated, publicUrl: deps.publicUrl,
    }, now);
    const logId = await log({ outcome: 'ticket_created', reason: followUpOf ? 'follow-up of a closed ticket' : null, ticketId, commentId: comment.id }, link);
    return { outcome: 'ticket_created', ticketId, commentId: comment.id, logId };
  }
  const logId = await log({ outcome: 'comment_added', reason: threadedBy, ticketId, commentId: comment.id }, link);
  return { outcome: 'comment_added', ticketId, commentId: comment.id, threadedBy: threadedBy!, logId };
}

/** Who wrote it: Reply-To when present (and not one of our own addresses), else From, else the envelope sender. */
function senderOf(parsed: ParsedEmail, input: IngestInput, own: Set<string>): Address | undefined {
  const usable = (a: Address | undefined) =>
    a && /^[^\s@<>]+@[^\s@<>]+$/.test(a.address) && a.address.length <= 320 && !own.has(a.address) ? a : undefined;
  const envelope = input.envelopeFrom?.trim().toLowerCase();
  return usable(parsed.replyTo) ?? usable(parsed.from) ?? (envelope ? usable({ address: envelope, name: '' }) : undefined);
}

async function storeAttachments(store: FileStore, parsed: ParsedEmail): Promise<StoredFile[]> {
  const out: StoredFile[] = [];
  for (const a of parsed.attachments) out.push(await store.saveBuffer(a.content, a.filename || 'attachment'));
  return out;
}

/**
 * The ticket this message follows up, in order: In-Reply-To/References against any message we
 * sent or received; the signed token of a reply address; `[#n]` in the subject. Token and subject
 * count only when the sender is the ticket's requester or one of its CCs.
 */
async function findFollowUp(
  deps: IngestDeps, parsed: ParsedEmail, input: IngestInput, sender: string,
): Promise<{ ticket: ThreadTicket; by: ThreadedBy } | undefined> {
  const { db } = deps;
  const ids = [parsed.inReplyTo, ...[...parsed.references].reverse()].filter((x): x is string => !!x);
  const byHeader = await ticketByMessageIds(db, ids);
  if (byHeader) {
    const t = await threadTicketById(db, byHeader);
    if (t) return { ticket: t, by: 'header' };
  }
  const mayFollow = async (t: ThreadTicket) => t.requester_email === sender || (await listTicketCcs(db, t.id)).includes(sender);
  const recipients = [...(input.envelopeTo ?? []), ...parsed.to.map((a) => a.address), ...parsed.cc.map((a) => a.address)];
  for (const address of recipients) {
    const token = tokenFromAddress(address);
    const n = token ? verifyReplyToken(token, deps.secretKey) : undefined;
    if (n === undefined) continue;
    const t = await threadTicketByNumber(db, n);
    if (t && (await mayFollow(t))) return { ticket: t, by: 'token' };
  }
  const n = ticketNumberFromSubject(stripReplyPrefixes(parsed.subject));
  if (n !== undefined) {
    const t = await threadTicketByNumber(db, n);
    if (t && (await mayFollow(t))) return { ticket: t, by: 'subject' };
  }
  return undefined;
}

/**
 * A bounce of a message we sent: an internal note on its ticket, the failed addresses marked
 * bouncing, the reply's delivery marked failed. A bounce we cannot tie to our own Message-ID
 * changes nothing (a forged bounce must not silence a customer).
 */
async function recordBounce(
  deps: IngestDeps, c: Classification, parsed: ParsedEmail, now: Date,
): Promise<{ ticketId: string; commentId?: string } | undefined> {
  const { db } = deps;
  const bounce = c.bounce;
  const candidates = [bounce?.originalMessageId, parsed.inReplyTo, ...parsed.references].filter((x): x is string => !!x);
  let original: EmailMessageRow | undefined;
  for (const id of candidates) if ((original = await outboundByMessageId(db, id))) break;
  if (!original?.ticket_id) return undefined;
  const recipients = bounce?.recipients.length ? bounce.recipients : original.to_addresses.map((a) => a.address);
  const status = bounce?.status ? ` (${bounce.status})` : '';
  if (bounce?.permanent !== false) await markBouncing(db, recipients, `bounce${status}: ${parsed.subject}`.slice(0, 500), now);
  const failed = await finishOutbound(db, original.id, { status: 'failed', error: `Bounced${status}`, now });
  if (failed?.comment_id) await setCommentDelivery(db, failed.comment_id, deliveryOf(failed));
  const ticket = await threadTicketById(db, original.ticket_id);
  if (!ticket || ticket.status === 'closed' || ticket.status === 'cancelled') return { ticketId: original.ticket_id };
  const text = [
    `Delivery failed${status} to ${recipients.join(', ') || 'the recipient'}${bounce?.permanent === false ? ' (temporary)' : ''}.`,
    bounce?.permanent !== false ? 'The address is marked as bouncing: Triage sends it no more mail until it is fixed.' : '',
    '', parsed.text.slice(0, 2000),
  ].join('\n').trim();
  const { comment } = await addComment(systemCtx(deps, db), ticket.id, { content: text, isInternal: true });
  return { ticketId: ticket.id, commentId: comment.id };
}

// --- replays ------------------------------------------------------------------------

/** Runs a dead letter through the pipeline again; on success it is marked resolved. */
export async function replayFailure(deps: IngestDeps, failureId: string): Promise<IngestOutcome> {
  const f = await getFailure(deps.db, failureId);
  if (!f) throw Errors.notFound('inbound_failure', failureId);
  if (f.resolved_at) throw Errors.conflict('inbound_failure.resolved', 'This message was replayed successfully already.');
  if (!f.mailbox_id) throw Errors.conflict('inbound_failure.no_mailbox', 'The mailbox of this message no longer exists.');
  const outcome = await ingestMessage(deps, {
    raw: Buffer.from(f.raw), mailboxId: f.mailbox_id, transport: 'replay', envelopeFrom: f.envelope.from, envelopeTo: f.envelope.to,
  }, { replayOf: f.id });
  if (outcome.outcome !== 'failed') await recordReplay(deps.db, f.id, { ok: true, logId: outcome.logId }, deps.clock.now());
  return outcome;
}

/** Releases a suspended message: it is ingested without the spam check. */
export async function releaseSuspended(deps: IngestDeps, id: string, by: string | null): Promise<IngestOutcome> {
  const s = await lockSuspended(deps.db, id);
  if (!s) throw Errors.notFound('suspended_message', id);
  if (!s.mailbox_id) throw Errors.conflict('suspended_message.no_mailbox', 'The mailbox of this message no longer exists.');
  // ingested first, marked released after: a crash in between leaves it suspended, and
  // releasing it again is a duplicate the pipeline recognises
  const outcome = await ingestMessage(deps, {
    raw: Buffer.from(s.raw), mailboxId: s.mailbox_id, transport: s.transport as Transport, envelopeFrom: s.envelope.from, envelopeTo: s.envelope.to,
  }, { skipSpamCheck: true });
  if (outcome.outcome !== 'failed') await decideSuspended(deps.db, id, 'released', by, deps.clock.now());
  return outcome;
}

/** Deletes a suspended message (kept as `deleted` for the record). */
export async function deleteSuspended(deps: { db: Db; clock: Clock }, id: string, by: string | null): Promise<void> {
  await deps.db.transaction(async (tx) => {
    if (!(await lockSuspended(tx, id))) throw Errors.notFound('suspended_message', id);
    await decideSuspended(tx, id, 'deleted', by, deps.clock.now());
  });
}
