import { IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Business-hours calendars and business-time arithmetic for SLA deadlines.
 *
 * A calendar has an IANA time zone, weekly opening hours (several intervals a
 * day, in the zone's local wall time) and holidays (local dates; a recurring
 * holiday falls on the same month and day every year). Business time is the
 * set of real instants covered by the opening intervals of the non-holiday
 * days, and the arithmetic below counts real elapsed milliseconds on it.
 *
 * Wall time → instant, across DST changes: an interval boundary "HH:MM" on a
 * date is the FIRST instant at which the local clock shows HH:MM or later.
 *  - a boundary in a spring-forward gap (02:30 on a day when 02:00 jumps to
 *    03:00) is the moment of the jump, so an interval inside the gap is empty
 *    and 01:00–04:00 lasts 2 h;
 *  - a boundary in a fall-back overlap (02:30 when 03:00 goes back to 02:00)
 *    is its first occurrence, so 00:00–24:00 lasts 25 h, 01:00–04:00 lasts
 *    4 h, and 00:00–02:30 lasts 2 h 30 (it closes the first time the clock
 *    shows 02:30);
 *  - intervals that do not touch the change keep their nominal length:
 *    09:00–17:00 is 8 h on every day.
 * The mapping is monotonic, so intervals sorted in wall time stay sorted and
 * disjoint as instants, and "24:00" of one day is exactly "00:00" of the next
 * (20:00–24:00 and 00:00–04:00 chain without a gap across midnight).
 *
 * UTC offsets come from the runtime's time-zone data (ICU, through luxon) and
 * are cached per zone and local day, and each calendar's business intervals
 * per local day, so repeated calls cost a few map look-ups per day walked.
 *
 * Calendars are treated as immutable values: the compiled form is cached per
 * object and by content (re-compiled when `timezone`, `hours` or `holidays` is
 * replaced or the holiday list changes length). Pass a new object after
 * editing one in place.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** An opening interval in local wall time: ["09:00", "17:00"]; the end may be "24:00". */
export type OpeningInterval = [string, string];

export interface Holiday {
  /** local date YYYY-MM-DD in the calendar's time zone */
  date: string;
  name: string;
  /** true: the same month and day every year (29 Feb only in leap years) */
  recurring?: boolean;
}

export interface Calendar {
  name?: string;
  /** IANA time zone, e.g. "Europe/Berlin" */
  timezone: string;
  /** opening intervals per weekday, local wall time, sorted and disjoint */
  hours: Record<Weekday, OpeningInterval[]>;
  holidays: Holiday[];
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const MAX_INTERVALS_PER_DAY = 10;
export const MAX_HOLIDAYS = 1000;

const ALL_DAY = Object.freeze([Object.freeze(['00:00', '24:00'])]) as unknown as OpeningInterval[];

/** The default calendar: always open (every day 00:00–24:00, UTC, no holidays). */
export const TWENTY_FOUR_SEVEN: Calendar = Object.freeze({
  name: '24×7',
  timezone: 'UTC',
  hours: Object.freeze({
    mon: ALL_DAY, tue: ALL_DAY, wed: ALL_DAY, thu: ALL_DAY, fri: ALL_DAY, sat: ALL_DAY, sun: ALL_DAY,
  }) as Record<Weekday, OpeningInterval[]>,
  holidays: Object.freeze([]) as unknown as Holiday[],
}) as Calendar;

// ---------------------------------------------------------------------------
// Validation

const TIME_RE = /^(\d{2}):(\d{2})$/;

/** Minutes after local midnight for "HH:MM" (00:00–24:00), or undefined. */
export function parseTime(t: string): number | undefined {
  const m = TIME_RE.exec(t);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a real calendar date "YYYY-MM-DD" (years 0001–9999), or undefined. */
export function parseDate(s: string): number | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  return Math.round(date.getTime() / DAY);
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** A time zone the runtime knows by its IANA name ("UTC" included; offsets like "+02:00" are not zones). */
export function isValidTimezone(tz: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz) && IANAZone.isValidZone(tz);
}

const Time = z.string().refine((t) => parseTime(t) !== undefined, {
  message: 'time must be HH:MM between 00:00 and 24:00',
});

const Interval = z.tuple([Time, Time]).superRefine(([s, e], ctx) => {
  const a = parseTime(s);
  const b = parseTime(e);
  if (a === undefined || b === undefined) return;
  if (a === 24 * 60) ctx.addIssue({ code: 'custom', path: [0], message: '24:00 is only allowed as an end time' });
  else if (a >= b) ctx.addIssue({ code: 'custom', message: `the interval must end after it starts (${s}–${e})` });
});

const byStart = (x: OpeningInterval, y: OpeningInterval) => parseTime(x[0])! - parseTime(y[0])!;

/** One weekday's opening intervals: at most 10, no overlaps; returned sorted by start. */
const DayHours = z
  .array(Interval)
  .max(MAX_INTERVALS_PER_DAY, `at most ${MAX_INTERVALS_PER_DAY} intervals a day`)
  .superRefine((ivs, ctx) => {
    const order = ivs.map((_, i) => i).sort((i, j) => byStart(ivs[i] as OpeningInterval, ivs[j] as OpeningInterval));
    for (let k = 1; k < order.length; k++) {
      const prev = ivs[order[k - 1]];
      const cur = ivs[order[k]];
      if (parseTime(cur[0])! < parseTime(prev[1])!) {
        ctx.addIssue({
          code: 'custom',
          path: [order[k]],
          message: `overlaps ${prev[0]}–${prev[1]}`,
        });
      }
    }
  })
  .transform((ivs) => [...ivs].sort(byStart) as OpeningInterval[]);

/** Weekly opening hours; a missing day is closed, and at least one interval is required in the week. */
export const WeeklyHours = z
  .strictObject({
    mon: DayHours.default([]),
    tue: DayHours.default([]),
    wed: DayHours.default([]),
    thu: DayHours.default([]),
    fri: DayHours.default([]),
    sat: DayHours.default([]),
    sun: DayHours.default([]),
  })
  .refine((h) => WEEKDAYS.some((d) => h[d].length > 0), {
    message: 'the week has no opening hours: give at least one interval',
  });

export const HolidayInput = z.strictObject({
  date: z.string().refine((d) => parseDate(d) !== undefined, { message: 'date must be a real date YYYY-MM-DD' }),
  name: z.string().trim().min(1).max(200),
  recurring: z.boolean().optional(),
});

/**
 * A calendar as the API takes it. Error paths name the field
 * (`timezone`, `hours`, `hours.mon.0`, `hours.mon.0.1`, `holidays.3.date`).
 */
export const CalendarInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  timezone: z.string().max(64).refine(isValidTimezone, { message: 'unknown IANA time zone' }),
  hours: WeeklyHours,
  holidays: z.array(HolidayInput).max(MAX_HOLIDAYS, `at most ${MAX_HOLIDAYS} holidays`).default([]),
});
export type CalendarInput = z.infer<typeof CalendarInput>;

