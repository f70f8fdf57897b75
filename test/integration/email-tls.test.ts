/**
 * STARTTLS on the inbound SMTP listener, started by the mail role from the configuration
 * (SMTP_TLS_KEY, SMTP_TLS_CERT, SMTP_REQUIRE_TLS) with a self-signed certificate made by the
 * `openssl` CLI: nodemailer delivers over TLS and the message is committed; without the
 * configuration no STARTTLS is offered; with REQUIRE_TLS a plain client gets 530 at MAIL FROM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createMailbox, inboundLog, smtpDialogue } from '../helpers/mail-services.ts';
import { startMail, type RunningMail } from '../../src/mail/index.ts';
import { loadConfig, type Config } from '../../src/platform/config.ts';

const silent = pino({ level: 'silent' });

let t: TestApp;
let dir: string;
let keyPath: string;
let certPath: string;
let seq = 0;
const running: RunningMail[] = [];

/** Starts the mail role of the test app with these configuration changes, on a free SMTP port. */
async function mailRole(config: Partial<Config>): Promise<number> {
  const mail = await startMail({ db: t.db, clock: t.clock, jobs: t.jobs, config: { ...t.config, smtpPort: 0, ...config }, logger: silent });
  running.push(mail);
  return mail.smtpPort!;
}

const tlsConfig = () => ({ smtpTlsKey: keyPath, smtpTlsCert: certPath });

/** nodemailer that insists on STARTTLS (fails rather than send in clear text) and accepts the self-signed certificate. */
const tlsClient = (port: number) =>
  nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false } });

function message() {
  const messageId = `tls-${++seq}-${Date.now().toString(36)}@customer.test`;
  return {
    messageId,
    mail: { from: 'Tess <tess@customer.test>', to: 'secure@acme.test', subject: `Over TLS ${seq}`, text: 'Sent encrypted.', messageId: `<${messageId}>` },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'triage-smtp-tls-'));
  keyPath = join(dir, 'key.pem');
  certPath = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=localhost',
  ], { stdio: 'ignore' });
  t = await createTestApp();
  await createMailbox(t, { address: 'secure@acme.test', name: 'Secure support' });
});

