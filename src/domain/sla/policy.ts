/**
 * SLA policies as values: which policy applies to a ticket (the first active
 * one by position whose conditions all match) and its targets for the
 * ticket's priority. Pure — the engine loads policies and calendars.
 */
import type { TicketPriority } from '../tickets/lifecycle.ts';

export type SlaTarget = 'first_response' | 'next_response' | 'resolution';
export const SLA_TARGETS: readonly SlaTarget[] = ['first_response', 'next_response', 'resolution'];

export interface SlaConditions {
  priorities?: string[];
  categories?: string[];
  tiers?: string[];
  /** organization names (case-insensitive) or ids */
  organizations?: string[];
  /** group slugs */
  groups?: string[];
  /** ticket source or channel */
  sources?: string[];
  /** any of these tags */
  tags?: string[];
}

export interface TargetMinutes {
  firstResponseMinutes: number;
  nextResponseMinutes: number | null;
  resolutionMinutes: number;
}

export interface Escalation {
  notify?: boolean;
  raisePriority?: boolean;
  /** group slug */
  moveToGroup?: string;
}

export interface SlaPolicy extends TargetMinutes {
  id: string;
  name: string;
  position: number;
  isActive: boolean;
  conditions: SlaConditions;
  /** null: 24×7 */
  calendarId: string | null;
  /** per-priority overrides of the default minutes */
  targetsByPriority: Partial<Record<TicketPriority, Partial<TargetMinutes>>>;
  warnAtPercent: number;
  escalation: Escalation;
}

/** What policy matching knows about a ticket. */
export interface SlaFacts {
  priority: string;
  category: string;
  tier: string;
  organization: { id: string; name: string } | null;
  /** group slug */
  group: string | null;
  source: string;
  channel: string | null;
  tags: string[];
}

const given = (xs: unknown[] | undefined): xs is string[] => Array.isArray(xs) && xs.length > 0;
const has = (list: string[], v: string | null | undefined) => v != null && list.some((x) => x.toLowerCase() === v.toLowerCase());

/** All given condition lists must match; an empty object matches every ticket. */
export function policyMatches(c: SlaConditions, t: SlaFacts): boolean {
  if (given(c.priorities) && !has(c.priorities, t.priority)) return false;
  if (given(c.categories) && !has(c.categories, t.category)) return false;
  if (given(c.tiers) && !has(c.tiers, t.tier)) return false;
  if (given(c.organizations) && !(t.organization && (has(c.organizations, t.organization.id) || has(c.organizations, t.organization.name)))) return false;
  if (given(c.groups) && !has(c.groups, t.group)) return false;
  if (given(c.sources) && !has(c.sources, t.source) && !has(c.sources, t.channel)) return false;
  if (given(c.tags) && !t.tags.some((tag) => has(c.tags!, tag))) return false;
  return true;
}

/** The first active policy, by position, whose conditions match; undefined when none does. */
export function matchPolicy(policies: SlaPolicy[], t: SlaFacts): SlaPolicy | undefined {
  return [...policies].filter((p) => p.isActive).sort((a, b) => a.position - b.position).find((p) => policyMatches(p.conditions, t));
}

/** The policy's minutes for a priority: the per-priority override where given, else the defaults. */
export function targetsFor(p: SlaPolicy, priority: TicketPriority): TargetMinutes {
  const o = p.targetsByPriority?.[priority] ?? {};
  return {
    firstResponseMinutes: o.firstResponseMinutes ?? p.firstResponseMinutes,
    nextResponseMinutes: o.nextResponseMinutes !== undefined ? o.nextResponseMinutes : p.nextResponseMinutes,
    resolutionMinutes: o.resolutionMinutes ?? p.resolutionMinutes,
  };
}
