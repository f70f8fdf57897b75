import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  addBusinessTime, businessTimeBetween, CalendarInput, isBusinessTime, nextBusinessStart, TWENTY_FOUR_SEVEN, WEEKDAYS,
  type Calendar, type Holiday, type OpeningInterval, type Weekday,
} from '../../src/domain/sla/calendar.ts';

/** SLA_PROPERTY_RUNS=10 runs every property ten times as often */
const runs = (n: number) => n * Number(process.env.SLA_PROPERTY_RUNS ?? 1);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

type HoursIn = Partial<Record<Weekday, OpeningInterval[]>>;

/** A calendar through the API's schema, so every fixture is a valid one. */
const cal = (timezone: string, hours: HoursIn, holidays: Holiday[] = []): Calendar =>
  CalendarInput.parse({ name: `test ${timezone}`, timezone, hours, holidays });

const every = (ivs: OpeningInterval[]): HoursIn => Object.fromEntries(WEEKDAYS.map((d) => [d, ivs]));
const weekdays = (ivs: OpeningInterval[]): HoursIn => ({ mon: ivs, tue: ivs, wed: ivs, thu: ivs, fri: ivs });

const NINE_TO_FIVE: OpeningInterval[] = [['09:00', '17:00']];
const ALL_DAY: OpeningInterval[] = [['00:00', '24:00']];
/** keeps a calendar off the always-open fast path without touching the dates under test */
const FAR_HOLIDAY: Holiday = { date: '2099-06-15', name: 'far away' };

const utc = (iso: string) => new Date(iso);
/** a wall time in a zone (only for times that exist once) */
const local = (iso: string, zone: string) => {
  const dt = DateTime.fromISO(iso, { zone });
  if (!dt.isValid) throw new Error(`bad local time ${iso}`);
  return dt.toJSDate();
};
const iso = (d: Date) => d.toISOString();
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const berlinOffice = cal('Europe/Berlin', weekdays(NINE_TO_FIVE));
const nyOffice = cal('America/New_York', weekdays(NINE_TO_FIVE));

describe('addBusinessTime — Mon–Fri 09:00–17:00, Europe/Berlin', () => {
  const B = 'Europe/Berlin';
  it.each([
    // [case, start (local), minutes, expected (local)]
    ['before opening', '2026-01-05T07:00', 60, '2026-01-05T10:00'],
    ['inside', '2026-01-05T10:00', 60, '2026-01-05T11:00'],
    ['inside, into the next day', '2026-01-05T16:00', 120, '2026-01-06T10:00'],
    ['after closing', '2026-01-05T18:00', 60, '2026-01-06T10:00'],
    ['on Saturday', '2026-01-10T12:00', 60, '2026-01-12T10:00'],
    ['on Sunday night', '2026-01-11T23:59', 1, '2026-01-12T09:01'],
    ['at opening, a whole day ends at closing (not next morning)', '2026-01-05T09:00', 480, '2026-01-05T17:00'],
    ['at closing', '2026-01-05T17:00', 1, '2026-01-06T09:01'],
    ['Friday afternoon over the weekend', '2026-01-09T16:30', 60, '2026-01-12T09:30'],
    ['a whole week', '2026-01-05T09:00', 5 * 480, '2026-01-09T17:00'],
    ['fractional minutes', '2026-01-05T09:00', 1.5, '2026-01-05T09:01:30'],
  ])('%s', (_, start, minutes, expected) => {
    expect(iso(addBusinessTime(local(start, B), minutes, berlinOffice))).toBe(iso(local(expected, B)));
  });

  it('0 minutes returns the start itself, inside or outside business hours', () => {
    for (const s of ['2026-01-05T10:00', '2026-01-10T12:00', '2026-01-05T17:00']) {
      expect(iso(addBusinessTime(local(s, B), 0, berlinOffice))).toBe(iso(local(s, B)));
    }
  });

  it('rejects negative and non-finite minutes and invalid dates', () => {
    const start = local('2026-01-05T10:00', B);
    expect(() => addBusinessTime(start, -1, berlinOffice)).toThrow(RangeError);
    expect(() => addBusinessTime(start, Number.NaN, berlinOffice)).toThrow(RangeError);
    expect(() => addBusinessTime(start, Number.POSITIVE_INFINITY, berlinOffice)).toThrow(RangeError);
    expect(() => addBusinessTime(new Date('nope'), 1, berlinOffice)).toThrow(TypeError);
  });
});