afterAll(async () => {
  for (const m of running) await m.close();
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SMTP listener STARTTLS', () => {
  it('offers STARTTLS when SMTP_TLS_KEY and SMTP_TLS_CERT are set; nodemailer delivers over TLS and the message is committed', async () => {
    const port = await mailRole(tlsConfig());
    const r = await smtpDialogue(port);
    try {
      expect(await r.send('EHLO client.test')).toMatch(/^250[- ]STARTTLS\r$/m);
    } finally {
      r.close();
    }
    const m = message();
    // tlsClient fails rather than send in clear text (see the test without TLS below)
    const info = await tlsClient(port).sendMail(m.mail);
    expect(info.response).toMatch(/^250 .*ticket_created/);
    const entry = (await inboundLog(t)).find((e) => e.messageId === m.messageId);
    expect(entry?.outcome).toBe('ticket_created');
    expect((await t.request('GET', `/api/v1/tickets/${entry!.ticketId}`)).json().subject).toBe(m.mail.subject);
  });

  it('speaks TLS after STARTTLS with the configured certificate', async () => {
    const port = await mailRole(tlsConfig());
    const socket = connect({ host: '127.0.0.1', port });
    const lines: string[] = [];
    const read = () => new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    lines.push(await read());
    socket.write('EHLO client.test\r\n');
    lines.push(await read());
    socket.write('STARTTLS\r\n');
    expect(await read()).toMatch(/^220 /);
    const secure = tlsConnect({ socket, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    const cert = secure.getPeerCertificate();
    expect(cert.subject.CN).toBe('localhost');
    // the certificate served is the one in SMTP_TLS_CERT, not smtp-server's built-in one
    const fingerprint = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256']).toString();
    expect(fingerprint.replace(/^.*=/, '').trim()).toBe(cert.fingerprint256);
    const reply = new Promise<string>((resolve) => secure.once('data', (d) => resolve(d.toString())));
    secure.write('EHLO client.test\r\n');
    // once secure, STARTTLS is no longer offered
    const ehlo = await reply;
    expect(ehlo).toMatch(/^250/);
    expect(ehlo).not.toContain('STARTTLS');
    secure.destroy();
    expect(lines[0]).toMatch(/^220 /);
  });

  it('offers no STARTTLS without the TLS configuration, and refuses the command', async () => {
    const port = await mailRole({});
    const r = await smtpDialogue(port);
    try {
      const ehlo = await r.send('EHLO client.test');
      expect(ehlo).toMatch(/^250 /m);
      expect(ehlo).not.toContain('STARTTLS');
      expect(await r.send('STARTTLS')).toMatch(/^5\d\d /);
    } finally {
      r.close();
    }
    await expect(tlsClient(port).sendMail(message().mail)).rejects.toThrow(/STARTTLS/i);
  });

  it('with SMTP_REQUIRE_TLS refuses MAIL FROM before STARTTLS with 530, and accepts it after', async () => {
    const port = await mailRole({ ...tlsConfig(), smtpRequireTls: true });
    const r = await smtpDialogue(port);
    try {
      expect(await r.send('EHLO client.test')).toMatch(/STARTTLS/);
      expect(await r.send('MAIL FROM:<plain@customer.test>')).toMatch(/^530 5\.7\.0 Must issue a STARTTLS command first/);
    } finally {
      r.close();
    }
    const plain = message();
    const clear = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await expect(clear.sendMail(plain.mail)).rejects.toMatchObject({ responseCode: 530 });
    expect((await inboundLog(t)).some((e) => e.messageId === plain.messageId)).toBe(false);

    const m = message();
    const info = await tlsClient(port).sendMail(m.mail);
    expect(info.response).toMatch(/^250 /);
    expect((await inboundLog(t)).find((e) => e.messageId === m.messageId)?.outcome).toBe('ticket_created');
  });

  it('fails the start when the key file cannot be read', async () => {
    await expect(mailRole({ smtpTlsKey: join(dir, 'missing.pem'), smtpTlsCert: certPath })).rejects.toThrow(/ENOENT/);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    await expect(mailRole({ smtpTlsKey: garbage, smtpTlsCert: certPath })).rejects.toThrow();
  });
});

describe('SMTP TLS configuration', () => {
  it('reads SMTP_TLS_KEY, SMTP_TLS_CERT (as absolute paths) and SMTP_REQUIRE_TLS', () => {
    const c = loadConfig({ SMTP_TLS_KEY: 'tls/key.pem', SMTP_TLS_CERT: '/etc/triage/cert.pem', SMTP_REQUIRE_TLS: '1' });
    expect(c.smtpTlsKey).toBe(join(process.cwd(), 'tls/key.pem'));
    expect(c.smtpTlsCert).toBe('/etc/triage/cert.pem');
    expect(c.smtpRequireTls).toBe(true);
    const none = loadConfig({});
    expect([none.smtpTlsKey, none.smtpTlsCert, none.smtpRequireTls]).toEqual([undefined, undefined, false]);
  });

  it('refuses one of the pair alone, and SMTP_REQUIRE_TLS without them, naming the variables', () => {
    expect(() => loadConfig({ SMTP_TLS_KEY: '/k.pem' })).toThrow(/SMTP_TLS_KEY and SMTP_TLS_CERT/);
    expect(() => loadConfig({ SMTP_TLS_CERT: '/c.pem' })).toThrow(/only SMTP_TLS_CERT/);
    expect(() => loadConfig({ SMTP_REQUIRE_TLS: 'true' })).toThrow(/SMTP_REQUIRE_TLS needs/);
  });
});
