/**
 * The SLA clock: every target's deadline, state and passed warnings/breaches,
 * derived by one pure function from the ticket's history (its status changes
 * and its public messages). Recomputing from scratch always gives the same
 * answer, so a deadline is a fact about the history, not a stored counter.
 *
 * - First response: starts at creation; met by the first public reply from an
 *   agent (internal notes and system messages do not count).
 * - Next response: starts at each customer message that follows an agent's
 *   public reply; met by the next agent public reply.
 * - Resolution: runs while the ticket is new, open or in progress; pauses
 *   while pending (waiting on the customer); stops at resolved, closed or
 *   cancelled. A reopen resumes it with the time already spent counted.
 * A target still open when the ticket is resolved, closed or cancelled stops
 * there: met if its deadline had not passed, breached otherwise.
 * Times are business minutes of the policy's calendar.
 */
import type { TicketStatus } from '../tickets/lifecycle.ts';
import { addBusinessTime, businessTimeBetween, type Calendar } from './calendar.ts';
import type { SlaTarget, TargetMinutes } from './policy.ts';

export interface Timeline {
  createdAt: Date;
  /** status changes, oldest first */
  statuses: { at: Date; to: TicketStatus }[];
  /** public messages, oldest first */
  messages: { at: Date; by: 'agent' | 'requester' }[];
}

export type TargetStatus = 'ok' | 'at_risk' | 'breached' | 'met' | 'paused';

export interface TargetState {
  target: SlaTarget;
  startedAt: Date;
  /** when the target is breached; null while paused */
  dueAt: Date | null;
  /** when the warning threshold is reached; null while paused */
  warnAt: Date | null;
  budgetMinutes: number;
  /** business minutes used so far (up to now, or to the stop) */
  elapsedMinutes: number;
  status: TargetStatus;
  /** when it was met in time, if it was */
  metAt: Date | null;
  /** when the target ended (answered, or the ticket stopped); null while it runs or is paused */
  stoppedAt: Date | null;
}

/** A warning or breach whose instant has passed: recorded once (sla_events' unique key). */
export interface PassedEvent {
  kind: 'warning' | 'breach';
  target: SlaTarget;
  dueAt: Date;
}

export interface SlaState {
  /** the current cycle of each target */
  targets: TargetState[];
  /** every warning and breach instant that has passed, all cycles included */
  passed: PassedEvent[];
  paused: boolean;
  /** the worst state over the targets */
  state: TargetStatus;
  /** the next instant a warning or breach falls due (the job runs then) */
  nextCheckAt: Date | null;
  /** the earliest deadline of a target still open (breached ones included) */
  nextDueAt: Date | null;
}

const RUNNING: ReadonlySet<TicketStatus> = new Set(['new', 'open', 'in_progress']);
const STOPPED: ReadonlySet<TicketStatus> = new Set(['resolved', 'closed', 'cancelled']);

/** Where the status was at each moment: the segments [from, to) with their status. */
function segments(t: Timeline, now: Date): { from: Date; to: Date; status: TicketStatus }[] {
  const out: { from: Date; to: Date; status: TicketStatus }[] = [];
  let status: TicketStatus = 'new';
  let from = t.createdAt;
  for (const s of t.statuses) {
    const at = s.at < from ? from : s.at;
    if (at > from) out.push({ from, to: at, status });
    status = s.to;
    from = at;
  }
  if (now > from) out.push({ from, to: now, status });
  else out.push({ from, to: from, status });
  return out;
}

/** The first time the ticket stopped (resolved/closed/cancelled) at or after `after`, if still stopped at `now`... or ever. */
function stopAfter(t: Timeline, after: Date): Date | null {
  for (const s of t.statuses) if (s.at >= after && STOPPED.has(s.to)) return s.at;
  return null;
}

/**
 * A response target (first or next response) started at `start`, answered at
 * `answeredAt` (or not): its state at `now`.
 */
function responseTarget(
  target: SlaTarget,
  start: Date,
  answeredAt: Date | null,
  stoppedAt: Date | null,
  budget: number,
  warnPercent: number,
  cal: Calendar,
  now: Date,
  passed: PassedEvent[],
): TargetState {
  const dueAt = addBusinessTime(start, budget, cal);
  const warnAt = addBusinessTime(start, (budget * warnPercent) / 100, cal);
  const endedAt = answeredAt ?? (stoppedAt && stoppedAt <= now ? stoppedAt : null);
  const until = endedAt ?? now;
  if (warnAt <= until) passed.push({ kind: 'warning', target, dueAt: warnAt });
  if (dueAt <= until) passed.push({ kind: 'breach', target, dueAt });
  const elapsedMinutes = businessTimeBetween(start, until, cal);
  let status: TargetStatus;
  if (endedAt) status = endedAt <= dueAt ? 'met' : 'breached';
  else status = now >= dueAt ? 'breached' : now >= warnAt ? 'at_risk' : 'ok';
  return {
    target, startedAt: start, dueAt, warnAt, budgetMinutes: budget, elapsedMinutes, status,
    metAt: endedAt && endedAt <= dueAt ? endedAt : null, stoppedAt: endedAt,
  };
}

