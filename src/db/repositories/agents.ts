import { isUniqueViolation, type Db } from '../client.ts';

export type AgentRole = 'agent' | 'supervisor' | 'admin';
export type Presence = 'online' | 'away' | 'busy' | 'offline';

export interface AgentRow {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  skills: string[];
  max_concurrent_tickets: number;
  status: Presence;
  active: boolean;
  last_active_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** slugs of the agent's groups */
  groups: string[];
  /** open tickets assigned now, counted (never stored, so it cannot drift) */
  current_tickets: number;
}

export interface GroupRow {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  member_count: number;
}

const AGENT_SELECT = `
  SELECT a.*,
    coalesce((SELECT array_agg(g.slug ORDER BY g.slug) FROM agent_groups ag JOIN groups g ON g.id = ag.group_id
               WHERE ag.agent_id = a.id), '{}') AS groups,
    coalesce((SELECT l.open_count + l.pending_count FROM agent_loads l WHERE l.agent_id = a.id), 0) AS current_tickets
  FROM agents a`;

export async function getAgent(db: Db, id: string): Promise<AgentRow | undefined> {
  return (await db.query<AgentRow>(`${AGENT_SELECT} WHERE a.id = $1`, [id])).rows[0];
}

export async function findAgentByEmail(db: Db, email: string): Promise<AgentRow | undefined> {
  return (await db.query<AgentRow>(`${AGENT_SELECT} WHERE a.email = $1`, [email.toLowerCase()])).rows[0];
}

export async function listAgents(
  db: Db,
  f: { role?: AgentRole; status?: Presence; group?: string; includeInactive?: boolean; limit: number; offset: number },
): Promise<{ rows: AgentRow[]; total: number }> {
  const where: string[] = f.includeInactive ? ['true'] : ['a.active'];
  const params: unknown[] = [];
  if (f.role) where.push(`a.role = $${params.push(f.role)}`);
  if (f.status) where.push(`a.status = $${params.push(f.status)}`);
  if (f.group)
    where.push(`EXISTS (SELECT 1 FROM agent_groups ag JOIN groups g ON g.id = ag.group_id
                         WHERE ag.agent_id = a.id AND g.slug = $${params.push(f.group)})`);
  const clause = `WHERE ${where.join(' AND ')}`;
  const rows = (
    await db.query<AgentRow>(
      `${AGENT_SELECT} ${clause} ORDER BY a.name, a.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, f.limit, f.offset],
    )
  ).rows;
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM agents a ${clause}`, params)).rows[0].n;
  return { rows, total };
}

/** Inserts an agent; undefined when the e-mail is taken. */
export async function insertAgent(
  db: Db,
  a: { name: string; email: string; role: AgentRole; skills: string[]; maxConcurrentTickets: number; status: Presence },
  now: Date,
): Promise<string | undefined> {
  const r = await db.query<{ id: string }>(
    `INSERT INTO agents (name, email, role, skills, max_concurrent_tickets, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (email) DO NOTHING RETURNING id`,
    [a.name, a.email.toLowerCase(), a.role, a.skills, a.maxConcurrentTickets, a.status, now],
  );
  return r.rows[0]?.id;
}

/** Locks the rows of all active admins (in id order, against deadlocks) and returns their ids. */
export async function lockActiveAdmins(db: Db): Promise<string[]> {
  const r = await db.query<{ id: string }>(`SELECT id FROM agents WHERE role = 'admin' AND active ORDER BY id FOR UPDATE`);
  return r.rows.map((row) => row.id);
}

/** Changes an agent's columns; 'email_taken' when the new e-mail hits the unique index. */
export async function updateAgent(
  db: Db,
  id: string,
  patch: Partial<{ name: string; email: string; role: AgentRole; skills: string[]; maxConcurrentTickets: number; status: Presence; active: boolean }>,
  now: Date,
): Promise<'ok' | 'email_taken'> {
  const columns: Record<string, string> = {
    active: 'active',
    name: 'name',
    email: 'email',
    role: 'role',
    skills: 'skills',
    maxConcurrentTickets: 'max_concurrent_tickets',
    status: 'status',
  };
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [key, column] of Object.entries(columns)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) continue;
    sets.push(`${column} = $${params.push(key === 'email' ? String(value).toLowerCase() : value)}`);
  }
  if (patch.status !== undefined) sets.push(`last_active_at = $${params.push(now)}`);
  sets.push(`updated_at = $${params.push(now)}`);
  try {
    await db.query(`UPDATE agents SET ${sets.join(', ')} WHERE id = $1`, params);
    return 'ok';
  } catch (err) {
    if (isUniqueViolation(err, 'agents_email_key')) return 'email_taken';
    throw err;
  }
}


/** Replaces the agent's group memberships with the given group ids. */
export async function setAgentGroups(db: Db, agentId: string, groupIds: string[]): Promise<void> {
  await db.query('DELETE FROM agent_groups WHERE agent_id = $1 AND NOT (group_id = ANY($2::uuid[]))', [agentId, groupIds]);
  await db.query(
    `INSERT INTO agent_groups (agent_id, group_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
    [agentId, groupIds],
  );
}

export async function setPassword(db: Db, agentId: string, hash: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO credentials (agent_id, password_hash, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (agent_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
    [agentId, hash, now],
  );
}

export async function getPasswordHash(db: Db, agentId: string): Promise<string | undefined> {
  return (await db.query<{ password_hash: string }>('SELECT password_hash FROM credentials WHERE agent_id = $1', [agentId])).rows[0]
    ?.password_hash;
}

const GROUP_SELECT = `SELECT g.*, (SELECT count(*)::int FROM agent_groups ag WHERE ag.group_id = g.id) AS member_count FROM groups g`;

export async function listGroups(db: Db): Promise<GroupRow[]> {
  return (await db.query<GroupRow>(`${GROUP_SELECT} ORDER BY g.slug`)).rows;
}

export async function getGroupBySlug(db: Db, slug: string): Promise<GroupRow | undefined> {
  return (await db.query<GroupRow>(`${GROUP_SELECT} WHERE g.slug = $1`, [slug])).rows[0];
}

/** Maps slugs to group ids; slugs with no group are missing from the map. */
export async function groupIdsBySlug(db: Db, slugs: string[]): Promise<Map<string, string>> {
  const rows = (await db.query<{ id: string; slug: string }>('SELECT id, slug FROM groups WHERE slug = ANY($1::text[])', [slugs])).rows;
  return new Map(rows.map((r) => [r.slug, r.id]));
}

export async function insertGroup(
  db: Db,
  g: { slug: string; name: string; description?: string | null },
  now: Date,
): Promise<string | undefined> {
  return (
    await db.query<{ id: string }>(
      `INSERT INTO groups (slug, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [g.slug, g.name, g.description ?? null, now],
    )
  ).rows[0]?.id;
}

export async function updateGroup(
  db: Db,
  slug: string,
  patch: { name?: string; description?: string | null },
  now: Date,
): Promise<boolean> {
  const r = await db.query(
    `UPDATE groups SET name = coalesce($2, name), description = CASE WHEN $3::boolean THEN $4 ELSE description END,
            updated_at = $5 WHERE slug = $1`,
    [slug, patch.name ?? null, patch.description !== undefined, patch.description ?? null, now],
  );
  return r.rowCount > 0;
}

/** True when at least one active admin exists (someone can sign in and administer). */
export async function hasActiveAdmin(db: Db): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM agents WHERE role = 'admin' AND active LIMIT 1`)).rows.length > 0;
}
