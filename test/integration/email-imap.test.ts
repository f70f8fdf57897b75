/**
 * The IMAP poller against a real Dovecot on loopback: messages APPENDed to the INBOX become
 * tickets; a poller stopped mid-batch (even between a commit and its \Seen) and a new one started
 * lose nothing and double nothing; a message appended twice makes one ticket; a message appended
 * while the poller IDLEs is ingested within seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createMailbox, inboundLog, ingestDepsFor, startDovecot, waitUntil, type Dovecot } from '../helpers/mail-services.ts';
import { startImapPoller, type ImapAccount, type ImapPoller } from '../../src/mail/imap-poller.ts';
import { imapMailboxes } from '../../src/domain/email/mailboxes.ts';
import type { IngestDeps } from '../../src/domain/email/ingest.ts';

const silent = pino({ level: 'silent' });

let t: TestApp;
let dovecot: Dovecot;
let deps: IngestDeps;
let account: ImapAccount;
/** a second IMAP connection: the customer's side (APPEND) and our view of the flags */
let imap: ImapFlow;
let seq = 0;

function message(subject: string, messageId = `imap-${++seq}-${Date.now().toString(36)}@customer.test`, from = `buyer${seq}@customer.test`) {
  return {
    messageId,
    raw: [`From: Buyer <${from}>`, `To: ${dovecot.user}`, `Subject: ${subject}`, `Message-ID: <${messageId}>`, 'Date: Tue, 1 Sep 2026 10:00:00 +0000', '', `About: ${subject}.`, ''].join('\r\n'),
  };
}

/** UIDs in INBOX with and without \Seen. */
async function flags(): Promise<{ seen: number[]; unseen: number[] }> {
  const lock = await imap.getMailboxLock('INBOX');
  try {
    // Dovecot shows this session other sessions' flag changes only after a sync (NOOP)
    await imap.noop();
    const seen = ((await imap.search({ seen: true }, { uid: true })) || []).sort((a, b) => a - b);
    const unseen = ((await imap.search({ seen: false }, { uid: true })) || []).sort((a, b) => a - b);
    return { seen, unseen };
  } finally {
    lock.release();
  }
}

const logFor = async (ids: string[]) => (await inboundLog(t)).filter((e) => ids.includes(e.messageId!));

beforeAll(async () => {
  dovecot = await startDovecot();
  t = await createTestApp();
  deps = await ingestDepsFor(t);
  await createMailbox(t, {
    address: dovecot.user,
    name: 'IMAP support',
    inbound: { type: 'imap', host: dovecot.host, port: dovecot.port, secure: false, user: dovecot.user, password: dovecot.password },
  });
  // the account as the mail role reads it: the password decrypted from the database
  const accounts = await imapMailboxes(t.db, deps.secretKey);
  expect(accounts.map((a) => a.address)).toEqual([dovecot.user]);
  account = accounts[0]!;
  expect(account.password).toBe(dovecot.password);
  imap = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
  await imap.connect();
});

afterAll(async () => {
  await imap?.logout().catch(() => undefined);
  await t?.close();
  await dovecot?.stop();
});

