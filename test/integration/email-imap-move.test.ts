/**
 * IMAP mailboxes with a `processedFolder`, against a real Dovecot on loopback: a committed message
 * is marked seen and moved out of the INBOX into that folder (created when missing); a poller
 * killed between a commit and the move creates nothing twice after a restart; a message whose
 * ingest cannot be committed stays unseen in the INBOX and is taken once the database is back.
 * The setting is validated by the mailbox API and echoed by it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectProblem } from '../helpers/problems.ts';
import { createMailbox, inboundLog, ingestDepsFor, startDovecot, waitUntil, type Dovecot } from '../helpers/mail-services.ts';
import { startImapPoller, type ImapAccount, type ImapPoller } from '../../src/mail/imap-poller.ts';
import { imapMailboxes } from '../../src/domain/email/mailboxes.ts';
import type { IngestDeps } from '../../src/domain/email/ingest.ts';
import type { Db } from '../../src/db/client.ts';

const silent = pino({ level: 'silent' });
const PROCESSED = 'Processed';

let t: TestApp;
let dovecot: Dovecot;
let deps: IngestDeps;
let account: ImapAccount;
let mailboxId: string;
/** the customer's side (APPEND) and our view of both folders */
let imap: ImapFlow;
let seq = 0;

function message(subject: string) {
  const messageId = `imap-move-${++seq}-${Date.now().toString(36)}@customer.test`;
  return {
    messageId,
    raw: [`From: Buyer <buyer${seq}@customer.test>`, `To: ${dovecot.user}`, `Subject: ${subject}`, `Message-ID: <${messageId}>`,
      'Date: Tue, 1 Sep 2026 10:00:00 +0000', '', `About: ${subject}.`, ''].join('\r\n'),
  };
}

/** The Message-IDs in a folder, each with whether it is \Seen ([] when the folder does not exist). */
async function folderContents(path: string): Promise<{ messageId: string; seen: boolean }[]> {
  const exists = (await imap.list()).some((f) => f.path === path);
  if (!exists) return [];
  const lock = await imap.getMailboxLock(path);
  try {
    // Dovecot shows this session other sessions' changes only after a sync (NOOP)
    await imap.noop();
    const out: { messageId: string; seen: boolean }[] = [];
    if (!(imap.mailbox && imap.mailbox.exists)) return out;
    for await (const m of imap.fetch('1:*', { envelope: true, flags: true })) {
      out.push({ messageId: (m.envelope?.messageId ?? '').replace(/^<|>$/g, ''), seen: m.flags?.has('\\Seen') ?? false });
    }
    return out;
  } finally {
    lock.release();
  }
}

const ids = (list: { messageId: string }[]) => list.map((m) => m.messageId).sort();

const logFor = async (messageIds: string[]) => (await inboundLog(t)).filter((e) => messageIds.includes(e.messageId!));

beforeAll(async () => {
  dovecot = await startDovecot();
  t = await createTestApp();
  deps = await ingestDepsFor(t);
  mailboxId = await createMailbox(t, {
    address: dovecot.user,
    name: 'IMAP support',
    inbound: { type: 'imap', host: dovecot.host, port: dovecot.port, secure: false, user: dovecot.user, password: dovecot.password, processedFolder: PROCESSED },
  });
  const accounts = await imapMailboxes(t.db, deps.secretKey);
  account = accounts.find((a) => a.id === mailboxId)!;
  imap = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
  await imap.connect();
});

afterAll(async () => {
  await imap?.logout().catch(() => undefined);
  await t?.close();
  await dovecot?.stop();
});

