/**
 * bench:sla's world, written in a few set-based statements (generate_series)
 * so that 1,000,000 open tickets take minutes on PostgreSQL: requesters, one
 * SLA policy (24×7), a backlog of open tickets whose deadlines lie hours
 * ahead, each with the ticket_sla row and the pending `sla.check` job that
 * refreshSla would have left, and a burst of tickets whose first-response
 * breach falls due inside one chosen minute, their check jobs sent through
 * the real queue API. Also the consistency check of the seeded state against
 * the engine's own computation, and the figures read back after the run.
 */
import type { Db } from '../../src/db/client.ts';
import { createJobs, type JobQueue } from '../../src/jobs/queue.ts';
import { SLA_CHECK_JOB, computeFor } from '../../src/domain/sla/engine.ts';
import { insertPolicy, listActivePolicies } from '../../src/db/repositories/sla.ts';
import { loadSlaInputs } from '../../src/db/repositories/sla-state.ts';
import type { Escalation } from '../../src/domain/sla/policy.ts';
import { percentile } from './load.ts';

export interface SlaPolicySpec {
  firstResponseMinutes: number;
  resolutionMinutes: number;
  warnAtPercent: number;
  escalation: Escalation;
}

export const DEFAULT_POLICY: SlaPolicySpec = {
  firstResponseMinutes: 60,
  resolutionMinutes: 480,
  warnAtPercent: 80,
  escalation: { raisePriority: true },
};

/** The burst tickets' category: nothing else uses it (the PGlite progress poll counts by it). */
export const DUE_CATEGORY = 'sla-bench-burst';
const CATEGORIES = ['general', 'billing', 'technical', 'account', 'shipping'];
const MIN = 60_000;

/** "2026-11-28T02:14:00.123Z" exactly as Date#toISOString writes it (what the engine stores in targets JSON and singleton keys). */
const iso = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface BacklogSummary {
  seconds: number;
  /** of which the VACUUM (ANALYZE) */
  vacuumSeconds: number;
  tickets: number;
  requesters: number;
  policyId: string;
  agentId: string;
  /** the seeding instant the backlog's history ends at */
  seededAt: Date;
  /** earliest pending check among the backlog (the first instant one of them would do work) */
  firstBacklogCheck: Date;
}

/**
 * The backlog: `tickets` open tickets created 1–5 hours before `now`, each
 * answered by an agent 5–40 minutes after creation (first response met, no
 * warning), its resolution clock running (warning at 80% = 6.4 h after
 * creation, breach at 8 h). ticket_sla holds what refreshSla computed at the
 * reply; the pending `sla.check` job is at the resolution warning. The first
 * job goes through the queue API (`jobs.send`, as `schedule` sends it); the
 * others copy its pg-boss defaults in one INSERT … SELECT. Ends with VACUUM (ANALYZE).
 */