describe('IMAP poller', () => {
  let poller: ImapPoller | undefined;

  it('turns unseen messages into tickets and marks them seen after the commit', async () => {
    const msgs = [message('Cannot print'), message('Invoice missing'), message('Password reset loop')];
    for (const m of msgs) await imap.append('INBOX', m.raw);
    const seenAtIngest: boolean[] = [];
    poller = startImapPoller({
      account, deps, logger: silent, pollMs: 30_000,
      // at the moment ingest resolved, Dovecot must still see the message as unseen
      onIngested: async ({ uid }) => {
        const { seen } = await flags();
        seenAtIngest.push(seen.includes(uid));
      },
    });
    await waitUntil('three seen messages', async () => (await flags()).seen.length >= 3);
    await poller.close();
    expect(seenAtIngest).toEqual([false, false, false]);
    const entries = await logFor(msgs.map((m) => m.messageId));
    expect(entries.map((e) => e.outcome).sort()).toEqual(['ticket_created', 'ticket_created', 'ticket_created']);
    const subjects = await Promise.all(entries.map(async (e) => (await t.request('GET', `/api/v1/tickets/${e.ticketId}`)).json().subject));
    expect(subjects.sort()).toEqual(['Cannot print', 'Invoice missing', 'Password reset loop']);
    expect((await flags()).unseen).toEqual([]);
  });

  it('loses nothing and doubles nothing when stopped mid-batch, even between a commit and its \\Seen', async () => {
    const msgs = Array.from({ length: 8 }, (_, i) => message(`Batch message ${i}`));
    for (const m of msgs) await imap.append('INBOX', m.raw);
    let count = 0;
    let killed: Promise<void> | undefined;
    const first: ImapPoller = startImapPoller({
      account, deps, logger: silent, pollMs: 30_000,
      onIngested: () => {
        // the third message is committed; the poller dies before it can set \Seen (a crash)
        if (++count === 3) killed = first.kill();
      },
    });
    await waitUntil('the first poller to die', async () => killed !== undefined);
    await killed;
    const mid = await flags();
    const midEntries = await logFor(msgs.map((m) => m.messageId));
    expect(midEntries.length).toBe(3);
    // two marked seen; the third committed but unseen; five untouched
    expect(mid.unseen.length).toBe(6);

    let second = 0;
    poller = startImapPoller({ account, deps, logger: silent, pollMs: 30_000, onIngested: () => void second++ });
    await waitUntil('every message seen', async () => (await flags()).unseen.length === 0);
    await poller.close();
    expect(second).toBe(6);
    const entries = await logFor(msgs.map((m) => m.messageId));
    const created = entries.filter((e) => e.outcome === 'ticket_created');
    // every message exactly one ticket; the re-fetched third one is a recorded duplicate
    expect(created.map((e) => e.messageId).sort()).toEqual(msgs.map((m) => m.messageId).sort());
    expect(new Set(created.map((e) => e.ticketId)).size).toBe(8);
    expect(entries.filter((e) => e.outcome === 'suppressed').map((e) => e.reason)).toEqual(['duplicate']);
  });

  it('makes one ticket of a message appended twice', async () => {
    const m = message('Appended twice');
    await imap.append('INBOX', m.raw);
    await imap.append('INBOX', m.raw);
    poller = startImapPoller({ account, deps, logger: silent, pollMs: 30_000 });
    await waitUntil('both copies seen', async () => (await flags()).unseen.length === 0);
    await poller.close();
    const entries = await logFor([m.messageId]);
    expect(entries.map((e) => e.outcome).sort()).toEqual(['suppressed', 'ticket_created']);
    expect(entries.find((e) => e.outcome === 'suppressed')!.reason).toBe('duplicate');
  });

  it('ingests a message appended while it IDLEs within a few seconds (poll interval 10 minutes)', async () => {
    poller = startImapPoller({ account, deps, logger: silent, pollMs: 600_000 });
    // let it finish its first (empty) sync and enter IDLE
    await new Promise((r) => setTimeout(r, 1_000));
    const m = message('Arrived during IDLE');
    await imap.append('INBOX', m.raw);
    const ms = await waitUntil('the IDLE message', async () => (await logFor([m.messageId])).length === 1, 10_000);
    await poller.close();
    expect(ms).toBeLessThan(5_000);
    expect((await logFor([m.messageId]))[0]!.outcome).toBe('ticket_created');
  });

  it('close() is prompt while it backs off from an unreachable server', async () => {
    const unreachable = { ...account, port: 1 };
    const p = startImapPoller({ account: unreachable, deps, logger: silent, pollMs: 30_000, backoffMs: 50, maxBackoffMs: 200 });
    await new Promise((r) => setTimeout(r, 500));
    // close() returns promptly even while the poller is backing off
    const started = Date.now();
    await p.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