/** The resolution target: business time spent while running, paused while pending. */
function resolutionTarget(t: Timeline, budget: number, warnPercent: number, cal: Calendar, now: Date, passed: PassedEvent[]): TargetState {
  const warnBudget = (budget * warnPercent) / 100;
  let elapsed = 0;
  let warnAt: Date | null = null;
  let dueAt: Date | null = null;
  let last = { from: t.createdAt, to: t.createdAt, status: 'new' as TicketStatus };
  for (const seg of segments(t, now)) {
    last = seg;
    if (!RUNNING.has(seg.status)) continue;
    const length = businessTimeBetween(seg.from, seg.to, cal);
    if (!warnAt && elapsed + length >= warnBudget) warnAt = addBusinessTime(seg.from, warnBudget - elapsed, cal);
    if (!dueAt && elapsed + length >= budget) dueAt = addBusinessTime(seg.from, budget - elapsed, cal);
    elapsed += length;
  }
  const status = last.status;
  // A reached threshold only counts once its instant has passed (the segment to `now` is half-open).
  if (warnAt && warnAt > now) warnAt = null;
  if (dueAt && dueAt > now) dueAt = null;
  if (warnAt) passed.push({ kind: 'warning', target: 'resolution', dueAt: warnAt });
  if (dueAt) passed.push({ kind: 'breach', target: 'resolution', dueAt });
  const base = { target: 'resolution' as const, startedAt: t.createdAt, budgetMinutes: budget, elapsedMinutes: elapsed };
  if (STOPPED.has(status)) {
    return { ...base, dueAt, warnAt, status: dueAt ? 'breached' : 'met', metAt: dueAt ? null : last.from, stoppedAt: last.from };
  }
  if (!RUNNING.has(status)) {
    // pending: the clock is paused; the deadline moves by the time paused
    return { ...base, dueAt, warnAt, status: dueAt ? 'breached' : 'paused', metAt: null, stoppedAt: null };
  }
  // running now: the deadlines not yet reached lie ahead of now
  const remaining = budget - elapsed;
  return {
    ...base,
    dueAt: dueAt ?? addBusinessTime(now, remaining, cal),
    warnAt: warnAt ?? addBusinessTime(now, Math.max(0, warnBudget - elapsed), cal),
    status: dueAt ? 'breached' : warnAt ? 'at_risk' : 'ok',
    metAt: null,
    stoppedAt: null,
  };
}

const SEVERITY: Record<TargetStatus, number> = { met: 0, paused: 1, ok: 2, at_risk: 3, breached: 4 };

/**
 * The SLA state of a ticket at `now` under a policy's minutes, warning
 * threshold and calendar, derived from its timeline alone.
 */
export function computeSla(
  minutes: TargetMinutes & { warnAtPercent: number },
  cal: Calendar,
  t: Timeline,
  now: Date,
): SlaState {
  const passed: PassedEvent[] = [];
  const targets: TargetState[] = [];
  const replies = t.messages.filter((m) => m.by === 'agent');
  const firstReply = replies[0]?.at ?? null;
  targets.push(
    responseTarget('first_response', t.createdAt, firstReply, stopAfter(t, t.createdAt), minutes.firstResponseMinutes, minutes.warnAtPercent, cal, now, passed),
  );
  if (minutes.nextResponseMinutes && firstReply) {
    // each customer message after an agent reply opens a cycle; the next agent reply closes it
    let current: TargetState | null = null;
    let awaiting = false;
    for (let i = 0; i < t.messages.length; i++) {
      const m = t.messages[i];
      if (m.at < firstReply || m.by !== 'requester' || awaiting) {
        if (m.by === 'agent') awaiting = false;
        continue;
      }
      awaiting = true;
      const answer = t.messages.slice(i + 1).find((x) => x.by === 'agent')?.at ?? null;
      current = responseTarget('next_response', m.at, answer, stopAfter(t, m.at), minutes.nextResponseMinutes, minutes.warnAtPercent, cal, now, passed);
    }
    if (current) targets.push(current);
  }
  targets.push(resolutionTarget(t, minutes.resolutionMinutes, minutes.warnAtPercent, cal, now, passed));

  const open = targets.filter((x) => x.stoppedAt === null && x.status !== 'paused');
  const future = open.flatMap((x) => [x.warnAt, x.dueAt]).filter((d): d is Date => d !== null && d > now);
  const dues = open.map((x) => x.dueAt).filter((d): d is Date => d !== null);
  const worst = targets.reduce((w, x) => (SEVERITY[x.status] > SEVERITY[w] ? x.status : w), 'met' as TargetStatus);
  const paused = targets.some((x) => x.status === 'paused');
  return {
    targets,
    passed,
    paused,
    state: worst === 'met' && paused ? 'paused' : worst,
    nextCheckAt: future.length ? new Date(Math.min(...future.map((d) => d.getTime()))) : null,
    nextDueAt: dues.length ? new Date(Math.min(...dues.map((d) => d.getTime()))) : null,
  };
}
