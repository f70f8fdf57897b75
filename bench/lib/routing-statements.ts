/**
 * Where a routing decision's time goes, statement by statement: the real
 * `createTicket` command (src/domain/tickets/commands.ts) runs in-process on
 * the benchmark database through a Db wrapper that times every statement,
 * and the statements of the decision are then EXPLAINed (ANALYZE, BUFFERS)
 * with the parameters they were sent with — through PREPARE/EXECUTE, after five
 * executions, so the plan shown is the one a connection of the server uses
 * once PostgreSQL's plan cache has settled (custom or generic).
 */
import type { Db, QueryResult } from '../../src/db/client.ts';
import { createTicket } from '../../src/domain/tickets/commands.ts';
import { CreateTicketBody } from '../../src/http/schemas/tickets.ts';
import { systemClock } from '../../src/platform/clock.ts';
import type { AgentRole } from '../../src/db/repositories/agents.ts';
import { percentile } from './load.ts';
import { ADMIN_EMAIL, backendTicks } from './server.ts';

/** Statement → the repository function that sends it (the names in src/db/repositories). */
const LABELS: [RegExp, string][] = [
  [/^SELECT \(SELECT value FROM settings WHERE key = 'routing'\) AS routing/, 'loadRoutingConfig'],
  [/^SELECT version FROM config_version/, 'config version'],
  [/FROM groups g WHERE g\.slug = \$1/, 'getGroupBySlug'],
  [/^SELECT \* FROM triage_route\(/, 'route'],
  [/^SELECT count\(\*\) FILTER \(WHERE created_at > \$2::timestamptz/, 'requesterHistory'],
  [/FROM sla_policies WHERE is_active/, 'listActivePolicies'],
  [/INSERT INTO routing_cursors|FROM routing_cursors WHERE scope = \$1 FOR UPDATE/, 'lockCursor'],
  [/FROM agents a WHERE a\.id = \$1 FOR (NO KEY )?UPDATE/, 'lockAgent'],
  [/^SELECT 1 FROM agents WHERE id = \$1$/, 'lockAgent (exists)'],
  [/^SELECT count\(\*\)::int AS n FROM tickets WHERE assignee_id = \$1/, 'countLoad'],
  [/^SAVEPOINT /, 'SAVEPOINT'],
  [/^ROLLBACK TO SAVEPOINT/, 'ROLLBACK TO SAVEPOINT'],
  [/^UPDATE routing_cursors SET last_agent_id/, 'saveCursor'],
  [/^UPDATE agents SET last_assigned_at/, 'touchAgentAssigned'],
  [/^WITH c AS \(UPDATE routing_cursors SET last_agent_id/, 'recordAssignment'],
  [/INSERT INTO tickets \(/, 'insertTicket'],
  [/^INSERT INTO ticket_history/, 'insertHistory (decision)'],
  [/INSERT INTO requesters/, 'findOrCreateRequester'],
  [/FROM organizations WHERE lower\(name\)|INSERT INTO organizations/, 'findOrCreateOrganization'],
  [/UPDATE requesters SET organization_id/, 'findOrCreateRequester (organization)'],
  [/^SELECT r\.id, r\.name, r\.email, r\.phone, o\.name AS organization/, 'findOrCreateRequester (summary)'],
  [/FROM tickets t\s+JOIN requesters r ON r\.id = t\.requester_id/, 'getTicketView'],
];

/** The statements `decide()` (src/domain/routing/engine.ts) sends — what Server-Timing measures. */
const DECISION_LABELS = new Set([
  'getGroupBySlug', 'route', 'lockCursor', 'lockAgent', 'lockAgent (exists)', 'countLoad', 'SAVEPOINT', 'ROLLBACK TO SAVEPOINT',
  'saveCursor', 'touchAgentAssigned', 'recordAssignment',
]);

function markDecision(log: Timed[]): void {
  // rules and settings now come from the configuration cache (no statement): the labels decide
  for (const t of log) t.inDecision = DECISION_LABELS.has(t.label);
}

export function labelOf(sql: string): string {
  const s = sql.trim();
  for (const [re, label] of LABELS) if (re.test(s)) return label;
  return s.replace(/\s+/g, ' ').slice(0, 60);
}

interface Timed {
  label: string;
  inDecision?: boolean;
  sql: string;
  params: unknown[];
  ms: number;
}

/** Passes everything through and times each statement (wall time: round trip and lock waits included). */
class TimingDb implements Db {
  constructor(
    private readonly inner: Db,
    private readonly log: Timed[],
  ) {}
  get kind() {
    return this.inner.kind;
  }
  get inTransaction() {
    return this.inner.inTransaction;
  }
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const t0 = performance.now();
    try {
      return await this.inner.query<T>(sql, params);
    } finally {
      this.log.push({ label: labelOf(sql), sql, params, ms: performance.now() - t0 });
    }
  }
  async exec(sql: string): Promise<void> {
    const t0 = performance.now();
    await this.inner.exec(sql);
    this.log.push({ label: labelOf(sql), sql, params: [], ms: performance.now() - t0 });
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inner.inTransaction) return this.inner.transaction((tx) => fn(new TimingDb(tx, this.log)));
    return this.inner.transaction((tx) => fn(new TimingDb(tx, this.log)));
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

export interface StatementRow {
  label: string;
  inDecision: boolean;
  /** executions per created ticket */
  perCreate: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** this statement's share of the summed time of all decision statements (decision statements only) */
  shareOfDecision?: number;
  /** this statement's share of the whole create transaction's summed statement time */
  shareOfCreate: number;
}

export interface StatementProfile {
  concurrency: number;
  /** routing was on (settings key 'routing') */
  routing: boolean;
  creates: number;
  seconds: number;
  /** decide() as the command measured it (Server-Timing's figure) */
  decisionMs: { p50: number; p99: number; mean: number };
  /** the whole createTicket call */
  createMs: { p50: number; p99: number; mean: number };
  /** CPU per create of this process (on PGlite: the database too) and of the database's PostgreSQL backends, ms */
  cpuMsPerCreate: { node: number; postgres?: number };
  rows: StatementRow[];
  /** per label: the median and the slowest execution (for EXPLAIN) */
  samples: Map<string, Timed[]>;
}

const stats = (xs: number[]) => {
  const s = Float64Array.from(xs).sort();
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), max: s[s.length - 1] ?? NaN };
};

/**
 * Runs `creates` createTicket commands (bodies as the HTTP load sends them,
 * validated by the API's schema) with `concurrency` at a time, as the
 * benchmark admin, and aggregates the statement times.
 */
export async function profileCreates(
  db: Db,
  body: (i: number) => string,
  o: { creates: number; concurrency: number; routing: boolean; pgDatabase?: string },
): Promise<StatementProfile> {
  const admin = (await db.query<{ id: string; name: string; role: AgentRole }>('SELECT id, name, role FROM agents WHERE email = $1', [ADMIN_EMAIL])).rows[0];
  if (!admin) throw new Error(`the benchmark admin ${ADMIN_EMAIL} does not exist in the database`);
  const actor = { type: 'agent' as const, id: admin.id, name: admin.name, role: admin.role };
  const all: Timed[] = [];
  const decision: number[] = [];
  const create: number[] = [];
  let next = 0;
  const pgTicks = () => (o.pgDatabase ? [...backendTicks(o.pgDatabase).values()].reduce((a, b) => a + b, 0) : 0);
  const pg0 = pgTicks();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (next < o.creates) {
      const i = next++;
      const input = CreateTicketBody.parse(JSON.parse(body(i)));
      const log: Timed[] = [];
      const s = performance.now();
      const t = await createTicket({ db: new TimingDb(db, log), clock: systemClock, actor }, input as Parameters<typeof createTicket>[1]);
      create.push(performance.now() - s);
      if (t.routing_ms !== undefined) decision.push(t.routing_ms);
      markDecision(log);
      all.push(...log);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // /proc clock ticks are 10 ms; backends that ended meanwhile are lost (the pool keeps them open)
  const cpuMsPerCreate = { node: (cpu.user + cpu.system) / 1000 / o.creates, ...(o.pgDatabase ? { postgres: ((pgTicks() - pg0) * 10) / o.creates } : {}) };

  const byLabel = new Map<string, Timed[]>();
  for (const t of all) {
    let l = byLabel.get(t.label);
    if (!l) byLabel.set(t.label, (l = []));
    l.push(t);
  }
  const total = (xs: Timed[]) => xs.reduce((a, t) => a + t.ms, 0);
  const decisionTotal = total(all.filter((t) => t.inDecision));
  const createTotal = total(all);
  const rows: StatementRow[] = [...byLabel].map(([label, xs]) => {
    const st = stats(xs.map((x) => x.ms));
    const inDecision = xs.some((x) => x.inDecision);
    return {
      label, inDecision, perCreate: xs.length / o.creates, meanMs: st.mean, p50Ms: st.p50, p99Ms: st.p99, maxMs: st.max,
      shareOfDecision: inDecision && decisionTotal > 0 ? (100 * total(xs)) / decisionTotal : undefined,
      shareOfCreate: (100 * total(xs)) / createTotal,
    };
  });
  rows.sort((a, b) => Number(b.inDecision) - Number(a.inDecision) || b.meanMs * b.perCreate - a.meanMs * a.perCreate);
  const samples = new Map<string, Timed[]>();
  for (const [label, xs] of byLabel) {
    const sorted = [...xs].sort((a, b) => a.ms - b.ms);
    samples.set(label, [sorted[Math.floor(sorted.length / 2)], sorted[sorted.length - 1]]);
  }
  const d = stats(decision);
  const c = stats(create);
  return {
    concurrency: o.concurrency, routing: o.routing, creates: o.creates, seconds,
    decisionMs: { p50: d.p50, p99: d.p99, mean: d.mean }, createMs: { p50: c.p50, p99: c.p99, mean: c.mean },
    cpuMsPerCreate, rows, samples,
  };
}

/** A SQL literal (of unknown type, so the prepared parameter's type applies) for a parameter value. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const text = (x: unknown): string => {
    if (x instanceof Date) return x.toISOString();
    if (Array.isArray(x)) return `{${x.map((e) => (e === null ? 'NULL' : `"${text(e).replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;
    if (typeof x === 'object') return JSON.stringify(x);
    return String(x);
  };
  return `'${text(v).replace(/'/g, "''")}'`;
}

class Rollback extends Error {}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of one statement as the server's connections run
 * it: PREPAREd, executed five times (PostgreSQL then decides between a custom
 * and a generic plan), then explained on the sixth execution — all in a
 * transaction that is rolled back.
 */
export async function explainPrepared(db: Db, sql: string, params: unknown[]): Promise<string> {
  let out = '';
  const name = `bench_explain_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await db.transaction(async (tx) => {
      await tx.query(`PREPARE ${name} AS ${sql}`);
      try {
        const exec = `EXECUTE ${name}(${params.map(literal).join(', ')})`;
        for (let i = 0; i < 5; i++) await tx.query(params.length ? exec : `EXECUTE ${name}`);
        const r = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${params.length ? exec : `EXECUTE ${name}`}`);
        out = r.rows.map((x) => x['QUERY PLAN']).join('\n');
      } finally {
        await tx.query(`DEALLOCATE ${name}`).catch(() => undefined);
      }
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) out = `EXPLAIN failed: ${(err as Error).message}`;
  }
  return out;
}

