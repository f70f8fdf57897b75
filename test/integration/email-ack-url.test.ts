/**
 * `ticket.url` in automatic acknowledgements: `<PUBLIC_URL>/portal/tickets/<number>`, else
 * `http://localhost:<PORT>/…`; wired in both ways mail comes in — the admin inbound route (the
 * web role) and the SMTP listener (the mail role) — and escaped like any output in the HTML part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createMailbox } from '../helpers/mail-services.ts';
import { rawMessage } from '../helpers/smtp-capture.ts';
import { startMail } from '../../src/mail/index.ts';
import { portalTicketUrl, publicBaseUrl, renderAutoResponse } from '../../src/domain/email/acknowledge.ts';
import { loadConfig } from '../../src/platform/config.ts';

const TEMPLATE = { subject: 'Received [#{{ ticket.number }}]', body: 'Follow your request at {{ ticket.url }} — thanks.' };
const apps: TestApp[] = [];
let seq = 0;

/** A test app with an acknowledging mailbox whose template prints `ticket.url`. */
async function appWithAck(publicUrl?: string): Promise<{ t: TestApp; mailboxId: string }> {
  const t = await createTestApp({ config: { publicUrl, port: 4123 } });
  apps.push(t);
  const mailboxId = await createMailbox(t, { address: 'help@acme.test', name: 'Acme help', autoAcknowledge: true });
  const ar = await t.request('POST', '/api/v1/auto-responses', { body: { name: 'Ack', mailbox: mailboxId, ...TEMPLATE } });
  expect(ar.statusCode, ar.body).toBe(201);
  return { t, mailboxId };
}

/** The acknowledgement queued for a ticket: its text and HTML bodies. */
async function ackOf(t: TestApp, ticketId: string): Promise<{ body_text: string; body_html_sanitized: string | null }> {
  const rows = await t.db.query<{ body_text: string; body_html_sanitized: string | null }>(
    `SELECT body_text, body_html_sanitized FROM email_messages WHERE ticket_id = $1 AND kind = 'ack'`, [ticketId],
  );
  expect(rows.rows).toHaveLength(1);
  return rows.rows[0]!;
}

async function mailInThroughApi(t: TestApp, mailboxId: string): Promise<{ ticketId: string; number: number }> {
  const raw = rawMessage({ from: `Carl Client <carl${++seq}@customer.test>`, to: 'help@acme.test', subject: 'Where is my order?' });
  const res = await t.request('POST', `/api/v1/mailboxes/${mailboxId}/inbound`, { body: raw, headers: { 'content-type': 'message/rfc822' } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().outcome).toBe('ticket_created');
  const ticketId = res.json().ticketId as string;
  return { ticketId, number: (await t.request('GET', `/api/v1/tickets/${ticketId}`)).json().number };
}

afterAll(async () => {
  for (const t of apps) await t.close();
});

describe('ticket.url in acknowledgements', () => {
  it('is PUBLIC_URL/portal/tickets/<number> in the text and the HTML body (mail posted to the inbound route)', async () => {
    const { t, mailboxId } = await appWithAck('https://help.example.com');
    const { ticketId, number } = await mailInThroughApi(t, mailboxId);
    const ack = await ackOf(t, ticketId);
    expect(ack.body_text).toBe(`Follow your request at https://help.example.com/portal/tickets/${number} — thanks.`);
    expect(ack.body_html_sanitized).toContain(`https://help.example.com/portal/tickets/${number}`);
  });

  it('falls back to http://localhost:<PORT> without PUBLIC_URL', async () => {
    const { t, mailboxId } = await appWithAck(undefined);
    const { ticketId, number } = await mailInThroughApi(t, mailboxId);
    expect((await ackOf(t, ticketId)).body_text).toContain(`http://localhost:4123/portal/tickets/${number} `);
  });

  it('is set for mail the mail role receives over SMTP', async () => {
    const { t } = await appWithAck('https://support.acme.test/help');
    const mail = await startMail({ db: t.db, clock: t.clock, jobs: t.jobs, config: { ...t.config, smtpPort: 0 }, logger: pino({ level: 'silent' }) });
    try {
      const info = await nodemailer.createTransport({ host: '127.0.0.1', port: mail.smtpPort, secure: false, ignoreTLS: true }).sendMail({
        from: 'Dora <dora@customer.test>', to: 'help@acme.test', subject: 'By SMTP', text: 'Hello.',
      });
      expect(info.response).toMatch(/^250 .*ticket_created/);
    } finally {
      await mail.close();
    }
    const row = (await t.db.query<{ id: string; number: number }>(`SELECT id, number FROM tickets WHERE subject = 'By SMTP'`)).rows[0]!;
    expect((await ackOf(t, row.id)).body_text).toContain(`https://support.acme.test/help/portal/tickets/${Number(row.number)} `);
  });

  it('base URL: PUBLIC_URL without its trailing slash, else localhost and PORT', () => {
    expect(publicBaseUrl(loadConfig({ PUBLIC_URL: 'https://help.example.com/' }))).toBe('https://help.example.com');
    expect(publicBaseUrl(loadConfig({ PORT: '8080' }))).toBe('http://localhost:8080');
    expect(portalTicketUrl('https://help.example.com/', 42)).toBe('https://help.example.com/portal/tickets/42');
  });

  it('is escaped in the HTML body like every other output', async () => {
    const vars = {
      ticket: { number: 7, subject: 's', status: 'new', priority: 'normal', category: 'general', url: 'https://h.test/portal/tickets/7?a=1&b=<2>' },
      requester: { name: 'n', email: 'n@x.test' }, sla: { responseDue: null, resolutionDue: null },
    };
    const r = await renderAutoResponse(TEMPLATE, vars);
    expect(r.text).toContain('https://h.test/portal/tickets/7?a=1&b=<2>');
    expect(r.html).toContain('https://h.test/portal/tickets/7?a=1&amp;b=&lt;2&gt;');
  });
});
