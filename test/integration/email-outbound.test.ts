/**
 * Outbound mail through the job queue to a real SMTP server on loopback (test/helpers/smtp-capture.ts):
 * the headers that make replies thread back, retries with backoff, idempotence, acknowledgements
 * rendered with Liquid (once per ticket, rate-limited per address), and the addresses never mailed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { createMailbox, ingestDepsFor } from '../helpers/mail-services.ts';
import { rawMessage, startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { ingestMessage, type IngestDeps } from '../../src/domain/email/ingest.ts';
import { verifyReplyToken, tokenFromAddress } from '../../src/domain/email/token.ts';
import { LOOP_HEADER } from '../../src/domain/email/classify.ts';
import { EMAIL_SEND_JOB } from '../../src/domain/email/outbound.ts';
import { AUTO_MAIL_PER_HOUR } from '../../src/domain/email/acknowledge.ts';
import { FakeClock } from '../../src/platform/clock.ts';
import type { IngestOutcome } from '../../src/domain/email/types.ts';

let t: TestApp;
let capture: SmtpCapture;
let deps: IngestDeps;
let supportId: string;
let ackBoxId: string;
const clock = new FakeClock(new Date('2026-01-05T09:00:00Z'));
let seq = 0;
const uid = () => `${++seq}-${Date.now().toString(36)}`;

/** Messages captured since the test began. */
let seen = 0;
const fresh = () => capture.messages.slice(seen);
const parsedFresh = () => Promise.all(fresh().map((m) => simpleParser(m.raw)));
const header = (m: ParsedMail, name: string) => {
  const v = m.headers.get(name.toLowerCase());
  return typeof v === 'string' ? v : v === undefined ? undefined : JSON.stringify(v);
};

async function ticketFromMail(mailbox: string, extra: Parameters<typeof rawMessage>[0] = {}) {
  const messageId = `first-${uid()}@customer.test`;
  const out = await ingestMessage(deps, { raw: rawMessage({ from: `Ann Customer <ann${uid()}@customer.test>`, messageId, ...extra }), mailboxId: mailbox, transport: 'api' });
  expect(out.outcome).toBe('ticket_created');
  const id = (out as Extract<IngestOutcome, { outcome: 'ticket_created' }>).ticketId;
  const tk = (await t.request('GET', `/api/v1/tickets/${id}`)).json();
  return { id, number: tk.number as number, messageId, requester: tk.requester.email as string };
}

