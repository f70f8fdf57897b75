import type { Db } from '../client.ts';

export interface SavedViewRow {
  id: string;
  name: string;
  query: string;
  columns: string[];
  sort_by: string;
  sort_order: 'asc' | 'desc';
  visibility: 'personal' | 'group' | 'all';
  group_id: string | null;
  group_slug: string | null;
  owner_id: string;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT v.*, g.slug AS group_slug FROM saved_views v LEFT JOIN groups g ON g.id = v.group_id`;
/** What an agent may see: their own views, views for all, views of their groups. */
const VISIBLE = `(v.owner_id = $1 OR v.visibility = 'all'
  OR (v.visibility = 'group' AND v.group_id IN (SELECT ag.group_id FROM agent_groups ag WHERE ag.agent_id = $1)))`;

export async function insertView(
  db: Db,
  v: { name: string; query: string; columns: string[]; sortBy: string; sortOrder: string; visibility: string; groupId: string | null; ownerId: string },
  now: Date,
): Promise<SavedViewRow> {
  const r = await db.query<{ id: string }>(
    `INSERT INTO saved_views (name, query, columns, sort_by, sort_order, visibility, group_id, owner_id, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
    [v.name, v.query, v.columns, v.sortBy, v.sortOrder, v.visibility, v.groupId, v.ownerId, now],
  );
  return (await getView(db, r.rows[0].id))!;
}

export async function getView(db: Db, id: string): Promise<SavedViewRow | undefined> {
  return (await db.query<SavedViewRow>(`${SELECT} WHERE v.id = $1`, [id])).rows[0];
}

/** The saved views an agent may see, oldest first. */
export async function listVisibleViews(db: Db, agentId: string): Promise<SavedViewRow[]> {
  return (await db.query<SavedViewRow>(`${SELECT} WHERE ${VISIBLE} ORDER BY v.created_at, v.id`, [agentId])).rows;
}

/** True when the agent may see the view. */
export async function isViewVisible(db: Db, id: string, agentId: string): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM saved_views v WHERE v.id = $2 AND ${VISIBLE}`, [agentId, id])).rows.length > 0;
}

export async function deleteView(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM saved_views WHERE id = $1 RETURNING id', [id])).rows.length > 0;
}

/** The group's id by slug, and whether the agent is a member. */
export async function groupForView(db: Db, slug: string, agentId: string | null): Promise<{ id: string; member: boolean } | undefined> {
  return (
    await db.query<{ id: string; member: boolean }>(
      `SELECT g.id, EXISTS (SELECT 1 FROM agent_groups ag WHERE ag.group_id = g.id AND ag.agent_id = $2) AS member
         FROM groups g WHERE g.slug = $1`,
      [slug, agentId],
    )
  ).rows[0];
}