describe('holidays', () => {
  const B = 'Europe/Berlin';
  const xmas = cal('Europe/Berlin', weekdays(NINE_TO_FIVE), [
    { date: '2026-12-24', name: 'Christmas Eve' }, // Thursday, this year only
    { date: '2019-12-25', name: 'Christmas Day', recurring: true }, // Friday in 2026
    { date: '2025-12-28', name: 'only in 2025' }, // a Monday in 2026, but not a holiday then
  ]);

  it.each([
    ['the day before, over a dated and a recurring holiday and the weekend', '2026-12-23T16:00', 120, '2026-12-28T10:00'],
    ['starting on a dated holiday', '2026-12-24T10:00', 30, '2026-12-28T09:30'],
    ['starting on a recurring holiday', '2026-12-25T10:00', 30, '2026-12-28T09:30'],
    ['a dated holiday of 2025 (a Sunday then) changes nothing', '2025-12-26T16:00', 120, '2025-12-29T10:00'],
    ['a recurring holiday applies in other years (Thu 25 Dec 2025)', '2025-12-24T16:00', 120, '2025-12-26T10:00'],
  ])('%s', (_, start, minutes, expected) => {
    expect(iso(addBusinessTime(local(start, B), minutes, xmas))).toBe(iso(local(expected, B)));
  });

  it('a holiday has no business time, whatever its kind', () => {
    expect(businessTimeBetween(local('2026-12-24T00:00', B), local('2026-12-26T00:00', B), xmas)).toBe(0);
    expect(businessTimeBetween(local('2026-12-21T00:00', B), local('2027-01-01T00:00', B), xmas)).toBe(7 * 480); // 21–23 and 28–31 Dec
    expect(isBusinessTime(local('2026-12-25T10:00', B), xmas)).toBe(false);
    expect(isBusinessTime(local('2026-12-28T10:00', B), xmas)).toBe(true);
  });

  it('a recurring 29 February only falls in leap years', () => {
    const leap = cal('UTC', every(NINE_TO_FIVE), [{ date: '2024-02-29', name: 'leap day', recurring: true }]);
    expect(businessTimeBetween(utc('2028-02-29T00:00Z'), utc('2028-03-01T00:00Z'), leap)).toBe(0);
    expect(businessTimeBetween(utc('2027-02-28T00:00Z'), utc('2027-03-02T00:00Z'), leap)).toBe(2 * 480);
  });

  it('recompiles when the holidays change', () => {
    const c = cal('UTC', every(NINE_TO_FIVE));
    const start = utc('2026-05-01T16:00Z');
    expect(iso(addBusinessTime(start, 120, c))).toBe('2026-05-02T10:00:00.000Z');
    const withHoliday = { ...c, holidays: [{ date: '2026-05-02', name: 'x' }] };
    expect(iso(addBusinessTime(start, 120, withHoliday))).toBe('2026-05-03T10:00:00.000Z');
    c.holidays.push({ date: '2026-05-02', name: 'in place' });
    expect(iso(addBusinessTime(start, 120, c))).toBe('2026-05-03T10:00:00.000Z');
  });

  it('a calendar whose open days are all holidays throws instead of looping', () => {
    const holidays: Holiday[] = [];
    for (let d = Date.UTC(2024, 0, 1); d < Date.UTC(2025, 0, 1); d += DAY) {
      holidays.push({ date: new Date(d).toISOString().slice(0, 10), name: 'closed', recurring: true });
    }
    const closed = cal('UTC', weekdays(NINE_TO_FIVE), holidays);
    expect(() => addBusinessTime(utc('2026-01-01T00:00Z'), 1, closed)).toThrow(/no business time/);
    expect(() => nextBusinessStart(utc('2026-01-01T00:00Z'), closed)).toThrow(/no business time/);
    expect(addBusinessTime(utc('2026-01-01T00:00Z'), 0, closed)).toEqual(utc('2026-01-01T00:00Z'));
  });
});

