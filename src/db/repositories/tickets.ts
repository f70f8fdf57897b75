import type { Db } from '../client.ts';
import { escapeLike } from './people.ts';
import type { TicketPriority, TicketSource, TicketStatus } from '../../domain/tickets/lifecycle.ts';

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
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A ticket with its requester, assignee and group, as the API shows it. */
export interface TicketViewRow extends TicketRow {
  requester: {
    id: string;
    name: string;
    email: string;
    phone: string | null;
    organization: string | null;
    organizationId: string | null;
    tier: string;
  };
  assignee: { id: string; name: string; email: string; role: string; status: string } | null;
  assignee_group: string | null;
}

const VIEW_SELECT = `
  SELECT t.*,
    json_build_object('id', r.id, 'name', r.name, 'email', r.email, 'phone', r.phone,
                      'organization', o.name, 'organizationId', o.id,
                      'tier', coalesce(r.tier, o.tier, 'standard')) AS requester,
    CASE WHEN a.id IS NULL THEN NULL ELSE
      json_build_object('id', a.id, 'name', a.name, 'email', a.email, 'role', a.role, 'status', a.status) END AS assignee,
    g.slug AS assignee_group
  FROM tickets t
  JOIN requesters r ON r.id = t.requester_id
  LEFT JOIN organizations o ON o.id = r.organization_id
  LEFT JOIN agents a ON a.id = t.assignee_id
  LEFT JOIN groups g ON g.id = t.assignee_group_id`;

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

/** Reads the ticket and locks its row until the transaction ends (every command on a ticket starts here). */
export async function lockTicket(db: Db, ref: string): Promise<TicketRow | undefined> {
  const where = ticketRefClause(ref);
  if (!where) return undefined;
  return (await db.query<TicketRow>(`SELECT * FROM tickets t WHERE ${where.sql} FOR UPDATE`, [where.param])).rows[0];
}

export interface NewTicket {
  subject: string;
  description: string;
  status: TicketStatus;
  priority: TicketPriority;
  category: string;
  subcategory: string | null;
  requesterId: string;
  assigneeGroupId: string | null;
  source: TicketSource;
  channel: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  dueDate: Date | null;
  externalId: string | null;
  followUpOf: string | null;
  createdBy: string | null;
}

export async function insertTicket(db: Db, t: NewTicket, now: Date): Promise<TicketRow> {
  const r = await db.query<TicketRow>(
    `INSERT INTO tickets (subject, description, status, priority, category, subcategory, requester_id,
        assignee_group_id, source, channel, tags, custom_fields, due_date, external_id, follow_up_of, created_by,
        created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17) RETURNING *`,
    [
      t.subject, t.description, t.status, t.priority, t.category, t.subcategory, t.requesterId,
      t.assigneeGroupId, t.source, t.channel, t.tags, JSON.stringify(t.customFields), t.dueDate,
      t.externalId, t.followUpOf, t.createdBy, now,
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
}>;

export async function updateTicketRow(db: Db, id: string, changes: TicketChanges, now: Date): Promise<number> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [column, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    sets.push(`${column} = $${params.push(column === 'custom_fields' ? JSON.stringify(value) : value)}`);
  }
  sets.push(`updated_at = $${params.push(now)}`, 'version = version + 1');
  const r = await db.query<{ version: number }>(`UPDATE tickets SET ${sets.join(', ')} WHERE id = $1 RETURNING version`, params);
  return r.rows[0].version;
}

export type SortBy = 'createdAt' | 'updatedAt' | 'priority' | 'dueDate';

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
}

/** Sort keys: the SQL expression, and how a cursor value is cast back. */
const SORT_KEYS: Record<SortBy, { expr: string; cast: string }> = {
  createdAt: { expr: 't.created_at', cast: 'timestamptz' },
  updatedAt: { expr: 't.updated_at', cast: 'timestamptz' },
  priority: { expr: 't.priority_rank', cast: 'smallint' },
  // tickets without a due date sort last in ascending order
  dueDate: { expr: `coalesce(t.due_date, 'infinity'::timestamptz)`, cast: 'timestamptz' },
};

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
  if (f.q) {
    const p = params.push(`%${escapeLike(f.q)}%`);
    where.push(`(t.subject ILIKE $${p} OR t.description ILIKE $${p})`);
  }
  return where;
}

export interface ListResult {
  rows: TicketViewRow[];
  total: number;
  /** sort value and id of the last row, for the next keyset page */
  last?: [unknown, string];
}

/**
 * Lists tickets by the seed's filters. With `after` (a keyset cursor: the sort
 * value and id of the previous page's last row) it seeks instead of skipping,
 * so page 10,000 costs what page 1 costs.
 */
export async function listTickets(
  db: Db,
  f: TicketFilters,
  o: { sortBy: SortBy; sortOrder: 'asc' | 'desc'; limit: number; offset: number; after?: [unknown, string] },
): Promise<ListResult> {
  const params: unknown[] = [];
  const where = buildWhere(f, params);
  const countSql = `SELECT count(*)::int AS n FROM tickets t${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  const countParams = [...params];
  const key = SORT_KEYS[o.sortBy];
  // priority "desc" means most urgent first, i.e. the lowest rank first
  const ascending = (o.sortOrder === 'asc') !== (o.sortBy === 'priority');
  const dir = ascending ? 'ASC' : 'DESC';
  if (o.after) {
    const cmp = ascending ? '>' : '<';
    where.push(`(${key.expr}, t.id) ${cmp} ($${params.push(o.after[0])}::${key.cast}, $${params.push(o.after[1])}::uuid)`);
  }
  const sql = `${VIEW_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${key.expr} ${dir}, t.id ${dir} LIMIT $${params.push(o.limit)} OFFSET $${params.push(o.after ? 0 : o.offset)}`;
  const [rows, count] = await Promise.all([db.query<TicketViewRow & { sort_key?: unknown }>(sql, params), db.query<{ n: number }>(countSql, countParams)]);
  const lastRow = rows.rows[rows.rows.length - 1];
  return {
    rows: rows.rows,
    total: count.rows[0].n,
    last: lastRow ? [sortValue(lastRow, o.sortBy), lastRow.id] : undefined,
  };
}

const RANK: Record<TicketPriority, number> = { critical: 0, high: 1, normal: 2, low: 3 };

function sortValue(row: TicketRow, sortBy: SortBy): unknown {
  switch (sortBy) {
    case 'createdAt':
      return row.created_at.toISOString();
    case 'updatedAt':
      return row.updated_at.toISOString();
    case 'priority':
      return RANK[row.priority];
    case 'dueDate':
      return row.due_date ? row.due_date.toISOString() : 'infinity';
  }
}

/** Number of open tickets (new/open/in_progress/pending) assigned to the agent. */
export async function countOpenAssigned(db: Db, agentId: string): Promise<number> {
  return (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tickets WHERE assignee_id = $1 AND status IN ('new','open','in_progress','pending')`,
      [agentId],
    )
  ).rows[0].n;
}