// ---------------------------------------------------------------------------
// Time zones: local wall time → instant

/** offsets stay within ±18 h (tzdb: −12 h … +14 h) */
const WINDOW = 18 * HOUR;
/** offset probes across a day's window; DST changes are months apart */
const PROBE = 6 * HOUR;
/** cached days per zone and per calendar (a full cache is emptied, not evicted entry by entry) */
const ZONE_DAYS_CACHED = 10_000;
const CALENDAR_DAYS_CACHED = 5_000;
/** distinct calendars (by content) kept compiled */
const CALENDARS_CACHED = 200;

/**
 * The UTC offsets around one local day: segment k starts at instant t[k]
 * (t[0] stands for −∞) and has offset o[k] in ms; the last one runs to +∞.
 */
interface ZoneDay {
  t: number[];
  o: number[];
}

interface ZoneCache {
  zone: IANAZone;
  days: Map<number, ZoneDay>;
}

const zones = new Map<string, ZoneCache>();

function zoneCache(tz: string): ZoneCache {
  let z = zones.get(tz);
  if (!z) {
    const zone = IANAZone.create(tz);
    if (!zone.isValid || !isValidTimezone(tz)) throw new Error(`invalid calendar: unknown IANA time zone "${tz}"`);
    z = { zone, days: new Map() };
    zones.set(tz, z);
  }
  return z;
}

