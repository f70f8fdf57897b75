import type { Ctx } from '../context.ts';
import { Errors, type FieldError } from '../errors.ts';
import { can, require } from '../auth/policies.ts';
import { getAgent, getGroupBySlug } from '../../db/repositories/agents.ts';
import { findRequesterByEmail } from '../../db/repositories/people.ts';
import {
  deleteCategorySkills, deleteRule, getRule, getSetting, insertRule, putCategorySkills, putSetting, updateRule,
  type CategorySkillsRow, type RuleRow,
} from '../../db/repositories/routing.ts';
import type { RuleAction, RuleConditions, TicketFacts } from './chooser.ts';
import { decide, loadRoutingContext, planNewTicket, type Decision } from './engine.ts';
import { DEFAULT_PRIORITY_SETTINGS, PrioritySettings, scorePriority, type PriorityScore } from './priority.ts';
import { DEFAULT_ROUTING_SETTINGS, RoutingSettings, withDefaults } from './settings.ts';
import { normalizeTags, type CreateTicketInput } from '../tickets/commands.ts';

const normalizeList = (xs: string[] | undefined) => (xs ? [...new Set(xs.map((x) => x.trim().toLowerCase()).filter(Boolean))] : undefined);

/** Conditions as stored: lists trimmed, lower-cased (except organization ids/names, matched case-insensitively anyway), empty lists dropped. */
function normalizeConditions(c: RuleConditions): RuleConditions {
  const out: RuleConditions = {};
  for (const [k, v] of Object.entries(c) as [keyof RuleConditions, string[] | undefined][]) {
    const list = k === 'organizations' ? v?.map((x) => x.trim()).filter(Boolean) : normalizeList(v);
    if (list?.length) (out as Record<string, string[]>)[k] = list;
  }
  return out;
}

/** An action must name what its type needs, and what it names must exist (400 naming the field otherwise). */
async function validateAction(db: Ctx['db'], a: RuleAction): Promise<RuleAction> {
  const errors: FieldError[] = [];
  const needsGroup = a.type === 'group' || a.type === 'group_round_robin' || a.type === 'group_least_busy';
  if (a.type === 'specific_agent') {
    const agent = a.agentId ? await getAgent(db, a.agentId) : undefined;
    if (!a.agentId) errors.push({ path: 'action.agentId', message: 'specific_agent needs agentId' });
    else if (!agent || !agent.active) errors.push({ path: 'action.agentId', message: `No active agent ${a.agentId}` });
  } else if (a.agentId !== undefined) errors.push({ path: 'action.agentId', message: `Only specific_agent takes agentId` });
  if (needsGroup && !a.group) errors.push({ path: 'action.group', message: `${a.type} needs group` });
  if (a.group && !(await getGroupBySlug(db, a.group))) errors.push({ path: 'action.group', message: `No group with slug "${a.group}"` });
  if (a.skills !== undefined && a.type !== 'skill_based') errors.push({ path: 'action.skills', message: 'Only skill_based takes skills' });
  if (errors.length) throw Errors.validation(errors, 'The rule action is not valid.');
  return { type: a.type, ...(a.agentId ? { agentId: a.agentId } : {}), ...(a.group ? { group: a.group } : {}), ...(a.skills ? { skills: normalizeList(a.skills) } : {}) };
}

export interface RuleInput {
  name: string;
  position?: number;
  isActive?: boolean;
  conditions?: RuleConditions;
  action: RuleAction;
}

export async function createRule(ctx: Ctx, input: RuleInput): Promise<RuleRow> {
  require(can.administer(ctx.actor), 'Only admins manage assignment rules.');
  return ctx.db.transaction(async (db) =>
    insertRule(
      db,
      {
        name: input.name, position: input.position, isActive: input.isActive ?? true,
        conditions: normalizeConditions(input.conditions ?? {}), action: await validateAction(db, input.action),
      },
      ctx.clock.now(),
    ),
  );
}

export async function changeRule(ctx: Ctx, id: string, patch: Partial<RuleInput>): Promise<RuleRow> {
  require(can.administer(ctx.actor), 'Only admins manage assignment rules.');
  return ctx.db.transaction(async (db) => {
    if (!(await getRule(db, id))) throw Errors.notFound('assignment_rule', id);
    const row = await updateRule(
      db,
      id,
      {
        name: patch.name, position: patch.position, isActive: patch.isActive,
        conditions: patch.conditions ? normalizeConditions(patch.conditions) : undefined,
        action: patch.action ? await validateAction(db, patch.action) : undefined,
      },
      ctx.clock.now(),
    );
    return row!;
  });
}

export async function removeRule(ctx: Ctx, id: string): Promise<void> {
  require(can.administer(ctx.actor), 'Only admins manage assignment rules.');
  if (!(await deleteRule(ctx.db, id))) throw Errors.notFound('assignment_rule', id);
}

