import { splitList } from './form';
import type { ActionType, CreateRule, Priority, Rule, RuleConditions } from './types';

/** The text-list conditions of a rule, edited as comma-separated text. */
export const TEXT_CONDITIONS = [
  ['categories', 'Categories'], ['subcategories', 'Subcategories'], ['organizations', 'Organizations'],
  ['sources', 'Sources or channels'], ['tags', 'Tags (any)'], ['keywords', 'Keywords in subject or description (any)'],
] as const;
type TextCondition = (typeof TEXT_CONDITIONS)[number][0];

export const ACTIONS: { type: ActionType; label: string }[] = [
  { type: 'group_round_robin', label: 'Group, round robin' },
  { type: 'group_least_busy', label: 'Group, least busy agent' },
  { type: 'group', label: 'Group queue (agents pick)' },
  { type: 'specific_agent', label: 'A specific agent' },
  { type: 'skill_based', label: 'Agent with the skills' },
];

/** What the rule editor holds: text as typed, lists as checked. */
export interface RuleDraft {
  name: string;
  isActive: boolean;
  text: Record<TextCondition, string>;
  priorities: Priority[];
  tiers: NonNullable<RuleConditions['tiers']>;
  actionType: ActionType;
  agentId: string;
  group: string;
  skills: string;
}

export const blankRule = (): RuleDraft => ({
  name: '', isActive: true, text: { categories: '', subcategories: '', organizations: '', sources: '', tags: '', keywords: '' },
  priorities: [], tiers: [], actionType: 'group_round_robin', agentId: '', group: '', skills: '',
});

/** The editor's draft of a stored rule. */
export function ruleDraft(r: Rule): RuleDraft {
  const c = r.conditions;
  const text = Object.fromEntries(TEXT_CONDITIONS.map(([k]) => [k, (c[k] ?? []).join(', ')])) as RuleDraft['text'];
  return {
    name: r.name, isActive: r.isActive, text, priorities: (c.priorities ?? []) as Priority[], tiers: (c.tiers ?? []) as RuleDraft['tiers'],
    actionType: r.action.type, agentId: r.action.agentId ?? '', group: r.action.group ?? '', skills: (r.action.skills ?? []).join(', '),
  };
}

/** Which action fields a type uses: a group for the group types, an agent for specific_agent, skills (and optionally a group) for skill_based. */
export const actionUses = (t: ActionType) => ({
  agent: t === 'specific_agent',
  group: t === 'group' || t === 'group_round_robin' || t === 'group_least_busy' || t === 'skill_based',
  skills: t === 'skill_based',
});

/**
 * The request body of the rule editor: only the conditions given (an empty list is no condition,
 * so `{}` matches every ticket) and only the action fields its type uses.
 */
export function ruleBody(d: RuleDraft): CreateRule {
  const conditions: RuleConditions = {};
  for (const [k] of TEXT_CONDITIONS) {
    const list = splitList(d.text[k]);
    if (list.length) conditions[k] = list;
  }
  if (d.priorities.length) conditions.priorities = d.priorities;
  if (d.tiers.length) conditions.tiers = d.tiers;
  const uses = actionUses(d.actionType);
  const action: CreateRule['action'] = { type: d.actionType };
  if (uses.agent && d.agentId) action.agentId = d.agentId;
  if (uses.group && d.group) action.group = d.group;
  const skills = splitList(d.skills);
  if (uses.skills && skills.length) action.skills = skills;
  return { name: d.name, isActive: d.isActive, conditions, action };
}

/**
 * The positions that put `rules` in the order with `index` moved one step (`by` −1 up, +1 down):
 * every rule gets (place + 1) × 10, and only the rules whose position changes are returned.
 */
export function reorder(rules: Pick<Rule, 'id' | 'position'>[], index: number, by: -1 | 1): { id: string; position: number }[] {
  const to = index + by;
  if (to < 0 || to >= rules.length) return [];
  const order = [...rules];
  [order[index], order[to]] = [order[to], order[index]];
  return order.map((r, i) => ({ id: r.id, position: (i + 1) * 10, was: r.position })).filter((r) => r.position !== r.was).map(({ id, position }) => ({ id, position }));
}
