/**
 * A real SMTP server (smtp-server) on 127.0.0.1 and a free port that keeps every delivered message
 * as raw bytes, for the outbound e-mail tests. `refuse(n)` makes the next n deliveries fail with a
 * 451 (temporary) so retries can be exercised.
 */
import { SMTPServer } from 'smtp-server';

export interface CapturedMessage {
  raw: Buffer;
  envelope: { from: string; to: string[] };
}

export interface SmtpCapture {
  port: number;
  /** smtp://127.0.0.1:<port> (plain SMTP, no TLS, no auth) */
  url: string;
  messages: CapturedMessage[];
  /** Resolves once at least n messages were captured; rejects after timeoutMs (default 5 s). */
  waitFor(n: number, timeoutMs?: number): Promise<CapturedMessage[]>;
  /** The next `n` DATA commands are answered 451 instead of being captured. */
  refuse(n: number): void;
  /** How many deliveries were refused so far. */
  refused(): number;
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMessage[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let toRefuse = 0;
  let refusedCount = 0;

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if (toRefuse > 0) {
          toRefuse--;
          refusedCount++;
          const err = new Error('Temporary failure, try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          callback(err);
          return;
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const to = session.envelope.rcptTo.map((r) => r.address);
        messages.push({ raw: Buffer.concat(chunks), envelope: { from, to } });
        for (const w of [...waiters]) {
          if (messages.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        }
        callback(null, 'Queued as test');
      });
    },
  });
  server.on('error', () => {
    /* client disconnects are not test failures */
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('smtp capture: no port');
  const port = address.port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(n, timeoutMs = 5_000) {
      if (messages.length >= n) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const w = { n, resolve: () => { clearTimeout(timer); resolve(messages); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`smtp capture: expected ${n} messages, got ${messages.length} after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    refuse(n) {
      toRefuse = n;
    },
    refused: () => refusedCount,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let rawSeq = 0;

/**
 * A raw RFC 5322 message for the e-mail tests (CRLF line ends). `messageId: null` leaves the
 * header out; `html` makes a multipart/alternative; `headers` are added as given.
 */
export function rawMessage(m: {
  from?: string | null;
  to?: string;
  cc?: string;
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
}): Buffer {
  const n = ++rawSeq;
  const lines: string[] = [];
  if (m.from !== null) lines.push(`From: ${m.from ?? 'Ann Customer <ann@customer.test>'}`);
  lines.push(`To: ${m.to ?? 'support@acme.test'}`);
  if (m.cc) lines.push(`Cc: ${m.cc}`);
  if (m.replyTo) lines.push(`Reply-To: ${m.replyTo}`);
  lines.push(`Subject: ${m.subject ?? `Question ${n}`}`);
  lines.push('Date: Mon, 05 Jan 2026 09:00:00 +0000');
  if (m.messageId !== null) lines.push(`Message-ID: <${m.messageId ?? `msg-${n}-${process.pid}-${Date.now()}@customer.test`}>`);
  if (m.inReplyTo) lines.push(`In-Reply-To: <${m.inReplyTo}>`);
  if (m.references?.length) lines.push(`References: ${m.references.map((r) => `<${r}>`).join(' ')}`);
  for (const [k, v] of Object.entries(m.headers ?? {})) lines.push(`${k}: ${v}`);
  lines.push('MIME-Version: 1.0');
  const text = m.text ?? `Hello, this is message ${n}.`;
  if (m.html) {
    const b = `b${n}x${Date.now()}`;
    lines.push(`Content-Type: multipart/alternative; boundary="${b}"`, '', `--${b}`, 'Content-Type: text/plain; charset=utf-8', '', text,
      `--${b}`, 'Content-Type: text/html; charset=utf-8', '', m.html, `--${b}--`, '');
  } else {
    lines.push('Content-Type: text/plain; charset=utf-8', '', text, '');
  }
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
