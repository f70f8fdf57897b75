import { describe, expect, it } from 'vitest';
import { addBusinessTime, CalendarInput } from '../../src/domain/sla/calendar.ts';
import { ICalError, parseICalHolidays } from '../../src/domain/sla/ical.ts';

const ics = (...lines: string[]) => lines.join('\r\n') + '\r\n';
const wrap = (...events: string[][]) =>
  ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Triage//Test//EN', ...events.flat(), 'END:VCALENDAR');
let uid = 0;
const event = (...props: string[]) => ['BEGIN:VEVENT', `UID:${++uid}@test`, ...props, 'END:VEVENT'];

const FIXTURE = wrap(
  // a yearly holiday with a folded SUMMARY (the fold is CRLF + one space) and escaped text
  event(
    'DTSTART;VALUE=DATE:20261225',
    'DTEND;VALUE=DATE:20261226',
    'RRULE:FREQ=YEARLY',
    'SUMMARY:Christmas Day\\, the first of two days of Christmas in Germany\\; closed \\\\ fer',
    ' mé\\nall day',
  ),
  // a multi-day closure: DTEND is exclusive
  event('DTSTART;VALUE=DATE:20261228', 'DTEND;VALUE=DATE:20261231', 'SUMMARY:Year-end shutdown'),
  // a timed event: its date as written in its TZID, even though it is already 1 Jan in UTC
  event('DTSTART;TZID=America/New_York:20261231T210000', 'DTEND;TZID=America/New_York:20261231T235900', 'SUMMARY:Early close'),
  // a UTC time
  event('DTSTART:20260501T000000Z', 'SUMMARY:Labour Day'),
  // an all-day event given with DURATION
  event('DTSTART;VALUE=DATE:20260403', 'DURATION:P4D', 'SUMMARY:Easter'),
  // no DTEND, no DURATION: one day
  event('DTSTART;VALUE=DATE:20261003', 'SUMMARY:German Unity Day'),
  // a cancelled event is no holiday
  event('DTSTART;VALUE=DATE:20260815', 'STATUS:CANCELLED', 'SUMMARY:Cancelled'),
  // a yearly rule that is not "the same date": expanded in the window
  event('DTSTART;VALUE=DATE:20221124', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', 'SUMMARY:Thanksgiving'),
  // a yearly rule with an end: expanded too
  event('DTSTART;VALUE=DATE:20250606', 'RRULE:FREQ=YEARLY;COUNT=2', 'SUMMARY:Company day'),
  // the same date twice: kept once, with the first name
  event('DTSTART;VALUE=DATE:20261003', 'SUMMARY:Tag der Deutschen Einheit'),
);

const EXPECTED = [
  { date: '2026-04-03', name: 'Easter', recurring: false },
  { date: '2026-04-04', name: 'Easter', recurring: false },
  { date: '2026-04-05', name: 'Easter', recurring: false },
  { date: '2026-04-06', name: 'Easter', recurring: false },
  { date: '2026-05-01', name: 'Labour Day', recurring: false },
  { date: '2026-06-06', name: 'Company day', recurring: false },
  { date: '2026-10-03', name: 'German Unity Day', recurring: false },
  { date: '2026-11-26', name: 'Thanksgiving', recurring: false },
  {
    date: '2026-12-25',
    name: 'Christmas Day, the first of two days of Christmas in Germany; closed \\ fermé all day',
    recurring: true,
  },
  { date: '2026-12-28', name: 'Year-end shutdown', recurring: false },
  { date: '2026-12-29', name: 'Year-end shutdown', recurring: false },
  { date: '2026-12-30', name: 'Year-end shutdown', recurring: false },
  { date: '2026-12-31', name: 'Early close', recurring: false },
  { date: '2027-11-25', name: 'Thanksgiving', recurring: false },
];

describe('parseICalHolidays', () => {
  it('turns events into holidays', () => {
    expect(parseICalHolidays(FIXTURE, { expandYears: [2026, 2027] })).toEqual(EXPECTED);
  });

  it('reads LF line ends, a byte-order mark and a fold with a tab the same way', () => {
    const lf = '\uFEFF' + FIXTURE.replace(/\r\n/g, '\n').replace('\n mé', '\n\tmé');
    expect(parseICalHolidays(lf, { expandYears: [2026, 2027] })).toEqual(EXPECTED);
  });

  it('expands rules only inside the window', () => {
    const names = parseICalHolidays(FIXTURE, { expandYears: [2030, 2031] }).map((h) => `${h.date} ${h.name}`);
    expect(names).toContain('2030-11-28 Thanksgiving');
    expect(names).toContain('2031-11-27 Thanksgiving');
    expect(names.some((n) => n.includes('Company day'))).toBe(false); // COUNT=2 ended in 2026
    expect(names.some((n) => n.startsWith('2026-11-26'))).toBe(false);
  });

  it('an all-day yearly holiday over several days recurs on each of them', () => {
    const text = wrap(event('DTSTART;VALUE=DATE:20261231', 'DTEND;VALUE=DATE:20270102', 'RRULE:FREQ=YEARLY', 'SUMMARY:New Year'));
    expect(parseICalHolidays(text)).toEqual([
      { date: '2026-12-31', name: 'New Year', recurring: true },
      { date: '2027-01-01', name: 'New Year', recurring: true },
    ]);
  });

  it('names an event without SUMMARY "Holiday" and accepts a calendar without events', () => {
    expect(parseICalHolidays(wrap(event('DTSTART;VALUE=DATE:20260101')))).toEqual([
      { date: '2026-01-01', name: 'Holiday', recurring: false },
    ]);
    expect(parseICalHolidays(wrap())).toEqual([]);
  });

  it('gives holidays that a calendar accepts and that business time skips', () => {
    const holidays = parseICalHolidays(FIXTURE, { expandYears: [2026, 2027] });
    const cal = CalendarInput.parse({
      name: 'Berlin office',
      timezone: 'Europe/Berlin',
      hours: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] },
      holidays,
    });
    // Thu 24 Dec 2026, 16:00 CET + 2 h: Fri 25 (recurring), the weekend and 28–31 Dec are closed
    expect(addBusinessTime(new Date('2026-12-24T15:00:00Z'), 120, cal).toISOString()).toBe('2027-01-01T09:00:00.000Z');
  });

  it.each([
    ['plain text', 'hello world', /must start with BEGIN:VCALENDAR/],
    ['an empty body', '', /must start with BEGIN:VCALENDAR/],
    ['JSON', '{"holidays": []}', /must start with BEGIN:VCALENDAR/],
    ['a bare VEVENT', ics('BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260101', 'END:VEVENT'), /must start with BEGIN:VCALENDAR/],
    ['a vCard', ics('BEGIN:VCARD', 'VERSION:4.0', 'FN:Ann', 'END:VCARD'), /must start with BEGIN:VCALENDAR/],
    ['a truncated file', ics('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260101'), /END:VCALENDAR is missing/],
    ['an unclosed VEVENT', ics('BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260101', 'END:VCALENDAR'), /invalid iCalendar file/],
    ['a line without a colon', ics('BEGIN:VCALENDAR', 'garbage', 'END:VCALENDAR'), /invalid iCalendar file/],
    ['an event without DTSTART', wrap(['BEGIN:VEVENT', 'UID:x1', 'SUMMARY:x', 'END:VEVENT']), /event 1 \(UID x1\) has no DTSTART/],
    ['an impossible date', wrap(event('DTSTART;VALUE=DATE:20260230')), /has an invalid DTSTART/],
    ['a short date', wrap(event('DTSTART;VALUE=DATE:2026')), /has an invalid DTSTART/],
    ['a bad DTEND', wrap(event('DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:2026')), /has an invalid DTEND/],
    ['an unknown RRULE frequency', wrap(event('DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=SOMETIMES')), /invalid/],
    ['an event of two years', wrap(event('DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:20280101')), /lasts more than 366 days/],
    ['a daily rule', wrap(event('DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=DAILY')), /more than 1000 holidays/],
  ])('rejects %s with a clear ICalError', (_, text, message) => {
    let error: unknown;
    try {
      parseICalHolidays(text, { expandYears: [2026, 2030] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ICalError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
  });
});