describe('DST — Mon–Fri 09:00–17:00 stays 8 hours a day', () => {
  it.each([
    // Europe: 29 Mar 2026 CET→CEST, 25 Oct 2026 CEST→CET; US: 8 Mar EST→EDT, 1 Nov EDT→EST
    ['Berlin, over spring-forward', berlinOffice, '2026-03-27T15:00Z', 120, '2026-03-30T08:00:00.000Z'],
    ['Berlin, over fall-back', berlinOffice, '2026-10-23T14:00Z', 120, '2026-10-26T09:00:00.000Z'],
    ['New York, over spring-forward', nyOffice, '2026-03-06T21:00Z', 120, '2026-03-09T14:00:00.000Z'],
    ['New York, over fall-back', nyOffice, '2026-10-30T20:00Z', 120, '2026-11-02T15:00:00.000Z'],
  ])('%s', (_, c, start, minutes, expected) => {
    expect(iso(addBusinessTime(utc(start), minutes, c))).toBe(expected);
  });

  it('a week with a DST change has 40 business hours', () => {
    // Mon 23 Mar 00:00 CET … Mon 30 Mar 00:00 CEST
    expect(businessTimeBetween(utc('2026-03-22T23:00Z'), utc('2026-03-29T22:00Z'), berlinOffice)).toBe(5 * 480);
    // Fri 27 Mar 09:00 CET … Mon 30 Mar 17:00 CEST
    expect(businessTimeBetween(utc('2026-03-27T08:00Z'), utc('2026-03-30T15:00Z'), berlinOffice)).toBe(2 * 480);
    // Fri 30 Oct 09:00 EDT … Mon 2 Nov 17:00 EST
    expect(businessTimeBetween(utc('2026-10-30T13:00Z'), utc('2026-11-02T22:00Z'), nyOffice)).toBe(2 * 480);
    // Mon 26 Oct 00:00 CET … Mon 2 Nov 00:00 CET
    expect(businessTimeBetween(utc('2026-10-25T23:00Z'), utc('2026-11-01T23:00Z'), berlinOffice)).toBe(5 * 480);
  });

  it('every day of 2026, 09:00–17:00 every day, is 8 hours in Berlin and New York', () => {
    for (const tz of ['Europe/Berlin', 'America/New_York']) {
      const c = cal(tz, every(NINE_TO_FIVE));
      const from = local('2026-01-01T00:00', tz);
      const to = local('2027-01-01T00:00', tz);
      expect(businessTimeBetween(from, to, c)).toBe(365 * 480);
    }
  });
});

