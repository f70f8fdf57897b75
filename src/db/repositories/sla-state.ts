import type { Db } from '../client.ts';
import type { PassedEvent, SlaState } from '../../domain/sla/clock.ts';
import type { SlaPolicy } from '../../domain/sla/policy.ts';
import type { TicketStatus } from '../../domain/tickets/lifecycle.ts';

/** What the SLA clock needs about one ticket, in one statement. */
export interface SlaInputs {
  id: string;
  priority: string;
  category: string;
  source: string;
  channel: string | null;
  tags: string[];
  status: TicketStatus;
  created_at: Date;
  tier: string;
  org_id: string | null;
  org_name: string | null;
  group_slug: string | null;
  has_sla: boolean;
  policy_id: string | null;
  policy_name: string | null;
  next_check_at: Date | null;
  statuses: { at: string; to: TicketStatus }[];
  messages: { at: string; by: 'agent' | 'requester' }[];
}

export async function loadSlaInputs(db: Db, ticketId: string): Promise<SlaInputs | undefined> {
  return (
    await db.query<SlaInputs>(
      `SELECT t.id, t.priority, t.category, t.source, t.channel, t.tags, t.status, t.created_at,
              coalesce(r.tier, o.tier, 'standard') AS tier, o.id AS org_id, o.name AS org_name, g.slug AS group_slug,
              (s.ticket_id IS NOT NULL) AS has_sla, s.policy_id, p.name AS policy_name, s.next_check_at,
              (SELECT coalesce(json_agg(json_build_object('at', h.created_at, 'to', h.changed_to->>'status') ORDER BY h.created_at, h.seq), '[]')
                 FROM ticket_history h WHERE h.ticket_id = t.id AND h.field = 'status') AS statuses,
              (SELECT coalesce(json_agg(json_build_object('at', c.created_at, 'by', c.author_type) ORDER BY c.created_at, c.seq), '[]')
                 FROM ticket_comments c WHERE c.ticket_id = t.id AND NOT c.is_internal AND c.author_type IN ('agent','requester')) AS messages
         FROM tickets t
         JOIN requesters r ON r.id = t.requester_id
         LEFT JOIN organizations o ON o.id = r.organization_id
         LEFT JOIN groups g ON g.id = t.assignee_group_id
         LEFT JOIN ticket_sla s ON s.ticket_id = t.id
         LEFT JOIN sla_policies p ON p.id = s.policy_id
        WHERE t.id = $1`,
      [ticketId],
    )
  ).rows[0];
}

export interface TicketSlaRow {
  ticket_id: string;
  policy_id: string | null;
  policy_name: string | null;
  response_due: Date | null;
  resolution_due: Date | null;
  response_met: boolean | null;
  resolution_met: boolean | null;
  paused: boolean;
  state: string;
  targets: unknown;
  next_check_at: Date | null;
  next_due_at: Date | null;
  calendar: unknown;
}

const metFlag = (status: string | undefined) => (status === 'met' ? true : status === 'breached' ? false : null);

/** Stores the computed state (the seed's columns and the targets). */
export async function upsertTicketSla(db: Db, ticketId: string, policy: SlaPolicy, s: SlaState, now: Date): Promise<TicketSlaRow> {
  const first = s.targets.find((t) => t.target === 'first_response');
  const resolution = s.targets.find((t) => t.target === 'resolution');
  const r = await db.query<TicketSlaRow>(
    `INSERT INTO ticket_sla (ticket_id, policy_id, response_due, resolution_due, response_met, resolution_met, response_at, resolution_at,
                             paused, state, targets, next_check_at, next_due_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $14)
     ON CONFLICT (ticket_id) DO UPDATE SET policy_id = excluded.policy_id, response_due = excluded.response_due,
       resolution_due = excluded.resolution_due, response_met = excluded.response_met, resolution_met = excluded.resolution_met,
       response_at = excluded.response_at, resolution_at = excluded.resolution_at, paused = excluded.paused, state = excluded.state,
       targets = excluded.targets, next_check_at = excluded.next_check_at, next_due_at = excluded.next_due_at, updated_at = excluded.updated_at
     RETURNING *, $15::text AS policy_name`,
    [
      ticketId, policy.id, first?.dueAt ?? null, resolution?.dueAt ?? null, metFlag(first?.status), metFlag(resolution?.status),
      first?.stoppedAt ?? null, resolution?.stoppedAt ?? null, s.paused, s.state, JSON.stringify(s.targets),
      s.nextCheckAt, s.nextDueAt, now, policy.name,
    ],
  );
  return r.rows[0];
}

