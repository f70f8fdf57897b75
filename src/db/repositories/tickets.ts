import type { Db } from '../client.ts';
import { escapeLike, type RequesterSummary } from './people.ts';
import type { AttachmentRow, CommentRow } from './conversation.ts';
import type { SlaView } from '../../domain/sla/view.ts';
import type { TicketPriority, TicketSource, TicketStatus } from '../../domain/tickets/lifecycle.ts';
import type { SearchQuery } from '../../domain/search/query.ts';
import { compileSearch, type SearchScope } from './search.ts';

export interface TicketRow {
  id: string;
  number: number;
  external_id: string | null;
  subject: string;
  description: string;
  status: TicketStatus;
  priority: TicketPriority;
  category: string;
  subcategory: string | null;
  requester_id: string;
  assignee_id: string | null;
  assignee_group_id: string | null;
  source: TicketSource;
  channel: string | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  due_date: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  follow_up_of: string | null;
  priority_score: number | null;
  priority_factors: Record<string, unknown> | null;
  routing_skills: string[];
  routing_agent_id: string | null;
  routing_excluded: string[];
  manual_queue: boolean;
  queued_at: Date | null;
  assignment: Record<string, unknown> | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A ticket with its requester, assignee and group, as the API shows it. */
export interface TicketViewRow extends TicketRow {
  requester: RequesterSummary;
  assignee: { id: string; name: string; email: string; role: string; status: string } | null;
  assignee_group: string | null;
  /** how long routing took when this ticket was just created (for the Server-Timing header) */
  routing_ms?: number;
  /** the stored SLA state (targets as computed at the last change), with the policy's calendar */
  sla: SlaView | null;
}

export const VIEW_COLUMNS = `t.*,
    json_build_object('id', r.id, 'name', r.name, 'email', r.email, 'phone', r.phone,
                      'organization', o.name, 'organizationId', o.id,
                      'tier', coalesce(r.tier, o.tier, 'standard')) AS requester,
    CASE WHEN a.id IS NULL THEN NULL ELSE
      json_build_object('id', a.id, 'name', a.name, 'email', a.email, 'role', a.role, 'status', a.status) END AS assignee,
    g.slug AS assignee_group,
    (SELECT json_build_object('policyId', s.policy_id, 'policyName', p.name, 'responseDue', s.response_due,
              'resolutionDue', s.resolution_due, 'responseMet', s.response_met, 'resolutionMet', s.resolution_met,
              'paused', s.paused, 'state', s.state, 'targets', s.targets,
              'calendar', CASE WHEN c.id IS NULL THEN NULL ELSE json_build_object('timezone', c.timezone, 'hours', c.hours, 'holidays', c.holidays) END)
       FROM ticket_sla s LEFT JOIN sla_policies p ON p.id = s.policy_id LEFT JOIN calendars c ON c.id = p.calendar_id
      WHERE s.ticket_id = t.id) AS sla`;

export const VIEW_FROM = `
  FROM tickets t
  JOIN requesters r ON r.id = t.requester_id
  LEFT JOIN organizations o ON o.id = r.organization_id
  LEFT JOIN agents a ON a.id = t.assignee_id
  LEFT JOIN groups g ON g.id = t.assignee_group_id`;

const VIEW_SELECT = `SELECT ${VIEW_COLUMNS} ${VIEW_FROM}`;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `ref` is a UUID or a ticket number; returns the WHERE clause and its parameter, or null if it is neither. */
export function ticketRefClause(ref: string, alias = 't'): { sql: string; param: string | number } | null {
  if (UUID_RE.test(ref)) return { sql: `${alias}.id = $1`, param: ref };
  if (/^\d{1,15}$/.test(ref)) return { sql: `${alias}.number = $1`, param: Number(ref) };
  return null;
}

export async function getTicketView(db: Db, ref: string): Promise<TicketViewRow | undefined> {
  const where = ticketRefClause(ref);
  if (!where) return undefined;
  return (await db.query<TicketViewRow>(`${VIEW_SELECT} WHERE ${where.sql}`, [where.param])).rows[0];
}

/** A ticket view with its conversation: comments and attachments, as JSON rows (snake_case, like their tables). */
export interface TicketDetailRow extends TicketViewRow {
  comments: CommentRow[];
  attachments: AttachmentRow[];
}

/**
 * The ticket with its comments (author names resolved) and attachments in one
 * statement — one round trip for the agent's most frequent read. Internal
 * notes and their attachments only when `includeInternal`.
 */
export async function getTicketDetail(db: Db, ref: string, includeInternal: boolean): Promise<TicketDetailRow | undefined> {
  const where = ticketRefClause(ref);
  if (!where) return undefined;
  return (
    await db.query<TicketDetailRow>(
      `SELECT ${VIEW_COLUMNS},
        (SELECT coalesce(json_agg(to_jsonb(c) || jsonb_build_object('author_name', coalesce(ca.name, cr.name))
                                  ORDER BY c.created_at, c.seq), '[]')
           FROM ticket_comments c
           LEFT JOIN agents ca ON c.author_type = 'agent' AND ca.id = c.author_id
           LEFT JOIN requesters cr ON c.author_type = 'requester' AND cr.id = c.author_id
          WHERE c.ticket_id = t.id AND ($2 OR NOT c.is_internal)) AS comments,
        (SELECT coalesce(json_agg(to_jsonb(at) ORDER BY at.created_at, at.id), '[]')
           FROM attachments at LEFT JOIN ticket_comments ac ON ac.id = at.comment_id
          WHERE at.ticket_id = t.id AND ($2 OR ac.id IS NULL OR NOT ac.is_internal)) AS attachments
       ${VIEW_FROM}
       WHERE ${where.sql}`,
      [where.param, includeInternal],
    )
  ).rows[0];
}

/** The id of the ticket with this UUID or number, or undefined. */
export async function findTicketId(db: Db, ref: string): Promise<string | undefined> {
  const where = ticketRefClause(ref);
  if (!where) return undefined;
  return (await db.query<{ id: string }>(`SELECT t.id FROM tickets t WHERE ${where.sql}`, [where.param])).rows[0]?.id;
}

/**
 * Reads the ticket (by UUID or number) and locks its row until the transaction
 * ends (every command on a ticket starts here), and says whether it has SLA
 * state (`has_sla`: without a policy in use, the command then has none to clear).
 */
export async function lockTicket(db: Db, ref: string): Promise<(TicketRow & { has_sla: boolean }) | undefined> {
  const where = ticketRefClause(ref);
  if (!where) return undefined;
  return (
    await db.query<TicketRow & { has_sla: boolean }>(
      `SELECT t.*, EXISTS (SELECT 1 FROM ticket_sla s WHERE s.ticket_id = t.id) AS has_sla
         FROM tickets t WHERE ${where.sql} FOR UPDATE OF t`,
      [where.param],
    )
  ).rows[0];
}

export interface NewTicket {
  subject: string;
  description: string;
  status: TicketStatus;
  priority: TicketPriority;
  category: string;
  subcategory: string | null;
  requesterId: string;
  assigneeId: string | null;
  assigneeGroupId: string | null;
  source: TicketSource;
  channel: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  dueDate: Date | null;
  externalId: string | null;
  followUpOf: string | null;
  createdBy: string | null;
  priorityScore: number | null;
  priorityFactors: unknown;
  queuedAt: Date | null;
  routingSkills: string[];
  routingAgentId: string | null;
  manualQueue: boolean;
  assignment: unknown;
}

/**
 * Inserts a ticket, its `created` history row and (when routed) its `assigned`
 * row in one statement (one round trip on the hot path; UNION ALL keeps their order). The history row's `changed_to` is `created` plus the
 * ticket's number, which only the insert knows.
 */
export async function insertTicket(
  db: Db,
  t: NewTicket,
  created: {
    changedBy: string | null;
    actorType: string;
    changedTo: Record<string, unknown>;
    /** the routing decision's `assigned` row (by the system), written after `created` */
    assigned?: { changedFrom: unknown; changedTo: unknown; comment: string | null };
  },
  now: Date,
): Promise<TicketRow> {
  const r = await db.query<TicketRow>(
    `WITH t AS (
       INSERT INTO tickets (subject, description, status, priority, category, subcategory, requester_id,
           assignee_group_id, source, channel, tags, custom_fields, due_date, external_id, follow_up_of, created_by,
           created_at, updated_at, assignee_id, priority_score, priority_factors, queued_at, routing_skills, assignment,
           routing_agent_id, manual_queue)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17,$21,$22,$23::jsonb,$24,$25,$26::jsonb,$30,$31) RETURNING *),
     h AS (
       INSERT INTO ticket_history (ticket_id, changed_by, actor_type, change_type, field, changed_from, changed_to, comment, created_at)
       SELECT t.id, $18::uuid, $19::text, 'created', NULL, NULL::jsonb, jsonb_build_object('number', t.number) || $20::jsonb, NULL, $17::timestamptz FROM t
       UNION ALL
       SELECT t.id, NULL::uuid, 'system', 'assigned', 'assignee', $27::jsonb, $28::jsonb, $29::text, $17::timestamptz FROM t WHERE $28::jsonb IS NOT NULL)
     SELECT * FROM t`,
    [
      t.subject, t.description, t.status, t.priority, t.category, t.subcategory, t.requesterId,
      t.assigneeGroupId, t.source, t.channel, t.tags, JSON.stringify(t.customFields), t.dueDate,
      t.externalId, t.followUpOf, t.createdBy, now,
      created.changedBy, created.actorType, JSON.stringify(created.changedTo),
      t.assigneeId, t.priorityScore, t.priorityFactors == null ? null : JSON.stringify(t.priorityFactors), t.queuedAt,
      t.routingSkills, t.assignment == null ? null : JSON.stringify(t.assignment),
      created.assigned ? JSON.stringify(created.assigned.changedFrom) : null,
      created.assigned ? JSON.stringify(created.assigned.changedTo) : null,
      created.assigned?.comment ?? null,
      t.routingAgentId, t.manualQueue,
    ],
  );
  return r.rows[0];
}

/** Column values a command may change; each write bumps `version` and `updated_at`. */
export type TicketChanges = Partial<{
  subject: string;
  description: string;
  status: TicketStatus;
  priority: TicketPriority;
  category: string;
  subcategory: string | null;
  assignee_id: string | null;
  assignee_group_id: string | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  due_date: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  queued_at: Date | null;
  routing_skills: string[];
  routing_agent_id: string | null;
  routing_excluded: string[];
  manual_queue: boolean;
  assignment: unknown;
}>;

/** Columns written as JSON text. */
const JSON_COLUMNS = new Set(['custom_fields', 'assignment']);

export async function updateTicketRow(db: Db, id: string, changes: TicketChanges, now: Date): Promise<number> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [column, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    sets.push(`${column} = $${params.push(JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value)}`);
  }
  sets.push(`updated_at = $${params.push(now)}`, 'version = version + 1');
  const r = await db.query<{ version: number }>(`UPDATE tickets SET ${sets.join(', ')} WHERE id = $1 RETURNING version`, params);
  return r.rows[0].version;
}

