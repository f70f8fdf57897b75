import { z } from 'zod';
import { HolidayInput, MAX_HOLIDAYS, WeeklyHours, CalendarInput } from '../../domain/sla/calendar.ts';
import { MAX_SLA_MINUTES } from '../../domain/sla/commands.ts';
import { TICKET_PRIORITIES } from '../../domain/tickets/lifecycle.ts';
import { Tier } from './people.ts';

// --- calendars -------------------------------------------------------------------

/** POST /calendars: the domain's schema, so error paths name the field (`timezone`, `hours.mon.0`, `holidays.3.date`). */
export const CreateCalendarBody = CalendarInput;

/**
 * PATCH /calendars/:id: each field given replaces the current one (`hours` the
 * whole week, `holidays` the whole list); the merged calendar must be valid.
 * No defaults here, so a field left out stays as it is.
 */
export const UpdateCalendarBody = z.strictObject({
  name: CalendarInput.shape.name.optional(),
  timezone: CalendarInput.shape.timezone.optional(),
  hours: WeeklyHours.optional(),
  holidays: z.array(HolidayInput).max(MAX_HOLIDAYS, `at most ${MAX_HOLIDAYS} holidays`).optional(),
});

const Interval = z.tuple([z.string(), z.string()]);
export const Calendar = z.object({
  id: z.uuid(),
  name: z.string(),
  timezone: z.string().describe('IANA time zone'),
  hours: z
    .object({
      mon: z.array(Interval), tue: z.array(Interval), wed: z.array(Interval), thu: z.array(Interval),
      fri: z.array(Interval), sat: z.array(Interval), sun: z.array(Interval),
    })
    .describe('Opening intervals per weekday in local wall time, sorted by start'),
  holidays: z
    .array(z.object({ date: z.string(), name: z.string(), recurring: z.boolean().optional() }))
    .describe('Local dates, sorted; a recurring holiday falls on the same month and day every year'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const CalendarImport = Calendar.extend({ imported: z.number().int().describe('Holidays read from the file (one per date)') });

// --- policies ----------------------------------------------------------------------

const Item = z.string().trim().min(1).max(200);
const List = <T extends z.ZodType>(item: T) => z.array(item).max(200).optional();

export const SlaConditions = z
  .strictObject({
    priorities: List(z.enum(TICKET_PRIORITIES)),
    categories: List(Item),
    tiers: List(Tier),
    organizations: List(Item).describe('organization names (case-insensitive) or ids'),
    groups: List(Item).describe('group slugs'),
    sources: List(Item).describe('ticket source or channel'),
    tags: List(Item).describe('any of these tags'),
  })
  .describe('Each list is optional; all given lists must match (case-insensitively); {} matches every ticket');

const Minutes = z.number().int().min(1).max(MAX_SLA_MINUTES);

const TargetOverride = z.strictObject({
  firstResponseMinutes: Minutes.optional(),
  nextResponseMinutes: Minutes.nullable().optional().describe('null: no next-response target for this priority'),
  resolutionMinutes: Minutes.optional(),
});

export const TargetsByPriority = z
  .strictObject({
    critical: TargetOverride.optional(),
    high: TargetOverride.optional(),
    normal: TargetOverride.optional(),
    low: TargetOverride.optional(),
  })
  .describe("Per-priority minutes overriding the policy's defaults");

export const Escalation = z
  .strictObject({
    notify: z.boolean().optional(),
    raisePriority: z.boolean().optional(),
    moveToGroup: z.string().trim().min(1).max(100).optional().describe('group slug'),
  })
  .describe('What happens on a breach');

export const CreateSlaPolicyBody = z.strictObject({
  name: z.string().trim().min(1).max(255),
  position: z.number().int().min(-1_000_000).max(1_000_000).optional().describe('evaluation order; default: after the last policy'),
  isActive: z.boolean().optional(),
  conditions: SlaConditions.optional(),
  calendarId: z.uuid().nullable().optional().describe('business-hours calendar; null or absent: 24×7'),
  firstResponseMinutes: Minutes,
  nextResponseMinutes: Minutes.nullable().optional().describe('null or absent: no next-response target'),
  resolutionMinutes: Minutes,
  targetsByPriority: TargetsByPriority.optional(),
  warnAtPercent: z.number().int().min(1).max(99).optional().describe('warn when this share of a target has elapsed; default 80'),
  escalation: Escalation.optional(),
});
/** Each field given replaces the current one (conditions, targetsByPriority and escalation as a whole). */
export const UpdateSlaPolicyBody = CreateSlaPolicyBody.partial();

const TargetOverrideOut = z.object({
  firstResponseMinutes: z.number().int().optional(),
  nextResponseMinutes: z.number().int().nullable().optional(),
  resolutionMinutes: z.number().int().optional(),
});

export const SlaPolicy = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.number().int(),
  isActive: z.boolean(),
  conditions: z.record(z.string(), z.array(z.string())),
  calendarId: z.string().nullable(),
  firstResponseMinutes: z.number().int(),
  nextResponseMinutes: z.number().int().nullable(),
  resolutionMinutes: z.number().int(),
  targetsByPriority: z.object({
    critical: TargetOverrideOut.optional(), high: TargetOverrideOut.optional(), normal: TargetOverrideOut.optional(), low: TargetOverrideOut.optional(),
  }),
  warnAtPercent: z.number().int(),
  escalation: z.object({ notify: z.boolean().optional(), raisePriority: z.boolean().optional(), moveToGroup: z.string().optional() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
