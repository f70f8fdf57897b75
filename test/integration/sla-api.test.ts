/**
 * SLA configuration through the HTTP API: business-hours calendars (CRUD,
 * each validation error naming its field, deletion refused while a policy
 * uses the calendar, iCalendar holiday import) and SLA policies (CRUD,
 * defaults, references checked, who may read and write). The repository
 * functions the SLA engine reads are checked against what the API wrote.
 *
 * One app (and database) for the file: every test creates what it needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem } from '../helpers/problems.ts';
import { getCalendar, getPolicy, listActivePolicies } from '../../src/db/repositories/sla.ts';
import { addBusinessTime, MAX_HOLIDAYS } from '../../src/domain/sla/calendar.ts';
import { matchPolicy } from '../../src/domain/sla/policy.ts';
import { ICAL_BODY_LIMIT } from '../../src/http/routes/sla.ts';

const API = '/api/v1';
const MISSING = '00000000-0000-4000-8000-000000000000';

const paths = (res: LightMyRequestResponse): string[] => (res.json().errors ?? []).map((e: { path: string }) => e.path);

/** 400 request.invalid whose field errors include `path`. */
function expectFieldError(res: LightMyRequestResponse, path: string) {
  const p = expectProblem(res, 400, 'request.invalid');
  expect(paths(res), res.body).toContain(path);
  return p;
}

const ics = (...lines: string[]) => lines.join('\r\n') + '\r\n';
const VCALENDAR = ics(
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Triage//SLA test//EN',
  // every year on 25 December
  'BEGIN:VEVENT',
  'UID:xmas@test',
  'DTSTART;VALUE=DATE:20261225',
  'DTEND;VALUE=DATE:20261226',
  'RRULE:FREQ=YEARLY',
  'SUMMARY:Christmas Day',
  'END:VEVENT',
  // three days: DTEND is exclusive
  'BEGIN:VEVENT',
  'UID:shutdown@test',
  'DTSTART;VALUE=DATE:20261228',
  'DTEND;VALUE=DATE:20261231',
  'SUMMARY:Year-end shutdown',
  'END:VEVENT',
  'END:VCALENDAR',
);

const OFFICE_HOURS = {
  mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']],
};

type CalendarJson = {
  id: string; name: string; timezone: string; hours: Record<string, [string, string][]>;
  holidays: { date: string; name: string; recurring?: boolean }[]; createdAt: string; updatedAt: string;
};
type PolicyJson = {
  id: string; name: string; position: number; isActive: boolean; conditions: Record<string, string[]>; calendarId: string | null;
  firstResponseMinutes: number; nextResponseMinutes: number | null; resolutionMinutes: number;
  targetsByPriority: Record<string, Record<string, number | null>>; warnAtPercent: number; escalation: Record<string, unknown>;
  createdAt: string; updatedAt: string;
};

