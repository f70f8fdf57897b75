/**
 * npm run bench:email — inbound mail over SMTP into the real server (`triage start` with
 * SMTP_PORT, a child process) on PGlite and on PostgreSQL: 5,000 messages drawn from the real
 * corpus (only those that open a ticket or add a comment; each sent with a fresh Message-ID so
 * dedupe keeps them all) pushed by 8 SMTP connections at once. Measures messages/s and the time
 * from the end of DATA to the 250 (which the listener sends only after the commit). Writes
 * bench/RESULTS.md and bench/out/email-last.json. See bench/README.md.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { readOptions, commandLine } from './lib/options.ts';
import { summarize } from './lib/load.ts';
import { OUT_DIR, ProcSampler, freePort, latestProfile, startTriage, type Usage } from './lib/server.ts';
import { requestJson } from './lib/load.ts';
import { freshDatabase, postgresSettings, postgresVersion, adminQuery } from './lib/databases.ts';
import { summarizeProfile, type ProfileSummary } from './lib/profile.ts';
import { fmt, machine, machineLine, profileMarkdown, table, targetsTable, writeResults, type TargetCheck } from './lib/report.ts';
import { cpuCell, log } from './lib/common.ts';

const { options, extra } = readOptions('bench:email', {
  messages: { type: 'string', env: 'BENCH_MESSAGES', help: 'messages per database (default 5000)' },
  'smtp-concurrency': { type: 'string', env: 'BENCH_SMTP_CONCURRENCY', help: 'SMTP connections sending at once (default 8)' },
  corpus: { type: 'string', env: 'TRIAGE_EMAIL_CORPUS', help: 'corpus folder with INDEX.tsv (default ../shared/corpus/email)' },
});
const TOTAL = Number(extra.messages ?? 5000);
const CONCURRENCY = Number(extra['smtp-concurrency'] ?? 8);
const REPO = resolve(import.meta.dirname, '..');
const CORPUS = String(extra.corpus ?? [resolve(REPO, '../shared/corpus/email'), join(REPO, 'test/fixtures/email-corpus')].find((d) => {
  try {
    readFileSync(join(d, 'INDEX.tsv'));
    return true;
  } catch {
    return false;
  }
}));
const MAILBOX = 'support@bench.test';

// ---------------------------------------------------------------------------
// the messages

interface Candidate {
  file: string;
  /** header section and body, CRLF line ends, without the Message-ID header */
  head: string;
  body: Buffer;
}

/** An upstream spam verdict in the header would suspend the message: not what this bench measures. */
const UPSTREAM_SPAM = /^X-Spam-(Flag:\s*YES|Status:\s*Yes)/im;

/** The corpus messages expected to open a ticket (INDEX.tsv `yes`), split into head and body. */
function candidates(): Candidate[] {
  const rows = readFileSync(join(CORPUS, 'INDEX.tsv'), 'utf8').split('\n').slice(1).filter((l) => l.trim());
  const out: Candidate[] = [];
  for (const row of rows) {
    const [file, , , , expected] = row.split('\t');
    if (expected !== 'yes') continue;
    // latin1 keeps every byte as it is; lines are made CRLF for the SMTP wire
    const text = readFileSync(join(CORPUS, file!)).toString('latin1').replace(/\r?\n/g, '\r\n');
    const split = text.indexOf('\r\n\r\n');
    const rawHead = (split < 0 ? text : text.slice(0, split)).replace(/^From [^\r\n]*\r\n/, ''); // an mbox From_ line
    if (UPSTREAM_SPAM.test(rawHead)) continue;
    // drop Message-ID (and its folded continuation lines): each send gets a fresh one
    const head = rawHead.replace(/^Message-ID:[^\r\n]*(\r\n[ \t][^\r\n]*)*\r\n?/gim, '');
    out.push({ file: file!, head, body: Buffer.from(split < 0 ? '' : text.slice(split + 4), 'latin1') });
  }
  return out;
}

/** The DATA payload: a fresh Message-ID, dot-stuffed, ending with the lone dot. */
function wire(c: Candidate, id: string): Buffer {
  const text = `Message-ID: <${id}>\r\n${c.head.replace(/\r\n$/, '')}\r\n\r\n${c.body.toString('latin1')}`;
  const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
}

