/**
 * Spam against a real spamd (SpamAssassin with the rules Debian ships): every corpus message goes
 * through ingest with SPAMD_URL set, and the outcome is compared with spamd's own verdict, asked
 * directly with checkSpam. Every message spamd flags ends `suspended` (no ticket, no
 * acknowledgement); nothing spamd passes is suspended unless it carries an upstream spam verdict
 * header (X-Spam-Flag / X-Spam-Status), which ingest honours on its own. Releasing a suspended
 * message creates its ticket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createMailbox, inboundLog, ingestDepsFor, startSpamd, type Spamd } from '../helpers/mail-services.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { corpus, type CorpusEntry } from '../helpers/corpus.ts';
import { checkSpam, parseSpamdReply, type SpamVerdict } from '../../src/platform/spamd.ts';
import { ingestMessage, type IngestDeps } from '../../src/domain/email/ingest.ts';
import type { IngestOutcome } from '../../src/domain/email/types.ts';

let spamd: Spamd;
let capture: SmtpCapture;
let t: TestApp;
let deps: IngestDeps;
let mailboxId: string;

interface Result {
  entry: CorpusEntry;
  verdict: SpamVerdict;
  outcome: IngestOutcome;
  upstreamFlag: boolean;
}
const results: Result[] = [];

/** The header section only: an upstream verdict is a header, not words in a body. */
function upstreamSpamHeader(raw: Buffer): boolean {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  return /^X-Spam-Flag:\s*YES/im.test(head) || /^X-Spam-Status:\s*Yes/im.test(head);
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

beforeAll(async () => {
  [spamd, capture] = await Promise.all([startSpamd({ children: 3 }), startSmtpCapture()]);
  t = await createTestApp({ config: { smtpOutboundUrl: capture.url } });
  deps = await ingestDepsFor(t, { spamdUrl: spamd.url });
  mailboxId = await createMailbox(t, { address: 'support@acme.test', name: 'Acme support', autoAcknowledge: true });
  const ack = await t.request('POST', '/api/v1/auto-responses', {
    body: { name: 'We got it', subject: 'Re: {{ ticket.subject }} [#{{ ticket.number }}]', body: 'Hello {{ requester.name }}, we received your message.', isActive: true },
  });
  expect(ack.statusCode, ack.body).toBe(201);
}, 180_000);

afterAll(async () => {
  await t?.close();
  await Promise.all([spamd?.stop(), capture?.close()]);
});

describe('spamd', () => {
  it('parses spamd replies and refuses what is not one', () => {
    expect(parseSpamdReply('SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; 15.3 / 5.0\r\n\r\n')).toEqual({ isSpam: true, score: 15.3, threshold: 5 });
    expect(parseSpamdReply('SPAMD/1.1 0 EX_OK\r\nSpam: False ; -1.2 / 7.5\r\n\r\n')).toEqual({ isSpam: false, score: -1.2, threshold: 7.5 });
    expect(() => parseSpamdReply('SPAMD/1.0 76 Bad header line: x\r\n')).toThrow(/76/);
    expect(() => parseSpamdReply('HTTP/1.1 200 OK\r\n')).toThrow();
  });

  it('throws when spamd is unreachable, and on a timeout', async () => {
    await expect(checkSpam('spamd://127.0.0.1:1', Buffer.from('Subject: x\r\n\r\nx\r\n'))).rejects.toThrow(/127\.0\.0\.1:1/);
    // the capture server speaks SMTP, not SPAMD: it never answers the CHECK request
    await expect(checkSpam(`spamd://127.0.0.1:${capture.port}`, Buffer.from('Subject: x\r\n\r\nx\r\n'), { timeoutMs: 500 })).rejects.toThrow();
  });

  it('suspends exactly what spamd flags across the whole corpus', async () => {
    const entries = corpus();
    await pool(entries, 3, async (entry) => {
      const raw = entry.raw();
      const verdict = await checkSpam(spamd.url, raw);
      const outcome = await ingestMessage(deps, { raw, mailboxId, transport: 'smtp' });
      results.push({ entry, verdict, outcome, upstreamFlag: upstreamSpamHeader(raw) });
    });
    expect(results.length).toBe(entries.length);
    const flagged = results.filter((r) => r.verdict.isSpam);
    // the stock rules flag a good part of the corpus (the classic spam scores far above 5)
    expect(flagged.length).toBeGreaterThan(15);
    // every message spamd flags ends suspended (a corpus message delivered twice — same
    // Message-ID — is a recorded duplicate the second time)
    const flaggedNotSuspended = flagged
      .filter((r) => r.outcome.outcome !== 'suspended' && !(r.outcome.outcome === 'suppressed' && r.outcome.reason === 'duplicate'))
      .map((r) => `${r.entry.file}: ${r.outcome.outcome}${'reason' in r.outcome ? ` (${r.outcome.reason})` : ''}, spamd ${r.verdict.score} / ${r.verdict.threshold}`);
    expect(flaggedNotSuspended).toEqual([]);
    // nothing spamd passes is suspended, unless an upstream verdict header says spam
    const passedButSuspended = results
      .filter((r) => !r.verdict.isSpam && r.outcome.outcome === 'suspended' && !r.upstreamFlag)
      .map((r) => `${r.entry.file}: spamd ${r.verdict.score} / ${r.verdict.threshold}`);
    expect(passedButSuspended).toEqual([]);
    // no suspended message opened a ticket
    const log = await inboundLog(t, 500);
    for (const e of log.filter((l) => l.outcome === 'suspended')) expect(e.ticketId).toBeNull();
  }, 180_000);

  it('acknowledges no suspended message', async () => {
    await t.runJobs();
    const suspendedSenders = new Set(
      (await inboundLog(t, 500)).filter((e) => e.outcome === 'suspended' && e.from).map((e) => e.from!.toLowerCase()),
    );
    expect(suspendedSenders.size).toBeGreaterThan(0);
    const ticketSenders = new Set((await inboundLog(t, 500)).filter((e) => e.outcome === 'ticket_created' && e.from).map((e) => e.from!.toLowerCase()));
    // acknowledgements went out (the check is not vacuous) …
    expect(capture.messages.length).toBeGreaterThan(0);
    for (const m of capture.messages) {
      for (const to of m.envelope.to) {
        // … but never to a sender whose only mail here was suspended
        if (!ticketSenders.has(to.toLowerCase())) expect(suspendedSenders.has(to.toLowerCase()), to).toBe(false);
      }
    }
  });

  it('releasing a suspended message creates its ticket', async () => {
    // a message that would open a ticket were it not for spamd (released, it skips the spam check)
    const suspended = results.find((r) => r.outcome.outcome === 'suspended' && r.entry.expected === 'yes' && !r.upstreamFlag)
      ?? results.find((r) => r.outcome.outcome === 'suspended' && r.entry.expected === 'unknown' && !r.upstreamFlag);
    expect(suspended).toBeDefined();
    const id = (suspended!.outcome as Extract<IngestOutcome, { outcome: 'suspended' }>).suspendedId;
    const items: { id: string }[] = (await t.request('GET', '/api/v1/admin/suspended?limit=500')).json().messages;
    expect(items.map((i) => i.id)).toContain(id);
    const res = await t.request('POST', `/api/v1/admin/suspended/${id}/release`);
    expect(res.statusCode, res.body).toBe(200);
    const released = res.json();
    expect(released.outcome).toBe('ticket_created');
    const ticketId = released.ticketId;
    const ticket = await t.request('GET', `/api/v1/tickets/${ticketId}`);
    expect(ticket.statusCode).toBe(200);
    expect(ticket.json().source).toBe('email');
    const left: { id: string }[] = (await t.request('GET', '/api/v1/admin/suspended?limit=500')).json().messages;
    expect(left.map((i) => i.id)).not.toContain(id);
  });
});