describe(`SLA API (${DB_KIND})`, () => {
  let t: TestApp;
  let agent: TestAgent;
  let supervisor: TestAgent;
  beforeAll(async () => {
    t = await createTestApp();
    agent = await t.makeAgent({ role: 'agent' });
    supervisor = await t.makeAgent({ role: 'supervisor' });
  });
  afterAll(async () => t?.close());

  let seq = 0;
  async function calendar(over: Record<string, unknown> = {}): Promise<CalendarJson> {
    const res = await t.request('POST', `${API}/calendars`, { body: { name: `Office ${++seq}`, timezone: 'Europe/Berlin', hours: OFFICE_HOURS, ...over } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  async function policy(over: Record<string, unknown> = {}): Promise<PolicyJson> {
    const res = await t.request('POST', `${API}/sla-policies`, { body: { name: `Policy ${++seq}`, firstResponseMinutes: 60, resolutionMinutes: 480, ...over } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  async function group(name: string): Promise<string> {
    const res = await t.request('POST', `${API}/groups`, { body: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().slug;
  }
  const importIcs = (id: string, body: string, contentType = 'text/calendar', as?: TestAgent) =>
    t.request('POST', `${API}/calendars/${id}/holidays/import`, { body, as, headers: { 'content-type': contentType } });

  // --- calendars ------------------------------------------------------------------------

  describe('calendars', () => {
    it('POST creates a calendar: missing days closed, intervals sorted, holidays sorted; GET returns it', async () => {
      const res = await t.request('POST', `${API}/calendars`, {
        body: {
          name: '  Berlin office  ',
          timezone: 'Europe/Berlin',
          hours: { mon: [['13:00', '17:00'], ['08:00', '12:00']], fri: [['09:00', '15:00']] },
          holidays: [
            { date: '2026-12-25', name: 'Christmas Day', recurring: true },
            { date: '2026-10-03', name: 'German Unity Day', recurring: false },
          ],
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      const c: CalendarJson = res.json();
      expect(c).toEqual({
        id: expect.any(String),
        name: 'Berlin office',
        timezone: 'Europe/Berlin',
        hours: { mon: [['08:00', '12:00'], ['13:00', '17:00']], tue: [], wed: [], thu: [], fri: [['09:00', '15:00']], sat: [], sun: [] },
        holidays: [
          { date: '2026-10-03', name: 'German Unity Day' },
          { date: '2026-12-25', name: 'Christmas Day', recurring: true },
        ],
        createdAt: expect.any(String),
        updatedAt: c.createdAt,
      });
      const got = await t.request('GET', `${API}/calendars/${c.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual(c);
      const list = await t.request('GET', `${API}/calendars`);
      expect(list.statusCode).toBe(200);
      expect(list.json().calendars).toContainEqual(c);
    });

    it('each invalid field is a 400 naming it', async () => {
      const base = { name: 'Bad', timezone: 'Europe/Berlin', hours: OFFICE_HOURS };
      const post = (body: unknown) => t.request('POST', `${API}/calendars`, { body });
      expectFieldError(await post({ ...base, timezone: 'Mars/Olympus_Mons' }), 'timezone');
      expectFieldError(await post({ ...base, timezone: '+02:00' }), 'timezone');
      expectFieldError(await post({ ...base, hours: { mon: [['17:00', '09:00']] } }), 'hours.mon.0');
      expectFieldError(await post({ ...base, hours: { mon: [['09:00', '25:00']] } }), 'hours.mon.0.1');
      expectFieldError(await post({ ...base, hours: { mon: [['09:00', '12:00'], ['11:00', '14:00']] } }), 'hours.mon.1');
      expectFieldError(await post({ ...base, hours: {} }), 'hours');
      expectFieldError(await post({ ...base, hours: { mon: [], sun: [] } }), 'hours');
      expectFieldError(await post({ ...base, hours: { monday: [['09:00', '17:00']] } }), 'hours.monday');
      expectFieldError(await post({ ...base, holidays: [{ date: '2026-02-30', name: 'Nope' }] }), 'holidays.0.date');
      expectFieldError(await post({ ...base, holidays: [{ date: '2026-01-01', name: 'ok' }, { date: '26-1-1', name: 'x' }] }), 'holidays.1.date');
      expectFieldError(await post({ ...base, holidays: [{ date: '2026-01-01', name: '  ' }] }), 'holidays.0.name');
      expectFieldError(await post({ ...base, name: '' }), 'name');
      expectFieldError(await post({ ...base, color: 'blue' }), 'color');
      const missing = expectProblem(await post({ name: 'x' }), 400, 'request.invalid');
      expect(missing.errors.map((e: { path: string }) => e.path).sort()).toEqual(['hours', 'timezone']);
    });

    it('PATCH replaces the fields given and keeps the others; the result must be valid', async () => {
      const c = await calendar({ holidays: [{ date: '2026-05-01', name: 'Labour Day' }] });
      const renamed = await t.request('PATCH', `${API}/calendars/${c.id}`, { body: { name: 'Renamed' } });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json()).toMatchObject({ name: 'Renamed', timezone: 'Europe/Berlin', hours: c.hours, holidays: c.holidays });
      expect(renamed.json().updatedAt >= c.updatedAt).toBe(true);

      const weekend = await t.request('PATCH', `${API}/calendars/${c.id}`, { body: { hours: { sat: [['10:00', '14:00']] }, timezone: 'America/New_York' } });
      expect(weekend.statusCode, weekend.body).toBe(200);
      expect(weekend.json()).toMatchObject({
        name: 'Renamed', timezone: 'America/New_York', holidays: c.holidays,
        hours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [['10:00', '14:00']], sun: [] },
      });
      const cleared = await t.request('PATCH', `${API}/calendars/${c.id}`, { body: { holidays: [] } });
      expect(cleared.json().holidays).toEqual([]);

      expectFieldError(await t.request('PATCH', `${API}/calendars/${c.id}`, { body: { timezone: 'Nowhere/Special' } }), 'timezone');
      expectFieldError(await t.request('PATCH', `${API}/calendars/${c.id}`, { body: { hours: {} } }), 'hours');
      expectFieldError(await t.request('PATCH', `${API}/calendars/${c.id}`, { body: { holidays: [{ date: '2026-13-01', name: 'x' }] } }), 'holidays.0.date');
      expectFieldError(await t.request('PATCH', `${API}/calendars/${c.id}`, { body: { id: MISSING } }), 'id');
      // nothing of the refused changes was stored
      expect((await t.request('GET', `${API}/calendars/${c.id}`)).json()).toMatchObject({ timezone: 'America/New_York', holidays: [] });
    });

    it('unknown ids are 404 calendar.not_found; a malformed id is 400', async () => {
      expectProblem(await t.request('GET', `${API}/calendars/${MISSING}`), 404, 'calendar.not_found');
      expectProblem(await t.request('PATCH', `${API}/calendars/${MISSING}`, { body: { name: 'x' } }), 404, 'calendar.not_found');
      expectProblem(await t.request('DELETE', `${API}/calendars/${MISSING}`), 404, 'calendar.not_found');
      expectProblem(await importIcs(MISSING, VCALENDAR), 404, 'calendar.not_found');
      expectFieldError(await t.request('GET', `${API}/calendars/not-a-uuid`), 'params.id');
    });

    it('admins write; supervisors read; agents neither; anonymous callers are 401', async () => {
      const c = await calendar();
      const body = { name: 'Sneaky', timezone: 'UTC', hours: OFFICE_HOURS };
      for (const who of [agent, supervisor]) {
        expectProblem(await t.request('POST', `${API}/calendars`, { as: who, body }), 403, 'auth.forbidden');
        expectProblem(await t.request('PATCH', `${API}/calendars/${c.id}`, { as: who, body: { name: 'x' } }), 403, 'auth.forbidden');
        expectProblem(await t.request('DELETE', `${API}/calendars/${c.id}`, { as: who }), 403, 'auth.forbidden');
        expectProblem(await importIcs(c.id, VCALENDAR, 'text/calendar', who), 403, 'auth.forbidden');
      }
      expect((await t.request('GET', `${API}/calendars`, { as: supervisor })).statusCode).toBe(200);
      expect((await t.request('GET', `${API}/calendars/${c.id}`, { as: supervisor })).json()).toEqual(c);
      expectProblem(await t.request('GET', `${API}/calendars`, { as: agent }), 403, 'auth.forbidden');
      expectProblem(await t.request('GET', `${API}/calendars/${c.id}`, { as: agent }), 403, 'auth.forbidden');
      expectProblem(await t.request('GET', `${API}/calendars`, { as: null }), 401, 'auth.required');
      expect((await t.request('GET', `${API}/calendars/${c.id}`)).json()).toEqual(c);
    });

    it('DELETE is refused (409 calendar.in_use, naming the policies) while a policy uses it, and allowed once it moved to 24×7', async () => {
      const c = await calendar();
      const p1 = await policy({ name: 'Gold support', calendarId: c.id });
      const p2 = await policy({ name: 'Silver support', calendarId: c.id });
      const refused = expectProblem(await t.request('DELETE', `${API}/calendars/${c.id}`), 409, 'calendar.in_use');
      expect(refused.detail).toContain('Gold support');
      expect(refused.detail).toContain('Silver support');
      expect(refused.policies).toEqual([{ id: p1.id, name: 'Gold support' }, { id: p2.id, name: 'Silver support' }]);
      expect((await t.request('GET', `${API}/calendars/${c.id}`)).statusCode).toBe(200);

      expect((await t.request('PATCH', `${API}/sla-policies/${p1.id}`, { body: { calendarId: null } })).json().calendarId).toBeNull();
      const still = expectProblem(await t.request('DELETE', `${API}/calendars/${c.id}`), 409, 'calendar.in_use');
      expect(still.policies).toEqual([{ id: p2.id, name: 'Silver support' }]);
      await t.request('DELETE', `${API}/sla-policies/${p2.id}`);

      const ok = await t.request('DELETE', `${API}/calendars/${c.id}`);
      expect(ok.statusCode, ok.body).toBe(204);
      expect(ok.body).toBe('');
      expectProblem(await t.request('GET', `${API}/calendars/${c.id}`), 404, 'calendar.not_found');
      expectProblem(await t.request('DELETE', `${API}/calendars/${c.id}`), 404, 'calendar.not_found');
    });

    it('DELETE racing a policy that is given the calendar: either the policy (409) or the deletion (400 calendarId) wins, never both, never a 500', async () => {
      const later = <T>(ms: number, f: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => f().then(resolve, reject), ms));
      for (let i = 0; i < 12; i++) {
        const c = await calendar();
        // which one starts first, and by how much, varies: each interleaving has its own path
        const [del, created] = await Promise.all([
          later(i % 2 ? 0 : (i % 6) * 2, () => t.request('DELETE', `${API}/calendars/${c.id}`)),
          later(i % 2 ? (i % 6) * 2 : 0, () =>
            t.request('POST', `${API}/sla-policies`, { body: { name: `Racer ${i}`, calendarId: c.id, firstResponseMinutes: 5, resolutionMinutes: 10 } }),
          ),
        ]);
        if (del.statusCode === 204) {
          expectFieldError(created, 'calendarId');
        } else {
          expectProblem(del, 409, 'calendar.in_use');
          expect(created.statusCode, created.body).toBe(201);
          expect(created.json().calendarId).toBe(c.id);
        }
      }
    });

    // Needs two connections (one holds a row lock while the other writes): PostgreSQL only, registered there only.
    if (DB_KIND === 'postgres') it('a calendar deleted between a policy’s check and its write: the foreign key refuses it, 400 calendarId', async () => {
      const c = await calendar();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      // another transaction holds the calendar's row (as DELETE /calendars does) and deletes it once the policy's INSERT waits on it
      const holder = t.db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM calendars WHERE id = $1 FOR UPDATE', [c.id]);
        locked();
        await gate;
        await tx.query('DELETE FROM calendars WHERE id = $1', [c.id]);
      });
      await isLocked;
      const pending = t.request('POST', `${API}/sla-policies`, { body: { name: 'Too late', calendarId: c.id, firstResponseMinutes: 5, resolutionMinutes: 10 } });
      for (let i = 0; ; i++) {
        const [w] = (await t.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )).rows;
        if (w.n > 0) break;
        if (i > 500) throw new Error('the policy INSERT never waited on the calendar row');
        await new Promise((r) => setTimeout(r, 10));
      }
      release();
      await holder;
      const res = await pending;
      expect(res.json().errors).toEqual([{ path: 'calendarId', message: expect.stringContaining(c.id) }]);
      expectFieldError(res, 'calendarId');
    });

    it('Idempotency-Key: a retried POST /calendars creates one calendar', async () => {
      const body = { name: `Retry ${++seq}`, timezone: 'UTC', hours: OFFICE_HOURS };
      const headers = { 'idempotency-key': `cal-${seq}` };
      const first = await t.request('POST', `${API}/calendars`, { body, headers });
      const again = await t.request('POST', `${API}/calendars`, { body, headers });
      expect(first.statusCode, first.body).toBe(201);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json().id).toBe(first.json().id);
      const named = (await t.request('GET', `${API}/calendars`)).json().calendars.filter((x: CalendarJson) => x.name === body.name);
      expect(named).toHaveLength(1);
    });
  });

  // --- iCalendar import ------------------------------------------------------------------

  describe('holiday import', () => {
    it('merges the file’s holidays: a yearly event becomes recurring, a multi-day event one holiday a day, same dates replaced', async () => {
      const c = await calendar({
        holidays: [
          { date: '2026-07-04', name: 'Independence Day' },
          { date: '2026-12-25', name: 'Old Christmas entry' },
          { date: '2026-12-29', name: 'Old shutdown entry', recurring: true },
        ],
      });
      const res = await importIcs(c.id, VCALENDAR);
      expect(res.statusCode, res.body).toBe(200);
      const out = res.json();
      expect(out.imported).toBe(4);
      expect(out).toMatchObject({ id: c.id, name: c.name, timezone: c.timezone, hours: c.hours });
      expect(out.holidays).toEqual([
        { date: '2026-07-04', name: 'Independence Day' },
        { date: '2026-12-25', name: 'Christmas Day', recurring: true },
        { date: '2026-12-28', name: 'Year-end shutdown' },
        { date: '2026-12-29', name: 'Year-end shutdown' },
        { date: '2026-12-30', name: 'Year-end shutdown' },
      ]);
      // stored: GET shows the same calendar (without the import count)
      const { imported: _imported, ...stored } = out;
      expect((await t.request('GET', `${API}/calendars/${c.id}`)).json()).toEqual(stored);

      // importing the same file again changes nothing
      const again = await importIcs(c.id, VCALENDAR, 'text/calendar; charset=utf-8');
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json().holidays).toEqual(out.holidays);
      expect(again.json().imported).toBe(4);

      // and the engine's calendar skips them: Christmas on a Thursday (2031) is closed, so Wednesday 16:00 Berlin + 2 h is Friday 10:00
      const cal = (await getCalendar(t.db, c.id))!;
      expect(addBusinessTime(new Date('2031-12-24T15:00:00Z'), 120, cal).toISOString()).toBe('2031-12-26T09:00:00.000Z');
    });

    it('a file that is not iCalendar, or is broken, is a 400 naming body; nothing changes', async () => {
      const c = await calendar({ holidays: [{ date: '2026-01-01', name: "New Year's Day" }] });
      for (const body of [
        'hello',
        '',
        ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'SUMMARY:no end'),
        ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:x', 'SUMMARY:no start', 'END:VEVENT', 'END:VCALENDAR'),
        ics('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260230', 'END:VEVENT', 'END:VCALENDAR'),
      ]) {
        const p = expectProblem(await importIcs(c.id, body), 400, 'request.invalid');
        expect(p.errors, body).toEqual([{ path: 'body', message: expect.any(String) }]);
      }
      expectFieldError(await importIcs(c.id, ics('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260101', 'SUMMARY:a\u0000b', 'END:VEVENT', 'END:VCALENDAR')), 'body');
      expect((await t.request('GET', `${API}/calendars/${c.id}`)).json().holidays).toEqual(c.holidays);
    });

    it('any other content type is 415, JSON included', async () => {
      const c = await calendar();
      expectProblem(await importIcs(c.id, JSON.stringify({ ics: VCALENDAR }), 'application/json'), 415, 'request.unsupported_media_type');
      expectProblem(await importIcs(c.id, VCALENDAR, 'text/plain'), 415, 'request.unsupported_media_type');
      expectProblem(await importIcs(c.id, VCALENDAR, 'application/octet-stream'), 415, 'request.unsupported_media_type');
      // and only the import takes text/calendar
      expectProblem(
        await t.request('POST', `${API}/calendars`, { body: VCALENDAR, headers: { 'content-type': 'text/calendar' } }),
        415, 'request.unsupported_media_type',
      );
    });

    it('a file over the import limit is 413', async () => {
      const c = await calendar();
      const big = VCALENDAR.replace('END:VCALENDAR', `X-PADDING:${'x'.repeat(ICAL_BODY_LIMIT)}\r\nEND:VCALENDAR`);
      expectProblem(await importIcs(c.id, big), 413, 'request.too_large');
    });

    it(`the merged calendar must stay within ${MAX_HOLIDAYS} holidays`, async () => {
      const holidays = Array.from({ length: MAX_HOLIDAYS - 2 }, (_, i) => ({
        date: new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10), name: `Day ${i}`,
      }));
      const c = await calendar({ holidays });
      // 4 new dates: one too many
      const p = expectProblem(await importIcs(c.id, VCALENDAR), 400, 'request.invalid');
      expect(p.errors).toEqual([{ path: 'body', message: expect.stringContaining(String(MAX_HOLIDAYS)) }]);
      expect((await t.request('GET', `${API}/calendars/${c.id}`)).json().holidays).toHaveLength(MAX_HOLIDAYS - 2);
      // replacing a date does not count twice
      const shorter = await t.request('PATCH', `${API}/calendars/${c.id}`, {
        body: { holidays: [...holidays.slice(0, MAX_HOLIDAYS - 4), { date: '2026-12-25', name: 'x' }] },
      });
      expect(shorter.statusCode, shorter.body).toBe(200);
      const ok = await importIcs(c.id, VCALENDAR);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json().holidays).toHaveLength(MAX_HOLIDAYS);
    });
  });

  // --- policies ------------------------------------------------------------------------------

  describe('SLA policies', () => {
    it('POST with the required fields only gets the defaults; the seed columns hold the targets', async () => {
      const before = (await t.request('GET', `${API}/sla-policies`)).json().policies as PolicyJson[];
      const p = await policy({ name: 'Default', firstResponseMinutes: 30, resolutionMinutes: 600 });
      expect(p).toEqual({
        id: expect.any(String),
        name: 'Default',
        position: Math.max(0, ...before.map((x) => x.position)) + 1,
        isActive: true,
        conditions: {},
        calendarId: null,
        firstResponseMinutes: 30,
        nextResponseMinutes: null,
        resolutionMinutes: 600,
        targetsByPriority: {},
        warnAtPercent: 80,
        escalation: {},
        createdAt: expect.any(String),
        updatedAt: p.createdAt,
      });
      const [row] = (await t.db.query<Record<string, unknown>>(
        'SELECT response_time_minutes, resolution_time_minutes, next_response_minutes, warn_at_percent FROM sla_policies WHERE id = $1',
        [p.id],
      )).rows;
      expect(row).toEqual({ response_time_minutes: 30, resolution_time_minutes: 600, next_response_minutes: null, warn_at_percent: 80 });
      expect((await t.request('GET', `${API}/sla-policies/${p.id}`)).json()).toEqual(p);
    });

    it('POST with everything: conditions normalized, per-priority targets, calendar, escalation group', async () => {
      const c = await calendar();
      const slug = await group('Escalations Desk');
      const res = await t.request('POST', `${API}/sla-policies`, {
        body: {
          name: 'Enterprise',
          position: 3,
          isActive: false,
          conditions: {
            priorities: ['critical', 'high'], categories: [' Billing ', 'billing', 'Technical'], tiers: ['enterprise'],
            organizations: [' Acme Corp '], groups: ['Billing-Team'], sources: ['email', 'Support-Inbox'], tags: ['VIP'],
          },
          calendarId: c.id,
          firstResponseMinutes: 60,
          nextResponseMinutes: 120,
          resolutionMinutes: 1440,
          targetsByPriority: { critical: { firstResponseMinutes: 15, nextResponseMinutes: null, resolutionMinutes: 240 }, low: {}, high: { resolutionMinutes: 720 } },
          warnAtPercent: 75,
          escalation: { notify: true, raisePriority: false, moveToGroup: slug },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      const p: PolicyJson = res.json();
      expect(p).toMatchObject({
        name: 'Enterprise', position: 3, isActive: false,
        conditions: {
          priorities: ['critical', 'high'], categories: ['billing', 'technical'], tiers: ['enterprise'],
          organizations: ['Acme Corp'], groups: ['billing-team'], sources: ['email', 'support-inbox'], tags: ['vip'],
        },
        calendarId: c.id, firstResponseMinutes: 60, nextResponseMinutes: 120, resolutionMinutes: 1440,
        targetsByPriority: { critical: { firstResponseMinutes: 15, nextResponseMinutes: null, resolutionMinutes: 240 }, high: { resolutionMinutes: 720 } },
        warnAtPercent: 75,
        escalation: { notify: true, raisePriority: false, moveToGroup: slug },
      });
      expect(Object.keys(p.targetsByPriority).sort()).toEqual(['critical', 'high']);
      expect((await t.request('GET', `${API}/sla-policies/${p.id}`)).json()).toEqual(p);
    });

    it('each invalid field is a 400 naming it', async () => {
      const base = { name: 'Bad', firstResponseMinutes: 60, resolutionMinutes: 480 };
      const post = (over: Record<string, unknown>) => t.request('POST', `${API}/sla-policies`, { body: { ...base, ...over } });
      expectFieldError(await post({ firstResponseMinutes: 0 }), 'firstResponseMinutes');
      expectFieldError(await post({ firstResponseMinutes: 1.5 }), 'firstResponseMinutes');
      expectFieldError(await post({ firstResponseMinutes: '60' }), 'firstResponseMinutes');
      expectFieldError(await post({ firstResponseMinutes: 525_601 }), 'firstResponseMinutes');
      expectFieldError(await post({ firstResponseMinutes: undefined }), 'firstResponseMinutes');
      expectFieldError(await post({ resolutionMinutes: -5 }), 'resolutionMinutes');
      expectFieldError(await post({ nextResponseMinutes: 0 }), 'nextResponseMinutes');
      expectFieldError(await post({ warnAtPercent: 100 }), 'warnAtPercent');
      expectFieldError(await post({ warnAtPercent: 0 }), 'warnAtPercent');
      expectFieldError(await post({ calendarId: 'office' }), 'calendarId');
      expectFieldError(await post({ conditions: { priorities: ['urgent'] } }), 'conditions.priorities.0');
      expectFieldError(await post({ conditions: { keywords: ['x'] } }), 'conditions.keywords');
      expectFieldError(await post({ targetsByPriority: { urgent: { firstResponseMinutes: 5 } } }), 'targetsByPriority.urgent');
      expectFieldError(await post({ targetsByPriority: { high: { firstResponseMinutes: 0 } } }), 'targetsByPriority.high.firstResponseMinutes');
      expectFieldError(await post({ escalation: { page: true } }), 'escalation.page');
      expectFieldError(await post({ description: 'unknown key' }), 'description');

      const unknownCalendar = expectProblem(await post({ calendarId: MISSING }), 400, 'request.invalid');
      expect(unknownCalendar.errors).toEqual([{ path: 'calendarId', message: expect.stringContaining(MISSING) }]);
      const unknownGroup = expectProblem(await post({ escalation: { moveToGroup: 'no-such-group' } }), 400, 'request.invalid');
      expect(unknownGroup.errors).toEqual([{ path: 'escalation.moveToGroup', message: expect.stringContaining('no-such-group') }]);
      const both = expectProblem(await post({ calendarId: MISSING, escalation: { moveToGroup: 'nope' } }), 400, 'request.invalid');
      expect(both.errors.map((e: { path: string }) => e.path)).toEqual(['calendarId', 'escalation.moveToGroup']);
      // nothing named "Bad" was stored
      expect((await t.request('GET', `${API}/sla-policies`)).json().policies.filter((p: PolicyJson) => p.name === 'Bad')).toEqual([]);
    });

    it('GET /sla-policies lists them by position, then by creation', async () => {
      const c = await policy({ position: 500, name: 'c' });
      const a = await policy({ position: 400, name: 'a' });
      const b = await policy({ position: 500, name: 'b' });
      const list = (await t.request('GET', `${API}/sla-policies`)).json().policies as PolicyJson[];
      const ids = list.map((p) => p.id);
      expect(ids.filter((id) => [a.id, b.id, c.id].includes(id))).toEqual([a.id, c.id, b.id]);
      const positions = list.map((p) => p.position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    });

    it('PATCH replaces the fields given: null moves to 24×7 and drops the next-response target', async () => {
      const cal = await calendar();
      const slug = await group('Night Shift');
      const p = await policy({
        calendarId: cal.id, nextResponseMinutes: 90, conditions: { tags: ['vip'] },
        targetsByPriority: { critical: { firstResponseMinutes: 10 } }, escalation: { notify: true },
      });
      const res = await t.request('PATCH', `${API}/sla-policies/${p.id}`, {
        body: { resolutionMinutes: 960, warnAtPercent: 50, escalation: { moveToGroup: slug } },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        name: p.name, position: p.position, calendarId: cal.id, firstResponseMinutes: 60, nextResponseMinutes: 90, resolutionMinutes: 960,
        conditions: { tags: ['vip'] }, targetsByPriority: { critical: { firstResponseMinutes: 10 } }, warnAtPercent: 50,
        escalation: { moveToGroup: slug },
      });
      const cleared = await t.request('PATCH', `${API}/sla-policies/${p.id}`, {
        body: { calendarId: null, nextResponseMinutes: null, conditions: {}, targetsByPriority: {}, isActive: false, name: 'Renamed' },
      });
      expect(cleared.statusCode, cleared.body).toBe(200);
      expect(cleared.json()).toMatchObject({
        name: 'Renamed', isActive: false, calendarId: null, nextResponseMinutes: null, conditions: {}, targetsByPriority: {},
        escalation: { moveToGroup: slug }, resolutionMinutes: 960,
      });
      expect((await t.request('GET', `${API}/sla-policies/${p.id}`)).json()).toEqual(cleared.json());

      expectFieldError(await t.request('PATCH', `${API}/sla-policies/${p.id}`, { body: { calendarId: MISSING } }), 'calendarId');
      expectFieldError(await t.request('PATCH', `${API}/sla-policies/${p.id}`, { body: { escalation: { moveToGroup: 'gone' } } }), 'escalation.moveToGroup');
      expectFieldError(await t.request('PATCH', `${API}/sla-policies/${p.id}`, { body: { warnAtPercent: 99.5 } }), 'warnAtPercent');
      expectFieldError(await t.request('PATCH', `${API}/sla-policies/${p.id}`, { body: { id: MISSING } }), 'id');
      expect((await t.request('GET', `${API}/sla-policies/${p.id}`)).json()).toEqual(cleared.json());
    });

    it('DELETE removes a policy; unknown ids are 404 sla_policy.not_found', async () => {
      const p = await policy();
      const del = await t.request('DELETE', `${API}/sla-policies/${p.id}`);
      expect(del.statusCode, del.body).toBe(204);
      expectProblem(await t.request('GET', `${API}/sla-policies/${p.id}`), 404, 'sla_policy.not_found');
      expectProblem(await t.request('PATCH', `${API}/sla-policies/${p.id}`, { body: { name: 'x' } }), 404, 'sla_policy.not_found');
      expectProblem(await t.request('DELETE', `${API}/sla-policies/${p.id}`), 404, 'sla_policy.not_found');
      expectFieldError(await t.request('GET', `${API}/sla-policies/123`), 'params.id');
    });

    it('admins write; supervisors read; agents neither', async () => {
      const p = await policy();
      const body = { name: 'Sneaky', firstResponseMinutes: 1, resolutionMinutes: 2 };
      for (const who of [agent, supervisor]) {
        expectProblem(await t.request('POST', `${API}/sla-policies`, { as: who, body }), 403, 'auth.forbidden');
        expectProblem(await t.request('PATCH', `${API}/sla-policies/${p.id}`, { as: who, body: { name: 'x' } }), 403, 'auth.forbidden');
        expectProblem(await t.request('DELETE', `${API}/sla-policies/${p.id}`, { as: who }), 403, 'auth.forbidden');
      }
      expect((await t.request('GET', `${API}/sla-policies/${p.id}`, { as: supervisor })).json()).toEqual(p);
      expect((await t.request('GET', `${API}/sla-policies`, { as: supervisor })).statusCode).toBe(200);
      expectProblem(await t.request('GET', `${API}/sla-policies`, { as: agent }), 403, 'auth.forbidden');
      expectProblem(await t.request('GET', `${API}/sla-policies/${p.id}`, { as: agent }), 403, 'auth.forbidden');
      expect((await t.request('GET', `${API}/sla-policies/${p.id}`)).json()).toEqual(p);
    });

    it('Idempotency-Key: a retried POST /sla-policies creates one policy', async () => {
      const body = { name: `Retry policy ${++seq}`, firstResponseMinutes: 5, resolutionMinutes: 50 };
      const headers = { 'idempotency-key': `pol-${seq}` };
      const first = await t.request('POST', `${API}/sla-policies`, { body, headers });
      const again = await t.request('POST', `${API}/sla-policies`, { body, headers });
      expect(first.statusCode, first.body).toBe(201);
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(first.json());
      expectProblem(await t.request('POST', `${API}/sla-policies`, { body: { ...body, resolutionMinutes: 51 }, headers }), 422, 'idempotency.key_reused');
    });

    it('what the engine reads: active policies in order as SlaPolicy values, matchable; a policy and its calendar by id', async () => {
      const cal = await calendar({ timezone: 'UTC' });
      const low = await policy({ position: -1000, isActive: false, name: 'inactive first' });
      const vip = await policy({ position: -999, name: 'vip', conditions: { tags: ['vip'] }, calendarId: cal.id, nextResponseMinutes: 45 });
      const all = await policy({ position: -998, name: 'everyone' });
      const active = await listActivePolicies(t.db);
      expect(active.every((p) => p.isActive)).toBe(true);
      expect(active.map((p) => p.id)).not.toContain(low.id);
      expect(active.slice(0, 2).map((p) => p.id)).toEqual([vip.id, all.id]);
      expect(active[0]).toMatchObject({
        id: vip.id, name: 'vip', position: -999, isActive: true, conditions: { tags: ['vip'] }, calendarId: cal.id,
        firstResponseMinutes: 60, nextResponseMinutes: 45, resolutionMinutes: 480, targetsByPriority: {}, warnAtPercent: 80, escalation: {},
      });
      const facts = { priority: 'normal', category: 'account', tier: 'standard', organization: null, group: null, source: 'web', channel: null };
      expect(matchPolicy(active, { ...facts, tags: ['VIP'] })?.id).toBe(vip.id);
      expect(matchPolicy(active, { ...facts, tags: [] })?.id).toBe(all.id);

      expect(await getPolicy(t.db, vip.id)).toMatchObject({ id: vip.id, calendarId: cal.id, createdAt: expect.any(Date) });
      expect(await getPolicy(t.db, MISSING)).toBeUndefined();
      const c = await getCalendar(t.db, cal.id);
      expect(c).toMatchObject({ id: cal.id, name: cal.name, timezone: 'UTC', hours: cal.hours, holidays: [] });
      // Friday 16:00 + 2 business hours = Monday 10:00
      expect(addBusinessTime(new Date('2026-03-06T16:00:00Z'), 120, c!).toISOString()).toBe('2026-03-09T10:00:00.000Z');
      expect(await getCalendar(t.db, MISSING)).toBeUndefined();
    });
  });

  it('the OpenAPI document describes the SLA routes', async () => {
    const res = await t.request('GET', `${API}/openapi.json`, { as: null });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    const doc = res.json();
    for (const path of ['/api/v1/calendars', '/api/v1/calendars/{id}', '/api/v1/calendars/{id}/holidays/import', '/api/v1/sla-policies', '/api/v1/sla-policies/{id}']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.paths['/api/v1/calendars/{id}/holidays/import'].post.requestBody.content)).toEqual(['text/calendar']);
  });
});
