import ICAL from 'ical.js';
import { MAX_HOLIDAYS, parseDate } from './calendar.ts';

/**
 * Holidays from an iCalendar file (RFC 5545), e.g. a public-holiday feed, for
 * `POST /calendars/:id/holidays/import`. Parsing (line unfolding, CRLF or LF,
 * text unescaping, RRULE) is ical.js's; this module maps events to holidays.
 */

/** The input is not an iCalendar file, or not one we can turn into holidays; the message says why. */
export class ICalError extends Error {
  override name = 'ICalError';
}

export interface ICalHoliday {
  /** local date YYYY-MM-DD */
  date: string;
  name: string;
  /** the same month and day every year */
  recurring: boolean;
}

export interface ParseICalOptions {
  /**
   * Years [first, last] in which to list the occurrences of a rule that is not
   * "this date every year" (e.g. FREQ=YEARLY;BYMONTH=11;BYDAY=4TH, or a rule
   * with COUNT, UNTIL, INTERVAL or EXDATE). Default: last year to five years ahead.
   */
  expandYears?: [number, number];
}

/** An all-day event longer than this is a mistake, not a holiday. */
const MAX_EVENT_DAYS = 366;
/** occurrences visited per recurring event before giving up */
const MAX_OCCURRENCES = 10_000;
const DAY = 86_400_000;

/**
 * The holidays in an iCalendar text, sorted by date:
 *  - an all-day event (DTSTART;VALUE=DATE) gives each date from DTSTART up to
 *    DTEND exclusive (or DTSTART + DURATION; one day when neither is given);
 *  - a timed event gives the date of its DTSTART as written, i.e. in its TZID
 *    (or UTC for a "Z" time, or floating time);
 *  - RRULE:FREQ=YEARLY on the event's own date (no COUNT/UNTIL/INTERVAL/BYDAY…,
 *    no EXDATE) marks its dates `recurring`; any other rule, and RDATE, is
 *    expanded into dated holidays in `options.expandYears`;
 *  - the name is the SUMMARY (unescaped, whitespace collapsed, at most 200
 *    characters; "Holiday" when empty); STATUS:CANCELLED events are skipped;
 *  - a date listed twice (same `recurring`) is kept once, with its first name.
 * Throws ICalError when the text is not a VCALENDAR, is malformed, has an event
 * without a valid DTSTART, or yields more than MAX_HOLIDAYS holidays.
 */
