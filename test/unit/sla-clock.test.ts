import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeSla, type Timeline } from '../../src/domain/sla/clock.ts';
import { TWENTY_FOUR_SEVEN, type Calendar } from '../../src/domain/sla/calendar.ts';
import type { TicketStatus } from '../../src/domain/tickets/lifecycle.ts';

const T0 = new Date('2026-03-02T09:00:00.000Z'); // a Monday
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const MIN = { firstResponseMinutes: 60, nextResponseMinutes: 30, resolutionMinutes: 240, warnAtPercent: 80 };

function tl(o: { statuses?: [number, TicketStatus][]; messages?: [number, 'agent' | 'requester'][] } = {}): Timeline {
  return {
    createdAt: T0,
    statuses: (o.statuses ?? []).map(([m, to]) => ({ at: at(m), to })),
    messages: (o.messages ?? []).map(([m, by]) => ({ at: at(m), by })),
  };
}
const target = (s: ReturnType<typeof computeSla>, name: string) => s.targets.find((t) => t.target === name)!;

describe('first response', () => {
  it('is due at creation + budget, warns at 80%, and is ok / at risk / breached as time passes', () => {
    const s = (m: number) => computeSla(MIN, TWENTY_FOUR_SEVEN, tl(), at(m));
    expect(target(s(0), 'first_response')).toMatchObject({ dueAt: at(60), warnAt: at(48), status: 'ok' });
    expect(target(s(48), 'first_response').status).toBe('at_risk');
    expect(target(s(60), 'first_response').status).toBe('breached');
    expect(s(10).nextCheckAt).toEqual(at(48));
    expect(s(50).nextCheckAt).toEqual(at(60));
  });

  it('is met by the first public agent reply; a requester message does not count', () => {
    const s = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ messages: [[5, 'requester'], [30, 'agent']] }), at(100));
    expect(target(s, 'first_response')).toMatchObject({ status: 'met', metAt: at(30), stoppedAt: at(30) });
    expect(s.passed.filter((e) => e.target === 'first_response')).toEqual([]);
  });

  it('a late reply leaves it breached, with the warning and breach recorded at their instants', () => {
    const s = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ messages: [[70, 'agent']] }), at(100));
    expect(target(s, 'first_response')).toMatchObject({ status: 'breached', metAt: null, stoppedAt: at(70) });
    expect(s.passed.filter((e) => e.target === 'first_response')).toEqual([
      { kind: 'warning', target: 'first_response', dueAt: at(48) },
      { kind: 'breach', target: 'first_response', dueAt: at(60) },
    ]);
  });
});

describe('resolution', () => {
  it('pauses while pending: the deadline moves by the time paused', () => {
    const s = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ statuses: [[0, 'open'], [100, 'pending'], [160, 'open']] }), at(170));
    // ran 0–100 and 160–170: 110 of 240 minutes used, 130 left from 170
    expect(target(s, 'resolution')).toMatchObject({ elapsedMinutes: 110, dueAt: at(300), status: 'ok' });
  });

  it('shows paused with no deadline while pending', () => {
    const s = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ messages: [[1, 'agent']], statuses: [[50, 'pending']] }), at(1000));
    expect(target(s, 'resolution')).toMatchObject({ status: 'paused', dueAt: null, elapsedMinutes: 50 });
    expect(s.paused).toBe(true);
    expect(s.state).toBe('paused');
    expect(s.nextCheckAt).toBeNull();
  });

  it('is met at resolved; a reopen resumes with the time already spent counted', () => {
    const resolved = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ statuses: [[100, 'resolved']] }), at(500));
    expect(target(resolved, 'resolution')).toMatchObject({ status: 'met', metAt: at(100), elapsedMinutes: 100 });
    const reopened = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ statuses: [[100, 'resolved'], [500, 'open']] }), at(520));
    expect(target(reopened, 'resolution')).toMatchObject({ status: 'ok', elapsedMinutes: 120, dueAt: at(640) });
  });

  it('the breach instant is a fact of the history: the same before and after a later pause', () => {
    const running = computeSla(MIN, TWENTY_FOUR_SEVEN, tl(), at(300));
    const later = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ statuses: [[310, 'pending']] }), at(400));
    const breachOf = (s: ReturnType<typeof computeSla>) => s.passed.find((e) => e.kind === 'breach' && e.target === 'resolution');
    expect(breachOf(running)).toEqual({ kind: 'breach', target: 'resolution', dueAt: at(240) });
    expect(breachOf(later)).toEqual(breachOf(running));
    expect(target(later, 'resolution').status).toBe('breached');
  });
});