describe('DST — intervals across the change (real elapsed time)', () => {
  const B = 'Europe/Berlin';
  const NY = 'America/New_York';
  const night = (tz: string, ivs: OpeningInterval[]) => cal(tz, every(ivs));

  it.each([
    // zone, interval, day start (UTC) … next day start (UTC), business minutes that day
    [B, ['01:00', '04:00'], '2026-03-28T23:00Z', '2026-03-29T22:00Z', 120], // 02:00–03:00 does not exist
    [B, ['01:00', '04:00'], '2026-10-24T22:00Z', '2026-10-25T23:00Z', 240], // 02:00–03:00 twice
    [B, ['01:00', '04:00'], '2026-03-27T23:00Z', '2026-03-28T23:00Z', 180], // an ordinary day
    [B, ['02:00', '03:00'], '2026-03-28T23:00Z', '2026-03-29T22:00Z', 0], // all in the gap
    [B, ['02:30', '04:00'], '2026-03-28T23:00Z', '2026-03-29T22:00Z', 60], // starts in the gap: at the jump
    [B, ['01:00', '02:30'], '2026-03-28T23:00Z', '2026-03-29T22:00Z', 60], // ends in the gap: at the jump
    [B, ['02:30', '04:00'], '2026-10-24T22:00Z', '2026-10-25T23:00Z', 150], // starts at the first 02:30
    [B, ['00:00', '02:30'], '2026-10-24T22:00Z', '2026-10-25T23:00Z', 150], // ends at the first 02:30
    [B, ['00:00', '24:00'], '2026-03-28T23:00Z', '2026-03-29T22:00Z', 23 * 60],
    [B, ['00:00', '24:00'], '2026-10-24T22:00Z', '2026-10-25T23:00Z', 25 * 60],
    [NY, ['01:00', '04:00'], '2026-03-08T05:00Z', '2026-03-09T04:00Z', 120],
    [NY, ['01:00', '04:00'], '2026-11-01T04:00Z', '2026-11-02T05:00Z', 240],
    [NY, ['02:00', '03:00'], '2026-03-08T05:00Z', '2026-03-09T04:00Z', 0],
    [NY, ['01:30', '03:00'], '2026-11-01T04:00Z', '2026-11-02T05:00Z', 150], // first 01:30 EDT … 03:00 EST
    [NY, ['00:00', '24:00'], '2026-03-08T05:00Z', '2026-03-09T04:00Z', 23 * 60],
    [NY, ['00:00', '24:00'], '2026-11-01T04:00Z', '2026-11-02T05:00Z', 25 * 60],
  ] as const)('%s %j on the day starting %s: %i minutes', (tz, iv, from, to, minutes) => {
    const c = night(tz, [[iv[0], iv[1]]]);
    expect(businessTimeBetween(utc(from), utc(to), c)).toBe(minutes);
    expect(iso(addBusinessTime(utc(from), minutes, c))).toBe(
      minutes === 0 ? iso(utc(from)) : iso(new Date(lastEnd(utc(from), utc(to), c))),
    );
  });

  /** the end of the last business interval in [from, to) — found by probing minute by minute */
  function lastEnd(from: Date, to: Date, c: Calendar): number {
    let end = from.getTime();
    for (let t = from.getTime(); t < to.getTime(); t += MIN) if (isBusinessTime(new Date(t), c)) end = t + MIN;
    return end;
  }

  it.each([
    ['Berlin spring-forward', B, '01:00 CET + 90 min is 03:30 CEST', '2026-03-29T00:00Z', 90, '2026-03-29T01:30:00.000Z'],
    ['Berlin spring-forward', B, 'exactly the day\'s 2 h ends at 04:00 CEST', '2026-03-29T00:00Z', 120, '2026-03-29T02:00:00.000Z'],
    ['Berlin spring-forward', B, 'one more minute is the next night', '2026-03-29T00:00Z', 121, '2026-03-29T23:01:00.000Z'],
    ['Berlin fall-back', B, '01:00 CEST + 180 min is 03:00 CET', '2026-10-24T23:00Z', 180, '2026-10-25T02:00:00.000Z'],
    ['New York spring-forward', NY, '01:00 EST + 90 min is 03:30 EDT', '2026-03-08T06:00Z', 90, '2026-03-08T07:30:00.000Z'],
    ['New York fall-back', NY, '01:00 EDT + 150 min is 02:30 EST', '2026-11-01T05:00Z', 150, '2026-11-01T07:30:00.000Z'],
  ])('%s: %s (%s)', (_, tz, __, start, minutes, expected) => {
    expect(iso(addBusinessTime(utc(start), minutes, night(tz, [['01:00', '04:00']])))).toBe(expected);
  });

  it('a 24-hour calendar follows real time through both changes (and with a holiday, off the fast path)', () => {
    for (const tz of [B, NY]) {
      for (const holidays of [[], [FAR_HOLIDAY]]) {
        const c = cal(tz, every(ALL_DAY), holidays);
        for (const [from, to] of [['2026-03-07T00:00', '2026-03-31T00:00'], ['2026-10-24T00:00', '2026-11-03T00:00']]) {
          const a = local(from, tz);
          const b = local(to, tz);
          expect(businessTimeBetween(a, b, c)).toBe((b.getTime() - a.getTime()) / MIN);
          expect(addBusinessTime(a, (b.getTime() - a.getTime()) / MIN, c)).toEqual(b);
        }
      }
    }
  });
});

