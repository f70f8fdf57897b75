import type { Db } from '../client.ts';
import type { PoolAgent, Reason, Rule, RuleAction, RuleConditions } from '../../domain/routing/chooser.ts';

export interface RoutingConfigRow {
  rules: Rule[];
  /** every category → skills row ('' = the whole category) */
  category_skills: { category: string; subcategory: string; skills: string[] }[];
  routing: unknown;
  priority: unknown;
}

/**
 * Everything routing and the priority calculator read from configuration, in
 * one statement: active rules in order, the category skills, both settings
 * values. Callers keep it with `db.cached` (it changes only with the configuration).
 */
export async function loadRoutingConfig(db: Db): Promise<RoutingConfigRow> {
  const r = await db.query<RoutingConfigRow>(
    `SELECT (SELECT value FROM settings WHERE key = 'routing') AS routing,
            (SELECT value FROM settings WHERE key = 'priority') AS priority,
            (SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'position', position,
                                                         'conditions', conditions, 'action', action) ORDER BY position, created_at), '[]')
               FROM assignment_rules WHERE is_active) AS rules,
            (SELECT coalesce(json_agg(json_build_object('category', category, 'subcategory', subcategory, 'skills', skills)), '[]')
               FROM category_skills) AS category_skills`,
  );
  return r.rows[0];
}

export interface RequesterHistory {
  /** the requester's tickets in the priority calculator's recent window */
  recentTickets: number;
  lastTicketAt: Date | null;
}

/** How many tickets the requester opened in the last `windowDays` days, and when the last one. */
export async function requesterHistory(db: Db, requesterId: string, windowDays: number, now: Date): Promise<RequesterHistory> {
  const r = await db.query<{ recent: number; last: Date | null }>(
    `SELECT count(*) FILTER (WHERE created_at > $2::timestamptz - make_interval(days => $3))::int AS recent, max(created_at) AS last
       FROM tickets WHERE requester_id = $1`,
    [requesterId, now, windowDays],
  );
  return { recentTickets: r.rows[0].recent, lastTicketAt: r.rows[0].last };
}

export interface ClaimResult {
  agent: { id: string; name: string; email: string; role: string; capacity: number; load: number } | null;
  /** agents tried and passed over, with the reason found under their lock */
  tried: { id: string; reason: Reason; load: number | null }[];
}

export interface RouteResult {
  group: { id: string; slug: string } | null;
  /** every agent the decision considered, as the database saw them */
  pool: PoolAgent[];
  /** the claim: null when nobody was eligible, for a queue agents pick from by hand, and in a simulation */
  claim: ClaimResult | 'cursor_locked' | null;
  /** the round-robin scope's cursor (a simulation only) */
  cursor: string | null;
}

/**
 * A routing decision in one round trip (`triage_route`, migration 0015): the
 * group named by `groupSlug` (if it exists), the pool — a group's active
 * members (`scope: 'group'`), the one `agentId`, or every active agent — with
 * the load of those who could take the ticket (online, holding `skills`) as the
 * database keeps it, and, unless `mode` is 'none' (the simulator: nothing
 * locked or changed, the cursor returned instead), the claim of the first
 * eligible agent in the strategy's order (`triage_route_claim`, migration 0007:
 * the round-robin cursor first, held to the end of the transaction, then one
 * agent row at a time, the load read under the lock, the assignment recorded).
 * The claimed agent's row stays locked.
 */
export async function route(
  db: Db,
  q: {
    groupSlug: string | null; scope: 'group' | 'agent' | 'all'; agentId: string | null; skills: string[];
    method: string; autoAssign: boolean; exclude: string[]; mode: 'wait' | 'skip' | 'none'; now: Date;
  },
): Promise<RouteResult> {
  const r = await db.query<RouteRow>(
    'SELECT * FROM triage_route($1, $2, $3::uuid, $4::text[], $5, $6, $7::uuid[], $8, $9)',
    [q.groupSlug, q.scope, q.agentId, q.skills, q.method, q.autoAssign, q.exclude, q.mode, q.now],
  );
  const first = r.rows[0];
  return {
    group: first.group_id ? { id: first.group_id, slug: first.group_slug! } : null,
    pool: r.rows
      .filter((a) => a.id !== null)
      .map((a) => ({
        id: a.id!, name: a.name, status: a.status, active: a.active, capacity: a.capacity, load: a.load, skills: a.skills,
        inGroup: true, lastAssignedAt: a.last_assigned_at,
      })),
    claim: first.claim ? (first.claim.cursorLocked ? 'cursor_locked' : first.claim) : null,
    cursor: first.cursor_agent,
  };
}

