/**
 * The whole loop over real sockets: a customer's mail (nodemailer) → our SMTP listener → a ticket
 * → an agent's public reply through the HTTP API → the email.send job → the outbound message
 * captured by a real SMTP server (SMTP_OUTBOUND_URL) → the customer's reply built from that
 * captured message → our listener → the SAME ticket. Three replies, each carrying only one of
 * the threading signals: the In-Reply-To header, the Reply-To token address, the [#n] subject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import { simpleParser, type ParsedMail } from 'mailparser';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createMailbox, inboundLog, ingestDepsFor } from '../helpers/mail-services.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { startSmtpListener, type SmtpListener } from '../../src/mail/smtp-listener.ts';

let t: TestApp;
let capture: SmtpCapture;
let smtp: SmtpListener;
let customer: Transporter;

let ticketId: string;
let ticketNumber: number;
/** the agent's reply as the customer received it */
let outbound: ParsedMail;

const CUSTOMER = 'carol@customer.test';

async function comments(): Promise<{ id: string; isInternal?: boolean; email?: { threadedBy: string | null; messageId: string } | null }[]> {
  const res = await t.request('GET', `/api/v1/tickets/${ticketId}`);
  expect(res.statusCode).toBe(200);
  return res.json().comments;
}

/** Sends the customer's mail and returns the inbound-log entry it produced (committed before the 250). */
async function send(mail: SendMailOptions & { messageId: string }) {
  const info = await customer.sendMail({ from: `Carol Customer <${CUSTOMER}>`, ...mail, messageId: `<${mail.messageId}>` });
  expect(info.response).toMatch(/^250 /);
  const entry = (await inboundLog(t)).find((e) => e.messageId === mail.messageId);
  expect(entry).toBeDefined();
  return entry!;
}

beforeAll(async () => {
  capture = await startSmtpCapture();
  t = await createTestApp({ config: { smtpOutboundUrl: capture.url } });
  await createMailbox(t, { address: 'support@acme.test', name: 'Acme support' });
  smtp = await startSmtpListener({ host: '127.0.0.1', port: 0, maxBytes: 10 * 1024 * 1024, deps: await ingestDepsFor(t), logger: pino({ level: 'silent' }) });
  customer = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });

  const first = await send({ to: 'support@acme.test', subject: 'Cannot log in', text: 'The login page rejects my password.', messageId: `first-${Date.now()}@customer.test` });
  expect(first.outcome).toBe('ticket_created');
  ticketId = first.ticketId!;
  ticketNumber = (await t.request('GET', `/api/v1/tickets/${ticketId}`)).json().number;

  const reply = await t.request('POST', `/api/v1/tickets/${ticketId}/comments`, { body: { content: 'Please try resetting your password from the link below.' } });
  expect(reply.statusCode, reply.body).toBe(201);
  await t.runJobs();
  const [captured] = await capture.waitFor(1);
  expect(captured!.envelope.to).toEqual([CUSTOMER]);
  outbound = await simpleParser(captured!.raw);
});

afterAll(async () => {
  customer?.close();
  await smtp?.close();
  await t?.close();
  await capture?.close();
});

describe('e-mail round trip over real sockets', () => {
  it('the agent reply went out threaded: our Message-ID, [#n] in the subject, a token Reply-To', () => {
    expect(outbound.messageId).toMatch(/^<.+@.+>$/);
    expect(outbound.inReplyTo).toContain('first-');
    expect(outbound.subject).toContain(`[#${ticketNumber}]`);
    expect(outbound.replyTo?.value[0]?.address).toMatch(/^support\+[^@]+@acme\.test$/);
    expect(outbound.text).toContain('Please try resetting your password');
  });

  it('a reply carrying only In-Reply-To lands on the same ticket (threadedBy header)', async () => {
    const before = (await comments()).length;
    const entry = await send({
      to: 'support@acme.test',
      subject: 'Still broken', // no [#n]
      text: 'It still does not work.',
      inReplyTo: outbound.messageId!,
      messageId: `hdr-${Date.now()}@customer.test`,
    });
    expect(entry.outcome).toBe('comment_added');
    expect(entry.ticketId).toBe(ticketId);
    const list = await comments();
    expect(list.length).toBe(before + 1);
    expect(list.find((c) => c.id === entry.commentId)?.email?.threadedBy).toBe('header');
  });

  it('a reply carrying only the Reply-To token address lands on the same ticket (threadedBy token)', async () => {
    const before = (await comments()).length;
    const tokenAddress = outbound.replyTo!.value[0]!.address!;
    const entry = await send({
      to: tokenAddress,
      subject: 'One more thing', // no [#n], no In-Reply-To, no References
      text: 'I also cannot change my e-mail address.',
      messageId: `tok-${Date.now()}@customer.test`,
    });
    expect(entry.outcome).toBe('comment_added');
    expect(entry.ticketId).toBe(ticketId);
    const list = await comments();
    expect(list.length).toBe(before + 1);
    expect(list.find((c) => c.id === entry.commentId)?.email?.threadedBy).toBe('token');
  });

  it('a reply carrying only [#n] in the subject lands on the same ticket (threadedBy subject)', async () => {
    const before = (await comments()).length;
    const entry = await send({
      to: 'support@acme.test',
      subject: `AW: Re: [#${ticketNumber}] Cannot log in`,
      text: 'Any news?',
      messageId: `subj-${Date.now()}@customer.test`,
    });
    expect(entry.outcome).toBe('comment_added');
    expect(entry.ticketId).toBe(ticketId);
    const list = await comments();
    expect(list.length).toBe(before + 1);
    expect(list.find((c) => c.id === entry.commentId)?.email?.threadedBy).toBe('subject');
  });

  it('the same [#n] from a stranger opens a new ticket instead', async () => {
    const info = await customer.sendMail({
      from: 'mallory@elsewhere.test', to: 'support@acme.test', subject: `Re: [#${ticketNumber}] Cannot log in`, text: 'Injected.',
      messageId: `<stranger-${Date.now()}@elsewhere.test>`,
    });
    expect(info.response).toMatch(/^250 /);
    const entry = (await inboundLog(t)).find((e) => e.from === 'mallory@elsewhere.test');
    expect(entry?.outcome).toBe('ticket_created');
    expect(entry?.ticketId).not.toBe(ticketId);
  });
});
