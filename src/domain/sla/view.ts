/**
 * The ticket's `sla` object as the API shows it. The stored targets are what
 * the last change or check computed; remaining business minutes and the
 * status of a running target are evaluated at read time, so a ticket read
 * between two checks is still exact.
 */
import { businessTimeBetween, TWENTY_FOUR_SEVEN, type Calendar } from './calendar.ts';

/** ticket_sla as read with the ticket (JSON: timestamps are strings). */
export interface SlaView {
  policyId: string | null;
  policyName: string | null;
  responseDue: string | Date | null;
  resolutionDue: string | Date | null;
  responseMet: boolean | null;
  resolutionMet: boolean | null;
  paused: boolean;
  state: string;
  targets: StoredTarget[];
  calendar: Calendar | null;
}

interface StoredTarget {
  target: string;
  startedAt: string;
  dueAt: string | null;
  warnAt: string | null;
  budgetMinutes: number;
  elapsedMinutes: number;
  status: string;
  metAt: string | null;
  stoppedAt: string | null;
}

type Status = 'ok' | 'at_risk' | 'breached' | 'met' | 'paused';

const iso = (d: string | Date | null | undefined) => (d ? new Date(d).toISOString() : null);
const round = (n: number) => Math.round(n * 100) / 100;

/** A target's status now: a running one becomes at_risk or breached as its instants pass. */
export function statusAt(t: StoredTarget, now: Date): Status {
  if (t.stoppedAt || t.status === 'paused' || t.status === 'met' || !t.dueAt) return t.status as Status;
  if (now >= new Date(t.dueAt)) return 'breached';
  if (t.warnAt && now >= new Date(t.warnAt)) return 'at_risk';
  return t.status === 'breached' ? 'breached' : 'ok';
}

export function presentSla(s: SlaView | null, now: Date) {
  if (!s) return null;
  const cal = s.calendar ?? TWENTY_FOUR_SEVEN;
  const targets = (s.targets ?? []).map((t) => {
    const status = statusAt(t, now);
    let remaining: number;
    if (t.stoppedAt || t.status === 'paused' || !t.dueAt) remaining = t.budgetMinutes - t.elapsedMinutes;
    else {
      const due = new Date(t.dueAt);
      remaining = now <= due ? businessTimeBetween(now, due, cal) : -businessTimeBetween(due, now, cal);
    }
    return { target: t.target as 'first_response' | 'next_response' | 'resolution', startedAt: iso(t.startedAt), dueAt: iso(t.dueAt), warnAt: iso(t.warnAt), remainingBusinessMinutes: round(remaining), status, metAt: iso(t.metAt) };
  });
  const severity: Record<Status, number> = { met: 0, paused: 1, ok: 2, at_risk: 3, breached: 4 };
  const worst = targets.reduce<Status>((w, t) => (severity[t.status] > severity[w] ? t.status : w), 'met');
  return {
    policyId: s.policyId,
    policyName: s.policyName,
    responseDue: iso(s.responseDue),
    resolutionDue: iso(s.resolutionDue),
    responseMet: s.responseMet,
    resolutionMet: s.resolutionMet,
    paused: s.paused,
    state: worst === 'met' && s.paused ? 'paused' : worst,
    targets,
  };
}
