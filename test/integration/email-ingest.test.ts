/**
 * The inbound pipeline on a real database: threading (header, signed token, [#n] from the
 * requester or a CC only), dedupe decided by the database (also concurrently), bounces,
 * reopening, follow-ups of closed tickets, dead letters and their replay.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { createMailbox, ingestDepsFor } from '../helpers/mail-services.ts';
import { rawMessage } from '../helpers/smtp-capture.ts';
import { ingestMessage, type IngestDeps } from '../../src/domain/email/ingest.ts';
import { replyAddress, replyToken } from '../../src/domain/email/token.ts';
import { FileStore } from '../../src/platform/storage.ts';
import type { IngestOutcome } from '../../src/domain/email/types.ts';

let t: TestApp;
let deps: IngestDeps;
let mailboxId: string;
let seq = 0;
const uid = () => `${++seq}-${Date.now().toString(36)}`;

const ingest = (raw: Buffer, extra: { envelopeTo?: string[]; envelopeFrom?: string } = {}) =>
  ingestMessage(deps, { raw, mailboxId, transport: 'api', ...extra });

async function ticket(id: string) {
  const res = await t.request('GET', `/api/v1/tickets/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function ticketCount(): Promise<number> {
  return Number((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows[0].n);
}

/** A new ticket from `from`; returns its id, number and first Message-ID. */
async function newTicket(from = `Ann ${seq} <ann${uid()}@customer.test>`, extra: Parameters<typeof rawMessage>[0] = {}) {
  const messageId = `first-${uid()}@customer.test`;
  const out = await ingest(rawMessage({ from, subject: 'My printer is on fire', text: 'Please help, it smokes.', messageId, ...extra }));
  expect(out.outcome).toBe('ticket_created');
  const id = (out as Extract<IngestOutcome, { outcome: 'ticket_created' }>).ticketId;
  const { number } = await ticket(id);
  return { id, number: number as number, messageId, from };
}

const addressOf = (from: string) => /<([^>]+)>/.exec(from)?.[1] ?? from;

beforeAll(async () => {
  t = await createTestApp();
  mailboxId = await createMailbox(t, { address: 'support@acme.test', name: 'Acme support' });
  deps = await ingestDepsFor(t);
});

afterAll(async () => {
  await t?.close();
});