describe('several intervals a day and midnight', () => {
  const NY = 'America/New_York';
  const split = cal(NY, weekdays([['13:00', '17:00'], ['08:00', '12:00']])); // unsorted input is sorted

  it('sorts the intervals', () => {
    expect(split.hours.mon).toEqual([['08:00', '12:00'], ['13:00', '17:00']]);
  });

  it.each([
    ['over lunch', '2026-06-01T11:00', 120, '2026-06-01T14:00'],
    ['from lunch', '2026-06-01T12:30', 1, '2026-06-01T13:01'],
    ['to the end of the morning', '2026-06-01T08:00', 240, '2026-06-01T12:00'],
    ['a whole day', '2026-06-01T07:00', 480, '2026-06-01T17:00'],
    ['into the next morning', '2026-06-01T16:00', 120, '2026-06-02T09:00'],
  ])('%s', (_, start, minutes, expected) => {
    expect(iso(addBusinessTime(local(start, NY), minutes, split))).toBe(iso(local(expected, NY)));
  });

  it('counts both intervals between two instants', () => {
    expect(businessTimeBetween(local('2026-06-01T07:00', NY), local('2026-06-01T18:00', NY), split)).toBe(480);
    expect(businessTimeBetween(local('2026-06-01T11:30', NY), local('2026-06-01T13:30', NY), split)).toBe(60);
  });

  const nightShift = cal('Europe/Berlin', {
    mon: [['20:00', '24:00']],
    tue: [['00:00', '04:00'], ['20:00', '24:00']],
    wed: [['00:00', '04:00']],
  });
  const B = 'Europe/Berlin';

  it('20:00–24:00 and 00:00–04:00 the next day chain across midnight', () => {
    expect(iso(addBusinessTime(local('2026-06-01T23:00', B), 120, nightShift))).toBe(iso(local('2026-06-02T01:00', B)));
    expect(iso(addBusinessTime(local('2026-06-01T20:00', B), 240, nightShift))).toBe(iso(local('2026-06-02T00:00', B)));
    expect(iso(addBusinessTime(local('2026-06-01T20:00', B), 480, nightShift))).toBe(iso(local('2026-06-02T04:00', B)));
    expect(iso(addBusinessTime(local('2026-06-01T20:00', B), 481, nightShift))).toBe(iso(local('2026-06-02T20:01', B)));
    expect(businessTimeBetween(local('2026-06-01T22:00', B), local('2026-06-02T02:00', B), nightShift)).toBe(240);
    expect(isBusinessTime(local('2026-06-02T00:00', B), nightShift)).toBe(true);
    expect(iso(nextBusinessStart(local('2026-06-02T00:00', B), nightShift))).toBe(iso(local('2026-06-02T00:00', B)));
    expect(iso(nextBusinessStart(local('2026-06-02T04:00', B), nightShift))).toBe(iso(local('2026-06-02T20:00', B)));
  });

  it('a holiday cuts the chain at midnight', () => {
    const c = { ...nightShift, holidays: [{ date: '2026-06-02', name: 'Tuesday off' }] };
    // Monday 20:00–24:00 still counts; Tuesday (both intervals) does not; Wednesday 00:00–04:00 does
    expect(iso(addBusinessTime(local('2026-06-01T23:00', B), 120, c))).toBe(iso(local('2026-06-03T01:00', B)));
  });
});

describe('zones without DST', () => {
  it.each([
    // Asia/Kolkata is UTC+05:30 all year
    ['Kolkata, a whole day', 'Asia/Kolkata', '2026-03-09T04:00Z', 510, '2026-03-09T12:30:00.000Z'],
    ['Kolkata, Friday evening to Monday', 'Asia/Kolkata', '2026-03-06T11:30Z', 120, '2026-03-09T05:00:00.000Z'],
    ['Kathmandu (+05:45)', 'Asia/Kathmandu', '2026-03-09T03:45Z', 30, '2026-03-09T04:15:00.000Z'],
    ['Tokyo', 'Asia/Tokyo', '2026-03-08T00:00Z', 60, '2026-03-09T01:30:00.000Z'],
  ])('%s', (_, tz, start, minutes, expected) => {
    const c = cal(tz, weekdays([['09:30', '18:00']]));
    expect(iso(addBusinessTime(utc(start), minutes, c))).toBe(expected);
  });

  it('a year in Tokyo and in Kolkata is 261 working days', () => {
    for (const tz of ['Asia/Tokyo', 'Asia/Kolkata']) {
      const c = cal(tz, weekdays(NINE_TO_FIVE));
      expect(businessTimeBetween(local('2026-01-01T00:00', tz), local('2027-01-01T00:00', tz), c)).toBe(261 * 480);
    }
  });
});

describe('TWENTY_FOUR_SEVEN', () => {
  it('is a valid calendar', () => {
    expect(CalendarInput.safeParse(TWENTY_FOUR_SEVEN).success).toBe(true);
  });

  it('equals plain elapsed minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 0, max: 50_000 * MIN }), (a, ms) => {
        expect(addBusinessTime(new Date(a), ms / MIN, TWENTY_FOUR_SEVEN).getTime()).toBe(a + ms);
        expect(businessTimeBetween(new Date(a), new Date(a + ms), TWENTY_FOUR_SEVEN)).toBeCloseTo(ms / MIN, 9);
        expect(isBusinessTime(new Date(a), TWENTY_FOUR_SEVEN)).toBe(true);
      }),
    );
  });
});

describe('businessTimeBetween', () => {
  it('is negative when b is before a', () => {
    const a = utc('2026-01-05T08:00Z');
    const b = utc('2026-01-06T10:00Z');
    expect(businessTimeBetween(a, b, berlinOffice)).toBe(480 + 120);
    expect(businessTimeBetween(b, a, berlinOffice)).toBe(-(480 + 120));
    expect(businessTimeBetween(a, a, berlinOffice)).toBe(0);
  });

  it('counts [a, b): a business instant at a counts, at b does not', () => {
    const open = local('2026-01-05T09:00', 'Europe/Berlin');
    expect(businessTimeBetween(open, new Date(open.getTime() + 1), berlinOffice)).toBe(1 / MIN);
    const close = local('2026-01-05T17:00', 'Europe/Berlin');
    expect(businessTimeBetween(close, new Date(close.getTime() + HOUR), berlinOffice)).toBe(0);
  });
});

