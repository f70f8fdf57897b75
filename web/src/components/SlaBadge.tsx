import type { Sla } from '../api/client';
import { formatSpan } from '../lib/time';

export type SlaLevel = 'ok' | 'at_risk' | 'breached' | 'met' | 'paused' | 'none';

export interface SlaSummary {
  level: SlaLevel;
  /** the open target the countdown runs to (earliest due), if any */
  target?: string;
  dueAt?: string;
  /** milliseconds left (negative: overdue) at `now` */
  remainingMs?: number;
  label: string;
}

const TARGET_NAMES: Record<string, string> = { first_response: 'first response', next_response: 'next response', resolution: 'resolution' };

/**
 * What the SLA badge shows at `now`: the earliest open target's countdown. The server's state
 * is the starting point (at risk is decided in business time there); the clock only moves a
 * target forward to breached once its due time has passed, so the badge stays right between
 * refreshes.
 */
export function slaSummary(sla: Sla | null | undefined, now: Date): SlaSummary {
  if (!sla) return { level: 'none', label: 'No SLA' };
  if (sla.paused || sla.state === 'paused') return { level: 'paused', label: 'Paused' };
  const open = sla.targets
    .filter((t) => t.dueAt && t.status !== 'met' && t.status !== 'paused')
    .sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!));
  const next = open[0];
  if (!next) return { level: sla.state === 'met' ? 'met' : 'ok', label: sla.state === 'met' ? 'Met' : 'OK' };
  const remainingMs = Date.parse(next.dueAt!) - now.getTime();
  const breached = remainingMs <= 0 || next.status === 'breached' || open.some((t) => t.status === 'breached');
  const level: SlaLevel = breached ? 'breached' : next.status === 'at_risk' || sla.state === 'at_risk' ? 'at_risk' : 'ok';
  const span = formatSpan(remainingMs);
  const label = remainingMs <= 0 ? `${span} overdue` : `${span} left`;
  return { level, target: next.target, dueAt: next.dueAt!, remainingMs, label };
}

const LEVEL_TEXT: Record<SlaLevel, string> = { ok: 'On track', at_risk: 'At risk', breached: 'Breached', met: 'Met', paused: 'Paused', none: 'No SLA' };

/** The SLA countdown badge of a ticket: ok / at risk / breached, with the time left on its next target. */
export function SlaBadge({ sla, now }: { sla: Sla | null | undefined; now: Date }) {
  const s = slaSummary(sla, now);
  const title = s.target ? `${LEVEL_TEXT[s.level]}: ${TARGET_NAMES[s.target] ?? s.target} due ${new Date(s.dueAt!).toLocaleString()}` : LEVEL_TEXT[s.level];
  return (
    <span className={`sla sla-${s.level}`} title={title} aria-label={`SLA ${title}`} data-sla={s.level}>
      {s.target ? s.label : LEVEL_TEXT[s.level]}
    </span>
  );
}
