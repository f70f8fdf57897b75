import { numberOrUndefined, splitList } from './form';
import { PRIORITIES, type CreateSlaPolicy, type Priority, type SlaPolicy } from './types';

export const TARGETS = [
  ['firstResponseMinutes', 'First response'], ['nextResponseMinutes', 'Next response'], ['resolutionMinutes', 'Resolution'],
] as const;
export type Target = (typeof TARGETS)[number][0];

export const SLA_TEXT_CONDITIONS = [
  ['categories', 'Categories'], ['organizations', 'Organizations'], ['groups', 'Groups (slugs)'], ['sources', 'Sources or channels'], ['tags', 'Tags (any)'],
] as const;
type TextCondition = (typeof SLA_TEXT_CONDITIONS)[number][0];

/** The SLA policy editor's state: minutes as typed ('' = not given), lists as checked. */
export interface SlaDraft {
  name: string;
  isActive: boolean;
  calendarId: string;
  defaults: Record<Target, string>;
  /** per priority, per target: '' keeps the policy's default */
  byPriority: Record<Priority, Record<Target, string>>;
  warnAtPercent: string;
  text: Record<TextCondition, string>;
  priorities: Priority[];
  tiers: NonNullable<NonNullable<CreateSlaPolicy['conditions']>['tiers']>;
  notify: boolean;
  raisePriority: boolean;
  moveToGroup: string;
}

const emptyTargets = (): Record<Target, string> => ({ firstResponseMinutes: '', nextResponseMinutes: '', resolutionMinutes: '' });
const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

export const blankSla = (): SlaDraft => ({
  name: '', isActive: true, calendarId: '',
  defaults: { firstResponseMinutes: '60', nextResponseMinutes: '', resolutionMinutes: '1440' },
  byPriority: { critical: emptyTargets(), high: emptyTargets(), normal: emptyTargets(), low: emptyTargets() },
  warnAtPercent: '80', text: { categories: '', organizations: '', groups: '', sources: '', tags: '' }, priorities: [], tiers: [],
  notify: true, raisePriority: false, moveToGroup: '',
});

/** The editor's draft of a stored policy. */
export function slaDraft(p: SlaPolicy): SlaDraft {
  const d = blankSla();
  const byPriority = Object.fromEntries(PRIORITIES.map((pr) => {
    const o = p.targetsByPriority[pr] ?? {};
    const next = o.nextResponseMinutes === null ? NONE : text(o.nextResponseMinutes);
    return [pr, { firstResponseMinutes: text(o.firstResponseMinutes), nextResponseMinutes: next, resolutionMinutes: text(o.resolutionMinutes) }];
  })) as SlaDraft['byPriority'];
  return {
    ...d, name: p.name, isActive: p.isActive, calendarId: p.calendarId ?? '', byPriority, warnAtPercent: String(p.warnAtPercent),
    defaults: { firstResponseMinutes: text(p.firstResponseMinutes), nextResponseMinutes: text(p.nextResponseMinutes), resolutionMinutes: text(p.resolutionMinutes) },
    text: Object.fromEntries(SLA_TEXT_CONDITIONS.map(([k]) => [k, (p.conditions[k] ?? []).join(', ')])) as SlaDraft['text'],
    priorities: (p.conditions.priorities ?? []) as Priority[], tiers: (p.conditions.tiers ?? []) as SlaDraft['tiers'],
    notify: !!p.escalation.notify, raisePriority: !!p.escalation.raisePriority, moveToGroup: p.escalation.moveToGroup ?? '',
  };
}

/**
 * A minutes field as the API takes it: blank is left out, a number is sent as one, anything else
 * as the text typed, so the server's 400 names the field (NaN would become JSON null: "no target").
 */
const minutes = (s: string): number | undefined => {
  const n = numberOrUndefined(s);
  return n === undefined || Number.isFinite(n) ? n : (s.trim() as unknown as number);
};
/** The word that means "no next-response target for this priority" (null) in a per-priority cell. */
export const NONE = 'none';

/**
 * The request body of the SLA policy editor: the default targets (a blank next response means
 * none: null), per-priority overrides only where a minute count is given, only the conditions
 * given, the calendar (blank: 24×7, null) and the escalation.
 */
export function slaBody(d: SlaDraft): CreateSlaPolicy {
  const targetsByPriority: NonNullable<CreateSlaPolicy['targetsByPriority']> = {};
  for (const p of PRIORITIES) {
    const o: NonNullable<NonNullable<CreateSlaPolicy['targetsByPriority']>[Priority]> = {};
    for (const [t] of TARGETS) {
      const typed = d.byPriority[p][t];
      if (t === 'nextResponseMinutes' && typed.trim().toLowerCase() === NONE) o[t] = null;
      else {
        const m = minutes(typed);
        if (m !== undefined) o[t] = m;
      }
    }
    if (Object.keys(o).length) targetsByPriority[p] = o;
  }
  const conditions: NonNullable<CreateSlaPolicy['conditions']> = {};
  for (const [k] of SLA_TEXT_CONDITIONS) {
    const list = splitList(d.text[k]);
    if (list.length) conditions[k] = list;
  }
  if (d.priorities.length) conditions.priorities = d.priorities;
  if (d.tiers.length) conditions.tiers = d.tiers;
  return {
    name: d.name, isActive: d.isActive, calendarId: d.calendarId || null, conditions, targetsByPriority,
    // a blank required target is sent absent: the server's 400 names the field
    firstResponseMinutes: minutes(d.defaults.firstResponseMinutes) as number,
    nextResponseMinutes: minutes(d.defaults.nextResponseMinutes) ?? null,
    resolutionMinutes: minutes(d.defaults.resolutionMinutes) as number,
    ...(d.warnAtPercent.trim() ? { warnAtPercent: Number(d.warnAtPercent) } : {}),
    escalation: { notify: d.notify, raisePriority: d.raisePriority, ...(d.moveToGroup ? { moveToGroup: d.moveToGroup } : {}) },
  };
}

/** "90" → "1h 30m", for the hint beside a minutes field. */
export function humanMinutes(s: string): string {
  const n = Number(s);
  if (!s.trim() || !Number.isFinite(n) || n <= 0) return '';
  const d = Math.floor(n / 1440);
  const h = Math.floor((n % 1440) / 60);
  const m = n % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : ''].filter(Boolean).join(' ');
}