export async function setCategorySkills(ctx: Ctx, category: string, subcategory: string | undefined, skills: string[]): Promise<CategorySkillsRow> {
  require(can.administer(ctx.actor), 'Only admins manage category skills.');
  return putCategorySkills(ctx.db, category.trim(), subcategory?.trim() ?? '', normalizeList(skills)!, ctx.clock.now());
}

export async function clearCategorySkills(ctx: Ctx, category: string, subcategory: string | undefined): Promise<void> {
  require(can.administer(ctx.actor), 'Only admins manage category skills.');
  if (!(await deleteCategorySkills(ctx.db, category, subcategory ?? ''))) throw Errors.notFound('category_skills', category);
}

// --- settings -------------------------------------------------------------------

const SETTINGS = {
  priority: { schema: PrioritySettings, defaults: DEFAULT_PRIORITY_SETTINGS },
  routing: { schema: RoutingSettings, defaults: DEFAULT_ROUTING_SETTINGS },
} as const;
export type SettingsKey = keyof typeof SETTINGS;

export async function readSettings<K extends SettingsKey>(ctx: Ctx, key: K): Promise<(typeof SETTINGS)[K]['defaults']> {
  require(can.supervise(ctx.actor), 'Only supervisors and admins read settings.');
  return withDefaults(SETTINGS[key].defaults, await getSetting(ctx.db, key));
}

/**
 * Changes settings: the fields given replace the current ones (top-level
 * merge), and the result must be a valid whole (400 naming the field otherwise).
 */
export async function writeSettings<K extends SettingsKey>(ctx: Ctx, key: K, patch: Record<string, unknown>): Promise<(typeof SETTINGS)[K]['defaults']> {
  require(can.administer(ctx.actor), 'Only admins change settings.');
  return ctx.db.transaction(async (db) => {
    const current = withDefaults(SETTINGS[key].defaults, await getSetting(db, key));
    const parsed = SETTINGS[key].schema.safeParse({ ...current, ...patch });
    if (!parsed.success) {
      // the same paths the request validator gives: the field itself, each unknown key by name
      throw Errors.validation(
        parsed.error.issues.flatMap((i) =>
          i.code === 'unrecognized_keys'
            ? i.keys.map((k) => ({ path: [...i.path, k].join('.'), message: `Unknown setting "${k}"` }))
            : [{ path: i.path.join('.') || 'body', message: i.message }],
        ),
      );
    }
    await putSetting(db, key, parsed.data, ctx.clock.now());
    return parsed.data as (typeof SETTINGS)[K]['defaults'];
  });
}

// --- simulator --------------------------------------------------------------------

export interface Simulation {
  decision: Decision;
  priority: PriorityScore;
}

/**
 * What routing would do with a ticket like `input` now — same rules, same
 * chooser, same data as a real creation — without creating, locking or
 * changing anything (the round-robin cursor included).
 */
export async function simulateRouting(ctx: Ctx, input: CreateTicketInput, attachments = 0): Promise<Simulation> {
  require(can.workTickets(ctx.actor));
  const now = ctx.clock.now();
  return ctx.db.transaction(async (db) => {
    const known = await findRequesterByEmail(db, input.requester.email);
    let tier = known?.effective_tier ?? 'standard';
    let organization = known?.organization_id ? { id: known.organization_id, name: known.organization! } : null;
    if (!organization && input.requester.organization) {
      const org = (await db.query<{ id: string; name: string; tier: typeof tier }>('SELECT id, name, tier FROM organizations WHERE lower(name) = lower($1)', [input.requester.organization])).rows[0];
      organization = org ? { id: org.id, name: org.name } : { id: '', name: input.requester.organization };
      if (org && !known?.tier) tier = org.tier;
    }
    const routing = await loadRoutingContext(db, { category: input.category, subcategory: input.subcategory ?? null, requesterId: known?.id ?? null, now });
    const priority = scorePriority(
      {
        tier, category: input.category, subject: input.subject, description: input.description, attachments,
        recentTickets: routing.recentTickets, lastTicketAt: routing.lastTicketAt, now, explicit: input.priority,
      },
      routing.priority,
    );
    const facts: TicketFacts = {
      category: input.category, subcategory: input.subcategory ?? null, priority: priority.priority, tier, organization,
      source: input.source, channel: input.channel ?? null, tags: normalizeTags(input.tags), subject: input.subject, description: input.description,
    };
    const plan = planNewTicket(routing, facts);
    const decision = await decide(db, now, routing.routing.enabled ? plan : { ...plan, autoAssign: false, group: null }, { mode: 'none' });
    return { decision, priority };
  });
}