// ---------------------------------------------------------------------------
// a plain SMTP client: one connection, one message at a time, timing DATA end → reply

class SmtpConnection {
  private buffer = '';
  private waiting?: (reply: string) => void;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buffer += d.toString('latin1');
      if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(this.buffer) && this.waiting) {
        const r = this.buffer;
        this.buffer = '';
        const w = this.waiting;
        this.waiting = undefined;
        w(r);
      }
    });
  }

  static async open(port: number): Promise<SmtpConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const c = new SmtpConnection(socket);
    const greeting = c.next();
    await new Promise<void>((res, rej) => {
      socket.once('connect', () => res());
      socket.once('error', rej);
    });
    await greeting;
    await c.command('EHLO bench.test', 250);
    return c;
  }

  private next(): Promise<string> {
    return new Promise((r) => (this.waiting = r));
  }

  async command(line: string | Buffer, expect: number): Promise<string> {
    const reply = this.next();
    this.socket.write(typeof line === 'string' ? `${line}\r\n` : line);
    const r = await reply;
    if (!r.startsWith(String(expect))) throw new Error(`SMTP ${typeof line === 'string' ? line.split(' ')[0] : 'DATA end'}: ${r.trim()}`);
    return r;
  }

  /** Sends one message; returns the ms from the end of DATA to the 250 and the reply. */
  async send(from: string, to: string, data: Buffer): Promise<{ ms: number; reply: string }> {
    await this.command(`MAIL FROM:<${from}>`, 250);
    await this.command(`RCPT TO:<${to}>`, 250);
    await this.command('DATA', 354);
    const started = performance.now();
    const reply = await this.command(data, 250);
    return { ms: performance.now() - started, reply };
  }

  close(): void {
    this.socket.end('QUIT\r\n');
  }
}

// ---------------------------------------------------------------------------

interface DbResult {
  database: 'pglite' | 'postgres';
  usable?: number;
  dropped?: { file: string; outcome: string }[];
  sent?: number;
  errors?: number;
  errorSamples?: string[];
  elapsedS?: number;
  perSecond?: number;
  latencyMs?: ReturnType<typeof summarize>;
  outcomes?: Record<string, number>;
  usage?: Usage;
  /** rows in the inbound log / tickets after the run, counted in the database (PostgreSQL) */
  counted?: { inboundLog: number; tickets: number };
  profile?: ProfileSummary;
  error?: string;
}

const outcomeOf = (reply: string) => /OK: ([a-z_, ]+)/.exec(reply)?.[1]?.split(', ')[0] ?? 'unknown';

mkdirSync(OUT_DIR, { recursive: true });
const startedAt = new Date();
const command = commandLine('bench:email');
const pgVersion = await postgresVersion(options.pgAdminUrl);
const m = machine(pgVersion, pgVersion ? await postgresSettings(options.pgAdminUrl) : undefined);
const pool = candidates();
log(`bench:email — ${TOTAL} messages over ${CONCURRENCY} SMTP connections, from ${pool.length} corpus messages expected to open a ticket (${CORPUS}), on ${options.databases.join(' and ')}`);
log(`machine: ${machineLine(m)}`);

