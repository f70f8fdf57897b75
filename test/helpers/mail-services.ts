/**
 * Real mail services for the e-mail tests: a throwaway Dovecot (IMAP) and SpamAssassin's spamd,
 * each a child process on a free loopback port with its own temporary folder, stopped by `stop()`
 * (and killed when the test process exits). test/global-setup.ts installs the Debian packages
 * when the binaries are missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { freePort } from './triage-process.ts';
import type { TestApp } from './app.ts';
import { attachmentStore } from '../../src/platform/storage.ts';
import { loadSecretKey } from '../../src/platform/crypto.ts';
import type { IngestDeps } from '../../src/domain/email/ingest.ts';

const DOVECOT = '/usr/sbin/dovecot';
const SPAMD = '/usr/sbin/spamd';

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Resolves once something accepts TCP connections on host:port; rejects after timeoutMs or when the child exits. */
async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms:\n${log()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(t);
      children.delete(child);
      r();
    });
    child.kill('SIGTERM');
  });
}

export interface Dovecot {
  host: string;
  port: number;
  user: string;
  password: string;
  dir: string;
  stop(): Promise<void>;
}

/** A Dovecot IMAP server (no TLS, plain login) with one user, in the foreground as a child process. */
export async function startDovecot(opts: { user?: string; password?: string } = {}): Promise<Dovecot> {
  const user = opts.user ?? 'support@triage.test';
  const password = opts.password ?? 'secret';
  const dir = mkdtempSync(join(tmpdir(), 'triage-dovecot-'));
  // the imap processes run as nobody and must reach $dir/mail
  chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
  const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  const nogroup = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
  chownSync(join(dir, 'mail'), nobody, nogroup);
  const usersFile = join(dir, 'users');
  writeFileSync(usersFile, `${user}:{PLAIN}${password}\n`);
  const dovecotGid = Number(execFileSync('getent', ['group', 'dovecot']).toString().split(':')[2]);
  chownSync(usersFile, 0, dovecotGid);
  chmodSync(usersFile, 0o640);
  const port = await freePort();
  const logPath = join(dir, 'dovecot.log');
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${logPath}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = ${Math.min(nobody, 65534)}
first_valid_gid = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${usersFile}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const child = spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const log = () => out + (existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-3000) : '');
  await waitForPort(port, child, 15_000, 'dovecot', log);
  return {
    host: '127.0.0.1', port, user, password, dir,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Spamd {
  /** spamd://127.0.0.1:<port>, the SPAMD_URL form */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * spamd with the rules the package ships (no sa-update: this network has no internet), in the
 * foreground as a child process. It takes ~10–20 s to load its rules before it listens.
 */
export async function startSpamd(opts: { children?: number } = {}): Promise<Spamd> {
  const dir = mkdtempSync(join(tmpdir(), 'triage-spamd-'));
  const port = await freePort();
  const n = String(opts.children ?? 2);
  const child = spawn(
    SPAMD,
    ['-x', '-L', '-A', '127.0.0.1', '-i', `127.0.0.1:${port}`, '-s', 'stderr', '-r', join(dir, 'spamd.pid'),
      `--max-children=${n}`, `--min-children=${n}`, `--min-spare=${n}`, '--max-spare=' + n],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-5000)));
  await waitForPort(port, child, 90_000, 'spamd', () => out);
  return {
    url: `spamd://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// What the e-mail transport tests share: ingest deps for a test app, mailboxes through the API,
// the inbound log, and a raw SMTP dialogue for the replies a library would hide.

/** Polls `check` every 100 ms until it holds; returns how long that took, or throws naming `what` after timeoutMs. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The dependencies ingest needs, taken from a test app (its database, clock, jobs, store, key). */
export async function ingestDepsFor(t: TestApp, opts: { spamdUrl?: string } = {}): Promise<IngestDeps> {
  return {
    db: t.db,
    clock: t.clock,
    jobs: t.jobs,
    store: attachmentStore(t.config),
    secretKey: await loadSecretKey(t.config),
    spamdUrl: opts.spamdUrl,
    log: pino({ level: 'silent' }),
  };
}

/** Creates a mailbox through the API (admin) and returns its id. */
export async function createMailbox(t: TestApp, body: Record<string, unknown>): Promise<string> {
  const res = await t.request('POST', '/api/v1/mailboxes', { body: { name: 'Support', inbound: { type: 'smtp' }, ...body } });
  if (res.statusCode !== 201) throw new Error(`POST /mailboxes: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

export interface InboundLogEntry {
  id: string;
  receivedAt: string;
  mailbox: unknown;
  messageId: string | null;
  from: string | null;
  subject: string | null;
  outcome: 'ticket_created' | 'comment_added' | 'suppressed' | 'suspended' | 'failed';
  reason: string | null;
  ticketId: string | null;
  commentId: string | null;
}

/** GET /admin/inbound-log, newest first. */
export async function inboundLog(t: TestApp, limit = 500): Promise<InboundLogEntry[]> {
  const res = await t.request('GET', `/api/v1/admin/inbound-log?limit=${limit}`);
  if (res.statusCode !== 200) throw new Error(`GET /admin/inbound-log: ${res.statusCode} ${res.body}`);
  return res.json().entries;
}

/** A plain SMTP client that returns every reply line by line (nodemailer hides which step failed). */
export async function smtpDialogue(port: number): Promise<{ send(line: string | Buffer): Promise<string>; greeting: string; close(): void }> {
  const socket = connect({ host: '127.0.0.1', port });
  let buffer = '';
  let waiting: ((reply: string) => void) | undefined;
  socket.on('data', (d) => {
    buffer += d.toString('latin1');
    // a complete reply ends with a line "NNN text" (a space after the code, not a dash)
    const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffer);
    if (m && waiting) {
      const reply = buffer;
      buffer = '';
      const w = waiting;
      waiting = undefined;
      w(reply);
    }
  });
  const next = () => new Promise<string>((r) => (waiting = r));
  const first = next();
  await new Promise<void>((r, j) => {
    socket.once('connect', () => r());
    socket.once('error', j);
  });
  const greeting = await first;
  return {
    greeting,
    send(line) {
      const reply = next();
      socket.write(typeof line === 'string' ? `${line}\r\n` : line);
      return reply;
    },
    close: () => socket.destroy(),
  };
}
