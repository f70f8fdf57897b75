import { connect } from 'node:net';

/** spamd's verdict on one message: its own decision and the threshold it used. */
export interface SpamVerdict {
  isSpam: boolean;
  score: number;
  threshold: number;
}

/** SPAMD_URL: `spamd://host:port` (port defaults to spamd's 783). */
export function parseSpamdUrl(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`SPAMD_URL must look like spamd://host:port, got "${url}"`);
  }
  if (parsed.protocol !== 'spamd:' || !parsed.hostname) {
    throw new Error(`SPAMD_URL must look like spamd://host:port, got "${url}"`);
  }
  // URL keeps IPv6 literals in brackets; net.connect wants them bare
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port ? Number(parsed.port) : 783 };
}

/**
 * Asks SpamAssassin's spamd about one message (SPAMC/1.5 `CHECK`), honouring spamd's own verdict
 * and threshold. Throws on connection errors, a timeout (default 30 s) or a spamd error reply —
 * the caller decides what an unavailable spam checker means.
 */
export function checkSpam(url: string, raw: Buffer, opts: { timeoutMs?: number } = {}): Promise<SpamVerdict> {
  const { host, port } = parseSpamdUrl(url);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<SpamVerdict>((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host, port });
    const finish = (err: Error | undefined, verdict?: SpamVerdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolvePromise(verdict!);
    };
    const timer = setTimeout(() => finish(new Error(`spamd at ${host}:${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => {
      const head = `CHECK SPAMC/1.5\r\nContent-length: ${raw.length}\r\n\r\n`;
      socket.write(head);
      // half-close after the body: spamd reads to Content-length, older versions to EOF
      socket.end(raw);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (err) => finish(new Error(`spamd at ${host}:${port}: ${err.message}`)));
    socket.on('close', () => {
      if (settled) return;
      try {
        finish(undefined, parseSpamdReply(Buffer.concat(chunks).toString('latin1')));
      } catch (err) {
        finish(err as Error);
      }
    });
  });
}

/**
 * Parses spamd's reply to CHECK: `SPAMD/1.1 0 EX_OK` then `Spam: True ; 15.3 / 5.0`.
 * A non-zero status (e.g. `76 Bad header line`) or a missing Spam header is an error.
 */
export function parseSpamdReply(reply: string): SpamVerdict {
  const [statusLine = '', ...lines] = reply.split(/\r?\n/);
  const status = /^SPAMD\/\d+\.\d+\s+(\d+)\s*(.*)$/.exec(statusLine.trim());
  if (!status) throw new Error(`spamd answered something unexpected: "${statusLine.slice(0, 100)}"`);
  if (status[1] !== '0') throw new Error(`spamd refused the message: ${status[1]} ${status[2]}`);
  for (const line of lines) {
    const m = /^Spam:\s*(True|False|Yes|No)\s*;\s*(-?[\d.]+)\s*\/\s*(-?[\d.]+)/i.exec(line.trim());
    if (m) {
      const word = m[1]!.toLowerCase();
      return { isSpam: word === 'true' || word === 'yes', score: Number(m[2]), threshold: Number(m[3]) };
    }
  }
  throw new Error('spamd answered without a Spam: header');
}