describe(`e-mail ingest (${DB_KIND})`, () => {
  it('a new message opens a ticket from e-mail whose first comment is the message, with its raw bytes', async () => {
    const raw = rawMessage({
      from: 'Zoe Zed <ZOE@Customer.test>', subject: 'Invoice is wrong', messageId: `inv-${uid()}@customer.test`,
      text: 'The total is off by ten.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Support <support@acme.test> wrote:\n> Your invoice is attached.\n',
    });
    const out = await ingest(raw);
    expect(out.outcome).toBe('ticket_created');
    const { ticketId, commentId } = out as Extract<IngestOutcome, { outcome: 'ticket_created' }>;
    const tk = await ticket(ticketId);
    expect(tk).toMatchObject({ source: 'email', subject: 'Invoice is wrong', requester: { email: 'zoe@customer.test' } });
    expect(tk.description).toContain('The total is off by ten.');
    expect(tk.description).not.toContain('Your invoice is attached');
    const first = tk.comments.find((c: { id: string }) => c.id === commentId);
    expect(first.author.type).toBe('requester');
    expect(first.email).toMatchObject({ subject: 'Invoice is wrong', threadedBy: null, from: { address: 'zoe@customer.test' } });
    expect(first.email.quotedText).toContain('Your invoice is attached');
    const rawRes = await t.request('GET', `/api/v1/tickets/${ticketId}/comments/${commentId}/raw`);
    expect(rawRes.statusCode).toBe(200);
    expect(rawRes.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(Buffer.from(rawRes.rawPayload).equals(raw)).toBe(true);
    const log = (await t.request('GET', '/api/v1/admin/inbound-log?limit=1')).json().entries[0];
    expect(log).toMatchObject({ outcome: 'ticket_created', ticketId, commentId, from: 'zoe@customer.test', mailbox: 'support@acme.test' });
  });

  it('threads a reply by In-Reply-To, by the signed reply address, and by [#n] in the subject', async () => {
    const tk = await newTicket();
    const byHeader = await ingest(rawMessage({ from: tk.from, subject: 'unrelated words', inReplyTo: tk.messageId, text: 'More smoke now.' }));
    expect(byHeader).toMatchObject({ outcome: 'comment_added', ticketId: tk.id, threadedBy: 'header' });

    const token = replyAddress('support@acme.test', replyToken(tk.number, deps.secretKey));
    const byToken = await ingest(rawMessage({ from: tk.from, to: token, subject: 'still burning', text: 'Any news?' }), { envelopeTo: [token] });
    expect(byToken).toMatchObject({ outcome: 'comment_added', ticketId: tk.id, threadedBy: 'token' });

    const bySubject = await ingest(rawMessage({ from: tk.from, subject: `AW: Re: [#${tk.number}] My printer is on fire`, text: 'Hello?' }));
    expect(bySubject).toMatchObject({ outcome: 'comment_added', ticketId: tk.id, threadedBy: 'subject' });

    const detail = await ticket(tk.id);
    expect(detail.comments.map((c: { email?: { threadedBy: string | null } }) => c.email?.threadedBy ?? null)).toEqual([null, 'header', 'token', 'subject']);
  });

  it('a stranger with the right [#n] or token gets a NEW ticket, never a comment on someone else\'s', async () => {
    const tk = await newTicket();
    const before = (await ticket(tk.id)).comments.length;
    const bySubject = await ingest(rawMessage({ from: 'Mallory <mallory@evil.test>', subject: `Re: [#${tk.number}] My printer is on fire`, text: 'inject' }));
    expect(bySubject.outcome).toBe('ticket_created');
    expect((bySubject as { ticketId: string }).ticketId).not.toBe(tk.id);
    const token = replyAddress('support@acme.test', replyToken(tk.number, deps.secretKey));
    const byToken = await ingest(rawMessage({ from: 'Mallory <mallory@evil.test>', to: token, text: 'inject again' }), { envelopeTo: [token] });
    expect(byToken.outcome).toBe('ticket_created');
    expect((await ticket(tk.id)).comments.length).toBe(before);
  });

  it('a forged token (signed with another key) threads nothing', async () => {
    const tk = await newTicket();
    const forged = replyAddress('support@acme.test', replyToken(tk.number, Buffer.alloc(32, 7)));
    const out = await ingest(rawMessage({ from: tk.from, to: forged, subject: 'no number here', text: 'x' }), { envelopeTo: [forged] });
    expect(out.outcome).toBe('ticket_created');
  });

  it('the Cc of inbound mail become the ticket\'s CCs, who may then follow up by [#n]', async () => {
    const tk = await newTicket(undefined, { cc: 'Bob Boss <bob.boss@customer.test>' });
    const out = await ingest(rawMessage({ from: 'Bob Boss <bob.boss@customer.test>', subject: `Re: [#${tk.number}] fire`, text: 'I see it too.' }));
    expect(out).toMatchObject({ outcome: 'comment_added', ticketId: tk.id, threadedBy: 'subject' });
    const c = (await ticket(tk.id)).comments.at(-1);
    expect(c.author).toMatchObject({ type: 'requester', name: 'Bob Boss' });
  });

  it('Reply-To is the requester when present', async () => {
    const out = await ingest(rawMessage({ from: 'Web Form <webform@forms.test>', replyTo: 'Real Person <real.person@customer.test>', subject: 'Form' }));
    expect(out.outcome).toBe('ticket_created');
    expect((await ticket((out as { ticketId: string }).ticketId)).requester.email).toBe('real.person@customer.test');
  });

  it('the same message twice is one ticket (by Message-ID, and by content hash without one)', async () => {
    const raw = rawMessage({ from: `Dup <dup${uid()}@customer.test>`, subject: 'Twice' });
    const a = await ingest(raw);
    const before = await ticketCount();
    const b = await ingest(raw);
    expect(a.outcome).toBe('ticket_created');
    expect(b).toMatchObject({ outcome: 'suppressed', reason: 'duplicate', ticketId: (a as { ticketId: string }).ticketId });
    expect(await ticketCount()).toBe(before);

    const noId = rawMessage({ from: `Hash <hash${uid()}@customer.test>`, subject: 'No id', messageId: null });
    expect((await ingest(noId)).outcome).toBe('ticket_created');
    expect(await ingest(noId)).toMatchObject({ outcome: 'suppressed', reason: 'duplicate' });
  });

  it('concurrent deliveries of one message create one ticket: the database decides', async () => {
    const raw = rawMessage({ from: `Race <race${uid()}@customer.test>`, subject: 'Concurrent' });
    const before = await ticketCount();
    const outcomes = await Promise.all([ingest(raw), ingest(raw), ingest(raw), ingest(raw)]);
    expect(outcomes.filter((o) => o.outcome === 'ticket_created')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'suppressed' && o.reason === 'duplicate')).toHaveLength(3);
    expect(await ticketCount()).toBe(before + 1);
  });

  it('auto-replies and list mail are logged, never tickets', async () => {
    const before = await ticketCount();
    const ooo = await ingest(rawMessage({ subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' } }));
    expect(ooo).toMatchObject({ outcome: 'suppressed', reason: 'auto_reply' });
    const list = await ingest(rawMessage({ subject: 'Newsletter', headers: { 'List-Id': '<news.lists.example.com>', Precedence: 'list' } }));
    expect(list.outcome).toBe('suppressed');
    expect(await ticketCount()).toBe(before);
  });

  it('a reply to a resolved ticket reopens it; to a closed one opens a new linked ticket', async () => {
    const tk = await newTicket();
    expect((await t.request('POST', `/api/v1/tickets/${tk.id}/resolve`, { body: {} })).statusCode).toBe(200);
    const reopen = await ingest(rawMessage({ from: tk.from, inReplyTo: tk.messageId, text: 'Not fixed!' }));
    expect(reopen).toMatchObject({ outcome: 'comment_added', ticketId: tk.id });
    const reopened = await ticket(tk.id);
    expect(reopened.status).toBe('open');
    const history = (await t.request('GET', `/api/v1/tickets/${tk.id}/history`)).json();
    const rows = Array.isArray(history) ? history : history.history;
    expect(rows.some((h: { changeType: string; comment: string | null }) => h.changeType === 'reopened' || (h.comment ?? '').includes('requester replied'))).toBe(true);

    expect((await t.request('POST', `/api/v1/tickets/${tk.id}/resolve`, { body: {} })).statusCode).toBe(200);
    expect((await t.request('POST', `/api/v1/tickets/${tk.id}/close`, { body: {} })).statusCode).toBe(200);
    const after = await ingest(rawMessage({ from: tk.from, inReplyTo: tk.messageId, text: 'It is back.' }));
    expect(after.outcome).toBe('ticket_created');
    const follow = await ticket((after as { ticketId: string }).ticketId);
    expect(follow.followUpOf).toBe(tk.id);
    expect((await ticket(tk.id)).status).toBe('closed');
  });

  it('a bounce of our reply: internal note on the ticket, the address marked bouncing, no more mail to it', async () => {
    const tk = await newTicket();
    const reply = await t.request('POST', `/api/v1/tickets/${tk.id}/comments`, { body: { content: 'Try turning it off.' } });
    expect(reply.statusCode, reply.body).toBe(201);
    expect(reply.json().delivery).toMatchObject({ status: 'queued' });
    const ourId = reply.json().delivery.messageId as string;
    const rcpt = addressOf(tk.from);
    const dsn = Buffer.from([
      'From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>', 'To: support@acme.test', 'Subject: Undelivered Mail Returned to Sender',
      `Message-ID: <bounce-${uid()}@mx.customer.test>`, 'Date: Mon, 05 Jan 2026 09:05:00 +0000', 'Auto-Submitted: auto-replied', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="BB"', '',
      '--BB', 'Content-Type: text/plain', '', `Your message to ${rcpt} could not be delivered.`, '',
      '--BB', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.customer.test', '',
      `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; 550 5.1.1 User unknown', '',
      '--BB', 'Content-Type: text/rfc822-headers', '', 'From: Acme support <support@acme.test>', `To: ${rcpt}`, `Message-ID: <${ourId}>`,
      `Subject: [#${tk.number}] My printer is on fire`, '', '--BB--', '',
    ].join('\r\n'));
    const out = await ingest(dsn);
    expect(out).toMatchObject({ outcome: 'suppressed', reason: 'bounce', ticketId: tk.id });
    const detail = await ticket(tk.id);
    const note = detail.comments.find((c: { id: string }) => c.id === (out as { commentId?: string }).commentId);
    expect(note).toMatchObject({ isInternal: true });
    expect(note.content).toContain(rcpt);
    const bouncing = await t.db.query<{ email_bouncing_at: Date | null }>('SELECT email_bouncing_at FROM requesters WHERE email = $1', [rcpt]);
    expect(bouncing.rows[0].email_bouncing_at).not.toBeNull();

    // the next reply is not sent: its delivery says why
    const again = await t.request('POST', `/api/v1/tickets/${tk.id}/comments`, { body: { content: 'Hello?' } });
    expect(again.json().delivery).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/bouncing/) });
    const queued = await t.db.query(`SELECT 1 FROM email_messages WHERE comment_id = $1 AND status = 'queued'`, [again.json().id]);
    expect(queued.rowCount).toBe(0);

    // the requester shows the mark; an agent clears it (the address was fixed) and mail flows again
    const requesterId = detail.requester.id as string;
    const shown = await t.request('GET', `/api/v1/requesters/${requesterId}`);
    expect(shown.json().emailBouncing).toMatchObject({ since: expect.any(String), reason: expect.stringMatching(/bounce/i) });
    const bad = await t.request('PATCH', `/api/v1/requesters/${requesterId}`, { body: { emailBouncing: true } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('emailBouncing');
    const cleared = await t.request('PATCH', `/api/v1/requesters/${requesterId}`, { body: { emailBouncing: false } });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json().emailBouncing).toBeNull();
    const third = await t.request('POST', `/api/v1/tickets/${tk.id}/comments`, { body: { content: 'Fixed your address, hello again.' } });
    expect(third.json().delivery).toMatchObject({ status: 'queued' });
  });

  it('a message that cannot be stored is a dead letter with its raw bytes; replay ingests it and resolves it', async () => {
    // the attachment store's folder is a FILE: saving the raw message fails (as a full disk would)
    const dir = mkdtempSync(join(tmpdir(), 'triage-broken-store-'));
    writeFileSync(join(dir, 'attachments'), 'not a folder');
    const broken = { ...deps, store: new FileStore(join(dir, 'attachments'), 10_000_000) };
    const raw = rawMessage({ from: `Dead <dead${uid()}@customer.test>`, subject: 'Lost?' });
    const before = await ticketCount();
    const failed = await ingestMessage(broken, { raw, mailboxId, transport: 'smtp' });
    rmSync(dir, { recursive: true, force: true });
    expect(failed.outcome).toBe('failed');
    expect(await ticketCount()).toBe(before);
    const { failureId } = failed as Extract<IngestOutcome, { outcome: 'failed' }>;
    const stored = await t.db.query<{ raw: Uint8Array }>('SELECT raw FROM inbound_failures WHERE id = $1', [failureId]);
    expect(Buffer.from(stored.rows[0].raw).equals(raw)).toBe(true);
    const list = (await t.request('GET', '/api/v1/admin/inbound-failures')).json().failures;
    expect(list.find((f: { id: string }) => f.id === failureId)).toMatchObject({ transport: 'smtp', attempts: 1, resolvedAt: null });

    const replay = await t.request('POST', `/api/v1/admin/inbound-failures/${failureId}/replay`);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json().outcome).toBe('ticket_created');
    expect(await ticketCount()).toBe(before + 1);
    const after = (await t.request('GET', '/api/v1/admin/inbound-failures')).json().failures;
    expect(after.find((f: { id: string }) => f.id === failureId)).toBeUndefined();
    expect((await t.request('POST', `/api/v1/admin/inbound-failures/${failureId}/replay`)).statusCode).toBe(409);
  });

  it('a message with no usable sender still becomes a ticket, for a placeholder requester that is never mailed', async () => {
    const out = await ingest(rawMessage({ from: null, subject: 'Who am I' }));
    expect(out.outcome).toBe('ticket_created');
    const tk = await ticket((out as { ticketId: string }).ticketId);
    expect(tk.requester.email).toBe('unknown-sender@sender.invalid');
    const res = await t.request('POST', `/api/v1/tickets/${tk.id}/comments`, { body: { content: 'Whom do I answer?' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().delivery).toBeUndefined();
    const weird = await ingest(rawMessage({ from: '<EMAIL_FROM>', subject: 'Placeholder' }));
    expect(weird.outcome).toBe('ticket_created');
    expect((await ticket((weird as { ticketId: string }).ticketId)).requester.email).toBe('unknown-sender@sender.invalid');
  });

  it('HTML is stored sanitized, with inline cid: images pointing at the stored attachment', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
    const raw = Buffer.from([
      `From: Pic <pic${uid()}@customer.test>`, 'To: support@acme.test', 'Subject: Screenshot', `Message-ID: <pic-${uid()}@customer.test>`,
      'MIME-Version: 1.0', 'Content-Type: multipart/related; boundary="RR"', '',
      '--RR', 'Content-Type: text/html; charset=utf-8', '',
      '<p onclick="steal()">See <img src="cid:shot1@customer.test"> <script>alert(1)</script><a href="javascript:alert(2)">x</a></p>',
      '--RR', 'Content-Type: image/png', 'Content-Transfer-Encoding: base64', 'Content-ID: <shot1@customer.test>',
      'Content-Disposition: inline; filename="shot.png"', '', png.toString('base64'), '--RR--', '',
    ].join('\r\n'));
    const out = await ingest(raw);
    expect(out.outcome).toBe('ticket_created');
    const tk = await ticket((out as { ticketId: string }).ticketId);
    const first = tk.comments[0];
    expect(first.attachments).toHaveLength(1);
    const html: string = first.email.bodyHtmlSanitized;
    expect(html).toContain(`/api/v1/attachments/${first.attachments[0].id}`);
    expect(html).not.toMatch(/<script|onclick|javascript:/i);
  });
});