export type SortBy = 'createdAt' | 'updatedAt' | 'priority' | 'dueDate' | 'slaDue';

export interface TicketFilters {
  status?: TicketStatus[];
  priority?: TicketPriority[];
  category?: string[];
  assigneeId?: string[];
  requesterId?: string[];
  tags?: string[];
  createdAfter?: Date;
  createdBefore?: Date;
  dueAfter?: Date;
  dueBefore?: Date;
  q?: string;
  /** SLA state now: breached (a deadline passed), at_risk (a warning passed), ok */
  slaStatus?: ('breached' | 'at_risk' | 'ok')[];
  /** the instant slaStatus is judged at */
  now?: Date;
  /** a query in the search language (`?query=`), already resolved, and who runs it */
  search?: { query: SearchQuery; scope: SearchScope };
}

/** A timestamp as exact text (microseconds, UTC, ISO 8601), whatever the session's DateStyle and TimeZone. */
const exactTime = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const EXACT_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** True for a real instant written by exactTime (rejects e.g. February 30, which Date would roll over). */
function isExactTime(v: string): boolean {
  return EXACT_TIME_RE.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString().slice(0, 23) === v.slice(0, 23);
}

/**
 * Sort keys: the SQL expression, its exact text for a cursor (a JS Date would
 * drop the microseconds and make keyset pages skip or repeat rows), how that
 * text is cast back, and which texts are valid.
 */