describe('CalendarInput', () => {
  const base = { name: 'Support', timezone: 'Europe/Berlin', hours: weekdays(NINE_TO_FIVE), holidays: [] };
  const issues = (input: unknown) => {
    const r = CalendarInput.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };

  it('accepts a normal calendar and fills missing days with no hours', () => {
    const r = CalendarInput.parse({ name: 'x', timezone: 'America/New_York', hours: { sat: [['10:00', '14:00']] } });
    expect(r.hours.mon).toEqual([]);
    expect(r.hours.sat).toEqual([['10:00', '14:00']]);
    expect(r.holidays).toEqual([]);
    expect(issues(base)).toEqual([]);
    expect(issues({ ...base, hours: { sun: [['00:00', '24:00']] } })).toEqual([]);
    expect(issues({ ...base, hours: { mon: [['08:00', '12:00'], ['12:00', '17:00']] } })).toEqual([]); // touching is fine
  });

  it.each([
    ['an empty week', { hours: {} }, ['hours']],
    ['a week of empty days', { hours: every([]) }, ['hours']],
    ['an unknown zone', { timezone: 'Mars/Olympus_Mons' }, ['timezone']],
    ['an offset instead of a zone', { timezone: '+02:00' }, ['timezone']],
    ['25:00', { hours: { mon: [['09:00', '25:00']] } }, ['hours.mon.0.1']],
    ['24:30', { hours: { mon: [['09:00', '24:30']] } }, ['hours.mon.0.1']],
    ['9:00 without a leading zero', { hours: { mon: [['9:00', '17:00']] } }, ['hours.mon.0.0']],
    ['minutes 60', { hours: { mon: [['09:60', '17:00']] } }, ['hours.mon.0.0']],
    ['24:00 as a start', { hours: { mon: [['24:00', '24:00']] } }, ['hours.mon.0.0']],
    ['start = end', { hours: { mon: [['09:00', '09:00']] } }, ['hours.mon.0']],
    ['start > end', { hours: { tue: [['08:00', '12:00'], ['17:00', '09:00']] } }, ['hours.tue.1']],
    ['overlapping intervals', { hours: { wed: [['13:00', '17:00'], ['08:00', '13:30']] } }, ['hours.wed.0']],
    ['too many intervals', { hours: { mon: Array.from({ length: 11 }, (_, i) => [hhmm(i * 60), hhmm(i * 60 + 30)]) } }, ['hours.mon']],
    ['an unknown day', { hours: { mon: NINE_TO_FIVE, monday: NINE_TO_FIVE } }, ['hours']],
    ['a bad date', { holidays: [{ date: '2026-02-30', name: 'x' }] }, ['holidays.0.date']],
    ['29 Feb of a common year', { holidays: [{ date: '2027-02-29', name: 'x' }] }, ['holidays.0.date']],
    ['a date in another format', { holidays: [{ date: '25.12.2026', name: 'x' }] }, ['holidays.0.date']],
    ['an empty holiday name', { holidays: [{ date: '2026-12-25', name: ' ' }] }, ['holidays.0.name']],
    ['too many holidays', { holidays: Array.from({ length: 1001 }, () => ({ date: '2026-12-25', name: 'x' })) }, ['holidays']],
  ])('rejects %s', (_, over, paths) => {
    expect(issues({ ...base, ...over })).toEqual(paths);
  });

  it('the functions reject a calendar without hours that skipped the schema', () => {
    const bad: Calendar = { timezone: 'UTC', hours: every([]) as Calendar['hours'], holidays: [] };
    expect(() => addBusinessTime(new Date(), 1, bad)).toThrow(/no opening hours/);
    expect(() => businessTimeBetween(new Date(), new Date(), { ...bad, timezone: 'Nowhere/Land' })).toThrow(/time zone/);
  });
});

// ---------------------------------------------------------------------------
// Properties

const ZONES = [
  'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC', 'Asia/Tokyo',
  'Australia/Lord_Howe', // 30-minute DST
  'America/Santiago', // southern hemisphere, changes at midnight
  'America/Havana', // changes at midnight
  'Pacific/Chatham', // +12:45 / +13:45
];

