import type { Db } from '../client.ts';

/** Which tickets a report covers: created in [start, end), optionally one agent's or one group's (current assignment). */
export interface ReportFilter {
  start: Date;
  end: Date;
  agentId?: string;
  groupSlug?: string;
  /** subtract time spent pending from resolution times */
  excludePending: boolean;
}

export type ReportDimension = 'all' | 'priority' | 'category' | 'agent' | 'group' | 'channel' | 'tier';

/** One group's aggregates; minutes are calendar minutes unless named business. */
export interface ReportGroupRow {
  dim: ReportDimension;
  key: string | null;
  label: string | null;
  total: number;
  new: number;
  open: number;
  pending: number;
  resolved: number;
  closed: number;
  ever_resolved: number;
  reopened: number;
  frt_avg: number | null;
  frt_median: number | null;
  frt_p90: number | null;
  frt_business_avg: number | null;
  frt_business_median: number | null;
  rt_avg: number | null;
  rt_median: number | null;
  rt_p90: number | null;
  fr_met: number;
  fr_breached: number;
  nr_met: number;
  nr_breached: number;
  res_met: number;
  res_breached: number;
}

function filterSql(f: ReportFilter, params: unknown[]): string {
  const where = [`f.created_at >= $${params.push(f.start)}::timestamptz`, `f.created_at < $${params.push(f.end)}::timestamptz`];
  return [...where, ...scopeSql(f, params)].join(' AND ');
}

/** The agent/group scope, on the facts' copy of the ticket's current assignment. */
function scopeSql(f: ReportFilter, params: unknown[]): string[] {
  const scope: string[] = [];
  if (f.agentId) scope.push(`f.assignee_id = $${params.push(f.agentId)}::uuid`);
  if (f.groupSlug) scope.push(`f.group_id = (SELECT g.id FROM groups g WHERE g.slug = $${params.push(f.groupSlug)}::text)`);
  return scope;
}

/** The report's dimensions and the base column each groups by. */
const DIMENSIONS: [Exclude<ReportDimension, 'all'>, string][] = [
  ['priority', 'priority'], ['category', 'category'], ['agent', 'assignee_id'],
  ['group', 'assignee_group_id'], ['channel', 'source'], ['tier', 'tier'],
];
/**
 * The dimensions each statement aggregates. Every grouping set sorts the period's rows once
 * per median/p90 (a 90-day report over a million tickets sorts 160,000 rows ~20 times), so the
 * sets are split over two statements that run at once on their own connections (on a server;
 * PGlite runs them one after the other).
 */
const STATEMENTS: (ReportDimension)[][] = [['all', 'priority', 'category', 'agent'], ['group', 'channel', 'tier']];

/**
 * The report's aggregates for every dimension (GROUPING SETS), read from
 * ticket_facts alone (first public agent reply, final resolution, pending time,
 * reopens, the dimensions and SLA outcomes, migration 0012) — never from
 * comments, history or the tickets.
 */
export async function reportGroups(db: Db, f: ReportFilter): Promise<ReportGroupRow[]> {
  const parts = await Promise.all(STATEMENTS.map((dims) => {
    const params: unknown[] = [];
    const where = filterSql(f, params);
    const excl = `$${params.push(f.excludePending)}::boolean`;
    // JIT off: at 160,000 tickets (90 days of a million) PostgreSQL spent ~0.3 s compiling
    // the expressions and ran slower with them than without (bench:search)
    return db.transaction(async (tx) => {
      await tx.query('SET LOCAL jit = off');
      return reportGroupsQuery(tx, dims, where, excl, params);
    });
  }));
  return parts.flat();
}