export const SORT_KEYS: Record<SortBy, { expr: string; text: string; cast: string; valid: (v: string) => boolean }> = {
  createdAt: { expr: 't.created_at', text: exactTime('t.created_at'), cast: 'timestamptz', valid: isExactTime },
  updatedAt: { expr: 't.updated_at', text: exactTime('t.updated_at'), cast: 'timestamptz', valid: isExactTime },
  priority: { expr: 't.priority_rank', text: 't.priority_rank::text', cast: 'smallint', valid: (v) => /^[0-3]$/.test(v) },
  // tickets without a due date sort last in ascending order
  // the earliest open SLA deadline; tickets without one last
  slaDue: {
    expr: `coalesce((SELECT s.next_due_at FROM ticket_sla s WHERE s.ticket_id = t.id), 'infinity'::timestamptz)`,
    text: `coalesce((SELECT ${exactTime('s.next_due_at')} FROM ticket_sla s WHERE s.ticket_id = t.id AND s.next_due_at IS NOT NULL), 'infinity')`,
    cast: 'timestamptz',
    valid: (v) => v === 'infinity' || isExactTime(v),
  },
  dueDate: {
    expr: `coalesce(t.due_date, 'infinity'::timestamptz)`,
    text: `CASE WHEN t.due_date IS NULL THEN 'infinity' ELSE ${exactTime('t.due_date')} END`,
    cast: 'timestamptz',
    valid: (v) => v === 'infinity' || isExactTime(v),
  },
};