/** up to four intervals a day on a quarter-hour grid */
const dayHoursArb = fc.uniqueArray(fc.integer({ min: 0, max: 96 }), { maxLength: 8 }).map((bounds) => {
  const b = [...bounds].sort((x, y) => x - y);
  const out: OpeningInterval[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) out.push([hhmm(b[i] * 15), hhmm(b[i + 1] * 15)]);
  return out;
});
const Y2024 = Date.UTC(2024, 0, 1);
const dateArb = fc.integer({ min: 0, max: 6 * 366 }).map((d) => new Date(Y2024 + d * DAY).toISOString().slice(0, 10));
const holidayArb = fc.record({ date: dateArb, name: fc.constant('h'), recurring: fc.boolean() });

const calendarArb = fc
  .record({
    timezone: fc.constantFrom(...ZONES),
    hours: fc.record(Object.fromEntries(WEEKDAYS.map((d) => [d, dayHoursArb])) as Record<Weekday, typeof dayHoursArb>),
    holidays: fc.array(holidayArb, { maxLength: 25 }),
  })
  .filter((c) => WEEKDAYS.some((d) => c.hours[d].length > 0))
  .map((c) => CalendarInput.parse({ name: 'random', ...c }));

/** DST changes of 2024–2028 in the zones above, to start near them often */
const DST_CHANGES = [
  '2026-03-29T01:00Z', '2026-10-25T01:00Z', '2027-03-28T01:00Z', '2024-10-27T01:00Z', // Europe
  '2026-03-08T07:00Z', '2026-11-01T06:00Z', '2025-03-09T07:00Z', '2028-11-05T06:00Z', // US
  '2026-04-04T15:00Z', '2026-10-03T15:30Z', // Lord Howe
  '2026-04-05T03:00Z', '2026-09-06T04:00Z', // Santiago
  '2026-03-08T05:00Z', '2026-11-01T05:00Z', // Havana
].map((s) => Date.parse(s));
const startArb = fc.oneof(
  fc.integer({ min: Y2024, max: Date.UTC(2029, 0, 1) }),
  fc.constantFrom(...DST_CHANGES).chain((t) => fc.integer({ min: t - 3 * DAY, max: t + 3 * DAY })),
);
/** up to ~20,000 minutes, whole or to the millisecond */
const minutesArb = fc.oneof(
  fc.integer({ min: 0, max: 20_000 }),
  fc.integer({ min: 0, max: 20_000 * MIN }).map((ms) => ms / MIN),
  fc.integer({ min: 0, max: 600 }),
);