export async function seedBacklog(db: Db, jobs: JobQueue, o: { tickets: number; requesters: number; policy: SlaPolicySpec; now: Date }): Promise<BacklogSummary> {
  const t0 = performance.now();
  const p = o.policy;
  const firstWarnMs = Math.round(p.firstResponseMinutes * MIN * p.warnAtPercent / 100);
  const resWarnMs = Math.round(p.resolutionMinutes * MIN * p.warnAtPercent / 100);
  const firstDueMs = p.firstResponseMinutes * MIN;
  const resDueMs = p.resolutionMinutes * MIN;
  // the reply comes before the first-response warning: no warning event, no backlog work for hours
  if (firstWarnMs <= 40 * MIN) throw new Error('the backlog model needs a first-response warning later than 40 minutes');
  const ms = (n: number) => `(${n}::bigint * interval '1 millisecond')`;
  const result = await db.transaction(async (tx) => {
    await tx.query('SELECT setseed(0.20261201)');
    const agentId = (
      await tx.query<{ id: string }>(
        `INSERT INTO agents (name, email, role, status, active, max_concurrent_tickets)
         VALUES ('SLA Bench Agent', 'sla-bench-agent@triage.test', 'agent', 'offline', true, 5) RETURNING id`,
      )
    ).rows[0].id;
    await tx.query(
      `INSERT INTO requesters (name, email)
       SELECT 'SLA Requester ' || i, 'sla.requester' || i || '@example.com' FROM generate_series(1, $1::int) i`,
      [o.requesters],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_req ON COMMIT DROP AS
         SELECT row_number() OVER (ORDER BY email)::int AS n, id FROM requesters WHERE email LIKE 'sla.requester%'`,
    );
    const policy = await insertPolicy(
      tx,
      {
        name: 'Bench SLA (24×7)', isActive: true, conditions: {}, calendarId: null,
        firstResponseMinutes: p.firstResponseMinutes, nextResponseMinutes: null, resolutionMinutes: p.resolutionMinutes,
        targetsByPriority: {}, warnAtPercent: p.warnAtPercent, escalation: p.escalation,
      },
      new Date(o.now.getTime() - 30 * 24 * 3600_000),
    );
    // creation 1–5 h ago (ms precision, like a JS Date), reply 5–40 min later in 6 s steps (elapsed minutes with one decimal)
    await tx.query(
      `CREATE TEMP TABLE bench_bulk ON COMMIT DROP AS
         SELECT i, id, c, c + r_s * interval '1 second' AS reply, r_s
           FROM (SELECT i, gen_random_uuid() AS id,
                        date_trunc('milliseconds', $2::timestamptz - interval '60 minutes' - random() * interval '240 minutes') AS c,
                        (300 + 6 * floor(random() * 351))::int AS r_s
                   FROM generate_series(1, $1::int) i) x`,
      [o.tickets, o.now],
    );
    await tx.query(
      `INSERT INTO tickets (id, subject, description, status, priority, category, requester_id, source, tags, created_at, updated_at, priority_score)
       SELECT b.id, 'Backlog question #' || b.i,
              'Seeded by bench:sla. The customer got a first answer and waits for the resolution.',
              (ARRAY['open','open','in_progress'])[1 + b.i % 3], (ARRAY['low','normal','normal','high','critical'])[1 + (b.i * 7) % 5],
              ($1::text[])[1 + b.i % 5], r.id, (ARRAY['email','email','web','chat','api','phone'])[1 + (b.i * 13) % 6], '{}'::text[],
              b.c, b.reply, 50
         FROM bench_bulk b JOIN bench_req r ON r.n = 1 + ((b.i::bigint * 7919) % $2::int)::int
        ORDER BY b.c`,
      [CATEGORIES, o.requesters],
    );
    await tx.query(
      `INSERT INTO ticket_comments (ticket_id, author_id, author_type, content, is_internal, created_at)
       SELECT id, $1, 'agent', 'Thanks for your message, we are looking into it.', false, reply FROM bench_bulk ORDER BY reply`,
      [agentId],
    );
    await tx.query(
      `INSERT INTO ticket_sla (ticket_id, policy_id, response_due, resolution_due, response_met, resolution_met, response_at, resolution_at,
                               paused, state, targets, next_check_at, next_due_at, created_at, updated_at)
       SELECT id, $1::uuid, c + ${ms(firstDueMs)}, c + ${ms(resDueMs)}, true, NULL, reply, NULL, false, 'ok',
              jsonb_build_array(
                jsonb_build_object('target', 'first_response', 'startedAt', ${iso('c')}, 'dueAt', ${iso(`c + ${ms(firstDueMs)}`)},
                  'warnAt', ${iso(`c + ${ms(firstWarnMs)}`)}, 'budgetMinutes', $2::int, 'elapsedMinutes', trim_scale(round(r_s / 60.0, 1)),
                  'status', 'met', 'metAt', ${iso('reply')}, 'stoppedAt', ${iso('reply')}),
                jsonb_build_object('target', 'resolution', 'startedAt', ${iso('c')}, 'budgetMinutes', $3::int, 'elapsedMinutes', trim_scale(round(r_s / 60.0, 1)),
                  'dueAt', ${iso(`c + ${ms(resDueMs)}`)}, 'warnAt', ${iso(`c + ${ms(resWarnMs)}`)}, 'status', 'ok', 'metAt', NULL, 'stoppedAt', NULL)),
              c + ${ms(resWarnMs)}, c + ${ms(resDueMs)}, c, reply
         FROM bench_bulk ORDER BY c`,
      [policy.id, p.firstResponseMinutes, p.resolutionMinutes],
    );
    // the first backlog ticket's check through the queue API: the template for the others' pg-boss columns
    const first = (await tx.query<{ id: string; c: Date; reply: Date }>('SELECT id, c, reply FROM bench_bulk WHERE i = 1')).rows[0];
    const startAfter = new Date(new Date(first.c).getTime() + resWarnMs);
    const templateId = (await jobs.send(tx, SLA_CHECK_JOB, { ticketId: first.id }, { startAfter, singletonKey: `${first.id}:${startAfter.toISOString()}` }))!;
    await tx.query(`UPDATE pgboss.job SET created_on = $3 WHERE name = $1 AND id = $2`, [SLA_CHECK_JOB, templateId, first.reply]);
    await tx.query(
      `INSERT INTO pgboss.job (name, data, priority, start_after, singleton_key, expire_in, keep_until, retry_limit, retry_delay, retry_backoff,
                               policy, dead_letter, created_on)
       SELECT t.name, jsonb_build_object('ticketId', b.id), t.priority, b.c + ${ms(resWarnMs)}, b.id || ':' || ${iso(`b.c + ${ms(resWarnMs)}`)},
              t.expire_in, b.c + ${ms(resWarnMs)} + (t.keep_until - t.start_after), t.retry_limit, t.retry_delay, t.retry_backoff,
              t.policy, t.dead_letter, b.reply
         FROM bench_bulk b, (SELECT * FROM pgboss.job WHERE name = $1 AND id = $2) t
        WHERE b.i <> 1
        ORDER BY b.reply`,
      [SLA_CHECK_JOB, templateId],
    );
    const firstCheck = (await tx.query<{ at: Date }>('SELECT min(c) + $1::bigint * interval \'1 millisecond\' AS at FROM bench_bulk', [resWarnMs])).rows[0].at;
    return { policyId: policy.id, agentId, firstCheck: new Date(firstCheck) };
  });
  const v0 = performance.now();
  await db.exec('VACUUM (ANALYZE)');
  const vacuumSeconds = (performance.now() - v0) / 1000;
  return {
    seconds: (performance.now() - t0) / 1000,
    vacuumSeconds,
    tickets: o.tickets,
    requesters: o.requesters,
    policyId: result.policyId,
    agentId: result.agentId,
    seededAt: o.now,
    firstBacklogCheck: result.firstCheck,
  };
}

export interface BurstSummary {
  seconds: number;
  count: number;
  /** the first deadline of the burst */
  firstDue: Date;
  lastDue: Date;
  ids: string[];
  /** how the 10,000 jobs were enqueued, for the report */
  sendSeconds: number;
}

/**
 * The burst: `count` tickets created `firstResponseMinutes` before their
 * deadline, spread evenly over `spreadMs` from `firstDue` (0: all at the same
 * instant), not answered. Their warning check already ran at the warning
 * instant (sla_events has the warning, ticket_sla the state it left:
 * at_risk, next check = the breach) and sent the breach check, which is sent
 * here through the queue API exactly as `schedule` sends it (startAfter = the
 * deadline, singletonKey = ticket:deadline), its created_on then set to the
 * warning instant, when the warning check would have sent it.
 */
export async function seedBurst(
  db: Db,
  jobs: JobQueue,
  o: { count: number; firstDue: Date; spreadMs: number; policy: SlaPolicySpec; policyId: string; requesters: number },
): Promise<BurstSummary> {
  const t0 = performance.now();
  const p = o.policy;
  const firstWarnMs = Math.round(p.firstResponseMinutes * MIN * p.warnAtPercent / 100);
  const resWarnMs = Math.round(p.resolutionMinutes * MIN * p.warnAtPercent / 100);
  const firstDueMs = p.firstResponseMinutes * MIN;
  const resDueMs = p.resolutionMinutes * MIN;
  const ms = (n: number) => `(${n}::bigint * interval '1 millisecond')`;
  let sendSeconds = 0;
  const rows = await db.transaction(async (tx) => {
    await tx.query(
      `CREATE TEMP TABLE bench_due ON COMMIT DROP AS
         SELECT i, gen_random_uuid() AS id, due - ${ms(firstDueMs)} AS c, due
           FROM (SELECT i, $2::timestamptz + floor((i - 1)::float8 * $3::float8 / $1::int)::bigint * interval '1 millisecond' AS due
                   FROM generate_series(1, $1::int) i) x`,
      [o.count, o.firstDue, o.spreadMs],
    );
    await tx.query(
      `INSERT INTO tickets (id, subject, description, status, priority, category, requester_id, source, tags, created_at, updated_at, priority_score)
       SELECT d.id, 'Order not delivered #' || d.i, 'Seeded by bench:sla. Nobody has answered yet; the first response falls due in the burst minute.',
              'new', 'normal', $1, r.id, 'email', '{}'::text[], d.c, d.c, 50
         FROM bench_due d
         JOIN (SELECT row_number() OVER (ORDER BY email)::int AS n, id FROM requesters WHERE email LIKE 'sla.requester%') r
           ON r.n = 1 + ((d.i::bigint * 104729) % $2::int)::int
        ORDER BY d.c`,
      [DUE_CATEGORY, o.requesters],
    );
    await tx.query(
      `INSERT INTO ticket_sla (ticket_id, policy_id, response_due, resolution_due, response_met, resolution_met, response_at, resolution_at,
                               paused, state, targets, next_check_at, next_due_at, created_at, updated_at)
       SELECT id, $1::uuid, due, c + ${ms(resDueMs)}, NULL, NULL, NULL, NULL, false, 'at_risk',
              jsonb_build_array(
                jsonb_build_object('target', 'first_response', 'startedAt', ${iso('c')}, 'dueAt', ${iso('due')},
                  'warnAt', ${iso(`c + ${ms(firstWarnMs)}`)}, 'budgetMinutes', $2::int, 'elapsedMinutes', $4::float8,
                  'status', 'at_risk', 'metAt', NULL, 'stoppedAt', NULL),
                jsonb_build_object('target', 'resolution', 'startedAt', ${iso('c')}, 'budgetMinutes', $3::int, 'elapsedMinutes', $4::float8,
                  'dueAt', ${iso(`c + ${ms(resDueMs)}`)}, 'warnAt', ${iso(`c + ${ms(resWarnMs)}`)}, 'status', 'ok', 'metAt', NULL, 'stoppedAt', NULL)),
              due, due, c, c + ${ms(firstWarnMs)}
         FROM bench_due ORDER BY c`,
      [o.policyId, p.firstResponseMinutes, p.resolutionMinutes, firstWarnMs / MIN],
    );
    await tx.query(
      `INSERT INTO sla_events (ticket_id, policy_id, kind, target, due_at, recorded_at)
       SELECT id, $1::uuid, 'warning', 'first_response', c + ${ms(firstWarnMs)}, c + ${ms(firstWarnMs)} FROM bench_due ORDER BY c`,
      [o.policyId],
    );
    const due = (await tx.query<{ id: string; due: Date }>('SELECT id, due FROM bench_due ORDER BY i')).rows;
    const s0 = performance.now();
    const jobIds: string[] = [];
    for (const d of due) {
      const at = new Date(d.due);
      jobIds.push((await jobs.send(tx, SLA_CHECK_JOB, { ticketId: d.id }, { startAfter: at, singletonKey: `${d.id}:${at.toISOString()}` }))!);
    }
    sendSeconds = (performance.now() - s0) / 1000;
    await tx.query(`UPDATE pgboss.job SET created_on = start_after - ${ms(firstDueMs - firstWarnMs)} WHERE name = $1 AND id = ANY($2::uuid[])`, [SLA_CHECK_JOB, jobIds]);
    return due;
  });
  return {
    seconds: (performance.now() - t0) / 1000,
    sendSeconds,
    count: rows.length,
    firstDue: new Date(rows[0].due),
    lastDue: new Date(rows[rows.length - 1].due),
    ids: rows.map((r) => r.id),
  };
}

export interface ConsistencyReport {
  sampled: number;
  mismatches: string[];
  /** sampled tickets whose pending sla.check job is exactly at next_check_at (and only one) */
  jobsOk: number;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-9;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  if (ka.join() !== kb.join()) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * The seeded state against the engine: for a sample of backlog and burst
 * tickets, the real `computeFor` (src/domain/sla/engine.ts) at the instant
 * the row says it was computed (updated_at) must give the stored targets,
 * state, next check and next due; and each must have exactly one pending
 * `sla.check` job, at its next check.
 */
export async function checkConsistency(db: Db, burstIds: string[], sample = 100): Promise<ConsistencyReport> {
  const backlog = (await db.query<{ ticket_id: string }>(
    `SELECT t.id AS ticket_id FROM tickets t TABLESAMPLE SYSTEM (1) WHERE t.category <> $1 LIMIT $2`, [DUE_CATEGORY, sample],
  )).rows.map((r) => r.ticket_id);
  const burst = burstIds.filter((_, i) => i % Math.max(1, Math.floor(burstIds.length / sample)) === 0).slice(0, sample);
  const ids = [...backlog, ...burst];
  const policies = await listActivePolicies(db);
  const mismatches: string[] = [];
  for (const id of ids) {
    const row = (await db.query<{ targets: unknown; state: string; paused: boolean; next_check_at: Date | null; next_due_at: Date | null; updated_at: Date; response_due: Date | null; resolution_due: Date | null }>(
      'SELECT targets, state, paused, next_check_at, next_due_at, updated_at, response_due, resolution_due FROM ticket_sla WHERE ticket_id = $1', [id],
    )).rows[0];
    const inputs = (await loadSlaInputs(db, id))!;
    const policy = policies.find((p) => p.id === inputs.policy_id)!;
    const s = await computeFor(db, inputs, policy, new Date(row.updated_at));
    const t = (d: Date | null | undefined) => (d ? new Date(d).getTime() : null);
    const diffs: string[] = [];
    if (!sameJson(JSON.parse(JSON.stringify(s.targets)), row.targets)) diffs.push(`targets ${JSON.stringify(s.targets)} ≠ ${JSON.stringify(row.targets)}`);
    if (s.state !== row.state) diffs.push(`state ${s.state} ≠ ${row.state}`);
    if (s.paused !== row.paused) diffs.push('paused');
    if (t(s.nextCheckAt) !== t(row.next_check_at)) diffs.push(`next_check_at ${s.nextCheckAt?.toISOString()} ≠ ${row.next_check_at}`);
    if (t(s.nextDueAt) !== t(row.next_due_at)) diffs.push(`next_due_at ${s.nextDueAt?.toISOString()} ≠ ${row.next_due_at}`);
    if (t(s.targets.find((x) => x.target === 'first_response')?.dueAt) !== t(row.response_due)) diffs.push('response_due');
    if (t(s.targets.find((x) => x.target === 'resolution')?.dueAt) !== t(row.resolution_due)) diffs.push('resolution_due');
    if (diffs.length) mismatches.push(`${id}: ${diffs.join('; ')}`);
  }
  const jobs = await db.query<{ ticket_id: string; n: number; at_next: number }>(
    `SELECT j.data->>'ticketId' AS ticket_id, count(*)::int AS n, count(*) FILTER (WHERE j.start_after = s.next_check_at)::int AS at_next
       FROM pgboss.job j JOIN unnest($2::text[]) AS x(id) ON x.id = j.data->>'ticketId'
       JOIN ticket_sla s ON s.ticket_id = x.id::uuid
      WHERE j.name = $1 AND j.state = 'created'
      GROUP BY 1`,
    [SLA_CHECK_JOB, ids],
  );
  const jobsOk = jobs.rows.filter((r) => r.n === 1 && r.at_next === 1).length;
  return { sampled: ids.length, mismatches, jobsOk };
}

/** Opens the pg-boss queue in the seeding process (creates its schema), as the server does. */
export function openQueue(db: Db): Promise<JobQueue> {
  return createJobs(db, {});
}

export interface Pcts {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function pcts(xs: number[]): Pcts {
  const s = Float64Array.from(xs).sort();
  return { n: s.length, min: s.length ? s[0] : NaN, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : NaN };
}

export interface BurstOutcome {
  /** burst tickets with exactly one first-response breach row */
  exactlyOne: number;
  /** with none */
  missing: number;
  /** with more than one */
  duplicated: number;
  /** breach rows whose due_at is not the seeded deadline */
  wrongDue: number;
  /** warning rows per burst ticket other than the seeded one */
  extraWarnings: number;
  /** recorded_at − due_at, ms */
  latenessMs: Pcts;
  /** breach rows recorded before their deadline (must be 0) */
  early: number;
  firstDue: Date;
  lastDue: Date;
  firstRecorded: Date | null;
  lastRecorded: Date | null;
  /** pg-boss: started_on − start_after (claim delay: polling and backlog), ms */
  claimDelayMs: Pcts;
  /** recorded_at − started_on (waiting behind earlier jobs of the same claimed batch, and the transaction's first statements), ms */
  inBatchMs: Pcts;
  /** completed_on − recorded_at (rest of the check transaction, commit, complete()), ms */
  afterRecordMs: Pcts;
  jobs: { completed: number; failedOrRetried: number; other: number; firstStarted: Date | null; lastCompleted: Date | null };
  /** sla.check completions per whole second (burst jobs), from completed_on */
  perSecond: { second: number; completed: number; recorded: number }[];
  /** priority raised by the escalation (history rows with field priority), per ticket */
  escalated: number;
  escalatedTwice: number;
  /** next check sent by the breach check (resolution warning), burst tickets with exactly one pending */
  nextCheckScheduled: number;
}

/** The figures of the burst, from the database after the server stopped. */
export async function burstOutcome(db: Db, ids: string[]): Promise<BurstOutcome> {
  const ev = (await db.query<{ ticket_id: string; breaches: number; warnings: number; due_at: Date | null; recorded_at: Date | null; seeded_due: Date }>(
    `SELECT s.ticket_id,
            count(e.*) FILTER (WHERE e.kind = 'breach' AND e.target = 'first_response')::int AS breaches,
            count(e.*) FILTER (WHERE e.kind = 'warning')::int AS warnings,
            min(e.due_at) FILTER (WHERE e.kind = 'breach' AND e.target = 'first_response') AS due_at,
            min(e.recorded_at) FILTER (WHERE e.kind = 'breach' AND e.target = 'first_response') AS recorded_at,
            s.response_due AS seeded_due
       FROM ticket_sla s LEFT JOIN sla_events e ON e.ticket_id = s.ticket_id
      WHERE s.ticket_id = ANY($1::uuid[])
      GROUP BY s.ticket_id, s.response_due`,
    [ids],
  )).rows;
  const late: number[] = [];
  let exactlyOne = 0;
  let missing = 0;
  let duplicated = 0;
  let wrongDue = 0;
  let early = 0;
  let extraWarnings = 0;
  let firstRecorded: number | null = null;
  let lastRecorded: number | null = null;
  let firstDue = Infinity;
  let lastDue = -Infinity;
  const recordedAt = new Map<string, number>();
  for (const r of ev) {
    if (r.breaches === 1) exactlyOne++;
    else if (r.breaches === 0) missing++;
    else duplicated++;
    if (r.warnings !== 1) extraWarnings++;
    const seeded = new Date(r.seeded_due).getTime();
    firstDue = Math.min(firstDue, seeded);
    lastDue = Math.max(lastDue, seeded);
    if (r.due_at && r.recorded_at) {
      const due = new Date(r.due_at).getTime();
      const rec = new Date(r.recorded_at).getTime();
      if (due !== seeded) wrongDue++;
      if (rec < due) early++;
      late.push(rec - due);
      recordedAt.set(r.ticket_id, rec);
      firstRecorded = firstRecorded === null ? rec : Math.min(firstRecorded, rec);
      lastRecorded = lastRecorded === null ? rec : Math.max(lastRecorded, rec);
    }
  }
  missing += ids.length - ev.length;
  // the burst jobs: the sla.check jobs whose start_after is the seeded deadline (response_due is unchanged by the breach)
  const jobs = (await db.query<{ ticket_id: string; state: string; retry_count: number; start_after: Date; started_on: Date | null; completed_on: Date | null }>(
    `SELECT j.data->>'ticketId' AS ticket_id, j.state::text AS state, j.retry_count, j.start_after, j.started_on, j.completed_on
       FROM pgboss.job j JOIN unnest($4::text[]) AS x(id) ON x.id = j.data->>'ticketId'
      WHERE j.name = $1 AND j.start_after BETWEEN $2 AND $3`,
    [SLA_CHECK_JOB, new Date(firstDue), new Date(lastDue), ids],
  )).rows;
  const claim: number[] = [];
  const inBatch: number[] = [];
  const after: number[] = [];
  let completed = 0;
  let failedOrRetried = 0;
  let other = 0;
  let firstStarted: number | null = null;
  let lastCompleted: number | null = null;
  const perSecond = new Map<number, { completed: number; recorded: number }>();
  const bucket = (t: number) => Math.floor((t - firstDue) / 1000);
  for (const j of jobs) {
    if (j.state === 'completed') completed++;
    else if (j.state === 'failed' || j.state === 'retry') failedOrRetried++;
    else other++;
    if (j.retry_count > 0) failedOrRetried++;
    const sa = new Date(j.start_after).getTime();
    if (j.started_on) {
      const st = new Date(j.started_on).getTime();
      claim.push(st - sa);
      firstStarted = firstStarted === null ? st : Math.min(firstStarted, st);
      const rec = recordedAt.get(j.ticket_id);
      if (rec !== undefined) inBatch.push(rec - st);
      if (j.completed_on && rec !== undefined) after.push(new Date(j.completed_on).getTime() - rec);
    }
    if (j.completed_on) {
      const ct = new Date(j.completed_on).getTime();
      lastCompleted = lastCompleted === null ? ct : Math.max(lastCompleted, ct);
      const b = bucket(ct);
      const x = perSecond.get(b) ?? { completed: 0, recorded: 0 };
      x.completed++;
      perSecond.set(b, x);
    }
  }
  for (const rec of recordedAt.values()) {
    const b = bucket(rec);
    const x = perSecond.get(b) ?? { completed: 0, recorded: 0 };
    x.recorded++;
    perSecond.set(b, x);
  }
  const esc = (await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ticket_history WHERE ticket_id = ANY($1::uuid[]) AND field = 'priority' GROUP BY ticket_id`, [ids],
  )).rows;
  const next = (await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT x.id FROM pgboss.job j JOIN unnest($3::text[]) AS x(id) ON x.id = j.data->>'ticketId'
        WHERE j.name = $1 AND j.state = 'created' AND j.start_after > $2
        GROUP BY 1 HAVING count(*) = 1) x`,
    [SLA_CHECK_JOB, new Date(lastDue), ids],
  )).rows[0].n;
  return {
    exactlyOne, missing, duplicated, wrongDue, extraWarnings, early,
    latenessMs: pcts(late),
    firstDue: new Date(firstDue), lastDue: new Date(lastDue),
    firstRecorded: firstRecorded === null ? null : new Date(firstRecorded),
    lastRecorded: lastRecorded === null ? null : new Date(lastRecorded),
    claimDelayMs: pcts(claim), inBatchMs: pcts(inBatch), afterRecordMs: pcts(after),
    jobs: { completed, failedOrRetried, other, firstStarted: firstStarted === null ? null : new Date(firstStarted), lastCompleted: lastCompleted === null ? null : new Date(lastCompleted) },
    perSecond: [...perSecond].map(([second, v]) => ({ second, ...v })).sort((a, b) => a.second - b.second),
    escalated: esc.filter((r) => r.n >= 1).length,
    escalatedTwice: esc.filter((r) => r.n > 1).length,
    nextCheckScheduled: next,
  };
}

/** Tickets created over HTTP since `since`, and how many of them got their SLA row and their first check job. */
export async function createdSince(db: Db, since: Date): Promise<{ tickets: number; withSla: number; withJob: number }> {
  const r = (await db.query<{ tickets: number; with_sla: number }>(
    `SELECT count(*)::int AS tickets, count(s.ticket_id)::int AS with_sla
       FROM tickets t LEFT JOIN ticket_sla s ON s.ticket_id = t.id
      WHERE t.created_at >= $1 AND t.category <> $2`,
    [since, DUE_CATEGORY],
  )).rows[0];
  const j = (await db.query<{ n: number }>(
    `SELECT count(DISTINCT j.data->>'ticketId')::int AS n FROM pgboss.job j JOIN tickets t ON t.id = (j.data->>'ticketId')::uuid
      WHERE j.name = $1 AND t.created_at >= $2 AND t.category <> $3 AND j.created_on >= $2`,
    [SLA_CHECK_JOB, since, DUE_CATEGORY],
  )).rows[0].n;
  return { tickets: r.tickets, withSla: r.with_sla, withJob: j };
}