/** Where a keyset page starts: the sort value (as text) and the id of the last row already seen. */
export interface KeysetPosition {
  key: string;
  id: string;
}

/** True when `key` is a sort value this repository could have written for `sortBy`. */
export function isValidSortKey(sortBy: SortBy, key: string): boolean {
  return SORT_KEYS[sortBy].valid(key);
}

function buildWhere(f: TicketFilters, params: unknown[]): string[] {
  const where: string[] = [];
  const anyOf = (column: string, values: unknown[] | undefined, type: string) => {
    if (values?.length) where.push(`${column} = ANY($${params.push(values)}::${type}[])`);
  };
  anyOf('t.status', f.status, 'text');
  anyOf('t.priority', f.priority, 'text');
  anyOf('t.category', f.category, 'text');
  anyOf('t.assignee_id', f.assigneeId, 'uuid');
  anyOf('t.requester_id', f.requesterId, 'uuid');
  if (f.tags?.length) where.push(`t.tags && $${params.push(f.tags)}::text[]`);
  if (f.createdAfter) where.push(`t.created_at >= $${params.push(f.createdAfter)}`);
  if (f.createdBefore) where.push(`t.created_at <= $${params.push(f.createdBefore)}`);
  if (f.dueAfter) where.push(`t.due_date >= $${params.push(f.dueAfter)}`);
  if (f.dueBefore) where.push(`t.due_date <= $${params.push(f.dueBefore)}`);
  if (f.slaStatus?.length) {
    const now = `$${params.push(f.now ?? new Date())}::timestamptz`;
    const breached = `(s.state = 'breached' OR s.next_due_at <= ${now})`;
    const atRisk = `(NOT ${breached} AND (s.state = 'at_risk' OR s.next_check_at <= ${now}))`;
    const conds = f.slaStatus.map((st) => (st === 'breached' ? breached : st === 'at_risk' ? atRisk : `(NOT ${breached} AND NOT ${atRisk})`));
    where.push(`EXISTS (SELECT 1 FROM ticket_sla s WHERE s.ticket_id = t.id AND (${conds.join(' OR ')}))`);
  }
  if (f.q) {
    const p = params.push(`%${escapeLike(f.q)}%`);
    where.push(`(t.subject ILIKE $${p} OR t.description ILIKE $${p})`);
  }
  if (f.search) where.push(...compileSearch(f.search.query, f.search.scope, params).where);
  return where;
}

export interface ListResult {
  rows: TicketViewRow[];
  total: number;
  /** position of the last row, for the next keyset page */
  last?: KeysetPosition;
}

/**
 * Lists tickets by the seed's filters. With `after` (a keyset position: the
 * sort value and id of the previous page's last row) it seeks instead of
 * skipping, so page 10,000 costs what page 1 costs.
 */
export async function listTickets(
  db: Db,
  f: TicketFilters,
  o: { sortBy: SortBy; sortOrder: 'asc' | 'desc'; limit: number; offset: number; after?: KeysetPosition },
): Promise<ListResult> {
  const params: unknown[] = [];
  const where = buildWhere(f, params);
  const countSql = `SELECT count(*)::int AS n FROM tickets t${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  const countParams = [...params];
  const key = SORT_KEYS[o.sortBy];
  // priority and SLA due "desc" mean most urgent first, i.e. the lowest rank / earliest deadline first
  const ascending = (o.sortOrder === 'asc') !== (o.sortBy === 'priority' || o.sortBy === 'slaDue');
  const dir = ascending ? 'ASC' : 'DESC';
  if (o.after) {
    const cmp = ascending ? '>' : '<';
    where.push(`(${key.expr}, t.id) ${cmp} ($${params.push(o.after.key)}::${key.cast}, $${params.push(o.after.id)}::uuid)`);
  }
  const sql = `SELECT ${VIEW_COLUMNS}, ${key.text} AS sort_key ${VIEW_FROM}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${key.expr} ${dir}, t.id ${dir} LIMIT $${params.push(o.limit)} OFFSET $${params.push(o.after ? 0 : o.offset)}`;
  const [rows, count] = await Promise.all([
    db.query<TicketViewRow & { sort_key: string }>(sql, params),
    db.query<{ n: number }>(countSql, countParams),
  ]);
  const lastRow = rows.rows[rows.rows.length - 1];
  return {
    rows: rows.rows,
    total: count.rows[0].n,
    last: lastRow ? { key: lastRow.sort_key, id: lastRow.id } : undefined,
  };
}