function offsetMs(zone: IANAZone, t: number): number {
  return Math.round(zone.offset(t) * MIN);
}

/** The offsets in force for all instants whose wall time can fall on local day `n` (days since 1970-01-01). */
function zoneDay(zc: ZoneCache, n: number): ZoneDay {
  let zd = zc.days.get(n);
  if (zd) return zd;
  const start = n * DAY - WINDOW;
  const end = (n + 1) * DAY + WINDOW;
  const zone = zc.zone;
  let lo = start;
  let loOff = offsetMs(zone, lo);
  zd = { t: [start], o: [loOff] };
  for (let p = start + PROBE; p <= end; p += PROBE) {
    const pOff = offsetMs(zone, p);
    while (pOff !== loOff) {
      // first instant in (lo, p] whose offset differs from loOff
      let a = lo;
      let b = p;
      while (b - a > 1) {
        const m = Math.floor((a + b) / 2);
        if (offsetMs(zone, m) === loOff) a = m;
        else b = m;
      }
      lo = b;
      loOff = offsetMs(zone, b);
      zd.t.push(b);
      zd.o.push(loOff);
    }
    lo = p;
  }
  if (zc.days.size >= ZONE_DAYS_CACHED) zc.days.clear();
  zc.days.set(n, zd);
  return zd;
}

/** The first instant at which the local clock shows `wall` (ms of local time since 1970) or later. */
function wallToInstant(zd: ZoneDay, wall: number): number {
  const { t, o } = zd;
  const last = o.length - 1;
  if (last === 0) return wall - o[0];
  for (let k = 0; k < last; k++) {
    // the segment's wall times are [t[k] + o[k], t[k+1] + o[k])
    if (t[k + 1] + o[k] > wall) return k === 0 ? wall - o[0] : Math.max(t[k], wall - o[k]);
  }
  return Math.max(t[last], wall - o[last]);
}

// ---------------------------------------------------------------------------
// Compiled calendars

/** One local day's business time: instants [iv[0], iv[1]), [iv[2], iv[3]), … ascending, and their total (ms). */
interface BusinessDay {
  iv: number[];
  total: number;
}

const CLOSED: BusinessDay = { iv: [], total: 0 };

interface Compiled {
  src: { timezone: string; hours: Calendar['hours']; holidays: Holiday[]; holidayCount: number };
  zc: ZoneCache;
  /** per weekday, Monday = 0: merged [start, end) minute pairs */
  week: number[][];
  alwaysOpen: boolean;
  fixed: Set<number>;
  /** month * 100 + day */
  recurring: Set<number>;
  days: Map<number, BusinessDay>;
}

const compiled = new WeakMap<Calendar, Compiled>();
const byContent = new Map<string, Compiled>();

function compile(cal: Calendar): Compiled {
  if (!cal || typeof cal !== 'object' || !cal.hours || typeof cal.hours !== 'object' || !Array.isArray(cal.holidays)) {
    throw new Error('invalid calendar: timezone, hours and holidays are required');
  }
  const c = compiled.get(cal);
  if (
    c &&
    c.src.timezone === cal.timezone &&
    c.src.hours === cal.hours &&
    c.src.holidays === cal.holidays &&
    c.src.holidayCount === cal.holidays.length
  ) {
    return c;
  }
  // equal calendars loaded afresh (one object per request) share one compiled form and its day cache
  const key = `${cal.timezone}\u0000${JSON.stringify(cal.hours)}\u0000${JSON.stringify(cal.holidays)}`;
  let fresh = byContent.get(key);
  if (!fresh) {
    fresh = compileUncached(cal);
    if (byContent.size >= CALENDARS_CACHED) byContent.clear();
    byContent.set(key, fresh);
  }
  // the shared form remembers another object's fields: point it at this one's
  const own: Compiled = {
    ...fresh,
    src: { timezone: cal.timezone, hours: cal.hours, holidays: cal.holidays, holidayCount: cal.holidays.length },
  };
  compiled.set(cal, own);
  return own;
}