/** The labels EXPLAINed after a profile: the decision's statements and the ones around it worth knowing. */
export const EXPLAIN_LABELS = [
  'loadRoutingConfig', 'getGroupBySlug', 'route', 'lockCursor', 'lockAgent', 'countLoad', 'saveCursor', 'touchAgentAssigned', 'recordAssignment',
  'insertTicket', 'insertHistory (decision)',
];

export async function explainProfile(db: Db, p: StatementProfile): Promise<{ label: string; which: string; ms: number; params: unknown[]; plan: string }[]> {
  const out: { label: string; which: string; ms: number; params: unknown[]; plan: string }[] = [];
  const decision = p.rows.filter((r) => r.inDecision && !/SAVEPOINT/.test(r.label)).map((r) => r.label);
  for (const label of [...new Set([...decision, ...EXPLAIN_LABELS])]) {
    const s = p.samples.get(label);
    if (!s) continue;
    const [median, slowest] = s;
    for (const [which, t] of [['median', median], ['slowest', slowest]] as const) {
      if (which === 'slowest' && t === median) continue;
      out.push({ label, which, ms: t.ms, params: t.params, plan: await explainPrepared(db, t.sql, t.params) });
    }
  }
  return out;
}

/** The label's sql text as sent (one sample), for the explain file. */
export function sampleSql(p: StatementProfile, label: string): string | undefined {
  return p.samples.get(label)?.[0]?.sql;
}
