/**
 * The `mail` role: the inbound SMTP listener (when SMTP_PORT is set) and one IMAP poller per
 * active IMAP mailbox. The list of IMAP mailboxes is re-read every IMAP_POLL_SECONDS, so a mailbox
 * added, changed or deactivated through the API is picked up without a restart.
 */
import { readFile } from 'node:fs/promises';
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { Jobs } from '../jobs/queue.ts';
import { attachmentStore, type FileStore } from '../platform/storage.ts';
import { loadSecretKey } from '../platform/crypto.ts';
import type { IngestDeps } from '../domain/email/ingest.ts';
import { imapMailboxes } from '../domain/email/mailboxes.ts';
import { publicBaseUrl } from '../domain/email/acknowledge.ts';
import { startSmtpListener, type SmtpListener } from './smtp-listener.ts';
import { startImapPoller, type ImapAccount, type ImapPoller } from './imap-poller.ts';

export interface MailDeps {
  db: Db;
  clock: Clock;
  jobs?: Jobs;
  config: Config;
  logger: Logger;
  /** defaults to the attachment store of `config` */
  store?: FileStore;
  /** defaults to the key `config` names */
  secretKey?: Buffer;
}

export interface RunningMail {
  /** the SMTP listener's port, when it runs */
  smtpPort?: number;
  /** re-reads the IMAP mailboxes now (also done every IMAP_POLL_SECONDS) */
  refresh(): Promise<void>;
  /** Stops accepting mail, lets in-flight messages commit, stops the pollers. */
  close(): Promise<void>;
}

/** Starts the mail role. Fails if the SMTP port cannot be bound; IMAP problems are logged and retried. */
export async function startMail(deps: MailDeps): Promise<RunningMail> {
  const { config, logger } = deps;
  const log = logger.child({ role: 'mail' });
  const ingest: IngestDeps = {
    db: deps.db,
    clock: deps.clock,
    jobs: deps.jobs,
    store: deps.store ?? attachmentStore(config),
    secretKey: deps.secretKey ?? (await loadSecretKey(config)),
    spamdUrl: config.spamdUrl,
    publicUrl: publicBaseUrl(config),
    log,
  };

  let smtp: SmtpListener | undefined;
  if (config.smtpPort !== undefined) {
    // unreadable key or certificate files fail the start, like a port that cannot be bound
    const tls = config.smtpTlsKey && config.smtpTlsCert
      ? { key: await readFile(config.smtpTlsKey), cert: await readFile(config.smtpTlsCert) }
      : undefined;
    smtp = await startSmtpListener({
      host: config.smtpHost, port: config.smtpPort, maxBytes: config.smtpMaxBytes, deps: ingest, logger: log, tls, requireTls: config.smtpRequireTls,
    });
    log.info({ host: config.smtpHost, port: smtp.port, maxBytes: config.smtpMaxBytes, starttls: !!tls, requireTls: config.smtpRequireTls }, 'SMTP listener started');
  }

  const pollers = new Map<string, { poller: ImapPoller; key: string }>();
  const pollMs = config.imapPollSeconds * 1000;
  let closed = false;

  /** Starts pollers for new mailboxes, restarts changed ones, stops removed ones. */
  async function refresh(): Promise<void> {
    let accounts: ImapAccount[];
    try {
      accounts = await imapMailboxes(deps.db, ingest.secretKey);
    } catch (err) {
      log.warn({ err }, 'imap: could not read the IMAP mailboxes; keeping the current pollers');
      return;
    }
    if (closed) return;
    const wanted = new Map(accounts.map((a) => [a.id, a]));
    const stopping: Promise<void>[] = [];
    for (const [id, { poller, key }] of pollers) {
      const account = wanted.get(id);
      if (!account || JSON.stringify(account) !== key) {
        pollers.delete(id);
        stopping.push(poller.close());
      }
    }
    await Promise.all(stopping);
    for (const account of accounts) {
      if (pollers.has(account.id) || closed) continue;
      pollers.set(account.id, { poller: startImapPoller({ account, deps: ingest, logger: log, pollMs }), key: JSON.stringify(account) });
      log.info({ mailbox: account.address, host: account.host, folder: account.folder || 'INBOX' }, 'IMAP poller started');
    }
  }

  await refresh();
  let refreshing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = refreshing.then(refresh);
  }, pollMs);
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    smtpPort: smtp?.port,
    refresh: () => (refreshing = refreshing.then(refresh)),
    close: () =>
      (closing ??= (async () => {
        closed = true;
        clearInterval(timer);
        await refreshing;
        await Promise.all([smtp?.close(), ...[...pollers.values()].map((p) => p.poller.close())]);
        pollers.clear();
      })()),
  };
}