const results: DbResult[] = [];
for (const database of options.databases) {
  const res: DbResult = { database };
  results.push(res);
  try {
    if (database === 'postgres' && !pgVersion) throw new Error(`PostgreSQL is not reachable at ${options.pgAdminUrl}`);
    const db = await freshDatabase(database, options.pgAdminUrl, 'email');
    try {
      const smtpPort = await freePort();
      // startTriage passes the environment on: the listener's port, and no spamd
      process.env.SMTP_PORT = String(smtpPort);
      delete process.env.SPAMD_URL;
      log(`${database}: starting the server with SMTP_PORT=${smtpPort}`);
      const server = await startTriage(db.target, { name: `email-${database}`, profile: options.profile, roles: options.roles, poolSize: options.poolSize });
      const sampler = new ProcSampler(server.pid, db.name);
      try {
        await requestJson(server.baseUrl, {
          method: 'POST', path: '/api/v1/mailboxes',
          headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ address: MAILBOX, name: 'Bench support', inbound: { type: 'smtp' } }),
        }, 201);
        const run = `${Date.now().toString(36)}`;
        // pre-flight (unmeasured): each candidate once; keep those that really open a ticket or add a comment
        const probe = await SmtpConnection.open(smtpPort);
        const usable: Candidate[] = [];
        res.dropped = [];
        for (const [i, c] of pool.entries()) {
          const { reply } = await probe.send(`probe${i}@bench.test`, MAILBOX, wire(c, `probe-${i}-${run}@bench.test`));
          const outcome = outcomeOf(reply);
          if (outcome === 'ticket_created' || outcome === 'comment_added') usable.push(c);
          else res.dropped.push({ file: c.file, outcome });
        }
        probe.close();
        res.usable = usable.length;
        if (!usable.length) throw new Error('no corpus message opened a ticket in the pre-flight');
        log(`${database}: ${usable.length} of ${pool.length} candidates open a ticket or add a comment; dropped ${res.dropped.map((d) => `${d.file} (${d.outcome})`).join(', ') || 'none'}`);

        const connections = await Promise.all(Array.from({ length: CONCURRENCY }, () => SmtpConnection.open(smtpPort)));
        const latencies: number[] = [];
        const outcomes: Record<string, number> = {};
        const errorSamples: string[] = [];
        let next = 0;
        let errors = 0;
        sampler.begin();
        const t0 = performance.now();
        await Promise.all(connections.map(async (conn) => {
          while (next < TOTAL) {
            const i = next++;
            const c = usable[i % usable.length]!;
            try {
              const { ms, reply } = await conn.send(`sender${i % 500}@bench.test`, MAILBOX, wire(c, `bench-${i}-${run}@bench.test`));
              latencies.push(ms);
              const o = outcomeOf(reply);
              outcomes[o] = (outcomes[o] ?? 0) + 1;
            } catch (err) {
              errors++;
              if (errorSamples.length < 5) errorSamples.push(`${c.file}: ${(err as Error).message}`);
            }
          }
        }));
        res.elapsedS = (performance.now() - t0) / 1000;
        res.usage = sampler.end();
        for (const c of connections) c.close();
        res.sent = latencies.length;
        res.errors = errors;
        res.errorSamples = errorSamples;
        res.perSecond = latencies.length / res.elapsedS;
        res.latencyMs = summarize(latencies);
        res.outcomes = outcomes;
        if (db.target.kind === 'postgres') {
          const [row] = await adminQuery<{ log: number; tickets: number }>(
            db.target.databaseUrl,
            'SELECT (SELECT count(*) FROM inbound_log)::int AS log, (SELECT count(*) FROM tickets)::int AS tickets',
          );
          res.counted = { inboundLog: row!.log, tickets: row!.tickets };
        }
        log(`${database}: ${fmt.n(res.perSecond)} messages/s, DATA end → 250 p50 ${fmt.ms(res.latencyMs.p50)} ms, p99 ${fmt.ms(res.latencyMs.p99)} ms, errors ${errors}, outcomes ${JSON.stringify(outcomes)}, server CPU ${cpuCell(res.usage.serverCpuPct, res.perSecond)}${res.usage.pgCpuPct !== undefined ? `, PostgreSQL CPU ${cpuCell(res.usage.pgCpuPct, res.perSecond)}` : ''}`);
      } finally {
        sampler.close();
        await server.stop();
        delete process.env.SMTP_PORT;
      }
      const prof = latestProfile(server.profileDir);
      if (prof) res.profile = summarizeProfile(prof);
    } finally {
      await db.dispose();
    }
  } catch (err) {
    res.error = (err as Error).stack ?? String(err);
    log(`${database}: FAILED — ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------
// targets and report

const checks: TargetCheck[] = [];
const pgRes = results.find((r) => r.database === 'postgres');
if (pgRes) checks.push({ target: `PostgreSQL: ≥ 200 messages/s at ${CONCURRENCY} connections`, measured: pgRes.perSecond ? fmt.n(pgRes.perSecond) : '—', met: pgRes.perSecond ? pgRes.perSecond >= 200 : null });
for (const r of results) {
  const committed = (r.outcomes?.ticket_created ?? 0) + (r.outcomes?.comment_added ?? 0);
  checks.push({ target: `${r.database}: every message answered 250 and committed as a ticket or comment`, measured: r.sent !== undefined ? `${committed} of ${TOTAL}, ${r.errors} errors` : '—', met: r.sent !== undefined ? committed === TOTAL && r.errors === 0 : false });
}

const md: string[] = [
  `## Inbound e-mail over SMTP — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Command: \`${command}\``,
  '',
  `Machine: ${machineLine(m)}.`,
  '',
  `${TOTAL.toLocaleString('en-US')} messages per database, sent by ${CONCURRENCY} SMTP connections at once (each one message at a time: MAIL, RCPT, DATA, wait for the reply) to the listener of \`node bin/triage.mjs start\` (all roles, SMTP_PORT set, no SPAMD_URL, LOG_LEVEL=warn) on a fresh database with one SMTP mailbox. The messages are the ${pool.length} corpus messages INDEX.tsv expects to open a ticket, less those without one in an unmeasured pre-flight (each sent once), cycled, each with a fresh Message-ID (dedupe would drop repeats) and from one of 500 envelope senders; their own From headers are kept, so repeated senders meet existing requesters. Latency = end of DATA (the lone dot written) → the 250, which the listener sends only after ingest committed (parse, filters, sanitize, raw message to the attachment store, the ticket or comment transaction). The load generator runs on the same 2 cores.`,
  '',
  table(
    ['database', 'corpus messages used', 'messages', 'messages/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'outcomes', 'server CPU', 'PostgreSQL CPU', 'machine CPU (all cores)', 'server peak RSS MiB'],
    results.filter((r) => r.latencyMs).map((r) => [
      r.database, `${r.usable} of ${pool.length}`, fmt.n(r.sent!), fmt.n(r.perSecond!), fmt.ms(r.latencyMs!.p50), fmt.ms(r.latencyMs!.p95), fmt.ms(r.latencyMs!.p99), fmt.ms(r.latencyMs!.max), r.errors!,
      Object.entries(r.outcomes!).map(([k, v]) => `${k} ${v}`).join(', '), cpuCell(r.usage!.serverCpuPct, r.perSecond!), cpuCell(r.usage!.pgCpuPct, r.perSecond!), fmt.pct(r.usage!.machineCpuPct), fmt.n(r.usage!.peakRssMb),
    ]),
  ),
];
for (const r of results) {
  if (r.dropped?.length) md.push('', `${r.database}: not used (pre-flight outcome): ${r.dropped.map((d) => `${d.file} (${d.outcome})`).join(', ')}.`);
  if (r.counted) md.push('', `${r.database}: counted in the database afterwards: ${fmt.n(r.counted.inboundLog)} inbound-log rows, ${fmt.n(r.counted.tickets)} tickets.`);
  if (r.errorSamples?.length) md.push('', `${r.database} errors (first samples):`, '', ...r.errorSamples.map((s) => `- \`${s.replace(/`/g, "'").slice(0, 300)}\``));
  if (r.error) md.push('', `**${r.database} failed:** \`${r.error.split('\n')[0]}\``);
}
md.push('', 'Targets:', '', targetsTable(checks));
for (const r of results) if (r.profile) md.push('', profileMarkdown(`${r.database}, whole server lifetime`, r.profile));

const written = writeResults({
  markdown: md.join('\n'),
  jsonName: 'email-last.json',
  writeMarkdown: options.writeResults,
  json: { kind: 'email', startedAt: startedAt.toISOString(), command, machine: m, options, total: TOTAL, concurrency: CONCURRENCY, corpus: CORPUS, results, targets: checks },
});
log(`wrote ${[written.markdown, written.json].filter(Boolean).join(' and ')}`);
console.log(`\n${targetsTable(checks)}\n`);
process.exit(results.some((r) => r.error || r.errors) ? 1 : 0);