function compileUncached(cal: Calendar): Compiled {
  const zc = zoneCache(cal.timezone);
  const week = WEEKDAYS.map((d) => {
    const pairs: [number, number][] = [];
    for (const iv of cal.hours[d] ?? []) {
      const s = parseTime(iv[0]);
      const e = parseTime(iv[1]);
      if (s === undefined || e === undefined || s >= e) {
        throw new Error(`invalid calendar: bad opening interval ${JSON.stringify(iv)} on ${d}`);
      }
      pairs.push([s, e]);
    }
    pairs.sort((x, y) => x[0] - y[0]);
    const merged: number[] = [];
    for (const [s, e] of pairs) {
      const n = merged.length;
      if (n > 0 && s <= merged[n - 1]) merged[n - 1] = Math.max(merged[n - 1], e);
      else merged.push(s, e);
    }
    return merged;
  });
  if (week.every((m) => m.length === 0)) throw new Error('invalid calendar: the week has no opening hours');
  const fixed = new Set<number>();
  const recurring = new Set<number>();
  for (const h of cal.holidays) {
    const n = parseDate(h.date);
    if (n === undefined) throw new Error(`invalid calendar: bad holiday date "${h.date}"`);
    if (h.recurring) recurring.add(Number(h.date.slice(5, 7)) * 100 + Number(h.date.slice(8, 10)));
    else fixed.add(n);
  }
  const alwaysOpen =
    fixed.size === 0 && recurring.size === 0 && week.every((m) => m.length === 2 && m[0] === 0 && m[1] === 24 * 60);
  return {
    src: { timezone: cal.timezone, hours: cal.hours, holidays: cal.holidays, holidayCount: cal.holidays.length },
    zc,
    week,
    alwaysOpen,
    fixed,
    recurring,
    days: new Map(),
  };
}

/** Business time of local day `n` (days since 1970-01-01 in the calendar's zone). */
function businessDay(c: Compiled, n: number): BusinessDay {
  let d = c.days.get(n);
  if (d) return d;
  d = computeBusinessDay(c, n);
  if (c.days.size >= CALENDAR_DAYS_CACHED) c.days.clear();
  c.days.set(n, d);
  return d;
}

function computeBusinessDay(c: Compiled, n: number): BusinessDay {
  const spec = c.week[(((n + 3) % 7) + 7) % 7]; // 1970-01-01 was a Thursday
  if (spec.length === 0 || c.fixed.has(n)) return CLOSED;
  if (c.recurring.size > 0) {
    const date = new Date(n * DAY);
    if (c.recurring.has((date.getUTCMonth() + 1) * 100 + date.getUTCDate())) return CLOSED;
  }
  const zd = zoneDay(c.zc, n);
  const iv: number[] = [];
  let total = 0;
  for (let i = 0; i < spec.length; i += 2) {
    const a = wallToInstant(zd, n * DAY + spec[i] * MIN);
    const b = wallToInstant(zd, n * DAY + spec[i + 1] * MIN);
    if (b > a) {
      iv.push(a, b);
      total += b - a;
    }
  }
  return total > 0 ? { iv, total } : CLOSED;
}

// ---------------------------------------------------------------------------
// Business-time arithmetic

/** A walk gives up after this many days without business time (a calendar whose open days are all holidays). */
const MAX_IDLE_DAYS = 366 * 30;
/** …and after this many days in all. */
const MAX_WALK_DAYS = 366 * 100;

function instant(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t)) throw new TypeError(`${what} must be a valid Date`);
  return t;
}

/** The first local day whose business time can reach instant t (offsets are within ±18 h). */
const firstDayFor = (t: number) => Math.floor(t / DAY) - 2;

function noBusinessTime(cal: Calendar, from: number): Error {
  return new Error(
    `calendar${cal.name ? ` "${cal.name}"` : ''} has no business time within ${MAX_IDLE_DAYS} days after ${new Date(from).toISOString()}`,
  );
}

