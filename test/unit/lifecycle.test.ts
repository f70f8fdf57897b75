import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import {
  assertTransition, canTransition, lifecycleTimestamps, statusChangeType, TICKET_STATUSES, TRANSITIONS, type TicketStatus,
} from '../../src/domain/tickets/lifecycle.ts';
import { ALLOWED, STATUS_PAIRS } from '../helpers/lifecycle.ts';

const pairs = STATUS_PAIRS;
const allowedPairs = pairs.filter((p) => p.allowed);
const forbiddenPairs = pairs.filter((p) => !p.allowed);

describe('ticket lifecycle', () => {
  it('knows exactly the seven statuses of the seed', () => {
    expect([...TICKET_STATUSES].sort()).toEqual(['cancelled', 'closed', 'in_progress', 'new', 'open', 'pending', 'resolved']);
    expect(pairs).toHaveLength(49);
    expect(allowedPairs).toHaveLength(19);
    expect(forbiddenPairs).toHaveLength(30);
  });

  it.each(allowedPairs)('allows $from → $to', ({ from, to }) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each(forbiddenPairs)('forbids $from → $to with 409 ticket.transition_invalid', ({ from, to }) => {
    expect(canTransition(from, to)).toBe(false);
    let error: unknown;
    try {
      assertTransition(from, to);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.status).toBe(409);
    expect(e.code).toBe('ticket.transition_invalid');
    expect(e.extra).toEqual({ from, to });
    expect(e.message).toContain(`from ${from} to ${to}`);
  });

  it('never allows staying in place, and closed and cancelled are final', () => {
    for (const s of TICKET_STATUSES) expect(canTransition(s, s)).toBe(false);
    for (const to of TICKET_STATUSES) {
      expect(canTransition('closed', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
    }
  });

  it('publishes the same table it enforces', () => {
    for (const from of TICKET_STATUSES) expect([...TRANSITIONS[from]].sort()).toEqual([...ALLOWED[from]].sort());
  });
});

describe('statusChangeType', () => {
  const expected = (from: TicketStatus, to: TicketStatus) => {
    if (to === 'resolved') return 'resolved';
    if (to === 'closed') return 'closed';
    if (to === 'cancelled') return 'cancelled';
    if (from === 'resolved') return 'reopened';
    return 'status_changed';
  };

  it.each(allowedPairs)('names $from → $to', ({ from, to }) => {
    expect(statusChangeType(from, to)).toBe(expected(from, to));
  });

  it('names the notable moves explicitly', () => {
    expect(statusChangeType('resolved', 'open')).toBe('reopened');
    expect(statusChangeType('new', 'resolved')).toBe('resolved');
    expect(statusChangeType('pending', 'resolved')).toBe('resolved');
    expect(statusChangeType('resolved', 'closed')).toBe('closed');
    expect(statusChangeType('new', 'cancelled')).toBe('cancelled');
    expect(statusChangeType('pending', 'cancelled')).toBe('cancelled');
    expect(statusChangeType('new', 'open')).toBe('status_changed');
    expect(statusChangeType('open', 'in_progress')).toBe('status_changed');
    expect(statusChangeType('in_progress', 'open')).toBe('status_changed');
    expect(statusChangeType('pending', 'open')).toBe('status_changed');
  });
});

describe('lifecycleTimestamps', () => {
  const now = new Date('2026-03-01T12:34:56.789Z');

  it('resolving sets resolvedAt to now and clears closedAt', () => {
    expect(lifecycleTimestamps('resolved', now)).toEqual({ resolvedAt: now, closedAt: null });
  });

  it('closing sets closedAt and leaves resolvedAt as it was', () => {
    const stamps = lifecycleTimestamps('closed', now);
    expect(stamps).toEqual({ closedAt: now });
    expect('resolvedAt' in stamps).toBe(false);
  });

  it('cancelling changes neither timestamp', () => {
    expect(lifecycleTimestamps('cancelled', now)).toEqual({});
  });

  it.each(['new', 'open', 'in_progress', 'pending'] as const)('moving to %s (e.g. reopening) clears both', (to) => {
    expect(lifecycleTimestamps(to, now)).toEqual({ resolvedAt: null, closedAt: null });
  });

  it('returns the given instant, not a clock reading of its own', () => {
    const past = new Date('2001-01-01T00:00:00Z');
    expect(lifecycleTimestamps('resolved', past).resolvedAt?.getTime()).toBe(past.getTime());
    expect(lifecycleTimestamps('closed', past).closedAt?.getTime()).toBe(past.getTime());
  });
});
