import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError, Errors } from '../../domain/errors.ts';
import { can, require } from '../../domain/auth/policies.ts';
import {
  createCalendar, createPolicy, deleteCalendar, deletePolicy, importHolidays, updateCalendar, updatePolicy,
} from '../../domain/sla/commands.ts';
import { getCalendar, getPolicy, listCalendars, listPolicies, type CalendarRecord, type SlaPolicyRecord } from '../../db/repositories/sla.ts';
import { ctxOf, idempotent, type Deps } from '../helpers.ts';
import { findUnstorableValue } from '../plugins/input.ts';
import { problems, UuidParams } from '../schemas/common.ts';
import {
  Calendar, CalendarImport, CreateCalendarBody, CreateSlaPolicyBody, SlaPolicy, UpdateCalendarBody, UpdateSlaPolicyBody,
} from '../schemas/sla.ts';

/** An iCalendar file larger than this is refused (413): a public-holiday feed is a few kilobytes. */
export const ICAL_BODY_LIMIT = 1024 * 1024;

const iso = (d: Date) => new Date(d).toISOString();

function presentCalendar(c: CalendarRecord) {
  return { id: c.id, name: c.name, timezone: c.timezone, hours: c.hours, holidays: c.holidays, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) };
}

function presentPolicy(p: SlaPolicyRecord) {
  return {
    id: p.id, name: p.name, position: p.position, isActive: p.isActive, conditions: p.conditions as Record<string, string[]>,
    calendarId: p.calendarId, firstResponseMinutes: p.firstResponseMinutes, nextResponseMinutes: p.nextResponseMinutes,
    resolutionMinutes: p.resolutionMinutes, targetsByPriority: p.targetsByPriority, warnAtPercent: p.warnAtPercent,
    escalation: p.escalation, createdAt: iso(p.createdAt), updatedAt: iso(p.updatedAt),
  };
}

const mediaType = (req: FastifyRequest) => String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

export async function slaRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['sla'];
  const supervise = (req: { actor: Parameters<typeof can.supervise>[0] }) =>
    require(can.supervise(req.actor), 'Only supervisors and admins see SLA configuration.');

  // --- calendars ------------------------------------------------------------------
  r.get('/calendars', {
    schema: { tags, summary: 'Business-hours calendars', response: { 200: z.object({ calendars: z.array(Calendar) }), ...problems(401, 403) } },
  }, async (req) => {
    supervise(req);
    return { calendars: (await listCalendars(deps.db)).map(presentCalendar) };
  });

  r.post('/calendars', {
    schema: {
      tags, summary: 'Create a business-hours calendar: time zone, weekly opening hours, holidays (admins)',
      body: CreateCalendarBody, response: { 201: Calendar, ...problems(400, 401, 403) },
    },
  }, async (req, reply) => idempotent(deps, req, reply, 201, async (ctx) => presentCalendar(await createCalendar(ctx, req.body))));

  r.get('/calendars/:id', {
    schema: { tags, summary: 'A business-hours calendar', params: UuidParams, response: { 200: Calendar, ...problems(401, 403, 404) } },
  }, async (req) => {
    supervise(req);
    const calendar = await getCalendar(deps.db, req.params.id);
    if (!calendar) throw Errors.notFound('calendar', req.params.id);
    return presentCalendar(calendar);
  });

  r.patch('/calendars/:id', {
    schema: {
      tags, summary: 'Change a calendar: each field given replaces the current one (hours the whole week, holidays the whole list) (admins)',
      params: UuidParams, body: UpdateCalendarBody, response: { 200: Calendar, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => presentCalendar(await updateCalendar(ctxOf(deps, req), req.params.id, req.body)));

  r.delete('/calendars/:id', {
    schema: {
      tags, summary: 'Delete a calendar no SLA policy uses (admins)', params: UuidParams,
      response: { 204: z.null(), ...problems(401, 403, 404, 409) },
    },
  }, async (req, reply) => {
    await deleteCalendar(ctxOf(deps, req), req.params.id);
    return reply.code(204).send(null);
  });

  // The import takes the iCalendar file itself as the body: its parser lives in this
  // child context only, so no other route accepts text/calendar.
  await app.register(async (ical) => {
    ical.addContentTypeParser('text/calendar', { parseAs: 'string', bodyLimit: ICAL_BODY_LIMIT }, (_req, body, done) => {
      const bad = findUnstorableValue(body, 'body');
      if (bad) return done(Errors.validation([{ path: 'body', message: bad.message }], 'The iCalendar file holds a value Triage cannot store.'), undefined);
      done(null, body);
    });
    ical.withTypeProvider<ZodTypeProvider>().post('/calendars/:id/holidays/import', {
      schema: {
        tags,
        summary: 'Import holidays from an iCalendar file (Content-Type: text/calendar); an imported holiday replaces the one on its date (admins)',
        consumes: ['text/calendar'],
        params: UuidParams,
        body: z.string().describe('An iCalendar (RFC 5545) file, e.g. a public-holiday feed'),
        response: { 200: CalendarImport, ...problems(400, 401, 403, 404, 413, 415) },
      },
      // before the body is read: a JSON (or any other) body is the wrong media type, not a malformed file
      onRequest: async (req) => {
        if (mediaType(req) !== 'text/calendar') {
          throw new AppError(415, 'request.unsupported_media_type', 'Unsupported media type', 'Send the iCalendar file with Content-Type: text/calendar.');
        }
      },
    }, async (req) => {
      const { calendar, imported } = await importHolidays(ctxOf(deps, req), req.params.id, req.body);
      return { ...presentCalendar(calendar), imported };
    });
  });

  // --- policies -----------------------------------------------------------------------
  r.get('/sla-policies', {
    schema: { tags, summary: 'SLA policies in the order they are matched', response: { 200: z.object({ policies: z.array(SlaPolicy) }), ...problems(401, 403) } },
  }, async (req) => {
    supervise(req);
    return { policies: (await listPolicies(deps.db)).map(presentPolicy) };
  });

  r.post('/sla-policies', {
    schema: {
      tags, summary: 'Create an SLA policy: conditions, calendar, targets (per priority too), warning threshold, escalation (admins)',
      body: CreateSlaPolicyBody, response: { 201: SlaPolicy, ...problems(400, 401, 403) },
    },
  }, async (req, reply) => idempotent(deps, req, reply, 201, async (ctx) => presentPolicy(await createPolicy(ctx, req.body))));

  r.get('/sla-policies/:id', {
    schema: { tags, summary: 'An SLA policy', params: UuidParams, response: { 200: SlaPolicy, ...problems(401, 403, 404) } },
  }, async (req) => {
    supervise(req);
    const policy = await getPolicy(deps.db, req.params.id);
    if (!policy) throw Errors.notFound('sla_policy', req.params.id);
    return presentPolicy(policy);
  });

  r.patch('/sla-policies/:id', {
    schema: {
      tags, summary: 'Change an SLA policy: each field given replaces the current one; calendarId null means 24×7 (admins)',
      params: UuidParams, body: UpdateSlaPolicyBody, response: { 200: SlaPolicy, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => presentPolicy(await updatePolicy(ctxOf(deps, req), req.params.id, req.body)));

  r.delete('/sla-policies/:id', {
    schema: { tags, summary: 'Delete an SLA policy (admins)', params: UuidParams, response: { 204: z.null(), ...problems(401, 403, 404) } },
  }, async (req, reply) => {
    await deletePolicy(ctxOf(deps, req), req.params.id);
    return reply.code(204).send(null);
  });
}
