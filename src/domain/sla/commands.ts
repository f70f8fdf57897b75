/**
 * SLA configuration commands: business-hours calendars (with iCalendar
 * holiday import) and SLA policies. Admins write, through these; the SLA
 * engine reads what they store (repositories/sla.ts).
 */
import type { z } from 'zod';
import { SLA_RECOMPUTE_JOB } from './engine.ts';

/** Recomputing a large backlog may take a while: the job's lease (seconds) before another worker would take it over. */
const RECOMPUTE_LEASE = { expireInSeconds: 3600 };
import type { Ctx } from '../context.ts';
import { AppError, Errors, type FieldError } from '../errors.ts';
import { can, require } from '../auth/policies.ts';
import { getGroupBySlug } from '../../db/repositories/agents.ts';
import * as repo from '../../db/repositories/sla.ts';
import type { CalendarRecord, PolicyValues, SlaPolicyRecord } from '../../db/repositories/sla.ts';
import { CalendarInput, MAX_HOLIDAYS, type Holiday } from './calendar.ts';
import { ICalError, parseICalHolidays } from './ical.ts';
import type { Escalation, SlaConditions, SlaPolicy, TargetMinutes } from './policy.ts';
import { TICKET_PRIORITIES, type TicketPriority } from '../tickets/lifecycle.ts';

/** The largest target a policy takes: a year of minutes. */
export const MAX_SLA_MINUTES = 525_600;

/** A foreign-key violation (SQLSTATE 23503). */
const isForeignKeyViolation = (err: unknown) => (err as { code?: string })?.code === '23503';

/** zod issues as field errors: the field's path, each unknown key by name ("body" for the whole). */
function fieldErrors(issues: z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: [...i.path, k].join('.'), message: 'Unknown field' }))
      : [{ path: i.path.join('.') || 'body', message: i.message }],
  );
}

// --- calendars -------------------------------------------------------------------