async function reportGroupsQuery(db: Db, dims: ReportDimension[], where: string, excl: string, params: unknown[]): Promise<ReportGroupRow[]> {
  const grouped = DIMENSIONS.filter(([d]) => dims.includes(d));
  const sets = [...(dims.includes('all') ? ['()'] : []), ...grouped.map(([, col]) => `(${col})`)];
  // a column outside this statement's sets is a NULL of its type (GROUPING() takes grouped columns only)
  const column = (col: string, type: string) => (grouped.some(([, c]) => c === col) ? col : `NULL::${type} AS ${col}`);
  const r = await db.query<ReportGroupRow>(
    `WITH base AS (
       SELECT f.status, f.priority, f.category, f.assignee_id, f.group_id AS assignee_group_id, f.source, f.tier,
              f.reopen_count, f.resolved_at,
              date_part('epoch', f.first_response_at - f.created_at) / 60 AS frt,
              CASE WHEN f.first_response_at IS NOT NULL THEN f.frt_business_minutes END AS frt_business,
              CASE WHEN f.resolved_at IS NOT NULL THEN
                (date_part('epoch', f.resolved_at - f.created_at) - CASE WHEN ${excl} THEN f.pending_seconds ELSE 0 END) / 60 END AS rt,
              f.fr_outcome AS fr, f.nr_outcome AS nr, f.res_outcome AS res
         FROM ticket_facts f
        WHERE ${where}),
     g AS (
       SELECT ${column('priority', 'text')}, ${column('category', 'text')}, ${column('assignee_id', 'uuid')},
              ${column('assignee_group_id', 'uuid')}, ${column('source', 'text')}, ${column('tier', 'text')},
              CASE ${grouped.map(([d, col]) => `WHEN GROUPING(${col}) = 0 THEN '${d}'`).join(' ')} ELSE 'all' END AS dim,
              count(*)::int AS total,
              count(*) FILTER (WHERE status = 'new')::int AS new,
              count(*) FILTER (WHERE status IN ('open', 'in_progress'))::int AS open,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE resolved_at IS NOT NULL)::int AS resolved,
              count(*) FILTER (WHERE status = 'closed')::int AS closed,
              count(*) FILTER (WHERE resolved_at IS NOT NULL OR reopen_count > 0)::int AS ever_resolved,
              count(*) FILTER (WHERE reopen_count > 0)::int AS reopened,
              avg(frt)::float8 AS frt_avg,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY frt) AS frt_median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY frt) AS frt_p90,
              avg(frt_business)::float8 AS frt_business_avg,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY frt_business) AS frt_business_median,
              avg(rt)::float8 AS rt_avg,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY rt) AS rt_median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY rt) AS rt_p90,
              count(*) FILTER (WHERE fr = 'met')::int AS fr_met, count(*) FILTER (WHERE fr = 'breached')::int AS fr_breached,
              count(*) FILTER (WHERE nr = 'met')::int AS nr_met, count(*) FILTER (WHERE nr = 'breached')::int AS nr_breached,
              count(*) FILTER (WHERE res = 'met')::int AS res_met, count(*) FILTER (WHERE res = 'breached')::int AS res_breached
         FROM base
        GROUP BY GROUPING SETS (${sets.join(', ')}))
     SELECT coalesce(g.priority, g.category, g.assignee_id::text, grp.slug, g.source, g.tier) AS key,
            a.name AS label, g.*
       FROM g LEFT JOIN agents a ON a.id = g.assignee_id LEFT JOIN groups grp ON grp.id = g.assignee_group_id`,
    params,
  );
  return r.rows;
}

export interface DailyRow {
  date: string;
  created: number;
  resolved: number;
  done: number;
}

/**
 * Per local day: tickets created, finally resolved, and leaving the backlog
 * (resolved or cancelled). `days` are the local dates with their [start, end)
 * instants. Also the backlog when the first day starts.
 */
export async function reportDaily(
  db: Db,
  f: ReportFilter,
  days: { date: string; start: Date; end: Date }[],
): Promise<{ rows: DailyRow[]; backlogAtStart: number }> {
  const params: unknown[] = [days.map((d) => d.date), days.map((d) => d.start), days.map((d) => d.end)];
  const scope = scopeSql(f, params).map((c) => ` AND ${c}`).join('');
  const rows = await db.query<DailyRow>(
    `SELECT d.date,
            (SELECT count(*) FROM ticket_facts f WHERE f.created_at >= d.s AND f.created_at < d.e${scope})::int AS created,
            (SELECT count(*) FROM ticket_facts f WHERE f.resolved_at >= d.s AND f.resolved_at < d.e${scope})::int AS resolved,
            (SELECT count(*) FROM ticket_facts f WHERE f.done_at >= d.s AND f.done_at < d.e${scope})::int AS done
       FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS d(date, s, e)
      ORDER BY d.s`,
    params,
  );
  // backlog at an instant = tickets created before it and not done before it: those not done yet
  // plus those done since (migration 0014: neither count reads the facts older than the period)
  const startParams: unknown[] = [days[0]?.start ?? f.start];
  const s0 = scopeSql(f, startParams).map((c) => ` AND ${c}`).join('');
  const backlog = await db.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM ticket_facts f WHERE f.done_at IS NULL AND f.created_at < $1::timestamptz${s0})
           + (SELECT count(*) FROM ticket_facts f WHERE f.done_at >= $1::timestamptz AND f.created_at < $1::timestamptz${s0}))::int AS n`,
    startParams,
  );
  return { rows: rows.rows, backlogAtStart: backlog.rows[0].n };
}