interface RouteRow {
  group_id: string | null;
  group_slug: string | null;
  id: string | null;
  name: string;
  status: PoolAgent['status'];
  active: boolean;
  capacity: number;
  load: number | null;
  skills: string[];
  last_assigned_at: Date | null;
  claim: (ClaimResult & { cursorLocked?: boolean }) | null;
  cursor_agent: string | null;
}

export interface LockedAgent {
  id: string;
  name: string;
  email: string;
  role: string;
  status: PoolAgent['status'];
  active: boolean;
  capacity: number;
  skills: string[];
  groups: string[];
}

/**
 * Locks an agent's row (every automatic assignment to an agent holds it, so two
 * cannot count the same free slot). NO KEY UPDATE, so that tickets referencing
 * the agent (foreign-key checks take KEY SHARE) are not blocked by it. With
 * `skipLocked`, 'locked' when another transaction holds it right now.
 */
export async function lockAgent(db: Db, id: string, skipLocked: boolean): Promise<LockedAgent | 'locked' | undefined> {
  const r = await db.query<LockedAgent>(
    `SELECT a.id, a.name, a.email, a.role, a.status, a.active, a.max_concurrent_tickets AS capacity, a.skills,
            ARRAY(SELECT group_id FROM agent_groups WHERE agent_id = a.id)::text[] AS groups
       FROM agents a WHERE a.id = $1 FOR NO KEY UPDATE OF a${skipLocked ? ' SKIP LOCKED' : ''}`,
    [id],
  );
  if (r.rows[0]) return r.rows[0];
  if (!skipLocked) return undefined;
  const exists = await db.query('SELECT 1 FROM agents WHERE id = $1', [id]);
  return exists.rows.length ? 'locked' : undefined;
}

/**
 * The agent's load now, as the database keeps it (migration 0015). Run as its
 * own statement after lockAgent: under READ COMMITTED it then sees every
 * assignment committed by the lock's previous holder.
 */
export async function countLoad(db: Db, agentId: string): Promise<number> {
  const r = await db.query<{ n: number }>(
    'SELECT coalesce((SELECT load FROM agent_load_now WHERE agent_id = $1), 0) AS n',
    [agentId],
  );
  return r.rows[0].n;
}

export interface LoadMismatch {
  agent_id: string;
  stored_open: number | null;
  stored_pending: number | null;
  open: number;
  pending: number;
}

const LOAD_MISMATCHES = `
  WITH counted AS (
    SELECT assignee_id AS agent_id,
           count(*) FILTER (WHERE status IN ('new','open','in_progress'))::int AS open,
           count(*) FILTER (WHERE status = 'pending')::int AS pending
      FROM tickets WHERE assignee_id IS NOT NULL AND status IN ('new','open','in_progress','pending')
     GROUP BY assignee_id)
  SELECT a.id AS agent_id, l.open_count AS stored_open, l.pending_count AS stored_pending,
         coalesce(c.open, 0) AS open, coalesce(c.pending, 0) AS pending
    FROM agents a LEFT JOIN agent_loads l ON l.agent_id = a.id LEFT JOIN counted c ON c.agent_id = a.id
   WHERE l.agent_id IS NULL OR l.open_count <> coalesce(c.open, 0) OR l.pending_count <> coalesce(c.pending, 0)`;

/**
 * Checks the stored agent loads against a count of the tickets (one snapshot,
 * so the comparison is exact) and, where they differ — which only a write
 * around the triggers could cause (a restore, triggers disabled by hand) —
 * recounts those agents with writes to tickets held off, and returns what was wrong.
 */
export async function verifyAgentLoads(db: Db): Promise<LoadMismatch[]> {
  if ((await db.query<LoadMismatch>(LOAD_MISMATCHES)).rows.length === 0) return [];
  return db.transaction(async (tx) => {
    await tx.exec('LOCK TABLE tickets IN SHARE MODE');
    const wrong = (await tx.query<LoadMismatch>(LOAD_MISMATCHES)).rows;
    if (wrong.length) await tx.query('SELECT triage_recount_agent_loads($1::uuid[])', [wrong.map((m) => m.agent_id)]);
    return wrong;
  });
}

export interface QueuedTicket {
  id: string;
  number: number;
  status: string;
  version: number;
  assignee_group_id: string | null;
}

/**
 * Claims up to `limit` waiting tickets the agent may take — oldest most urgent
 * first, in the agent's groups (or in no group), requiring no skill the agent
 * lacks. Rows other transactions hold are skipped, never waited for.
 */