describe('properties', () => {
  it('round trip: businessTimeBetween(a, addBusinessTime(a, m)) = m', () => {
    fc.assert(
      fc.property(calendarArb, startArb, minutesArb, (c, a, m) => {
        const end = addBusinessTime(new Date(a), m, c);
        expect(end.getTime()).toBeGreaterThanOrEqual(a);
        expect(Math.abs(businessTimeBetween(new Date(a), end, c) - m)).toBeLessThan(1e-6);
      }),
      { numRuns: runs(300) },
    );
  });

  it('the result of a positive addition lies inside a business interval or at its end', () => {
    fc.assert(
      fc.property(calendarArb, startArb, minutesArb.filter((m) => m > 0), (c, a, m) => {
        const end = addBusinessTime(new Date(a), m, c);
        expect(isBusinessTime(new Date(end.getTime() - 1), c)).toBe(true);
      }),
      { numRuns: runs(200) },
    );
  });

  it('monotonic: m1 ≤ m2 ⇒ add(a, m1) ≤ add(a, m2)', () => {
    fc.assert(
      fc.property(calendarArb, startArb, minutesArb, minutesArb, (c, a, x, y) => {
        const [m1, m2] = x <= y ? [x, y] : [y, x];
        expect(addBusinessTime(new Date(a), m1, c).getTime()).toBeLessThanOrEqual(addBusinessTime(new Date(a), m2, c).getTime());
      }),
      { numRuns: runs(200) },
    );
  });

  it('additive: add(add(a, m1), m2) = add(a, m1 + m2)', () => {
    const msArb = fc.integer({ min: 0, max: 10_000 * MIN });
    fc.assert(
      fc.property(calendarArb, startArb, msArb, msArb, (c, a, k1, k2) => {
        const once = addBusinessTime(new Date(a), (k1 + k2) / MIN, c);
        const twice = addBusinessTime(addBusinessTime(new Date(a), k1 / MIN, c), k2 / MIN, c);
        expect(twice.getTime()).toBe(once.getTime());
      }),
      { numRuns: runs(200) },
    );
  });

  it('between(a, b) + between(b, c) = between(a, c), in any order', () => {
    const instantArb = fc.oneof(startArb, fc.constantFrom(...DST_CHANGES));
    fc.assert(
      fc.property(calendarArb, instantArb, instantArb, instantArb, (cal_, a, b, c) => {
        const [A, B, C] = [new Date(a), new Date(b), new Date(c)];
        const ab = businessTimeBetween(A, B, cal_);
        const bc = businessTimeBetween(B, C, cal_);
        expect(Math.abs(ab + bc - businessTimeBetween(A, C, cal_))).toBeLessThan(1e-6);
        expect(businessTimeBetween(B, A, cal_)).toBe(ab === 0 ? 0 : -ab); // never −0
        if (b >= a) expect(ab).toBeGreaterThanOrEqual(0);
        if (b >= a) expect(ab).toBeLessThanOrEqual((b - a) / MIN + 1e-9);
      }),
      { numRuns: runs(200) },
    );
  });

  it('nextBusinessStart is business time, and nothing between it and the start is', () => {
    fc.assert(
      fc.property(calendarArb, startArb, (c, a) => {
        const next = nextBusinessStart(new Date(a), c);
        expect(isBusinessTime(next, c)).toBe(true);
        expect(businessTimeBetween(new Date(a), next, c)).toBe(0);
        expect(next.getTime() === a || !isBusinessTime(new Date(a), c)).toBe(true);
      }),
      { numRuns: runs(200) },
    );
  });

  it('agrees with a minute-by-minute count of local wall times (whole-hour boundaries)', () => {
    // With boundaries on whole hours and whole-hour DST changes, an instant is business time exactly
    // when its local date is a working non-holiday and its local time of day is inside an interval.
    const hourDayArb = fc.uniqueArray(fc.integer({ min: 0, max: 24 }), { maxLength: 6 }).map((bounds) => {
      const b = [...bounds].sort((x, y) => x - y);
      const out: OpeningInterval[] = [];
      for (let i = 0; i + 1 < b.length; i += 2) out.push([hhmm(b[i] * 60), hhmm(b[i + 1] * 60)]);
      return out;
    });
    const hourCalendarArb = fc
      .record({
        timezone: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
        hours: fc.record(Object.fromEntries(WEEKDAYS.map((d) => [d, hourDayArb])) as Record<Weekday, typeof hourDayArb>),
        holidays: fc.array(holidayArb, { maxLength: 25 }),
      })
      .filter((c) => WEEKDAYS.some((d) => c.hours[d].length > 0))
      .map((c) => CalendarInput.parse({ name: 'hourly', ...c }));
    const oracle = (c: Calendar, from: number, to: number) => {
      let n = 0;
      for (let t = from; t < to; t += MIN) {
        const dt = DateTime.fromMillis(t, { zone: c.timezone });
        const date = dt.toISODate()!;
        if (c.holidays.some((h) => (h.recurring ? h.date.slice(5) === date.slice(5) : h.date === date))) continue;
        const minute = dt.hour * 60 + dt.minute;
        const ivs = c.hours[WEEKDAYS[dt.weekday - 1]];
        if (ivs.some(([s, e]) => minute >= Number(s.slice(0, 2)) * 60 && minute < Number(e.slice(0, 2)) * 60)) n++;
      }
      return n;
    };
    const windowArb = fc.record({
      offset: fc.integer({ min: -2 * 24 * 60, max: 24 * 60 }),
      length: fc.integer({ min: 0, max: 3 * 24 * 60 }),
    });
    fc.assert(
      fc.property(hourCalendarArb, fc.constantFrom(...DST_CHANGES.slice(0, 8)), windowArb, (c, change, w) => {
        const from = change + w.offset * MIN;
        const to = from + w.length * MIN;
        expect(businessTimeBetween(new Date(from), new Date(to), c)).toBe(oracle(c, from, to));
      }),
      { numRuns: runs(40) },
    );
  });
});

describe('performance', () => {
  it('100,000 additions of 480 minutes on a 9–17 calendar take well under 2 s', () => {
    const base = Date.parse('2026-01-05T07:00:00Z');
    addBusinessTime(new Date(base), 480, berlinOffice);
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) addBusinessTime(new Date(base + (i % 20_000) * 617_000), 480, berlinOffice);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
