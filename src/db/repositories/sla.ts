import type { Db } from '../client.ts';
import type { Calendar, Holiday } from '../../domain/sla/calendar.ts';
import type { Escalation, SlaConditions, SlaPolicy } from '../../domain/sla/policy.ts';

// --- calendars -------------------------------------------------------------------

/** A stored business-hours calendar: a Calendar value (what the SLA arithmetic takes) with its id and times. */
export interface CalendarRecord extends Calendar {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

interface CalendarRow {
  id: string;
  name: string;
  timezone: string;
  hours: Calendar['hours'];
  holidays: Holiday[];
  created_at: Date;
  updated_at: Date;
}

const toCalendar = (r: CalendarRow): CalendarRecord => ({
  id: r.id, name: r.name, timezone: r.timezone, hours: r.hours, holidays: r.holidays ?? [], createdAt: r.created_at, updatedAt: r.updated_at,
});

export async function listCalendars(db: Db): Promise<CalendarRecord[]> {
  return (await db.query<CalendarRow>('SELECT * FROM calendars ORDER BY name, created_at, id')).rows.map(toCalendar);
}

/** A calendar by id (for the SLA engine: pass it straight to the business-time functions). */
export async function getCalendar(db: Db, id: string): Promise<CalendarRecord | undefined> {
  const r = (await db.query<CalendarRow>('SELECT * FROM calendars WHERE id = $1', [id])).rows[0];
  return r && toCalendar(r);
}

/** Locks a calendar's row until the transaction ends (edits and deletion serialize; policies referencing it wait). */
export async function lockCalendar(db: Db, id: string): Promise<CalendarRecord | undefined> {
  const r = (await db.query<CalendarRow>('SELECT * FROM calendars WHERE id = $1 FOR UPDATE', [id])).rows[0];
  return r && toCalendar(r);
}

export async function calendarExists(db: Db, id: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM calendars WHERE id = $1', [id])).rows.length > 0;
}

export async function insertCalendar(db: Db, c: Calendar & { name: string }, now: Date): Promise<CalendarRecord> {
  const r = await db.query<CalendarRow>(
    `INSERT INTO calendars (name, timezone, hours, holidays, created_at, updated_at)
     VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $5) RETURNING *`,
    [c.name, c.timezone, JSON.stringify(c.hours), JSON.stringify(c.holidays), now],
  );
  return toCalendar(r.rows[0]);
}

/** Replaces a calendar's content (the caller merged and validated it). */
export async function updateCalendar(db: Db, id: string, c: Calendar & { name: string }, now: Date): Promise<CalendarRecord | undefined> {
  const r = await db.query<CalendarRow>(
    `UPDATE calendars SET name = $2, timezone = $3, hours = $4::jsonb, holidays = $5::jsonb, updated_at = $6
      WHERE id = $1 RETURNING *`,
    [id, c.name, c.timezone, JSON.stringify(c.hours), JSON.stringify(c.holidays), now],
  );
  return r.rows[0] && toCalendar(r.rows[0]);
}

export async function deleteCalendar(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM calendars WHERE id = $1', [id])).rowCount > 0;
}

/** The policies that use a calendar, by position. */
export async function policiesUsingCalendar(db: Db, calendarId: string): Promise<{ id: string; name: string }[]> {
  return (
    await db.query<{ id: string; name: string }>(
      'SELECT id, name FROM sla_policies WHERE calendar_id = $1 ORDER BY position, created_at, id',
      [calendarId],
    )
  ).rows;
}

// --- policies ----------------------------------------------------------------------

/** A stored SLA policy: the SlaPolicy value the matcher and the engine take, with its times. */
export interface SlaPolicyRecord extends SlaPolicy {
  createdAt: Date;
  updatedAt: Date;
}

interface PolicyRow {
  id: string;
  name: string;
  position: number;
  is_active: boolean;
  conditions: SlaConditions;
  calendar_id: string | null;
  response_time_minutes: number;
  next_response_minutes: number | null;
  resolution_time_minutes: number;
  targets_by_priority: SlaPolicy['targetsByPriority'];
  warn_at_percent: number;
  escalation: Escalation;
  created_at: Date;
  updated_at: Date;
}

const POLICY_COLUMNS = `id, name, position, is_active, conditions, calendar_id, response_time_minutes, next_response_minutes,
  resolution_time_minutes, targets_by_priority, warn_at_percent, escalation, created_at, updated_at`;

const toPolicy = (r: PolicyRow): SlaPolicyRecord => ({
  id: r.id,
  name: r.name,
  position: r.position,
  isActive: r.is_active,
  conditions: r.conditions ?? {},
  calendarId: r.calendar_id,
  // response_time_minutes is the first-response target (the seed's column)
  firstResponseMinutes: r.response_time_minutes,
  nextResponseMinutes: r.next_response_minutes,
  resolutionMinutes: r.resolution_time_minutes,
  targetsByPriority: r.targets_by_priority ?? {},
  warnAtPercent: r.warn_at_percent,
  escalation: r.escalation ?? {},
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Every policy in evaluation order (position, then creation). */
export async function listPolicies(db: Db): Promise<SlaPolicyRecord[]> {
  return (await db.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM sla_policies ORDER BY position, created_at, id`)).rows.map(toPolicy);
}

/** The active policies in evaluation order (what matchPolicy takes; served by sla_policies_position_idx). */
export async function listActivePolicies(db: Db): Promise<SlaPolicyRecord[]> {
  return (
    await db.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM sla_policies WHERE is_active ORDER BY position, created_at, id`)
  ).rows.map(toPolicy);
}

export async function getPolicy(db: Db, id: string): Promise<SlaPolicyRecord | undefined> {
  const r = (await db.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM sla_policies WHERE id = $1`, [id])).rows[0];
  return r && toPolicy(r);
}

/** A policy's writable fields, in the domain's names. */
export type PolicyValues = Omit<SlaPolicy, 'id'>;

export async function insertPolicy(db: Db, p: Omit<PolicyValues, 'position'> & { position?: number }, now: Date): Promise<SlaPolicyRecord> {
  const r = await db.query<PolicyRow>(
    `INSERT INTO sla_policies (name, position, is_active, conditions, calendar_id, response_time_minutes, next_response_minutes,
                               resolution_time_minutes, targets_by_priority, warn_at_percent, escalation, created_at, updated_at)
     VALUES ($1, coalesce($2, (SELECT coalesce(max(position), 0) + 1 FROM sla_policies)), $3, $4::jsonb, $5, $6, $7,
             $8, $9::jsonb, $10, $11::jsonb, $12, $12)
     RETURNING ${POLICY_COLUMNS}`,
    [
      p.name, p.position ?? null, p.isActive, JSON.stringify(p.conditions), p.calendarId, p.firstResponseMinutes, p.nextResponseMinutes,
      p.resolutionMinutes, JSON.stringify(p.targetsByPriority), p.warnAtPercent, JSON.stringify(p.escalation), now,
    ],
  );
  return toPolicy(r.rows[0]);
}

/** Replaces a policy's fields (the caller merged the change into the current values and validated them). */
export async function updatePolicy(db: Db, id: string, p: PolicyValues, now: Date): Promise<SlaPolicyRecord | undefined> {
  const r = await db.query<PolicyRow>(
    `UPDATE sla_policies SET name = $2, position = $3, is_active = $4, conditions = $5::jsonb, calendar_id = $6,
            response_time_minutes = $7, next_response_minutes = $8, resolution_time_minutes = $9, targets_by_priority = $10::jsonb,
            warn_at_percent = $11, escalation = $12::jsonb, updated_at = $13
      WHERE id = $1 RETURNING ${POLICY_COLUMNS}`,
    [
      id, p.name, p.position, p.isActive, JSON.stringify(p.conditions), p.calendarId, p.firstResponseMinutes, p.nextResponseMinutes,
      p.resolutionMinutes, JSON.stringify(p.targetsByPriority), p.warnAtPercent, JSON.stringify(p.escalation), now,
    ],
  );
  return r.rows[0] && toPolicy(r.rows[0]);
}

/** Locks a policy's row until the transaction ends (concurrent edits of one policy serialize). */
export async function lockPolicy(db: Db, id: string): Promise<SlaPolicyRecord | undefined> {
  const r = (await db.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM sla_policies WHERE id = $1 FOR UPDATE`, [id])).rows[0];
  return r && toPolicy(r);
}

export async function deletePolicy(db: Db, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM sla_policies WHERE id = $1', [id])).rowCount > 0;
}
