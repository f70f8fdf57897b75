/**
 * One IMAP poller per IMAP mailbox (`imapflow`): connect, open the folder, ingest every unseen
 * message, and only after its ingest resolved mark it \Seen — and, when the mailbox names a
 * `processedFolder`, move it there (created when missing). Then IDLE when the server offers it
 * (woken by a new message), or wait the poll interval, and do it again. Errors close the
 * connection and reconnect with backoff; a message whose ingest threw stays unseen, so the next
 * round takes it again. A message ingested but not yet marked seen (a crash between the two) is
 * fetched again after a restart; the per-mailbox dedupe (Message-ID, else content hash) turns that
 * second ingest into a `suppressed: duplicate` entry, so nothing is created twice.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from '../platform/logger.ts';
import { ingestMessage, type IngestDeps } from '../domain/email/ingest.ts';
import type { IngestOutcome } from '../domain/email/types.ts';

export interface ImapAccount {
  /** the mailbox's id */
  id: string;
  address: string;
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  /** the folder to read; INBOX when empty */
  folder?: string | null;
  /** where committed messages are moved (created when missing); unset: they stay, marked \Seen */
  processedFolder?: string | null;
}

export interface ImapPollerOptions {
  account: ImapAccount;
  deps: IngestDeps;
  logger: Logger;
  /** fallback poll interval when the server has no IDLE, and the longest one IDLE lasts, in ms */
  pollMs: number;
  /** first reconnect delay in ms (doubles up to `maxBackoffMs`) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** called after a message's ingest resolved and before it is marked \Seen or moved (observability, tests) */
  onIngested?: (info: { uid: number; outcome: IngestOutcome }) => void | Promise<void>;
}

export interface ImapPoller {
  account: ImapAccount;
  /** Stops after the message in hand is ingested and marked seen, then logs out. */
  close(): Promise<void>;
  /** Drops the connection at once, as a crash would: the message in hand is not marked seen. */
  kill(): Promise<void>;
}

const sleep = (ms: number, signal: { wake?: () => void }) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.wake = () => {
      clearTimeout(t);
      r();
    };
  });

/** Starts polling one mailbox in the background; never throws (errors are logged and retried). */
export function startImapPoller(opts: ImapPollerOptions): ImapPoller {
  const { account, deps, logger } = opts;
  const log = logger.child({ mailbox: account.address, imap: `${account.host}:${account.port}` });
  const folder = account.folder || 'INBOX';
  const processed = account.processedFolder || undefined;
  /** the processed folder is known to exist on this connection */
  let folderReady = false;
  const backoffStart = opts.backoffMs ?? 1_000;
  const maxBackoff = opts.maxBackoffMs ?? 60_000;
  let stopped = false;
  let killed = false;
  let client: ImapFlow | undefined;
  /** wakes whatever the loop is waiting on (IDLE wait, backoff sleep) */
  const waiter: { wake?: () => void } = {};

  async function syncUnseen(c: ImapFlow): Promise<number> {
    // UIDs first: an IMAP command issued inside a `for await (fetch)` loop deadlocks imapflow
    const found = await c.search({ seen: false }, { uid: true });
    const uids = (found || []).sort((a, b) => a - b);
    let done = 0;
    for (const uid of uids) {
      if (stopped) break;
      const msg = await c.fetchOne(String(uid), { source: true, flags: true }, { uid: true });
      if (!msg || !msg.source) continue; // expunged meanwhile
      if (msg.flags?.has('\\Seen')) continue; // another reader took it
      const outcome = await ingestMessage(deps, { raw: msg.source, mailboxId: account.id, transport: 'imap', envelopeTo: [account.address] });
      await opts.onIngested?.({ uid, outcome });
      if (killed) return done;
      await c.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
      // \Seen first: a crash before the move leaves a committed message read, never re-ingested
      if (processed) await moveProcessed(c, uid, processed);
      done++;
    }
    return done;
  }

  /** Moves a committed message to the processed folder, creating the folder first (once per connection). */
  async function moveProcessed(c: ImapFlow, uid: number, to: string): Promise<void> {
    if (!folderReady) folderReady = await ensureFolder(c, to);
    if (await c.messageMove(String(uid), to, { uid: true })) return;
    // the folder may have been deleted behind our back: create it again and retry once
    if ((await ensureFolder(c, to)) && (await c.messageMove(String(uid), to, { uid: true }))) return;
    // committed and \Seen already, so nothing is lost or ingested twice: it just stays where it is
    log.warn({ uid, folder: to }, 'imap: could not move a processed message; it stays, marked seen');
  }

  /** Creates the folder unless it exists; false (logged) when the server refuses and it is not there. */
  async function ensureFolder(c: ImapFlow, to: string): Promise<boolean> {
    try {
      // an existing folder answers ALREADYEXISTS, which imapflow reports as `created: false`
      await c.mailboxCreate(to);
      return true;
    } catch (err) {
      // some servers refuse to CREATE an existing folder without saying ALREADYEXISTS
      if ((await c.list()).some((f) => f.path === to)) return true;
      log.warn({ err, folder: to }, 'imap: could not create the processed folder');
      return false;
    }
  }

  /** One connection's life: sync, then IDLE (or wait) until something arrives, until stopped or broken. */
  async function session(): Promise<void> {
    const c = (client = new ImapFlow({
      host: account.host,
      port: account.port,
      secure: account.secure,
      auth: { user: account.user, pass: account.password },
      logger: false,
      disableAutoIdle: true,
      // the loop's own IDLE is ended after this, so a silent server is re-checked
      maxIdleTime: opts.pollMs,
    }));
    let broken: Error | undefined;
    c.on('error', (err: Error) => {
      broken = err;
      waiter.wake?.();
    });
    c.on('close', () => {
      broken ??= new Error('connection closed');
      waiter.wake?.();
    });
    // a message that arrives while a sync runs must not wait for the next poll
    let arrived = false;
    c.on('exists', () => {
      arrived = true;
      waiter.wake?.();
    });
    folderReady = false;
    await c.connect();
    await c.mailboxOpen(folder);
    let backoffReset = false;
    while (!stopped) {
      arrived = false;
      const n = await syncUnseen(c);
      if (n) log.debug({ ingested: n }, 'imap: messages ingested');
      if (!backoffReset) {
        backoff = backoffStart;
        backoffReset = true;
      }
      if (stopped || broken) break;
      if (arrived) continue;
      const wait = sleep(opts.pollMs, waiter);
      // the next command (search) ends IDLE by itself (imapflow breaks it before any command)
      if (c.capabilities.has('IDLE')) void c.idle().catch(() => undefined);
      await wait;
      if (broken) throw broken;
    }
  }

  let backoff = backoffStart;
  const loop = (async () => {
    while (!stopped) {
      try {
        await session();
      } catch (err) {
        if (stopped) break;
        log.warn({ err, retryInMs: backoff }, 'imap: session failed; reconnecting');
      }
      const c = client;
      client = undefined;
      if (c && !killed) {
        if (c.usable && stopped) await c.logout().catch(() => c.close());
        else c.close();
      }
      if (stopped) break;
      await sleep(backoff, waiter);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  })();

  return {
    account,
    async close() {
      stopped = true;
      waiter.wake?.();
      await loop;
    },
    async kill() {
      stopped = true;
      killed = true;
      client?.close();
      waiter.wake?.();
      await loop;
    },
  };
}