/**
 * The instant at which `minutes` of business time have elapsed after `start`:
 * the earliest t ≥ start with businessTimeBetween(start, t) = minutes. The
 * result lies inside a business interval or at its end (never at the start of
 * the next one). 0 minutes returns `start` itself, even outside business hours.
 * Minutes may be fractional and are rounded to the millisecond; negative or
 * non-finite minutes throw a RangeError.
 */
export function addBusinessTime(start: Date, minutes: number, cal: Calendar): Date {
  const t0 = instant(start, 'start');
  if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) {
    throw new RangeError(`minutes must be a finite number ≥ 0, got ${minutes}`);
  }
  let remaining = Math.round(minutes * MIN);
  if (remaining === 0) return new Date(t0);
  const c = compile(cal);
  if (c.alwaysOpen) return new Date(t0 + remaining);
  let t = t0;
  const first = firstDayFor(t0);
  let idleSince = first;
  for (let n = first; ; n++) {
    const d = businessDay(c, n);
    const iv = d.iv;
    if (d.total > 0 && iv[iv.length - 1] > t) {
      for (let i = 0; i < iv.length; i += 2) {
        const b = iv[i + 1];
        if (b <= t) continue;
        const s = iv[i] > t ? iv[i] : t;
        const avail = b - s;
        if (avail >= remaining) return new Date(s + remaining);
        remaining -= avail;
        t = b;
      }
      idleSince = n;
    } else if (n - idleSince > MAX_IDLE_DAYS) {
      throw noBusinessTime(cal, t);
    }
    if (n - first > MAX_WALK_DAYS) throw new RangeError(`${minutes} business minutes reach more than 100 years ahead`);
  }
}

/**
 * Business minutes in [a, b); negative when b < a (−businessTimeBetween(b, a)).
 * Fractional when the instants are not on whole minutes.
 */
export function businessTimeBetween(a: Date, b: Date, cal: Calendar): number {
  const ta = instant(a, 'a');
  const tb = instant(b, 'b');
  const c = compile(cal);
  if (tb < ta) {
    const back = betweenMs(tb, ta, c);
    return back === 0 ? 0 : -back / MIN; // never −0
  }
  return betweenMs(ta, tb, c) / MIN;
}

function betweenMs(ta: number, tb: number, c: Compiled): number {
  if (ta === tb) return 0;
  if (c.alwaysOpen) return tb - ta;
  let sum = 0;
  const last = Math.floor(tb / DAY) + 2;
  for (let n = firstDayFor(ta); n <= last; n++) {
    const d = businessDay(c, n);
    if (d.total === 0) continue;
    const iv = d.iv;
    if (iv[0] >= ta && iv[iv.length - 1] <= tb) {
      sum += d.total;
      continue;
    }
    for (let i = 0; i < iv.length; i += 2) {
      const lo = iv[i] > ta ? iv[i] : ta;
      const hi = iv[i + 1] < tb ? iv[i + 1] : tb;
      if (hi > lo) sum += hi - lo;
    }
  }
  return sum;
}

/** True when `at` is business time (inside an opening interval [start, end) of a non-holiday day). */
export function isBusinessTime(at: Date, cal: Calendar): boolean {
  const t = instant(at, 'at');
  const c = compile(cal);
  if (c.alwaysOpen) return true;
  for (let n = firstDayFor(t), last = Math.floor(t / DAY) + 2; n <= last; n++) {
    const iv = businessDay(c, n).iv;
    for (let i = 0; i < iv.length; i += 2) if (iv[i] <= t && t < iv[i + 1]) return true;
  }
  return false;
}

/** `at` itself when it is business time, else the start of the next opening interval. */
export function nextBusinessStart(at: Date, cal: Calendar): Date {
  const t = instant(at, 'at');
  const c = compile(cal);
  if (c.alwaysOpen) return new Date(t);
  const first = firstDayFor(t);
  for (let n = first; n - first <= MAX_IDLE_DAYS; n++) {
    const iv = businessDay(c, n).iv;
    for (let i = 0; i < iv.length; i += 2) {
      if (iv[i + 1] > t) return new Date(Math.max(iv[i], t));
    }
  }
  throw noBusinessTime(cal, t);
}