export function parseICalHolidays(text: string, options: ParseICalOptions = {}): ICalHoliday[] {
  if (typeof text !== 'string') throw new ICalError('the iCalendar file must be text');
  const src = text.replace(/^\uFEFF/, '');
  if (!/^\s*BEGIN:VCALENDAR\s*(\r?\n|$)/i.test(src)) {
    throw new ICalError('not an iCalendar file: it must start with BEGIN:VCALENDAR');
  }
  if (!/(^|\n)END:VCALENDAR[ \t]*\r?(\n|$)/i.test(src)) {
    throw new ICalError('not a complete iCalendar file: END:VCALENDAR is missing');
  }
  let parsed: unknown;
  try {
    parsed = ICAL.parse(src);
  } catch (e) {
    throw new ICalError(`invalid iCalendar file: ${(e as Error).message}`);
  }
  const roots = (Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed : [parsed]) as unknown[];
  const thisYear = new Date().getUTCFullYear();
  const [fromYear, toYear] = options.expandYears ?? [thisYear - 1, thisYear + 5];

  const out: ICalHoliday[] = [];
  const seen = new Set<string>();
  const add = (date: string, name: string, recurring: boolean) => {
    const key = `${date}|${recurring}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ date, name, recurring });
    if (out.length > MAX_HOLIDAYS) throw new ICalError(`the file has more than ${MAX_HOLIDAYS} holidays`);
  };

  for (const root of roots) {
    if (!Array.isArray(root) || root[0] !== 'vcalendar') {
      throw new ICalError('not an iCalendar file: the top-level component must be VCALENDAR');
    }
    const events = new ICAL.Component(root).getAllSubcomponents('vevent');
    events.forEach((vevent, index) => {
      try {
        eventHolidays(vevent, index, fromYear, toYear, add);
      } catch (e) {
        if (e instanceof ICalError) throw e;
        throw new ICalError(`${label(vevent, index)}: ${(e as Error).message}`);
      }
    });
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

function label(vevent: ICAL.Component, index: number): string {
  const uid = vevent.getFirstPropertyValue('uid');
  return `event ${index + 1}${typeof uid === 'string' && uid ? ` (UID ${uid})` : ''}`;
}

/** The date part of a DATE or DATE-TIME value as written, checked to be a real date. */
function dateOf(prop: ICAL.Property | null, what: string, where: string): { date: string; day: number; isDate: boolean } {
  if (!prop) throw new ICalError(`${where} has no ${what}`);
  const raw = prop.toJSON()[3];
  const date = typeof raw === 'string' ? raw.slice(0, 10) : '';
  const day = parseDate(date);
  if ((prop.type !== 'date' && prop.type !== 'date-time') || day === undefined) {
    throw new ICalError(`${where} has an invalid ${what}`);
  }
  return { date, day, isDate: prop.type === 'date' };
}

function isoDay(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

function eventHolidays(
  vevent: ICAL.Component,
  index: number,
  fromYear: number,
  toYear: number,
  add: (date: string, name: string, recurring: boolean) => void,
): void {
  const where = label(vevent, index);
  const status = vevent.getFirstPropertyValue('status');
  if (typeof status === 'string' && status.toUpperCase() === 'CANCELLED') return;

  const start = dateOf(vevent.getFirstProperty('dtstart'), 'DTSTART', where);
  const summary = vevent.getFirstPropertyValue('summary');
  const name = (typeof summary === 'string' ? summary : '').replace(/\s+/g, ' ').trim().slice(0, 200) || 'Holiday';

  // how many days each occurrence covers
  let days = 1;
  if (start.isDate) {
    const dtend = vevent.getFirstProperty('dtend');
    const duration = vevent.getFirstPropertyValue('duration');
    if (dtend) days = dateOf(dtend, 'DTEND', where).day - start.day;
    else if (duration instanceof ICAL.Duration) days = Math.floor(duration.toSeconds() / 86_400);
    days = Math.max(days, 1);
    if (days > MAX_EVENT_DAYS) throw new ICalError(`${where} lasts more than ${MAX_EVENT_DAYS} days`);
  }
  const span = (firstDay: number, recurring: boolean) => {
    for (let d = 0; d < days; d++) add(isoDay(firstDay + d), name, recurring);
  };

  const rrule = vevent.getFirstPropertyValue('rrule');
  const recurs = rrule instanceof ICAL.Recur || vevent.hasProperty('rdate');
  if (!recurs) {
    span(start.day, false);
    return;
  }
  if (rrule instanceof ICAL.Recur && isEveryYearOnThisDate(rrule, start.date) && !vevent.hasProperty('exdate')) {
    span(start.day, true);
    if (!vevent.hasProperty('rdate')) return;
  }
  // expand the occurrences (RRULE, RDATE, EXDATE) that fall in the window
  const plainYearly = rrule instanceof ICAL.Recur && isEveryYearOnThisDate(rrule, start.date) && !vevent.hasProperty('exdate');
  const it = new ICAL.Event(vevent).iterator();
  for (let n = 0; n < MAX_OCCURRENCES; n++) {
    const next = it.next();
    if (!next || next.year > toYear) return;
    if (next.year < fromYear) continue;
    const day = parseDate(`${String(next.year).padStart(4, '0')}-${pad(next.month)}-${pad(next.day)}`);
    if (day === undefined) continue;
    if (plainYearly && isoDay(day).slice(5) === start.date.slice(5)) continue; // already recurring
    span(day, false);
  }
  throw new ICalError(`${where} repeats more than ${MAX_OCCURRENCES} times before ${toYear + 1}`);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** FREQ=YEARLY with nothing that moves, skips or ends it: the same month and day every year. */
function isEveryYearOnThisDate(r: ICAL.Recur, date: string): boolean {
  if (r.freq !== 'YEARLY' || (r.interval ?? 1) !== 1 || r.count || r.until) return false;
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  for (const [part, values] of Object.entries(r.parts ?? {})) {
    if (!values || values.length === 0) continue;
    if (part === 'BYMONTH' && values.length === 1 && values[0] === month) continue;
    if (part === 'BYMONTHDAY' && values.length === 1 && values[0] === day) continue;
    return false;
  }
  return true;
}