describe('IMAP processed folder: the mailbox setting', () => {
  it('is echoed by GET and handed to the poller', async () => {
    const got = (await t.request('GET', `/api/v1/mailboxes/${mailboxId}`)).json();
    expect(got.inbound).toMatchObject({ type: 'imap', folder: 'INBOX', processedFolder: PROCESSED, hasPassword: true });
    expect(account).toMatchObject({ folder: 'INBOX', processedFolder: PROCESSED });
  });

  it('is null when not set, and removed by a PATCH of inbound without it', async () => {
    const inbound = { type: 'imap', host: '127.0.0.1', port: 1143, secure: false, user: 'u@x.test', password: 'pw' };
    const id = await createMailbox(t, { address: `plain${Date.now()}@triage.test`, inbound });
    expect((await t.request('GET', `/api/v1/mailboxes/${id}`)).json().inbound.processedFolder).toBeNull();
    const set = await t.request('PATCH', `/api/v1/mailboxes/${id}`, { body: { inbound: { ...inbound, processedFolder: 'Done' } } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().inbound.processedFolder).toBe('Done');
    const unset = await t.request('PATCH', `/api/v1/mailboxes/${id}`, { body: { inbound } });
    expect(unset.json().inbound.processedFolder).toBeNull();
    expect((await t.request('DELETE', `/api/v1/mailboxes/${id}`)).statusCode).toBe(204);
  });

  it('refuses a processed folder equal to the folder read, empty, or with wildcards, naming the field', async () => {
    const base = { type: 'imap', host: '127.0.0.1', port: 1143, secure: false, user: 'u@x.test', password: 'pw' };
    const cases: Record<string, unknown>[] = [
      { ...base, processedFolder: 'inbox' },
      { ...base, folder: 'Support', processedFolder: 'Support' },
      { ...base, processedFolder: '' },
      { ...base, processedFolder: 'Done*' },
      { ...base, processedFolder: 'Line\nbreak' },
    ];
    for (const inbound of cases) {
      const p = expectProblem(await t.request('POST', '/api/v1/mailboxes', { body: { address: `bad${++seq}@triage.test`, name: 'Bad', inbound } }), 400);
      expect(p.errors.map((e: { path: string }) => e.path), JSON.stringify(inbound)).toContain('inbound.processedFolder');
    }
    const patched = expectProblem(await t.request('PATCH', `/api/v1/mailboxes/${mailboxId}`, { body: { inbound: { ...base, processedFolder: 'INBOX' } } }), 400);
    expect(patched.errors.map((e: { path: string }) => e.path)).toContain('inbound.processedFolder');
    // the refused PATCH changed nothing
    expect((await t.request('GET', `/api/v1/mailboxes/${mailboxId}`)).json().inbound.processedFolder).toBe(PROCESSED);
  });
});

describe('IMAP processed folder: the poller', () => {
  it('moves each message after its commit into the folder it creates; the INBOX ends empty', async () => {
    expect((await imap.list()).map((f) => f.path)).not.toContain(PROCESSED);
    const msgs = [message('Cannot print'), message('Invoice missing'), message('Password reset loop')];
    for (const m of msgs) await imap.append('INBOX', m.raw);
    const inInboxAtIngest: boolean[] = [];
    const poller = startImapPoller({
      account, deps, logger: silent, pollMs: 30_000,
      // when ingest resolved, the message is still in the INBOX, unseen
      onIngested: async () => {
        const inbox = await folderContents('INBOX');
        inInboxAtIngest.push(inbox.some((m) => !m.seen && msgs.some((x) => x.messageId === m.messageId)));
      },
    });
    await waitUntil('the INBOX to empty', async () => (await folderContents('INBOX')).length === 0);
    await poller.close();
    expect(inInboxAtIngest).toEqual([true, true, true]);
    const processed = await folderContents(PROCESSED);
    expect(ids(processed)).toEqual(ids(msgs));
    expect(processed.every((m) => m.seen)).toBe(true);
    const entries = await logFor(msgs.map((m) => m.messageId));
    expect(entries.map((e) => e.outcome)).toEqual(['ticket_created', 'ticket_created', 'ticket_created']);
    expect(new Set(entries.map((e) => e.ticketId)).size).toBe(3);
  });

  it('creates nothing twice when killed between a commit and the move; the restart moves what is left', async () => {
    const msgs = Array.from({ length: 5 }, (_, i) => message(`Batch message ${i}`));
    for (const m of msgs) await imap.append('INBOX', m.raw);
    let count = 0;
    let killed: Promise<void> | undefined;
    const first: ImapPoller = startImapPoller({
      account, deps, logger: silent, pollMs: 30_000,
      onIngested: () => {
        // the second message is committed; the poller dies before \Seen and the move
        if (++count === 2) killed = first.kill();
      },
    });
    await waitUntil('the first poller to die', async () => killed !== undefined);
    await killed;
    const inbox = await folderContents('INBOX');
    // one moved; the committed second and three untouched wait in the INBOX, unseen
    expect(inbox.length).toBe(4);
    expect(inbox.every((m) => !m.seen)).toBe(true);

    const second = startImapPoller({ account, deps, logger: silent, pollMs: 30_000 });
    await waitUntil('the INBOX to empty', async () => (await folderContents('INBOX')).length === 0);
    await second.close();
    expect(ids(await folderContents(PROCESSED))).toEqual(expect.arrayContaining(ids(msgs)));
    const entries = await logFor(msgs.map((m) => m.messageId));
    const created = entries.filter((e) => e.outcome === 'ticket_created');
    expect(ids(created.map((e) => ({ messageId: e.messageId! })))).toEqual(ids(msgs));
    expect(entries.filter((e) => e.outcome === 'suppressed').map((e) => e.reason)).toEqual(['duplicate']);
  });

  it('leaves a message whose commit fails unseen in the INBOX, then takes it once the database is back', async () => {
    const m = message('Database is down');
    await imap.append('INBOX', m.raw);
    let attempts = 0;
    const down = () => Promise.reject(new Error('database unreachable'));
    // every statement fails, so even the dead-letter row cannot be written and ingest throws
    const brokenDb: Db = {
      kind: t.db.kind, inTransaction: false, exec: down, close: down, enableConfigCache: down,
      query: () => {
        attempts++;
        return down();
      },
      transaction: () => {
        attempts++;
        return down();
      },
      cached: () => {
        attempts++;
        return down();
      },
    };
    const failing = startImapPoller({ account, deps: { ...deps, db: brokenDb }, logger: silent, pollMs: 30_000, backoffMs: 50, maxBackoffMs: 100 });
    // several sessions: each fetched the message, failed to commit it, reconnected
    await waitUntil('repeated ingest attempts', async () => attempts >= 6);
    await failing.close();
    const inbox = await folderContents('INBOX');
    expect(inbox).toEqual([{ messageId: m.messageId, seen: false }]);
    expect(ids(await folderContents(PROCESSED))).not.toContain(m.messageId);
    expect(await logFor([m.messageId])).toEqual([]);

    const healthy = startImapPoller({ account, deps, logger: silent, pollMs: 30_000 });
    await waitUntil('the INBOX to empty', async () => (await folderContents('INBOX')).length === 0);
    await healthy.close();
    expect(ids(await folderContents(PROCESSED))).toContain(m.messageId);
    expect((await logFor([m.messageId])).map((e) => e.outcome)).toEqual(['ticket_created']);
  });

  it('moves into the folder again after someone deleted it while the poller ran', async () => {
    const a = message('Before the delete');
    await imap.append('INBOX', a.raw);
    const poller = startImapPoller({ account, deps, logger: silent, pollMs: 500 });
    await waitUntil('the first move', async () => (await folderContents('INBOX')).length === 0);
    await imap.mailboxDelete(PROCESSED);
    expect((await imap.list()).map((f) => f.path)).not.toContain(PROCESSED);
    const b = message('After the delete');
    await imap.append('INBOX', b.raw);
    await waitUntil('the second move', async () => (await folderContents('INBOX')).length === 0);
    await poller.close();
    expect(ids(await folderContents(PROCESSED))).toEqual([b.messageId]);
    expect((await logFor([a.messageId, b.messageId])).map((e) => e.outcome)).toEqual(['ticket_created', 'ticket_created']);
  });
});