export async function deleteTicketSla(db: Db, ticketId: string): Promise<void> {
  await db.query('DELETE FROM ticket_sla WHERE ticket_id = $1', [ticketId]);
}

/** Records passed warnings and breaches; returns only those recorded now (not before). */
export async function insertSlaEvents(
  db: Db,
  ticketId: string,
  policyId: string,
  events: PassedEvent[],
  now: Date,
): Promise<{ kind: 'warning' | 'breach'; target: string; dueAt: Date }[]> {
  if (events.length === 0) return [];
  const r = await db.query<{ kind: 'warning' | 'breach'; target: string; due_at: Date }>(
    `INSERT INTO sla_events (ticket_id, policy_id, kind, target, due_at, recorded_at)
     SELECT $1::uuid, $2::uuid, e.kind, e.target, e.due_at, $6::timestamptz
       FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS e(kind, target, due_at)
     ON CONFLICT (ticket_id, target, kind, due_at) DO NOTHING
     RETURNING kind, target, due_at`,
    [ticketId, policyId, events.map((e) => e.kind), events.map((e) => e.target), events.map((e) => e.dueAt), now],
  );
  return r.rows.map((x) => ({ kind: x.kind, target: x.target, dueAt: new Date(x.due_at) }));
}

export interface SlaEventRow {
  kind: 'warning' | 'breach';
  target: string;
  due_at: Date;
  recorded_at: Date;
}

export async function listSlaEvents(db: Db, ticketId: string): Promise<SlaEventRow[]> {
  return (
    await db.query<SlaEventRow>(
      'SELECT kind, target, due_at, recorded_at FROM sla_events WHERE ticket_id = $1 ORDER BY due_at, kind DESC',
      [ticketId],
    )
  ).rows;
}

/** Who a breach notifies: the assignee and the supervisors of the ticket's group. */
export async function supervisorsOf(db: Db, ticketId: string): Promise<{ id: string; name: string; email: string }[]> {
  return (
    await db.query<{ id: string; name: string; email: string }>(
      `SELECT a.id, a.name, a.email FROM tickets t JOIN agents a ON a.id = t.assignee_id WHERE t.id = $1
       UNION
       SELECT a.id, a.name, a.email FROM tickets t
         JOIN agent_groups ag ON ag.group_id = t.assignee_group_id
         JOIN agents a ON a.id = ag.agent_id AND a.role = 'supervisor' AND a.active
        WHERE t.id = $1`,
      [ticketId],
    )
  ).rows;
}

/**
 * Open tickets whose SLA a policy or calendar change affects: those under the
 * policy, under a policy using the calendar, or left without one (policy deleted).
 */
export async function ticketsToRecompute(db: Db, q: { policyId?: string; calendarId?: string; orphans?: boolean }): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `SELECT s.ticket_id AS id FROM ticket_sla s JOIN tickets t ON t.id = s.ticket_id
       LEFT JOIN sla_policies p ON p.id = s.policy_id
      WHERE t.status NOT IN ('closed','cancelled')
        AND (s.policy_id = $1 OR p.calendar_id = $2 OR ($3 AND s.policy_id IS NULL))
      ORDER BY s.ticket_id`,
    [q.policyId ?? null, q.calendarId ?? null, q.orphans ?? false],
  );
  return r.rows.map((x) => x.id);
}

/** Open tickets of a requester (or of every requester of an organization), whose SLA depends on the tier. */
export async function openTicketsOfRequesters(db: Db, q: { requesterId?: string; organizationId?: string }): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `SELECT t.id FROM tickets t JOIN requesters r ON r.id = t.requester_id
      WHERE t.status NOT IN ('closed','cancelled') AND (t.requester_id = $1 OR r.organization_id = $2)`,
    [q.requesterId ?? null, q.organizationId ?? null],
  );
  return r.rows.map((x) => x.id);
}
