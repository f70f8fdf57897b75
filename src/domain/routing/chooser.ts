/**
 * The routing decision as pure functions: which rule matches a ticket, which
 * agents are candidates, why each is or is not eligible, and in which order
 * they are tried. No database here — the engine (engine.ts) loads the inputs,
 * then claims the first candidate whose row lock confirms it is still free.
 */
import type { TicketPriority, TicketSource } from '../tickets/lifecycle.ts';
import { containsPhrase, searchableText } from './priority.ts';

export type Presence = 'online' | 'away' | 'busy' | 'offline';
export type Tier = 'free' | 'standard' | 'premium' | 'enterprise';

export const ACTION_TYPES = ['specific_agent', 'group', 'group_round_robin', 'group_least_busy', 'skill_based'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export interface RuleConditions {
  categories?: string[];
  subcategories?: string[];
  priorities?: TicketPriority[];
  tiers?: Tier[];
  /** organization names (case-insensitive) or ids */
  organizations?: string[];
  /** ticket source (email, web, chat, api, phone) or channel */
  sources?: string[];
  /** any of these tags */
  tags?: string[];
  /** any of these words or phrases in subject or description */
  keywords?: string[];
}

export interface RuleAction {
  type: ActionType;
  agentId?: string;
  /** group slug */
  group?: string;
  skills?: string[];
}

export interface Rule {
  id: string;
  name: string;
  position: number;
  conditions: RuleConditions;
  action: RuleAction;
}

/** What routing knows about a ticket. */
export interface TicketFacts {
  category: string;
  subcategory: string | null;
  priority: TicketPriority;
  tier: Tier;
  organization: { id: string; name: string } | null;
  source: TicketSource;
  channel: string | null;
  tags: string[];
  subject: string;
  description: string;
}

/** How routing picks an agent: the API's `method`. */
export type Method = 'specific_agent' | 'group' | 'round_robin' | 'least_busy' | 'skill_based' | 'manual' | 'queue_drain';

/** What a matching rule (or the fallback) asks for. */
export interface Plan {
  ruleId: string | null;
  ruleName: string | null;
  method: Exclude<Method, 'manual' | 'queue_drain'>;
  /** the queue the ticket belongs to (slug), if any */
  group: string | null;
  /** the one agent of `specific_agent` */
  agentId: string | null;
  /** skills an agent must hold (all of them) */
  skills: string[];
  /** false for a queue agents pick from by hand (`group` action) */
  autoAssign: boolean;
  /** 'redispatch': the ticket lost its agent and is routed again within its group (no rule involved) */
  origin?: 'redispatch';
}

const lower = (xs: string[]) => xs.map((x) => x.toLowerCase());
const given = (xs: unknown[] | undefined): xs is unknown[] => Array.isArray(xs) && xs.length > 0;

/** All given condition lists must match; an empty object matches every ticket. */
export function matchesRule(c: RuleConditions, t: TicketFacts): boolean {
  if (given(c.categories) && !lower(c.categories).includes(t.category.toLowerCase())) return false;
  if (given(c.subcategories) && !(t.subcategory && lower(c.subcategories).includes(t.subcategory.toLowerCase()))) return false;
  if (given(c.priorities) && !c.priorities.includes(t.priority)) return false;
  if (given(c.tiers) && !c.tiers.includes(t.tier)) return false;
  if (given(c.organizations)) {
    const o = t.organization;
    if (!o || !c.organizations.some((x) => x.toLowerCase() === o.id.toLowerCase() || x.toLowerCase() === o.name.toLowerCase())) return false;
  }
  if (given(c.sources)) {
    const s = lower(c.sources);
    if (!s.includes(t.source) && !(t.channel && s.includes(t.channel.toLowerCase()))) return false;
  }
  if (given(c.tags) && !lower(c.tags).some((tag) => t.tags.includes(tag))) return false;
  if (given(c.keywords)) {
    const text = searchableText(t.subject, t.description);
    if (!c.keywords.some((k) => containsPhrase(text, k))) return false;
  }
  return true;
}

/**
 * The plan for a ticket: the first active rule (by position) whose conditions
 * match, or round robin over every eligible agent when none does.
 * `categorySkills` are the skills the ticket's category requires (the seed's
 * category_skills), used by skill_based rules that name no skills themselves.
 */
export function planFor(rules: Rule[], t: TicketFacts, categorySkills: string[]): Plan {
  const rule = [...rules].sort((a, b) => a.position - b.position).find((r) => matchesRule(r.conditions, t));
  if (!rule) return { ruleId: null, ruleName: null, method: 'round_robin', group: null, agentId: null, skills: [], autoAssign: true };
  const a = rule.action;
  const base = { ruleId: rule.id, ruleName: rule.name, group: a.group ?? null, agentId: null, skills: [] as string[], autoAssign: true };
  switch (a.type) {
    case 'specific_agent':
      return { ...base, method: 'specific_agent', agentId: a.agentId ?? null };
    case 'group':
      return { ...base, method: 'group', autoAssign: false };
    case 'group_round_robin':
      return { ...base, method: 'round_robin' };
    case 'group_least_busy':
      return { ...base, method: 'least_busy' };
    case 'skill_based':
      return { ...base, method: 'skill_based', skills: lower(a.skills?.length ? a.skills : categorySkills) };
  }
}

/** An agent as routing sees it at decision time. */
export interface PoolAgent {
  id: string;
  name: string;
  status: Presence;
  active: boolean;
  capacity: number;
  /** open tickets now (counted); null when not counted (agent not online or lacking skills) */
  load: number | null;
  skills: string[];
  /** member of the plan's group (always true when the plan has no group) */
  inGroup: boolean;
  lastAssignedAt: Date | null;
}

export type Reason = 'chosen' | 'eligible' | 'inactive' | 'away' | 'busy' | 'offline' | 'at_capacity' | 'missing_skill' | 'not_in_group' | 'excluded';

export interface Candidate {
  agentId: string;
  name: string;
  eligible: boolean;
  reason: Reason;
  load: number | null;
  capacity: number;
}

/** Why an agent cannot take the ticket now, or 'eligible'. Checked in the order an admin would ask. */
export function eligibility(a: PoolAgent, plan: Pick<Plan, 'skills'>, exclude: ReadonlySet<string> = new Set()): Reason {
  if (!a.active) return 'inactive';
  if (!a.inGroup) return 'not_in_group';
  if (exclude.has(a.id)) return 'excluded';
  if (a.status !== 'online') return a.status;
  if (!plan.skills.every((s) => a.skills.includes(s))) return 'missing_skill';
  if (a.load === null || a.load >= a.capacity) return 'at_capacity';
  return 'eligible';
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const time = (d: Date | null) => (d ? new Date(d).getTime() : -Infinity);

/**
 * Eligible agents in the order the strategy tries them, and every agent of the
 * pool with its reason.
 * - round robin: agents in a fixed order (by id), starting after the scope's cursor;
 * - least busy / skill based: fewest open tickets first, then the one given a
 *   ticket longest ago, then by id;
 * - specific agent: that agent only.
 */
export function rankCandidates(
  plan: Plan,
  pool: PoolAgent[],
  cursor: string | null,
  exclude: ReadonlySet<string> = new Set(),
): { order: PoolAgent[]; candidates: Candidate[] } {
  const reasons = new Map(pool.map((a) => [a.id, eligibility(a, plan, exclude)]));
  const eligible = pool.filter((a) => reasons.get(a.id) === 'eligible');
  let order: PoolAgent[];
  if (!plan.autoAssign) order = [];
  else if (plan.method === 'round_robin') {
    const sorted = [...eligible].sort(byId);
    const start = cursor ? sorted.findIndex((a) => a.id > cursor) : 0;
    order = start <= 0 ? sorted : [...sorted.slice(start), ...sorted.slice(0, start)];
  } else if (plan.method === 'specific_agent') {
    order = eligible.filter((a) => a.id === plan.agentId);
  } else {
    order = [...eligible].sort((a, b) => a.load! - b.load! || time(a.lastAssignedAt) - time(b.lastAssignedAt) || byId(a, b));
  }
  const candidates = [...pool].sort(byId).map((a) => {
    const reason = reasons.get(a.id)!;
    return { agentId: a.id, name: a.name, eligible: reason === 'eligible', reason, load: a.load, capacity: a.capacity };
  });
  return { order, candidates };
}

/** At most this many candidates are kept with a decision (the chosen and the tried ones first). */
export const MAX_RECORDED_CANDIDATES = 50;
/** Eligible agents not chosen that a decision keeps: the next ones in the strategy's order. */
export const RECORDED_RUNNERS_UP = 3;

/**
 * Every candidate, the chosen one marked 'chosen' and first, then those at
 * capacity, then the other eligible ones in the strategy's order after the
 * chosen one (`order`: the eligible agents' ids in the order they are tried),
 * then those passed over for another reason (offline, away, missing skill …).
 */
export function markCandidates(candidates: Candidate[], chosen: string | null, order: readonly string[] = []): Candidate[] {
  const at = chosen ? order.indexOf(chosen) : -1;
  const next = at >= 0 ? [...order.slice(at + 1), ...order.slice(0, at)] : [...order];
  const place = new Map(next.map((id, i) => [id, i]));
  const rank = (c: Candidate) => (c.reason === 'chosen' ? 0 : c.reason === 'at_capacity' ? 1 : c.eligible ? 2 : 3);
  return candidates
    .map((c) => (c.agentId === chosen ? { ...c, reason: 'chosen' as const } : c))
    .sort((a, b) => rank(a) - rank(b) || (rank(a) === 2 ? (place.get(a.agentId) ?? Infinity) - (place.get(b.agentId) ?? Infinity) : 0));
}

/**
 * The candidates as kept with a decision, on the ticket and in its history:
 * the chosen agent, every agent passed over for a reason, and the
 * RECORDED_RUNNERS_UP eligible agents next in line — at most
 * MAX_RECORDED_CANDIDATES. `unlisted` counts the others: eligible agents
 * further down the order (and any beyond the cap). A team of 25 all free is
 * kept as 4 candidates and 21 unlisted — half a kilobyte, not three, written
 * twice per ticket (bench:routing: ~0.5 ms of PostgreSQL's CPU per ticket).
 */
export function recordCandidates(
  candidates: Candidate[],
  chosen: string | null,
  order: readonly string[] = [],
): { candidates: Candidate[]; unlisted: number } {
  let runnersUp = 0;
  const kept = markCandidates(candidates, chosen, order)
    .filter((c) => !(c.eligible && c.reason !== 'chosen') || runnersUp++ < RECORDED_RUNNERS_UP)
    .slice(0, MAX_RECORDED_CANDIDATES);
  return { candidates: kept, unlisted: candidates.length - kept.length };
}

/** One line an agent can read: why the ticket went where it went. */
export function explain(plan: Plan, chosen: { name: string } | null, candidates: Candidate[]): string {
  const how =
    plan.origin === 'redispatch'
      ? `Routed again: round robin ${plan.group ? `in ${plan.group}` : 'over all agents'}`
      : plan.ruleId === null
      ? 'No rule matched: round robin over all agents'
      : `Rule "${plan.ruleName}": ${plan.method.replaceAll('_', ' ')}${plan.group ? ` in ${plan.group}` : ''}${plan.skills.length ? ` (skills ${plan.skills.join(', ')})` : ''}`;
  const skipped = candidates.filter((c) => !c.eligible && c.reason !== 'chosen').slice(0, 5);
  const why = skipped.length ? `; skipped ${skipped.map((c) => `${c.name} (${c.reason.replaceAll('_', ' ')})`).join(', ')}` : '';
  if (!plan.autoAssign) return `${how}: waits in the queue for an agent to take it`;
  return chosen ? `${how}: assigned to ${chosen.name}${why}` : `${how}: no agent free, waits in the queue${why}`;
}
