/**
 * The e-mail channel's admin API: mailboxes (secrets sealed, never returned), auto-responses
 * (Liquid checked), raw delivery, the inbound log, suspended mail; who may do what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem } from '../helpers/problems.ts';
import { rawMessage } from '../helpers/smtp-capture.ts';
import { imapMailboxes } from '../../src/domain/email/mailboxes.ts';
import { decryptSecret, encryptSecret, loadSecretKey } from '../../src/platform/crypto.ts';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

let t: TestApp;
let agent: TestAgent;

const IMAP_PASSWORD = 'imap-Pa55word-do-not-leak';
const SMTP_PASSWORD = 'smtp-Pa55word-do-not-leak';

beforeAll(async () => {
  t = await createTestApp();
  agent = await t.makeAgent({ role: 'agent' });
});

afterAll(async () => {
  await t?.close();
});

const deliver = (mailboxId: string, raw: Buffer) =>
  t.request('POST', `/api/v1/mailboxes/${mailboxId}/inbound`, { body: raw, headers: { 'content-type': 'message/rfc822' } });

describe(`e-mail API (${DB_KIND})`, () => {
  it('the OpenAPI document describes the e-mail routes and a comment\'s email and delivery', async () => {
    const res = await t.request('GET', '/api/v1/openapi.json', { as: null });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    for (const path of ['/api/v1/mailboxes', '/api/v1/auto-responses', '/api/v1/admin/inbound-failures', '/api/v1/admin/inbound-log', '/api/v1/admin/suspended']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const detail = doc.paths['/api/v1/tickets/{id}'].get.responses['200'].content['application/json'].schema;
    const comment = detail.properties.comments.items;
    expect(Object.keys(comment.properties.email.properties)).toEqual(expect.arrayContaining(['messageId', 'threadedBy', 'bodyHtmlSanitized', 'quotedText']));
    expect(comment.properties.delivery.properties.status.enum).toEqual(['queued', 'sent', 'failed']);
  });

  describe('mailboxes', () => {
    it('create, read, list, change and delete; passwords sealed in the database and never returned', async () => {
      const created = await t.request('POST', '/api/v1/mailboxes', {
        body: {
          address: 'Billing@Acme.test', name: 'Acme billing', category: 'billing', autoAcknowledge: true,
          inbound: { type: 'imap', host: 'imap.acme.test', port: 993, secure: true, user: 'billing', password: IMAP_PASSWORD },
          outbound: { host: 'smtp.acme.test', port: 465, secure: true, user: 'billing', password: SMTP_PASSWORD },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const mb = created.json();
      expect(mb).toMatchObject({
        address: 'billing@acme.test', name: 'Acme billing', category: 'billing', autoAcknowledge: true, isActive: true,
        inbound: { type: 'imap', host: 'imap.acme.test', port: 993, secure: true, user: 'billing', folder: 'INBOX', hasPassword: true },
        outbound: { host: 'smtp.acme.test', port: 465, secure: true, user: 'billing', hasPassword: true },
      });
      expect(created.body).not.toContain(IMAP_PASSWORD);
      expect(created.body).not.toContain(SMTP_PASSWORD);
      expect(created.body).not.toMatch(/"password"/);

      const row = (await t.db.query<{ inbound_password_enc: string; outbound_password_enc: string; inbound: object }>(
        'SELECT inbound_password_enc, outbound_password_enc, inbound FROM mailboxes WHERE id = $1', [mb.id],
      )).rows[0];
      expect(row.inbound_password_enc).toMatch(/^v1:/);
      expect(row.inbound_password_enc).not.toContain(IMAP_PASSWORD);
      expect(JSON.stringify(row.inbound)).not.toContain(IMAP_PASSWORD);
      const accounts = await imapMailboxes(t.db, await loadSecretKey(t.config));
      expect(accounts.find((a) => a.id === mb.id)).toMatchObject({ password: IMAP_PASSWORD, host: 'imap.acme.test', folder: 'INBOX' });

      const one = await t.request('GET', `/api/v1/mailboxes/${mb.id}`);
      expect(one.json()).toEqual(mb);
      const list = await t.request('GET', '/api/v1/mailboxes');
      expect(list.json().mailboxes.map((m: { id: string }) => m.id)).toContain(mb.id);
      expect(list.body).not.toContain(IMAP_PASSWORD);

      // a password left out keeps the stored one
      const renamed = await t.request('PATCH', `/api/v1/mailboxes/${mb.id}`, {
        body: { name: 'Billing team', inbound: { type: 'imap', host: 'imap2.acme.test', port: 993, secure: true, user: 'billing' } },
      });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json()).toMatchObject({ name: 'Billing team', inbound: { host: 'imap2.acme.test', hasPassword: true } });
      expect((await imapMailboxes(t.db, await loadSecretKey(t.config))).find((a) => a.id === mb.id)?.password).toBe(IMAP_PASSWORD);

      const noOutbound = await t.request('PATCH', `/api/v1/mailboxes/${mb.id}`, { body: { outbound: null } });
      expect(noOutbound.json().outbound).toBeNull();

      expect((await t.request('DELETE', `/api/v1/mailboxes/${mb.id}`)).statusCode).toBe(204);
      expectProblem(await t.request('GET', `/api/v1/mailboxes/${mb.id}`), 404);
      expectProblem(await t.request('DELETE', `/api/v1/mailboxes/${mb.id}`), 404);
    });

    it('validation problems name the field; a taken address is a 409', async () => {
      const bad = expectProblem(await t.request('POST', '/api/v1/mailboxes', { body: { address: 'not an address', name: 'x' } }), 400);
      expect(bad.errors.map((e: { path: string }) => e.path)).toContain('address');
      const noName = expectProblem(await t.request('POST', '/api/v1/mailboxes', { body: { address: 'a@acme.test' } }), 400);
      expect(noName.errors.map((e: { path: string }) => e.path)).toContain('name');
      const port = expectProblem(await t.request('POST', '/api/v1/mailboxes', {
        body: { address: 'p@acme.test', name: 'p', inbound: { type: 'imap', host: 'h', port: 70000, secure: true, user: 'u', password: 'x' } },
      }), 400);
      expect(port.errors.map((e: { path: string }) => e.path).join(' ')).toMatch(/inbound.*port/);
      const noPassword = expectProblem(await t.request('POST', '/api/v1/mailboxes', {
        body: { address: 'np@acme.test', name: 'np', inbound: { type: 'imap', host: 'h', port: 993, secure: true, user: 'u' } },
      }), 400);
      expect(noPassword.errors.map((e: { path: string }) => e.path)).toContain('inbound.password');
      const group = expectProblem(await t.request('POST', '/api/v1/mailboxes', { body: { address: 'g@acme.test', name: 'g', group: 'no-such-group' } }), 400);
      expect(group.errors.map((e: { path: string }) => e.path)).toContain('group');

      expect((await t.request('POST', '/api/v1/mailboxes', { body: { address: 'taken@acme.test', name: 'one' } })).statusCode).toBe(201);
      const dup = expectProblem(await t.request('POST', '/api/v1/mailboxes', { body: { address: 'TAKEN@acme.test', name: 'two' } }), 409, 'mailbox.address_taken');
      expect(dup.errors.map((e: { path: string }) => e.path)).toContain('address');
    });
  });

  describe('auto-responses', () => {
    it('CRUD; a Liquid syntax error is a 400 naming the field', async () => {
      const created = await t.request('POST', '/api/v1/auto-responses', {
        body: { name: 'Ack', subject: 'We got #{{ ticket.number }}', body: 'Hi {{ requester.name }}', category: 'billing', position: 2 },
      });
      expect(created.statusCode, created.body).toBe(201);
      const ar = created.json();
      expect(ar).toMatchObject({ name: 'Ack', category: 'billing', mailbox: null, isActive: true, position: 2 });
      expect((await t.request('GET', `/api/v1/auto-responses/${ar.id}`)).json()).toEqual(ar);
      expect((await t.request('GET', '/api/v1/auto-responses')).json().autoResponses.map((a: { id: string }) => a.id)).toContain(ar.id);

      const broken = expectProblem(await t.request('POST', '/api/v1/auto-responses', { body: { name: 'Bad', subject: 'ok', body: 'Hi {% if %}' } }), 400);
      expect(broken.errors.map((e: { path: string }) => e.path)).toEqual(['body']);
      const brokenSubject = expectProblem(await t.request('PATCH', `/api/v1/auto-responses/${ar.id}`, { body: { subject: '{{ unclosed' } }), 400);
      expect(brokenSubject.errors.map((e: { path: string }) => e.path)).toEqual(['subject']);
      const noMailbox = expectProblem(await t.request('POST', '/api/v1/auto-responses', {
        body: { name: 'X', subject: 's', body: 'b', mailbox: '00000000-0000-4000-8000-000000000000' },
      }), 400);
      expect(noMailbox.errors.map((e: { path: string }) => e.path)).toEqual(['mailbox']);

      const changed = await t.request('PATCH', `/api/v1/auto-responses/${ar.id}`, { body: { isActive: false } });
      expect(changed.json()).toMatchObject({ isActive: false, subject: 'We got #{{ ticket.number }}' });
      expect((await t.request('DELETE', `/api/v1/auto-responses/${ar.id}`)).statusCode).toBe(204);
      expectProblem(await t.request('GET', `/api/v1/auto-responses/${ar.id}`), 404);
    });
  });

  describe('raw delivery, the inbound log and suspended mail', () => {
    let mailboxId: string;
    beforeAll(async () => {
      mailboxId = (await t.request('POST', '/api/v1/mailboxes', { body: { address: 'support@acme.test', name: 'Acme support' } })).json().id;
    });

    it('POST /mailboxes/:id/inbound runs the pipeline; other media types are 415', async () => {
      const res = await deliver(mailboxId, rawMessage({ from: 'Raw Ruth <ruth@customer.test>', subject: 'By API', messageId: 'by-api-1@customer.test' }));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ outcome: 'ticket_created', ticketId: expect.any(String), logId: expect.any(String) });
      const log = (await t.request('GET', '/api/v1/admin/inbound-log?limit=5')).json().entries;
      expect(log[0]).toMatchObject({
        id: res.json().logId, outcome: 'ticket_created', reason: null, messageId: 'by-api-1@customer.test', from: 'ruth@customer.test',
        subject: 'By API', mailbox: 'support@acme.test', transport: 'api', ticketId: res.json().ticketId,
      });
      const again = await deliver(mailboxId, rawMessage({ from: 'Raw Ruth <ruth@customer.test>', subject: 'By API', messageId: 'by-api-1@customer.test' }));
      expect(again.json()).toMatchObject({ outcome: 'suppressed', reason: 'duplicate' });
      const newest = (await t.request('GET', '/api/v1/admin/inbound-log?limit=1')).json().entries;
      expect(newest).toHaveLength(1);
      expect(newest[0]).toMatchObject({ outcome: 'suppressed', reason: 'duplicate' });

      expectProblem(await t.request('POST', `/api/v1/mailboxes/${mailboxId}/inbound`, { body: { raw: 'x' } }), 415);
      expectProblem(await deliver('00000000-0000-4000-8000-000000000000', rawMessage({})), 404);
      expectProblem(await t.request('GET', '/api/v1/admin/inbound-log?limit=0'), 400);
    });

    it('spam by upstream verdict is suspended: listed, released into a ticket, or deleted', async () => {
      const spam = rawMessage({ from: 'Spammer <win@prizes.test>', subject: 'You won', headers: { 'X-Spam-Flag': 'YES', 'X-Spam-Status': 'Yes, score=9.1' } });
      const res = await deliver(mailboxId, spam);
      expect(res.json()).toMatchObject({ outcome: 'suspended', reason: 'spam' });
      const id = res.json().suspendedId;
      const listed = (await t.request('GET', '/api/v1/admin/suspended')).json().messages;
      expect(listed.find((m: { id: string }) => m.id === id)).toMatchObject({ from: 'win@prizes.test', subject: 'You won' });
      const released = await t.request('POST', `/api/v1/admin/suspended/${id}/release`);
      expect(released.statusCode, released.body).toBe(200);
      expect(released.json().outcome).toBe('ticket_created');
      expect((await t.request('GET', '/api/v1/admin/suspended')).json().messages.find((m: { id: string }) => m.id === id)).toBeUndefined();
      expectProblem(await t.request('POST', `/api/v1/admin/suspended/${id}/release`), 404);

      const other = await deliver(mailboxId, rawMessage({ subject: 'Cheap pills', headers: { 'X-Spam-Flag': 'YES' } }));
      const otherId = other.json().suspendedId;
      expect((await t.request('DELETE', `/api/v1/admin/suspended/${otherId}`)).statusCode).toBe(204);
      expect((await t.request('GET', '/api/v1/admin/suspended')).json().messages.find((m: { id: string }) => m.id === otherId)).toBeUndefined();
    });

    it('admins only, except a comment\'s raw message which agents may read', async () => {
      const res = await deliver(mailboxId, rawMessage({ from: 'Perm <perm@customer.test>', subject: 'Perms' }));
      const { ticketId, commentId } = res.json();
      for (const [method, url] of [
        ['GET', '/api/v1/mailboxes'], ['POST', '/api/v1/mailboxes'], ['GET', `/api/v1/mailboxes/${mailboxId}`],
        ['PATCH', `/api/v1/mailboxes/${mailboxId}`], ['DELETE', `/api/v1/mailboxes/${mailboxId}`],
        ['GET', '/api/v1/auto-responses'], ['POST', '/api/v1/auto-responses'],
        ['GET', '/api/v1/admin/inbound-log'], ['GET', '/api/v1/admin/inbound-failures'], ['GET', '/api/v1/admin/suspended'],
      ] as const) {
        const body = method === 'POST' ? (url.endsWith('mailboxes') ? { address: 'x@acme.test', name: 'x' } : { name: 'x', subject: 's', body: 'b' }) : method === 'PATCH' ? { name: 'y' } : undefined;
        expectProblem(await t.request(method, url, { as: agent, body }), 403);
      }
      expectProblem(await t.request('POST', `/api/v1/mailboxes/${mailboxId}/inbound`, { as: agent, body: rawMessage({}), headers: { 'content-type': 'message/rfc822' } }), 403);
      expectProblem(await t.request('GET', '/api/v1/mailboxes', { as: null }), 401);
      const raw = await t.request('GET', `/api/v1/tickets/${ticketId}/comments/${commentId}/raw`, { as: agent });
      expect(raw.statusCode).toBe(200);
      expect(raw.body).toContain('Subject: Perms');
      expectProblem(await t.request('GET', `/api/v1/tickets/${ticketId}/comments/00000000-0000-4000-8000-000000000000/raw`, { as: agent }), 404);
      // still there: the agent's DELETE was refused
      expect((await t.request('GET', `/api/v1/mailboxes/${mailboxId}`)).statusCode).toBe(200);
    });
  });

  describe('the secret key', () => {
    it('is generated once into DATA_DIR/secret.key (0600) when TRIAGE_SECRET_KEY is unset, and read back after', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'triage-key-'));
      try {
        const a = await loadSecretKey({ dataDir, secretKey: undefined });
        expect(a).toHaveLength(32);
        expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
        expect((await loadSecretKey({ dataDir, secretKey: undefined })).equals(a)).toBe(true);
        const hex = randomBytes(32);
        expect((await loadSecretKey({ dataDir, secretKey: hex.toString('hex') })).equals(hex)).toBe(true);
        expect((await loadSecretKey({ dataDir, secretKey: hex.toString('base64') })).equals(hex)).toBe(true);
        await expect(loadSecretKey({ dataDir, secretKey: 'c2hvcnQ=' })).rejects.toThrow(/TRIAGE_SECRET_KEY/);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('seals with AES-256-GCM: another key or a changed byte cannot open it', () => {
      const key = randomBytes(32);
      const sealed = encryptSecret('hunter2', key);
      expect(sealed).toMatch(/^v1:/);
      expect(encryptSecret('hunter2', key)).not.toBe(sealed);
      expect(decryptSecret(sealed, key)).toBe('hunter2');
      expect(() => decryptSecret(sealed, randomBytes(32))).toThrow();
      const parts = sealed.split(':');
      const data = Buffer.from(parts[3], 'base64url');
      data[0] ^= 1;
      expect(() => decryptSecret([...parts.slice(0, 3), data.toString('base64url')].join(':'), key)).toThrow();
    });
  });
});
