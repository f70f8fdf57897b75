/**
 * The inbound SMTP listener (`smtp-server`): an MX-like endpoint for the mailbox addresses Triage
 * owns. It asks for no authentication; it offers STARTTLS only when given a key and certificate
 * (SMTP_TLS_KEY, SMTP_TLS_CERT), and with `requireTls` refuses MAIL FROM with 530 until the client
 * has upgraded. The one promise it makes to the sending MTA: 250 after DATA means the message is
 * committed (as a ticket, a comment, a suppressed/suspended entry, or a stored failure for replay);
 * anything else is a 4xx (retry later) or a 5xx (do not retry).
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../platform/logger.ts';
import { ingestMessage, type IngestDeps } from '../domain/email/ingest.ts';
import { mailboxForRecipient } from '../domain/email/mailboxes.ts';
import type { IngestOutcome } from '../domain/email/types.ts';

export interface SmtpListenerOptions {
  host: string;
  /** 0 picks a free port (tests) */
  port: number;
  /** largest message in bytes; larger ones get 552 */
  maxBytes: number;
  deps: IngestDeps;
  logger: Logger;
  /** the name in the greeting and EHLO reply */
  name?: string;
  /** PEM key and certificate chain: STARTTLS is offered (else it is not, and refused as a command) */
  tls?: { key: Buffer | string; cert: Buffer | string };
  /** refuse MAIL FROM (530) on a connection that has not issued STARTTLS; needs `tls` */
  requireTls?: boolean;
}

export interface SmtpListener {
  port: number;
  /** Stops accepting, lets in-flight messages finish (and get their 250), then closes idle connections. */
  close(): Promise<void>;
}

/** An SMTP reply carried by an Error, as smtp-server expects it. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * Starts the listener. RCPT TO is accepted only for a mailbox address (or its `+token` form),
 * else 550; DATA is buffered up to `maxBytes` and ingested once per distinct mailbox among the
 * recipients (dedupe is per mailbox, so each mailbox gets its own ticket — as if each had received
 * its own copy); 250 only when every ingest resolved, 451 when any threw (the database is
 * unreachable: the sender retries later, and the per-mailbox dedupe absorbs the repeat).
 */
export async function startSmtpListener(opts: SmtpListenerOptions): Promise<SmtpListener> {
  const { deps, logger } = opts;
  /** recipient address (lower case) → mailbox id, per connection; sessions live as long as their connection */
  const resolved = new WeakMap<SMTPServerSession, Map<string, string>>();
  const inflight = new Set<Promise<unknown>>();

  if (opts.requireTls && !opts.tls) throw new Error('requireTls needs a TLS key and certificate');
  const server = new SMTPServer({
    name: opts.name,
    banner: 'Triage',
    authOptional: true,
    // without a key smtp-server would offer STARTTLS with its own built-in self-signed certificate
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    size: opts.maxBytes,
    logger: false,
    // a client that just sent QUIT-less idles is cut after this; DATA of large messages is not affected
    socketTimeout: 60_000,

    onMailFrom(_address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      if (opts.requireTls && !session.secure) return callback(smtpError(530, '5.7.0 Must issue a STARTTLS command first'));
      callback();
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const rcpt = address.address.trim().toLowerCase();
      mailboxForRecipient(deps.db, rcpt).then(
        (mailbox) => {
          if (!mailbox) return callback(smtpError(550, `5.1.1 <${rcpt}>: no such mailbox here`));
          let map = resolved.get(session);
          if (!map) resolved.set(session, (map = new Map()));
          map.set(rcpt, mailbox.id);
          callback();
        },
        (err: Error) => {
          logger.error({ err, rcpt }, 'smtp: recipient lookup failed');
          callback(smtpError(451, '4.3.0 temporary failure, try again later'));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      // registered now, not at the end of DATA, so that close() also waits for a message still arriving
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      inflight.add(finished);
      finished.then(() => inflight.delete(finished));
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        // keep reading an oversize message to its end (smtp-server answers 552) but stop holding it
        if (bytes <= opts.maxBytes) chunks.push(chunk);
      });
      stream.on('error', () => done());
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          done();
          return callback(smtpError(552, `5.3.4 message exceeds the fixed maximum size of ${opts.maxBytes} bytes`));
        }
        const raw = Buffer.concat(chunks);
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const recipients = session.envelope.rcptTo.map((r) => r.address.trim().toLowerCase());
        const byMailbox = new Map<string, string[]>();
        const map = resolved.get(session);
        for (const rcpt of recipients) {
          const id = map?.get(rcpt);
          if (id) byMailbox.set(id, [...(byMailbox.get(id) ?? []), rcpt]);
        }
        deliver(raw, envelopeFrom, byMailbox)
          .then(
            (outcomes) => callback(null, `2.0.0 OK: ${outcomes.map((o) => o.outcome).join(', ')}`),
            (err: Error) => {
              logger.error({ err, envelopeFrom, recipients }, 'smtp: message could not be stored; answered 451');
              callback(smtpError(451, '4.3.0 temporary failure, try again later'));
            },
          )
          .finally(done);
      });
    },
  });

  /** Ingests one message for each mailbox among its recipients, one after the other. */
  async function deliver(raw: Buffer, envelopeFrom: string, byMailbox: Map<string, string[]>): Promise<IngestOutcome[]> {
    const outcomes: IngestOutcome[] = [];
    for (const [mailboxId, envelopeTo] of byMailbox) {
      outcomes.push(await ingestMessage(deps, { raw, mailboxId, transport: 'smtp', envelopeFrom, envelopeTo }));
    }
    return outcomes;
  }

  server.on('error', (err) => logger.warn({ err }, 'smtp: connection error'));

  await new Promise<void>((resolveListen, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.server.address() as { port: number }).port;

  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= (async () => {
        // stop accepting; new commands on open connections get 421 from now on
        const closed = new Promise<void>((r) => server.close(() => r()));
        while (inflight.size) await Promise.allSettled([...inflight]);
        // what is left is idle (or a client mid-transaction without DATA): nothing was promised to it
        for (const connection of server.connections) {
          connection.send(421, '4.3.2 Triage is shutting down');
          connection.close();
        }
        await closed;
      })()),
  };
}