describe('next response', () => {
  it('starts at a customer message after an agent reply and is met by the next agent reply', () => {
    const open = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ messages: [[10, 'agent'], [100, 'requester']] }), at(110));
    expect(target(open, 'next_response')).toMatchObject({ startedAt: at(100), dueAt: at(130), status: 'ok' });
    const met = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ messages: [[10, 'agent'], [100, 'requester'], [120, 'agent']] }), at(200));
    expect(target(met, 'next_response')).toMatchObject({ status: 'met', metAt: at(120) });
  });

  it('several customer messages in a row start one cycle, at the first of them', () => {
    const s = computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ messages: [[10, 'agent'], [100, 'requester'], [105, 'requester']] }), at(140));
    expect(target(s, 'next_response')).toMatchObject({ startedAt: at(100), status: 'breached' });
    expect(s.passed.filter((e) => e.target === 'next_response').map((e) => e.kind)).toEqual(['warning', 'breach']);
  });

  it('does not exist before the first agent reply, nor without a next-response target', () => {
    expect(computeSla(MIN, TWENTY_FOUR_SEVEN, tl({ messages: [[5, 'requester']] }), at(10)).targets.map((t) => t.target)).toEqual([
      'first_response', 'resolution',
    ]);
    const none = computeSla({ ...MIN, nextResponseMinutes: null }, TWENTY_FOUR_SEVEN, tl({ messages: [[10, 'agent'], [20, 'requester']] }), at(30));
    expect(none.targets.map((t) => t.target)).toEqual(['first_response', 'resolution']);
  });
});

describe('business hours', () => {
  const nineToFive: Calendar = {
    timezone: 'UTC',
    hours: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']], sat: [], sun: [] },
    holidays: [],
  };

  it('counts only opening hours: a 4-hour resolution opened Friday 15:00 is due Monday 11:00', () => {
    const friday = new Date('2026-03-06T15:00:00.000Z');
    const s = computeSla(MIN, nineToFive, { createdAt: friday, statuses: [], messages: [] }, friday);
    expect(target(s, 'resolution').dueAt).toEqual(new Date('2026-03-09T11:00:00.000Z'));
    expect(target(s, 'first_response').dueAt).toEqual(new Date('2026-03-06T16:00:00.000Z'));
  });
});

describe('properties', () => {
  const statuses: TicketStatus[] = ['open', 'in_progress', 'pending', 'resolved', 'open', 'pending'];
  const history = fc.record({
    statuses: fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.constantFrom(...statuses)), { maxLength: 8 }),
    messages: fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.constantFrom('agent' as const, 'requester' as const)), { maxLength: 8 }),
  }).map((h) => ({ statuses: [...h.statuses].sort((a, b) => a[0] - b[0]), messages: [...h.messages].sort((a, b) => a[0] - b[0]) }));

  const lastOf = (h: { statuses: [number, unknown][]; messages: [number, unknown][] }) =>
    Math.max(0, ...h.statuses.map((x) => x[0]), ...h.messages.map((x) => x[0]));

  it('passed events never lie in the future, and a later evaluation keeps every earlier one (exactly the same instants)', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 0, max: 2500 }), fc.integer({ min: 0, max: 500 }), (h, extra, later) => {
        const t = tl(h);
        const now = lastOf(h) + extra; // the history never lies in the future
        const a = computeSla(MIN, TWENTY_FOUR_SEVEN, t, at(now));
        for (const e of a.passed) expect(e.dueAt.getTime()).toBeLessThanOrEqual(at(now).getTime());
        const b = computeSla(MIN, TWENTY_FOUR_SEVEN, t, at(Math.max(now, 2000) + later));
        const key = (e: { kind: string; target: string; dueAt: Date }) => `${e.kind}/${e.target}/${e.dueAt.toISOString()}`;
        const afterKeys = new Set(b.passed.map(key));
        for (const e of a.passed) expect(afterKeys.has(key(e))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('the next check is always in the future, and the resolution time used never exceeds the time elapsed', () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 0, max: 2500 }), (h, extra) => {
        const now = lastOf(h) + extra;
        const s = computeSla(MIN, TWENTY_FOUR_SEVEN, tl(h), at(now));
        if (s.nextCheckAt) expect(s.nextCheckAt.getTime()).toBeGreaterThan(at(now).getTime());
        expect(target(s, 'resolution').elapsedMinutes).toBeLessThanOrEqual(now + 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});