export async function claimQueuedTickets(
  db: Db,
  agent: { id: string; groupIds: string[]; skills: string[] },
  limit: number,
): Promise<QueuedTicket[]> {
  const r = await db.query<QueuedTicket>(
    `SELECT id, number, status, version, assignee_group_id FROM tickets
      WHERE queued_at IS NOT NULL AND assignee_id IS NULL AND status IN ('new','open','in_progress')
        AND (assignee_group_id IS NULL OR assignee_group_id = ANY($1::uuid[]))
        AND routing_skills <@ $2::text[]
        AND (routing_agent_id IS NULL OR routing_agent_id = $4) AND NOT ($4 = ANY(routing_excluded))
      ORDER BY priority_rank, created_at, id
      LIMIT $3 FOR UPDATE SKIP LOCKED`,
    [agent.groupIds, agent.skills, limit, agent.id],
  );
  return r.rows;
}

/** Gives claimed queued tickets to an agent in one statement (each decision names the ticket's own group). */
export async function assignQueuedTickets(
  db: Db,
  ids: string[],
  agentId: string,
  assignment: unknown,
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE tickets t SET assignee_id = $2, queued_at = NULL, routing_agent_id = NULL,
            assignment = jsonb_set($3::jsonb, '{group}', coalesce(to_jsonb((SELECT slug FROM groups g WHERE g.id = t.assignee_group_id)), 'null'::jsonb)),
            updated_at = $4, version = version + 1
      WHERE id = ANY($1::uuid[])`,
    [ids, agentId, JSON.stringify(assignment), now],
  );
}

/** Open tickets of an agent (to return to the queue), skipping rows other transactions hold. */
export async function lockOpenTicketsOf(
  db: Db,
  agentId: string,
): Promise<{ id: string; assignee_group_id: string | null; group: string | null; routing_skills: string[]; manual_queue: boolean }[]> {
  return (
    await db.query<{ id: string; assignee_group_id: string | null; group: string | null; routing_skills: string[]; manual_queue: boolean }>(
      `SELECT t.id, t.assignee_group_id, g.slug AS group, t.routing_skills, t.manual_queue FROM tickets t
         LEFT JOIN groups g ON g.id = t.assignee_group_id
        WHERE t.assignee_id = $1 AND t.status IN ('new','open','in_progress')
        ORDER BY t.priority_rank, t.created_at FOR UPDATE OF t SKIP LOCKED`,
      [agentId],
    )
  ).rows;
}

/** Online agents with a free slot and a waiting ticket they could take (for the periodic sweep). */
export async function agentsWithWork(db: Db): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `SELECT a.id FROM agents a
      WHERE a.active AND a.status = 'online'
        AND coalesce((SELECT n.load FROM agent_load_now n WHERE n.agent_id = a.id), 0) < a.max_concurrent_tickets
        AND EXISTS (SELECT 1 FROM tickets t
                     WHERE t.queued_at IS NOT NULL AND t.assignee_id IS NULL AND t.status IN ('new','open','in_progress')
                       AND (t.assignee_group_id IS NULL
                            OR t.assignee_group_id IN (SELECT group_id FROM agent_groups WHERE agent_id = a.id))
                       AND t.routing_skills <@ a.skills
                       AND (t.routing_agent_id IS NULL OR t.routing_agent_id = a.id) AND NOT (a.id = ANY(t.routing_excluded)))
      ORDER BY (SELECT l.last_assigned_at FROM agent_loads l WHERE l.agent_id = a.id) NULLS FIRST, a.id`,
  );
  return r.rows.map((x) => x.id);
}

/** Offline agents still holding open tickets (for the sweep when tickets return on offline). */
export async function offlineAgentsWithTickets(db: Db): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `SELECT a.id FROM agents a WHERE a.status = 'offline'
        AND EXISTS (SELECT 1 FROM tickets t WHERE t.assignee_id = a.id AND t.status IN ('new','open','in_progress'))`,
  );
  return r.rows.map((x) => x.id);
}

export async function groupSlug(db: Db, groupId: string): Promise<string | null> {
  return (await db.query<{ slug: string }>('SELECT slug FROM groups WHERE id = $1', [groupId])).rows[0]?.slug ?? null;
}

// --- rules -------------------------------------------------------------------

export interface RuleRow {
  id: string;
  name: string;
  position: number;
  is_active: boolean;
  conditions: RuleConditions;
  action: RuleAction;
  created_at: Date;
  updated_at: Date;
}

export async function listRules(db: Db): Promise<RuleRow[]> {
  return (await db.query<RuleRow>('SELECT * FROM assignment_rules ORDER BY position, created_at')).rows;
}

export async function getRule(db: Db, id: string): Promise<RuleRow | undefined> {
  return (await db.query<RuleRow>('SELECT * FROM assignment_rules WHERE id = $1', [id])).rows[0];
}

export async function insertRule(
  db: Db,
  r: { name: string; position?: number; isActive: boolean; conditions: RuleConditions; action: RuleAction },
  now: Date,
): Promise<RuleRow> {
  return (
    await db.query<RuleRow>(
      `INSERT INTO assignment_rules (name, position, is_active, conditions, action, created_at, updated_at)
       VALUES ($1, coalesce($2, (SELECT coalesce(max(position), 0) + 1 FROM assignment_rules)), $3, $4::jsonb, $5::jsonb, $6, $6)
       RETURNING *`,
      [r.name, r.position ?? null, r.isActive, JSON.stringify(r.conditions), JSON.stringify(r.action), now],
    )
  ).rows[0];
}

export async function updateRule(
  db: Db,
  id: string,
  p: Partial<{ name: string; position: number; isActive: boolean; conditions: RuleConditions; action: RuleAction }>,
  now: Date,
): Promise<RuleRow | undefined> {
  return (
    await db.query<RuleRow>(
      `UPDATE assignment_rules SET name = coalesce($2, name), position = coalesce($3, position), is_active = coalesce($4, is_active),
              conditions = coalesce($5::jsonb, conditions), action = coalesce($6::jsonb, action), updated_at = $7
        WHERE id = $1 RETURNING *`,
      [
        id, p.name ?? null, p.position ?? null, p.isActive ?? null,
        p.conditions ? JSON.stringify(p.conditions) : null, p.action ? JSON.stringify(p.action) : null, now,
      ],
    )
  ).rows[0];
}

export async function deleteRule(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM assignment_rules WHERE id = $1', [id])).rowCount > 0;
}

// --- category skills -------------------------------------------------------------

export interface CategorySkillsRow {
  category: string;
  subcategory: string;
  skills: string[];
  updated_at: Date;
}

export async function listCategorySkills(db: Db): Promise<CategorySkillsRow[]> {
  return (await db.query<CategorySkillsRow>('SELECT * FROM category_skills ORDER BY category, subcategory')).rows;
}

export async function putCategorySkills(db: Db, category: string, subcategory: string, skills: string[], now: Date): Promise<CategorySkillsRow> {
  return (
    await db.query<CategorySkillsRow>(
      `INSERT INTO category_skills (category, subcategory, skills, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (category, subcategory) DO UPDATE SET skills = excluded.skills, updated_at = excluded.updated_at RETURNING *`,
      [category, subcategory, skills, now],
    )
  ).rows[0];
}

export async function deleteCategorySkills(db: Db, category: string, subcategory: string): Promise<boolean> {
  return (await db.query('DELETE FROM category_skills WHERE category = $1 AND subcategory = $2', [category, subcategory])).rowCount > 0;
}

// --- settings ------------------------------------------------------------------------

export async function getSetting(db: Db, key: string): Promise<unknown> {
  return (await db.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]?.value;
}

export async function putSetting(db: Db, key: string, value: unknown, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [key, JSON.stringify(value), now],
  );
}

// --- groups with live load -----------------------------------------------------------

export interface GroupLoadRow {
  group_id: string;
  members: { id: string; name: string; status: 'online' | 'away' | 'busy' | 'offline'; load: number; capacity: number }[];
  waiting: number;
}

/** Members of each group with their live load, and how many tickets wait in its queue. */
export async function groupLoads(db: Db, groupIds: string[]): Promise<Map<string, GroupLoadRow>> {
  const r = await db.query<GroupLoadRow>(
    `SELECT g.id AS group_id,
       (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name, 'status', a.status,
                 'load', coalesce((SELECT n.load FROM agent_load_now n WHERE n.agent_id = a.id), 0),
                 'capacity', a.max_concurrent_tickets) ORDER BY a.name, a.id), '[]')
          FROM agent_groups ag JOIN agents a ON a.id = ag.agent_id WHERE ag.group_id = g.id AND a.active) AS members,
       (SELECT count(*)::int FROM tickets t WHERE t.assignee_group_id = g.id AND t.assignee_id IS NULL
           AND t.status IN ('new','open','in_progress')) AS waiting
     FROM groups g WHERE g.id = ANY($1::uuid[])`,
    [groupIds],
  );
  return new Map(r.rows.map((row) => [row.group_id, row]));
}