/** Holidays as stored: sorted by date (stable), `recurring` only when true. */
function normalizeHolidays(hs: { date: string; name: string; recurring?: boolean }[]): Holiday[] {
  return hs
    .map((h) => ({ date: h.date, name: h.name, ...(h.recurring ? { recurring: true } : {}) }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** Validates a whole calendar (400 naming each field otherwise) and returns it as stored. */
function validCalendar(input: unknown, detail = 'The calendar is not valid.'): CalendarInput {
  const parsed = CalendarInput.safeParse(input);
  if (!parsed.success) throw Errors.validation(fieldErrors(parsed.error.issues), detail);
  return { ...parsed.data, holidays: normalizeHolidays(parsed.data.holidays) };
}

export async function createCalendar(ctx: Ctx, input: z.input<typeof CalendarInput>): Promise<CalendarRecord> {
  require(can.administer(ctx.actor), 'Only admins manage SLA calendars.');
  return repo.insertCalendar(ctx.db, validCalendar(input), ctx.clock.now());
}

/** Each field given replaces the current one (hours the whole week, holidays the whole list); the result must be valid. */
export async function updateCalendar(ctx: Ctx, id: string, patch: Partial<z.input<typeof CalendarInput>>): Promise<CalendarRecord> {
  require(can.administer(ctx.actor), 'Only admins manage SLA calendars.');
  return ctx.db.transaction(async (db) => {
    const current = await repo.lockCalendar(db, id);
    if (!current) throw Errors.notFound('calendar', id);
    const merged = { name: current.name, timezone: current.timezone, hours: current.hours, holidays: current.holidays };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
    const updated = (await repo.updateCalendar(db, id, validCalendar(merged), ctx.clock.now()))!;
    await ctx.jobs?.send(db, SLA_RECOMPUTE_JOB, { calendarId: id }, RECOMPUTE_LEASE);
    return updated;
  });
}

/** The 409 for a calendar that policies still use, naming them. */
function calendarInUse(calendar: { id: string; name: string }, policies: { id: string; name: string }[]): AppError {
  const names = policies.map((p) => `"${p.name}"`).join(', ');
  return new AppError(
    409, 'calendar.in_use', 'Conflict',
    `Calendar "${calendar.name}" is used by SLA ${policies.length === 1 ? 'policy' : 'policies'} ${names}; give ${policies.length === 1 ? 'it' : 'them'} another calendar (or 24×7) first.`,
    undefined, { policies },
  );
}

/** Deletes a calendar no policy uses (409 `calendar.in_use` naming the policies otherwise). */
export async function deleteCalendar(ctx: Ctx, id: string): Promise<void> {
  require(can.administer(ctx.actor), 'Only admins manage SLA calendars.');
  let name = '';
  try {
    await ctx.db.transaction(async (db) => {
      // The row lock makes a policy being given this calendar right now wait (its foreign-key
      // check locks the row too) and then fail; policies committed before are seen below.
      const calendar = await repo.lockCalendar(db, id);
      if (!calendar) throw Errors.notFound('calendar', id);
      name = calendar.name;
      const users = await repo.policiesUsingCalendar(db, id);
      if (users.length) throw calendarInUse(calendar, users);
      await repo.deleteCalendar(db, id);
    });
  } catch (err) {
    // the net under the check: ON DELETE RESTRICT refused it
    if (isForeignKeyViolation(err)) throw calendarInUse({ id, name }, await repo.policiesUsingCalendar(ctx.db, id));
    throw err;
  }
}

export interface ImportResult {
  calendar: CalendarRecord;
  /** holidays read from the file, one per date */
  imported: number;
}

/**
 * Merges the holidays of an iCalendar file into a calendar: an imported
 * holiday replaces any holiday of the calendar on the same date, and the
 * result must stay within MAX_HOLIDAYS. A file that cannot be read is a 400
 * naming `body`. Rules that do not simply repeat every year on the same date
 * are expanded from last year to five years ahead (by the command's clock).
 */
export async function importHolidays(ctx: Ctx, id: string, ics: string): Promise<ImportResult> {
  require(can.administer(ctx.actor), 'Only admins manage SLA calendars.');
  const year = ctx.clock.now().getUTCFullYear();
  let parsed;
  try {
    parsed = parseICalHolidays(ics, { expandYears: [year - 1, year + 5] });
  } catch (err) {
    if (err instanceof ICalError) throw Errors.validation([{ path: 'body', message: err.message }], 'The iCalendar file cannot be imported.');
    throw err;
  }
  // one holiday per date; a recurring one wins over a dated one on the same date (it covers it)
  const byDate = new Map<string, Holiday>();
  for (const h of parsed) {
    const prev = byDate.get(h.date);
    if (!prev || (h.recurring && !prev.recurring)) byDate.set(h.date, { date: h.date, name: h.name, ...(h.recurring ? { recurring: true } : {}) });
  }
  return ctx.db.transaction(async (db) => {
    const current = await repo.lockCalendar(db, id);
    if (!current) throw Errors.notFound('calendar', id);
    const holidays = [...current.holidays.filter((h) => !byDate.has(h.date)), ...byDate.values()];
    if (holidays.length > MAX_HOLIDAYS) {
      throw Errors.validation(
        [{ path: 'body', message: `the calendar would have ${holidays.length} holidays; at most ${MAX_HOLIDAYS}` }],
        'The iCalendar file cannot be imported.',
      );
    }
    const merged = validCalendar(
      { name: current.name, timezone: current.timezone, hours: current.hours, holidays },
      'The imported holidays are not valid.',
    );
    const calendar = (await repo.updateCalendar(db, id, merged, ctx.clock.now()))!;
    await ctx.jobs?.send(db, SLA_RECOMPUTE_JOB, { calendarId: id }, RECOMPUTE_LEASE);
    return { calendar, imported: byDate.size };
  });
}

// --- policies ------------------------------------------------------------------------

export interface PolicyInput {
  name: string;
  position?: number;
  isActive?: boolean;
  conditions?: SlaConditions;
  /** null or absent: 24×7 */
  calendarId?: string | null;
  firstResponseMinutes: number;
  nextResponseMinutes?: number | null;
  resolutionMinutes: number;
  targetsByPriority?: Partial<Record<TicketPriority, Partial<TargetMinutes>>>;
  /** default 80 */
  warnAtPercent?: number;
  escalation?: Escalation;
}

const normalizeList = (xs: string[] | undefined) => (xs ? [...new Set(xs.map((x) => x.trim().toLowerCase()).filter(Boolean))] : undefined);

/** Conditions as stored: lists trimmed, lower-cased (organization ids/names only trimmed: matched case-insensitively anyway), empty lists dropped. */
function normalizeConditions(c: SlaConditions): SlaConditions {
  const out: SlaConditions = {};
  for (const [k, v] of Object.entries(c) as [keyof SlaConditions, string[] | undefined][]) {
    const list = k === 'organizations' ? (v ? [...new Set(v.map((x) => x.trim()).filter(Boolean))] : undefined) : normalizeList(v);
    if (list?.length) out[k] = list;
  }
  return out;
}

/** Overrides as stored: only the minutes given, priorities without any dropped. */
function normalizeTargets(t: PolicyInput['targetsByPriority']): SlaPolicy['targetsByPriority'] {
  const out: SlaPolicy['targetsByPriority'] = {};
  for (const priority of TICKET_PRIORITIES) {
    const o = t?.[priority];
    if (!o) continue;
    const kept: Partial<TargetMinutes> = {};
    if (o.firstResponseMinutes !== undefined) kept.firstResponseMinutes = o.firstResponseMinutes;
    if (o.nextResponseMinutes !== undefined) kept.nextResponseMinutes = o.nextResponseMinutes;
    if (o.resolutionMinutes !== undefined) kept.resolutionMinutes = o.resolutionMinutes;
    if (Object.keys(kept).length) out[priority] = kept;
  }
  return out;
}

const normalizeEscalation = (e: Escalation): Escalation => ({
  ...(e.notify !== undefined ? { notify: e.notify } : {}),
  ...(e.raisePriority !== undefined ? { raisePriority: e.raisePriority } : {}),
  ...(e.moveToGroup ? { moveToGroup: e.moveToGroup.trim() } : {}),
});

/** What a policy names must exist: its calendar and its escalation group (400 naming the field otherwise). */
async function checkReferences(db: Ctx['db'], p: Pick<PolicyValues, 'calendarId' | 'escalation'>): Promise<void> {
  const errors: FieldError[] = [];
  if (p.calendarId !== null && !(await repo.calendarExists(db, p.calendarId))) {
    errors.push({ path: 'calendarId', message: `No calendar ${p.calendarId}` });
  }
  if (p.escalation.moveToGroup !== undefined && !(await getGroupBySlug(db, p.escalation.moveToGroup))) {
    errors.push({ path: 'escalation.moveToGroup', message: `No group with slug "${p.escalation.moveToGroup}"` });
  }
  if (errors.length) throw Errors.validation(errors, 'The SLA policy names something that does not exist.');
}

/** A calendar deleted between the check and the write: the foreign key refuses it. */
async function orUnknownCalendar<T>(calendarId: string | null, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isForeignKeyViolation(err)) {
      throw Errors.validation([{ path: 'calendarId', message: `No calendar ${calendarId}` }], 'The SLA policy names something that does not exist.');
    }
    throw err;
  }
}

export async function createPolicy(ctx: Ctx, input: PolicyInput): Promise<SlaPolicyRecord> {
  require(can.administer(ctx.actor), 'Only admins manage SLA policies.');
  const values = {
    name: input.name.trim(),
    position: input.position,
    isActive: input.isActive ?? true,
    conditions: normalizeConditions(input.conditions ?? {}),
    calendarId: input.calendarId ?? null,
    firstResponseMinutes: input.firstResponseMinutes,
    nextResponseMinutes: input.nextResponseMinutes ?? null,
    resolutionMinutes: input.resolutionMinutes,
    targetsByPriority: normalizeTargets(input.targetsByPriority),
    warnAtPercent: input.warnAtPercent ?? 80,
    escalation: normalizeEscalation(input.escalation ?? {}),
  };
  return orUnknownCalendar(values.calendarId, () =>
    ctx.db.transaction(async (db) => {
      await checkReferences(db, values);
      return repo.insertPolicy(db, values, ctx.clock.now());
    }),
  );
}

/**
 * Each field given replaces the current one (conditions, targetsByPriority and
 * escalation as a whole); `calendarId: null` moves the policy to 24×7 and
 * `nextResponseMinutes: null` drops its next-response target.
 */
export async function updatePolicy(ctx: Ctx, id: string, patch: Partial<PolicyInput>): Promise<SlaPolicyRecord> {
  require(can.administer(ctx.actor), 'Only admins manage SLA policies.');
  return orUnknownCalendar(patch.calendarId ?? null, () =>
    ctx.db.transaction(async (db) => {
      const current = await repo.lockPolicy(db, id);
      if (!current) throw Errors.notFound('sla_policy', id);
      const values: PolicyValues = {
        name: patch.name !== undefined ? patch.name.trim() : current.name,
        position: patch.position ?? current.position,
        isActive: patch.isActive ?? current.isActive,
        conditions: patch.conditions !== undefined ? normalizeConditions(patch.conditions) : current.conditions,
        calendarId: patch.calendarId !== undefined ? patch.calendarId : current.calendarId,
        firstResponseMinutes: patch.firstResponseMinutes ?? current.firstResponseMinutes,
        nextResponseMinutes: patch.nextResponseMinutes !== undefined ? patch.nextResponseMinutes : current.nextResponseMinutes,
        resolutionMinutes: patch.resolutionMinutes ?? current.resolutionMinutes,
        targetsByPriority: patch.targetsByPriority !== undefined ? normalizeTargets(patch.targetsByPriority) : current.targetsByPriority,
        warnAtPercent: patch.warnAtPercent ?? current.warnAtPercent,
        escalation: patch.escalation !== undefined ? normalizeEscalation(patch.escalation) : current.escalation,
      };
      // only what the change names is checked: a policy keeps working while its escalation group is renamed
      await checkReferences(db, {
        calendarId: patch.calendarId !== undefined ? values.calendarId : null,
        escalation: patch.escalation !== undefined ? values.escalation : {},
      });
      const updated = (await repo.updatePolicy(db, id, values, ctx.clock.now()))!;
      // the open tickets under it pick their policy again, deadlines recomputed (a job: there may be many)
      await ctx.jobs?.send(db, SLA_RECOMPUTE_JOB, { policyId: id }, RECOMPUTE_LEASE);
      return updated;
    }),
  );
}

export async function deletePolicy(ctx: Ctx, id: string): Promise<void> {
  require(can.administer(ctx.actor), 'Only admins manage SLA policies.');
  await ctx.db.transaction(async (db) => {
    if (!(await repo.deletePolicy(db, id))) throw Errors.notFound('sla_policy', id);
    // its tickets are left without a policy (ON DELETE SET NULL): they pick another one, or lose their SLA
    await ctx.jobs?.send(db, SLA_RECOMPUTE_JOB, { orphans: true }, RECOMPUTE_LEASE);
  });
}
