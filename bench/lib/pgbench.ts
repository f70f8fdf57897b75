import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, QueryResult } from '../../src/db/client.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createTicket, type CreateTicketInput } from '../../src/domain/tickets/commands.ts';
import { systemClock } from '../../src/platform/clock.ts';
import type { AgentRole } from '../../src/db/repositories/agents.ts';
import { percentile, type Latency } from './load.ts';
import { ADMIN_EMAIL, backendTicks, processTicks } from './server.ts';
import type { TicketMix } from './bodies.ts';

/** One statement the create path sent, with its parameters and answer. */
interface Recorded {
  sql: string;
  params: unknown[];
  rows: Record<string, unknown>[];
}

/** A Db that passes everything through and writes down each statement, BEGIN and COMMIT included. */
class RecordingDb implements Db {
  constructor(
    private readonly inner: Db,
    private readonly log: Recorded[],
  ) {}
  get kind() {
    return this.inner.kind;
  }
  get inTransaction() {
    return this.inner.inTransaction;
  }
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const r = await this.inner.query<T>(sql, params);
    this.log.push({ sql, params, rows: r.rows as Record<string, unknown>[] });
    return r;
  }
  async exec(sql: string): Promise<void> {
    this.log.push({ sql, params: [], rows: [] });
    await this.inner.exec(sql);
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inner.inTransaction) return this.inner.transaction((tx) => fn(new RecordingDb(tx, this.log)));
    this.log.push({ sql: 'BEGIN', params: [], rows: [] });
    // PgDb reads the configuration version in BEGIN's round trip (src/db/client.ts)
    if (this.inner.kind === 'postgres') this.log.push({ sql: 'SELECT version FROM config_version', params: [], rows: [] });
    const result = await this.inner.transaction((tx) => fn(new RecordingDb(tx, this.log)));
    this.log.push({ sql: 'COMMIT', params: [], rows: [] });
    return result;
  }
  cached<T>(key: string, load: (db: Db) => Promise<T>): Promise<T> {
    return this.inner.cached(key, () => load(this));
  }
  enableConfigCache(): Promise<void> {
    return this.inner.enableConfigCache();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The four shapes of a create: new or known requester, with or without an organization. */
export type PathName = 'new' | 'new+org' | 'repeat' | 'repeat+org';

export interface RecordedPath {
  name: PathName;
  email: string;
  statements: Recorded[];
  /** the same path recorded a second time (another e-mail): parameters that differ between the two are per-transaction values */
  twin: Recorded[];
}

/**
 * Runs the real `createTicket` command (src/domain/tickets/commands.ts) against
 * the benchmark database through a recording Db, twice per path, so that the
 * pgbench scripts replay exactly the statements the API's create path sends —
 * and keep doing so when that code changes.
 */
export async function recordCreatePaths(databaseUrl: string): Promise<RecordedPath[]> {
  const db = await openDatabase({ databaseUrl, poolSize: 1 });
  try {
    const admin = (await db.query<{ id: string; name: string; role: AgentRole }>('SELECT id, name, role FROM agents WHERE email = $1', [ADMIN_EMAIL])).rows[0];
    if (!admin) throw new Error(`the benchmark admin ${ADMIN_EMAIL} does not exist in the database`);
    const actor = { type: 'agent' as const, id: admin.id, name: admin.name, role: admin.role };
    const tag = Date.now().toString(36);
    const input = (email: string, organization?: string): CreateTicketInput => ({
      subject: 'Invoice 12345 shows the wrong VAT rate',
      description: 'Hello, since this morning the problem described in the subject keeps happening for several people on our team. '
        + 'We already tried clearing the cache, signing out and in again, and using another browser, without any change.',
      requester: { name: 'Pgbench Requester', email, ...(organization ? { organization } : {}) },
      category: 'billing',
      subcategory: 'invoice',
      source: 'email',
      priority: 'high',
      tags: ['invoice', 'eu'],
    });
    const org = 'Pgbench Organization Ltd';
    const run = async (email: string, organization?: string) => {
      const log: Recorded[] = [];
      await createTicket({ db: new RecordingDb(db, log), clock: systemClock, actor }, input(email, organization));
      return log;
    };
    // prime: the organization exists, as it does for all but the first of its tickets
    await run(`pgbench-prime-${tag}@bench.test`, org);
    const e = (k: string) => `pgbench-${k}-${tag}@bench.test`;
    const newA = await run(e('a'));
    const newB = await run(e('b'));
    const newOrgC = await run(e('c'), org);
    const newOrgD = await run(e('d'), org);
    return [
      { name: 'new', email: e('a'), statements: newA, twin: newB },
      { name: 'repeat', email: e('a'), statements: await run(e('a')), twin: await run(e('b')) },
      { name: 'new+org', email: e('c'), statements: newOrgC, twin: newOrgD },
      { name: 'repeat+org', email: e('c'), statements: await run(e('c'), org), twin: await run(e('d'), org) },
    ];
  } finally {
    await db.close();
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Text form of a parameter, the way the pg driver sends it. */
function paramText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  if (Array.isArray(v)) {
    return `{${v.map((e) => (e === null ? 'NULL' : `"${String(paramText(e)).replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * A SQL literal of unknown type (so the server infers the type as it does for a
 * parameter). pgbench replaces `:name` anywhere in a statement, quotes included,
 * so colons are written as \x3a inside an E'' string.
 */
function literal(v: unknown): string {
  const t = paramText(v);
  if (t === null) return 'NULL';
  const escaped = t
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "''")
    .replace(/:/g, '\\x3a')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `E'${escaped}'`;
}

export type PgbenchMode = 'simple' | 'extended' | 'prepared';

/**
 * Turns a recorded path into a pgbench script (one transaction). Parameters
 * become: the e-mail → a fresh address per transaction (new requesters) or one
 * of a pre-created pool (known requesters); an id returned by an earlier
 * statement → that statement's \gset variable; an id the application made up
 * (it differs between the two recordings) → a fresh time-ordered UUID per
 * transaction; the command's timestamp → now(); anything else → the recorded
 * value as a literal.
 */
export function pgbenchScript(path: RecordedPath, mode: PgbenchMode, repeatPool: number): string {
  const isNew = path.name.startsWith('new');
  const sets: string[] = [isNew ? '\\set n random(1, 1000000000000000)' : `\\set r random(1, ${repeatPool})`];
  const emailExpr = isNew ? `('pgb-' || :n::text || '@bench.test')` : `('pgb-rep-' || :r::text || '@bench.test')`;
  const stmts = path.statements;
  const twinUsable = path.twin.length === stmts.length && path.twin.every((t, i) => t.sql === stmts[i].sql && t.params.length === stmts[i].params.length);
  const gset = new Set<number>();
  const fresh = new Map<string, string>();
  const varRef = (name: string) => (mode === 'simple' ? `':${name}'` : `:${name}`);
  const freshUuid = (v: string) => {
    let expr = fresh.get(v);
    if (!expr) {
      const k = fresh.size;
      sets.push(`\\set u${k}a random(0, 1099511627775)`, `\\set u${k}b random(0, 1099511627775)`);
      // 48 bits of the transaction's start time, then 80 random bits: a time-ordered id, unique per transaction
      expr = `(lpad(to_hex((extract(epoch from now()) * 1000)::bigint), 12, '0') || lpad(to_hex(:u${k}a::bigint), 10, '0') || lpad(to_hex(:u${k}b::bigint), 10, '0'))::uuid`;
      fresh.set(v, expr);
    }
    return expr;
  };
  const rendered = stmts.map((s, i) => {
    const sql = s.sql.replace(/\s+/g, ' ').trim();
    return sql.replace(/\$(\d+)/g, (_m, k: string) => {
      const v = s.params[Number(k) - 1];
      if (typeof v === 'string' && v.toLowerCase() === path.email.toLowerCase()) return emailExpr;
      if (v instanceof Date) return 'now()';
      if (typeof v === 'string' && UUID_RE.test(v)) {
        for (let j = i - 1; j >= 0; j--) {
          const row = stmts[j].rows.length === 1 ? stmts[j].rows[0] : undefined;
          const col = row && Object.keys(row).find((c) => row[c] === v);
          if (col && /^[a-z_][a-z0-9_]*$/.test(col)) {
            gset.add(j);
            return varRef(`s${j}_${col}`);
          }
        }
        if (fresh.has(v) || (twinUsable && path.twin[i].params[Number(k) - 1] !== v)) return freshUuid(v);
      }
      return literal(v);
    });
  });
  const lines = [`-- ${path.name}: generated by bench/lib/pgbench.ts from the statements createTicket sent (${mode} mode)`, ...sets];
  rendered.forEach((sql, i) => lines.push(gset.has(i) ? `${sql} \\gset s${i}_` : `${sql};`));
  return `${lines.join('\n')}\n`;
}

/** Weight of each path (percent) for a body mix. */
export function pathWeights(mix: TicketMix): Record<PathName, number> {
  const w = (repeat: boolean, org: boolean) => Math.round(100 * (repeat ? mix.repeatShare : 1 - mix.repeatShare) * (org ? mix.orgShare : 1 - mix.orgShare));
  return { new: w(false, false), 'new+org': w(false, true), repeat: w(true, false), 'repeat+org': w(true, true) };
}

export function findPgbench(): string | undefined {
  try {
    const p = execFileSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).trim();
    if (p) return p;
  } catch {
    /* not on PATH */
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort().reverse()) {
    const p = join(root, v, 'bin', 'pgbench');
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface PgbenchResult {
  mode: PgbenchMode;
  clients: number;
  threads: number;
  durationS: number;
  tps: number;
  transactions: number;
  failed: number;
  latencyMs: Latency;
  exitCode: number | null;
  /** CPU of the PostgreSQL backends and of pgbench itself, % of one core */
  pgCpuPct: number;
  clientCpuPct: number;
  /** pgbench's per-statement average latencies (-r), per script */
  statementReport: string;
  command: string;
}

/** Runs pgbench with the generated scripts; latency percentiles come from its per-transaction log. */
export async function runPgbench(o: {
  bin: string;
  databaseUrl: string;
  /** database name, to find its backends' CPU time */
  database: string;
  mode: PgbenchMode;
  clients: number;
  threads: number;
  durationS: number;
  scripts: { file: string; weight: number }[];
  workDir: string;
}): Promise<PgbenchResult> {
  const url = new URL(o.databaseUrl);
  const logDir = join(o.workDir, `log-${o.mode}`);
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const args = [
    '-n', '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'),
    '-c', String(o.clients), '-j', String(o.threads), '-T', String(Math.max(1, Math.round(o.durationS))), '-M', o.mode,
    '-r', '-l', `--log-prefix=${join(logDir, 'tx')}`,
    ...o.scripts.filter((s) => s.weight > 0).flatMap((s) => ['-f', `${s.file}@${s.weight}`]),
    url.pathname.slice(1),
  ];
  const env = { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) };
  const t0 = performance.now();
  const child = spawn(o.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // pgbench's backends come and go with it: keep the last CPU reading of each
  const pgTicks = new Map<number, number>();
  let clientTicks = 0;
  const poll = setInterval(() => {
    for (const [pid, t] of backendTicks(o.database)) pgTicks.set(pid, t);
    try {
      clientTicks = processTicks(child.pid!);
    } catch {
      /* exited */
    }
  }, 200);
  const exitCode = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  clearInterval(poll);
  const wall = (performance.now() - t0) / 1000;
  writeFileSync(join(o.workDir, `pgbench-${o.mode}.txt`), out);
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : NaN;
  };
  const lat: number[] = [];
  for (const f of readdirSync(logDir)) {
    for (const line of readFileSync(join(logDir, f), 'utf8').split('\n')) {
      const fields = line.split(' ');
      if (fields.length >= 6) lat.push(Number(fields[2]) / 1000);
    }
  }
  const sorted = Float64Array.from(lat).sort();
  const tps = num(/tps = ([\d.]+) \(without initial connection time\)/);
  if (!Number.isFinite(tps)) throw new Error(`pgbench (${o.mode}) failed with exit code ${exitCode}:\n${out.slice(-3000)}`);
  const stmtStart = out.indexOf('SQL script 1');
  return {
    mode: o.mode,
    clients: o.clients,
    threads: o.threads,
    durationS: o.durationS,
    tps,
    transactions: num(/number of transactions actually processed: (\d+)/),
    failed: Number.isFinite(num(/number of failed transactions: (\d+)/)) ? num(/number of failed transactions: (\d+)/) : 0,
    latencyMs: {
      mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1] : NaN,
    },
    exitCode,
    pgCpuPct: ([...pgTicks.values()].reduce((a, b) => a + b, 0) / 100 / wall) * 100,
    clientCpuPct: (clientTicks / 100 / wall) * 100,
    statementReport: stmtStart >= 0 ? out.slice(stmtStart) : '',
    command: `pgbench ${args.join(' ')}`,
  };
}