async function reply(ticketId: string, content: string) {
  const res = await t.request('POST', `/api/v1/tickets/${ticketId}/comments`, { body: { content } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function comment(ticketId: string, commentId: string) {
  return (await t.request('GET', `/api/v1/tickets/${ticketId}`)).json().comments.find((c: { id: string }) => c.id === commentId);
}

beforeAll(async () => {
  capture = await startSmtpCapture();
  t = await createTestApp({ clock, config: { smtpOutboundUrl: capture.url } });
  supportId = await createMailbox(t, { address: 'support@acme.test', name: 'Acme support' });
  ackBoxId = await createMailbox(t, { address: 'help@acme.test', name: 'Acme help', autoAcknowledge: true });
  const ar = await t.request('POST', '/api/v1/auto-responses', {
    body: {
      name: 'Default acknowledgement', mailbox: ackBoxId,
      subject: 'Received: {{ ticket.subject }} [#{{ ticket.number }}]',
      body: 'Hello {{ requester.name | upcase }},\nwe got your request #{{ ticket.number }} ({{ ticket.priority }}).\n{% if sla.responseDue %}We answer by {{ sla.responseDue }}.{% endif %}\n{{ missing.variable }}Bye',
    },
  });
  expect(ar.statusCode, ar.body).toBe(201);
  deps = await ingestDepsFor(t);
});

afterAll(async () => {
  await t?.close();
  await capture?.close();
});

beforeEach(() => {
  seen = capture.messages.length;
});

describe(`outbound e-mail (${DB_KIND})`, () => {
  it('an agent reply goes out by SMTP with our Message-ID, In-Reply-To/References, [#n], a signed Reply-To and the loop header', async () => {
    const tk = await ticketFromMail(supportId, { cc: 'Bob <bob@customer.test>', subject: 'Printer on fire' });
    const c = await reply(tk.id, 'Please unplug it.');
    expect(c.delivery).toMatchObject({ status: 'queued', attempts: 0 });
    const runs = await t.runJobs();
    expect(runs.filter((r) => r.name === EMAIL_SEND_JOB && r.ok)).toHaveLength(1);
    await capture.waitFor(seen + 1);
    const [m] = await parsedFresh();
    expect(fresh()[0].envelope.to.sort()).toEqual([tk.requester, 'bob@customer.test'].sort());
    expect(m.from?.value[0]).toMatchObject({ address: 'support@acme.test', name: 'Acme support' });
    expect(m.to && !Array.isArray(m.to) ? m.to.value.map((a) => a.address) : []).toEqual([tk.requester]);
    expect(m.cc && !Array.isArray(m.cc) ? m.cc.value.map((a) => a.address) : []).toEqual(['bob@customer.test']);
    expect(m.subject).toContain(`[#${tk.number}]`);
    expect(m.subject).toContain('Printer on fire');
    expect(m.messageId).toBe(`<triage.${c.id}@acme.test>`);
    expect(m.inReplyTo).toBe(`<${tk.messageId}>`);
    expect([m.references].flat()).toContain(`<${tk.messageId}>`);
    const replyTo = m.replyTo?.value[0]?.address ?? '';
    expect(replyTo).toMatch(/^support\+.+@acme\.test$/);
    expect(verifyReplyToken(tokenFromAddress(replyTo)!, deps.secretKey)).toBe(tk.number);
    expect(header(m, LOOP_HEADER)).toBeDefined();
    expect(header(m, 'Auto-Submitted')).toBeUndefined();
    expect(m.text).toContain('Please unplug it.');
    expect(await comment(tk.id, c.id)).toMatchObject({ delivery: { status: 'sent', attempts: 1, lastError: null, messageId: `triage.${c.id}@acme.test` } });
  });

  it('a job that runs twice sends once', async () => {
    const tk = await ticketFromMail(supportId);
    const c = await reply(tk.id, 'Once only.');
    await t.runJobs();
    await capture.waitFor(seen + 1);
    const row = (await t.db.query<{ id: string }>('SELECT id FROM email_messages WHERE comment_id = $1 AND direction = $2', [c.id, 'outbound'])).rows[0];
    await t.jobs.send(t.db, EMAIL_SEND_JOB, { emailMessageId: row.id });
    const runs = await t.runJobs();
    expect(runs.filter((r) => r.name === EMAIL_SEND_JOB)).toHaveLength(1);
    expect(runs[0].ok).toBe(true);
    expect(fresh()).toHaveLength(1);
  });

  it('a message left `sending` by a worker that died is sent by a retry once that claim is stale', async () => {
    const tk = await ticketFromMail(supportId);
    const c = await reply(tk.id, 'After a crash.');
    // as if a worker had claimed it and died before sending
    await t.db.query(`UPDATE email_messages SET status = 'sending', attempts = 1, claimed_at = $2 WHERE comment_id = $1`, [c.id, clock.now()]);
    expect((await t.runJobs()).filter((r) => r.name === EMAIL_SEND_JOB).map((r) => r.ok)).toEqual([false]);
    expect(fresh()).toHaveLength(0);
    clock.advance(6 * 60_000);
    expect((await t.runJobs()).filter((r) => r.name === EMAIL_SEND_JOB).map((r) => r.ok)).toEqual([true]);
    await capture.waitFor(seen + 1);
    expect(fresh()).toHaveLength(1);
    expect(await comment(tk.id, c.id)).toMatchObject({ delivery: { status: 'sent', attempts: 2 } });
  });

  it('retries with backoff while the SMTP server refuses, then delivers; the comment shows each state', async () => {
    const tk = await ticketFromMail(supportId);
    capture.refuse(2);
    const c = await reply(tk.id, 'Third time lucky.');
    const first = await t.runJobs();
    expect(first.filter((r) => r.name === EMAIL_SEND_JOB).map((r) => r.ok)).toEqual([false]);
    expect(await comment(tk.id, c.id)).toMatchObject({ delivery: { status: 'queued', attempts: 1, lastError: expect.stringMatching(/451|Temporary/) } });
    // not due again before the backoff
    expect((await t.runJobs()).filter((r) => r.name === EMAIL_SEND_JOB)).toHaveLength(0);
    clock.advance(60_000);
    expect((await t.runJobs()).filter((r) => r.name === EMAIL_SEND_JOB).map((r) => r.ok)).toEqual([false]);
    clock.advance(10 * 60_000);
    expect((await t.runJobs()).filter((r) => r.name === EMAIL_SEND_JOB).map((r) => r.ok)).toEqual([true]);
    expect(capture.refused()).toBeGreaterThanOrEqual(2);
    expect(fresh()).toHaveLength(1);
    expect(await comment(tk.id, c.id)).toMatchObject({ delivery: { status: 'sent', attempts: 3 } });
  });

  it('internal notes are never mailed', async () => {
    const tk = await ticketFromMail(supportId);
    const res = await t.request('POST', `/api/v1/tickets/${tk.id}/comments`, { body: { content: 'secret', isInternal: true } });
    expect(res.statusCode).toBe(201);
    expect(res.json().delivery).toBeUndefined();
    expect((await t.runJobs()).filter((r) => r.name === EMAIL_SEND_JOB)).toHaveLength(0);
    expect(fresh()).toHaveLength(0);
  });

  it('acknowledges a new ticket once, rendered with Liquid, marked Auto-Submitted; a duplicate delivery gets none', async () => {
    const raw = rawMessage({ from: `Carl Client <carl${uid()}@customer.test>`, to: 'help@acme.test', subject: 'Need <b>help</b>' });
    const out = await ingestMessage(deps, { raw, mailboxId: ackBoxId, transport: 'api' });
    expect(out.outcome).toBe('ticket_created');
    const tk = (await t.request('GET', `/api/v1/tickets/${(out as { ticketId: string }).ticketId}`)).json();
    expect((await ingestMessage(deps, { raw, mailboxId: ackBoxId, transport: 'api' })).outcome).toBe('suppressed');
    await t.runJobs();
    await capture.waitFor(seen + 1);
    const acks = await parsedFresh();
    expect(acks).toHaveLength(1);
    const [ack] = acks;
    expect(header(ack, 'Auto-Submitted')).toBe('auto-replied');
    expect(ack.subject).toBe(`Received: Need <b>help</b> [#${tk.number}]`);
    expect(ack.text).toContain('Hello CARL CLIENT,');
    expect(ack.text).toContain(`we got your request #${tk.number} (${tk.priority}).`);
    expect(ack.text).toContain('Bye');
    // the HTML alternative escapes what the customer wrote
    expect(ack.html || '').not.toContain('<b>help</b>');
    expect(ack.from?.value[0]?.address).toBe('help@acme.test');
  });

  it('never acknowledges automated mail', async () => {
    const out = await ingestMessage(deps, {
      raw: rawMessage({ from: `Robot <robot${uid()}@customer.test>`, to: 'help@acme.test', subject: 'Automatic reply: hi', headers: { 'Auto-Submitted': 'auto-replied' } }),
      mailboxId: ackBoxId, transport: 'api',
    });
    expect(out.outcome).toBe('suppressed');
    expect((await t.runJobs()).filter((r) => r.name === EMAIL_SEND_JOB)).toHaveLength(0);
    expect(fresh()).toHaveLength(0);
  });

  it(`sends at most ${AUTO_MAIL_PER_HOUR} automatic mails per address and hour`, async () => {
    const from = `Loopy <loopy${uid()}@customer.test>`;
    for (let i = 0; i < AUTO_MAIL_PER_HOUR + 3; i++) {
      const out = await ingestMessage(deps, { raw: rawMessage({ from, to: 'help@acme.test', subject: `Ticket ${i}` }), mailboxId: ackBoxId, transport: 'api' });
      expect(out.outcome).toBe('ticket_created');
    }
    await t.runJobs();
    await capture.waitFor(seen + AUTO_MAIL_PER_HOUR);
    expect(fresh()).toHaveLength(AUTO_MAIL_PER_HOUR);
    // the next hour is a new window
    clock.advance(3_600_000);
    await ingestMessage(deps, { raw: rawMessage({ from, to: 'help@acme.test', subject: 'Next hour' }), mailboxId: ackBoxId, transport: 'api' });
    await t.runJobs();
    await capture.waitFor(seen + AUTO_MAIL_PER_HOUR + 1);
    expect(fresh()).toHaveLength(AUTO_MAIL_PER_HOUR + 1);
  });

  it('never mails an address marked bouncing, even a reply queued before it bounced', async () => {
    const tk = await ticketFromMail(supportId);
    const c = await reply(tk.id, 'Queued before the bounce.');
    await t.db.query('UPDATE requesters SET email_bouncing_at = now(), email_bounce_reason = $2 WHERE email = $1', [tk.requester, 'test']);
    await t.runJobs();
    expect(fresh()).toHaveLength(0);
    expect(await comment(tk.id, c.id)).toMatchObject({ delivery: { status: 'failed', lastError: expect.stringMatching(/bouncing/) } });
    const later = await reply(tk.id, 'After the bounce.');
    expect(later.delivery).toMatchObject({ status: 'failed' });
    await t.runJobs();
    expect(fresh()).toHaveLength(0);
  });

  it('a mailbox with its own outbound SMTP server sends through it, not through SMTP_OUTBOUND_URL', async () => {
    const own = await startSmtpCapture();
    try {
      const boxId = await createMailbox(t, { address: 'sales@acme.test', name: 'Acme sales', outbound: { host: '127.0.0.1', port: own.port, secure: false } });
      const tk = await ticketFromMail(boxId, { to: 'sales@acme.test' });
      await reply(tk.id, 'Through our own server.');
      await t.runJobs();
      const [m] = await own.waitFor(1);
      expect(m.envelope).toEqual({ from: 'sales@acme.test', to: [tk.requester] });
      expect((await simpleParser(m.raw)).text).toContain('Through our own server.');
      expect(fresh()).toHaveLength(0);
    } finally {
      await own.close();
    }
  });

  it('gives up after the retry limit and records the error on the comment', async () => {
    const tk = await ticketFromMail(supportId);
    capture.refuse(100);
    const c = await reply(tk.id, 'Never arrives.');
    for (let i = 0; i < 8; i++) {
      await t.runJobs();
      clock.advance(60 * 60_000);
    }
    capture.refuse(0);
    expect(fresh()).toHaveLength(0);
    expect(await comment(tk.id, c.id)).toMatchObject({ delivery: { status: 'failed', attempts: 6, lastError: expect.stringMatching(/451|Temporary/) } });
  });
});

describe(`SLA breach notices by e-mail (${DB_KIND})`, () => {
  it('a breach is e-mailed once to the assignee and the group’s supervisors, from the ticket’s mailbox', async () => {
    const group = `sla-mail-${uid()}`.toLowerCase();
    expect((await t.request('POST', '/api/v1/groups', { body: { name: group } })).statusCode).toBe(201);
    const sup = await t.makeAgent({ role: 'supervisor', name: 'Sue Supervisor', groups: [group] });
    const agent = await t.makeAgent({ name: 'Al Agent', groups: [group] });
    const policy = await t.request('POST', '/api/v1/sla-policies', {
      body: { name: 'Mail notify', position: 0, conditions: { tags: [group] }, firstResponseMinutes: 30, resolutionMinutes: 600, escalation: { notify: true } },
    });
    expect(policy.statusCode, policy.body).toBe(201);
    const tk = await ticketFromMail(supportId, { subject: 'Printer on fire' });
    expect((await t.request('PATCH', `/api/v1/tickets/${tk.id}`, { body: { tags: [group] } })).statusCode).toBe(200);
    expect((await t.request('POST', `/api/v1/tickets/${tk.id}/assign`, { body: { agentId: agent.id, group } })).statusCode).toBe(200);
    await t.runJobs();
    seen = capture.messages.length;
    clock.advance(31 * 60_000);
    const runs = await t.runJobs();
    expect(runs.filter((r) => r.name === 'sla.notify').map((r) => r.ok)).toEqual([true]);
    const notices = (await parsedFresh()).filter((m) => /SLA breached/.test(m.subject ?? ''));
    expect(notices).toHaveLength(1);
    const [n] = notices;
    expect(n.subject).toBe(`[#${tk.number}] SLA breached: first response — Printer on fire`);
    expect(n.from?.value[0].address).toBe('support@acme.test');
    const to = (Array.isArray(n.to) ? n.to : [n.to!]).flatMap((a) => a.value.map((v) => v.address)).sort();
    expect(to).toEqual([agent.email, sup.email].sort());
    expect(header(n, 'auto-submitted')).toBe('auto-generated');
    expect(header(n, LOOP_HEADER)).toBe('support@acme.test');
    expect(n.text).toContain('Mail notify');
    clock.advance(10 * 60_000);
    await t.runJobs();
    expect((await parsedFresh()).filter((m) => /SLA breached/.test(m.subject ?? ''))).toHaveLength(1);
  });
});
