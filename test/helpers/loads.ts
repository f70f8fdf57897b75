import type { Db } from '../../src/db/client.ts';

/**
 * Agents whose kept load (agent_loads, maintained by triggers) differs from the
 * real count of their tickets — always empty unless the triggers are wrong.
 */
export async function loadDrift(db: Db): Promise<{ id: string; kept: string; counted: string }[]> {
  return (
    await db.query<{ id: string; kept: string; counted: string }>(
      `SELECT a.id, coalesce(l.open_count, 0) || '/' || coalesce(l.pending_count, 0) AS kept, c.open || '/' || c.pending AS counted
         FROM agents a
         LEFT JOIN agent_loads l ON l.agent_id = a.id
         CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE t.status IN ('new','open','in_progress')) AS open,
                                    count(*) FILTER (WHERE t.status = 'pending') AS pending
                               FROM tickets t WHERE t.assignee_id = a.id) c
        WHERE coalesce(l.open_count, 0) <> c.open OR coalesce(l.pending_count, 0) <> c.pending`,
    )
  ).rows;
}
