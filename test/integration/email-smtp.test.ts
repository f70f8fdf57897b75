/**
 * The inbound SMTP listener over real sockets: nodemailer (or a raw SMTP dialogue) → our
 * listener → ingest → the database. 250 comes back only once the message is committed; unknown
 * recipients get 550 at RCPT, oversize messages 552, a database fault 451 (the sender retries);
 * concurrent deliveries each land once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createMailbox, inboundLog, ingestDepsFor, smtpDialogue } from '../helpers/mail-services.ts';
import { startSmtpListener, type SmtpListener } from '../../src/mail/smtp-listener.ts';

const MAX_BYTES = 64 * 1024;
const silent = pino({ level: 'silent' });

let t: TestApp;
let smtp: SmtpListener;
let mailboxId: string;
let seq = 0;

function transport(port = smtp.port) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: false });
}

const uniqueId = () => `smtp-test-${++seq}-${Date.now().toString(36)}@customer.test`;

beforeAll(async () => {
  t = await createTestApp();
  mailboxId = await createMailbox(t, { address: 'support@acme.test', name: 'Acme support' });
  smtp = await startSmtpListener({ host: '127.0.0.1', port: 0, maxBytes: MAX_BYTES, deps: await ingestDepsFor(t), logger: silent });
});

afterAll(async () => {
  await smtp?.close();
  await t?.close();
});

describe('SMTP listener', () => {
  it('answers 250 only after the message is committed: the ticket exists when the reply arrives', async () => {
    const messageId = uniqueId();
    const info = await transport().sendMail({
      from: 'Carol Customer <carol@customer.test>',
      to: 'support@acme.test',
      subject: 'Printer on fire',
      text: 'The printer in room 4 is on fire. Please help.',
      messageId: `<${messageId}>`,
    });
    expect(info.response).toMatch(/^250 /);
    expect(info.response).toContain('ticket_created');
    // no waiting, no polling: the commit happened before the 250
    const entry = (await inboundLog(t)).find((e) => e.messageId === messageId);
    expect(entry?.outcome).toBe('ticket_created');
    const ticket = (await t.request('GET', `/api/v1/tickets/${entry!.ticketId}`)).json();
    expect(ticket.subject).toBe('Printer on fire');
    expect(ticket.source).toBe('email');
    expect(ticket.requester.email).toBe('carol@customer.test');
  });

  it('accepts the +token form of a mailbox address', async () => {
    const r = await smtpDialogue(smtp.port);
    try {
      expect(await r.send('EHLO client.test')).toMatch(/^250/m);
      expect(await r.send('MAIL FROM:<dan@customer.test>')).toMatch(/^250 /);
      expect(await r.send('RCPT TO:<support+abc123@acme.test>')).toMatch(/^250 /);
    } finally {
      r.close();
    }
  });

  it('refuses an unknown recipient at RCPT with 550 and stores nothing', async () => {
    const before = (await inboundLog(t)).length;
    const r = await smtpDialogue(smtp.port);
    try {
      expect(r.greeting).toMatch(/^220 /);
      expect(await r.send('EHLO client.test')).toMatch(/^250/m);
      expect(await r.send('MAIL FROM:<eve@customer.test>')).toMatch(/^250 /);
      expect(await r.send('RCPT TO:<nobody@acme.test>')).toMatch(/^550 /);
      expect(await r.send('RCPT TO:<support@elsewhere.test>')).toMatch(/^550 /);
      // no accepted recipient: DATA is refused by the protocol itself
      expect(await r.send('DATA')).toMatch(/^503 /);
    } finally {
      r.close();
    }
    await expect(transport().sendMail({ from: 'eve@customer.test', to: 'nobody@acme.test', subject: 'x', text: 'x' })).rejects.toMatchObject({
      responseCode: 550,
    });
    expect((await inboundLog(t)).length).toBe(before);
  });

  it('refuses a message over SMTP_MAX_BYTES with 552 and stores nothing', async () => {
    const before = (await inboundLog(t)).length;
    const err = await transport()
      .sendMail({ from: 'frank@customer.test', to: 'support@acme.test', subject: 'Huge', text: 'x'.repeat(MAX_BYTES + 10_000), messageId: `<${uniqueId()}>` })
      .catch((e: { responseCode?: number }) => e);
    expect((err as { responseCode?: number }).responseCode).toBe(552);
    // a message just under the limit still goes through
    const ok = await transport().sendMail({ from: 'frank@customer.test', to: 'support@acme.test', subject: 'Not huge', text: 'y'.repeat(MAX_BYTES / 2), messageId: `<${uniqueId()}>` });
    expect(ok.response).toMatch(/^250 /);
    const log = await inboundLog(t);
    expect(log.length).toBe(before + 1);
    expect(log[0]!.subject).toBe('Not huge');
  });

  it('lands each of 40 concurrent deliveries exactly once', async () => {
    const ids = Array.from({ length: 40 }, () => uniqueId());
    const pooled = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 8 });
    try {
      const infos = await Promise.all(
        ids.map((id, i) =>
          pooled.sendMail({ from: `buyer${i}@customer.test`, to: 'support@acme.test', subject: `Order ${i} is late`, text: `Order ${i} has not arrived.`, messageId: `<${id}>` }),
        ),
      );
      for (const info of infos) expect(info.response).toMatch(/^250 /);
    } finally {
      pooled.close();
    }
    const log = await inboundLog(t);
    for (const id of ids) {
      const entries = log.filter((e) => e.messageId === id);
      expect(entries.map((e) => e.outcome), id).toEqual(['ticket_created']);
    }
    const ticketIds = new Set(log.filter((e) => ids.includes(e.messageId!)).map((e) => e.ticketId));
    expect(ticketIds.size).toBe(40);
  });

  it('ingests a message addressed to two mailboxes once per mailbox', async () => {
    const salesId = await createMailbox(t, { address: 'sales@acme.test', name: 'Acme sales' });
    const messageId = uniqueId();
    const info = await transport().sendMail({
      from: 'gina@customer.test', to: ['support@acme.test', 'sales@acme.test', 'nobody@acme.test'], subject: 'Quote and a bug', text: 'Two questions.',
      messageId: `<${messageId}>`,
    });
    expect(info.accepted).toEqual(['support@acme.test', 'sales@acme.test']);
    expect(info.rejected).toEqual(['nobody@acme.test']);
    const entries = (await inboundLog(t)).filter((e) => e.messageId === messageId);
    expect(entries.map((e) => e.outcome)).toEqual(['ticket_created', 'ticket_created']);
    expect(new Set(entries.map((e) => e.ticketId)).size).toBe(2);
    expect(salesId).not.toBe(mailboxId);
  });

  it('answers 451 when the database fails after RCPT, stores nothing, and the retry lands once', async () => {
    // A real fault, reversible so that we can look afterwards: the tables ingest writes to (the
    // inbound log and the dead-letter table) disappear between RCPT and the end of DATA, so the
    // message can be neither committed nor stored as failed.
    const messageId = uniqueId();
    const message = [
      'From: Hal <hal@customer.test>', 'To: support@acme.test', 'Subject: Retry me', `Message-ID: <${messageId}>`,
      'Date: Tue, 1 Sep 2026 10:00:00 +0000', '', 'Please retry this.', '.', '',
    ].join('\r\n');
    const tickets = async () => (await t.request('GET', '/api/v1/tickets?limit=1')).json().total as number;
    const ticketsBefore = await tickets();
    const r = await smtpDialogue(smtp.port);
    try {
      await r.send('EHLO client.test');
      expect(await r.send('MAIL FROM:<hal@customer.test>')).toMatch(/^250 /);
      expect(await r.send('RCPT TO:<support@acme.test>')).toMatch(/^250 /);
      await t.db.exec('ALTER TABLE inbound_log RENAME TO inbound_log_away; ALTER TABLE inbound_failures RENAME TO inbound_failures_away');
      expect(await r.send('DATA')).toMatch(/^354 /);
      expect(await r.send(Buffer.from(message))).toMatch(/^451 /);
      // with the mailboxes unreadable (and the configuration version the per-process mailbox cache
      // checks), even the recipient lookup is a temporary failure, never a 550
      await t.db.exec('ALTER TABLE mailboxes RENAME TO mailboxes_away; ALTER TABLE config_version RENAME TO config_version_away');
      expect(await r.send('MAIL FROM:<hal@customer.test>')).toMatch(/^250 /);
      expect(await r.send('RCPT TO:<support@acme.test>')).toMatch(/^451 /);
    } finally {
      r.close();
      await t.db.exec(
        'ALTER TABLE IF EXISTS inbound_log_away RENAME TO inbound_log; ALTER TABLE IF EXISTS inbound_failures_away RENAME TO inbound_failures; ' +
          'ALTER TABLE IF EXISTS mailboxes_away RENAME TO mailboxes; ALTER TABLE IF EXISTS config_version_away RENAME TO config_version',
      );
    }
    // nothing was committed: no log entry, no ticket, no dead letter
    expect((await inboundLog(t)).filter((e) => e.messageId === messageId)).toEqual([]);
    expect(await tickets()).toBe(ticketsBefore);
    // the sending MTA retries against the healthy system: exactly one ticket
    const r2 = await smtpDialogue(smtp.port);
    try {
      await r2.send('EHLO client.test');
      await r2.send('MAIL FROM:<hal@customer.test>');
      await r2.send('RCPT TO:<support@acme.test>');
      await r2.send('DATA');
      expect(await r2.send(Buffer.from(message))).toMatch(/^250 /);
    } finally {
      r2.close();
    }
    const after = (await inboundLog(t)).filter((e) => e.messageId === messageId);
    expect(after.map((e) => e.outcome)).toEqual(['ticket_created']);
  });

  it('closes gracefully: a message in flight still gets its 250, new connections are refused', async () => {
    const other = await startSmtpListener({ host: '127.0.0.1', port: 0, maxBytes: MAX_BYTES, deps: await ingestDepsFor(t), logger: silent });
    const messageId = uniqueId();
    const r = await smtpDialogue(other.port);
    await r.send('EHLO client.test');
    await r.send('MAIL FROM:<ivy@customer.test>');
    await r.send('RCPT TO:<support@acme.test>');
    await r.send('DATA');
    // the message is half-sent when the shutdown begins
    const closing = other.close();
    const reply = r.send(Buffer.from(['From: ivy@customer.test', 'To: support@acme.test', 'Subject: Mid-shutdown', `Message-ID: <${messageId}>`, '', 'Body.', '.', ''].join('\r\n')));
    expect(await reply).toMatch(/^250 /);
    await closing;
    r.close();
    await expect(transport(other.port).sendMail({ from: 'ivy@customer.test', to: 'support@acme.test', subject: 'late', text: 'late' })).rejects.toBeTruthy();
    expect((await inboundLog(t)).filter((e) => e.messageId === messageId).map((e) => e.outcome)).toEqual(['ticket_created']);
  });
});
