import { z } from 'zod';
import { ACTION_TYPES } from '../../domain/routing/chooser.ts';
import { TICKET_PRIORITIES } from '../../domain/tickets/lifecycle.ts';
import { Tier } from './people.ts';

const Item = z.string().trim().min(1).max(200);
const List = <T extends z.ZodType>(item: T) => z.array(item).max(200).optional();

export const RuleConditions = z
  .strictObject({
    categories: List(Item),
    subcategories: List(Item),
    priorities: List(z.enum(TICKET_PRIORITIES)),
    tiers: List(Tier),
    organizations: List(Item),
    sources: List(Item),
    tags: List(Item),
    keywords: List(Item),
  })
  .describe('Each list is optional; all given lists must match; {} matches every ticket');

export const RuleAction = z.strictObject({
  type: z.enum(ACTION_TYPES),
  agentId: z.uuid().optional(),
  group: z.string().min(1).max(100).optional().describe('group slug'),
  skills: z.array(Item).max(50).optional(),
});

export const CreateRuleBody = z.strictObject({
  name: z.string().trim().min(1).max(255),
  position: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  isActive: z.boolean().optional(),
  conditions: RuleConditions.optional(),
  action: RuleAction,
});
export const UpdateRuleBody = CreateRuleBody.partial();

export const Rule = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.number().int(),
  isActive: z.boolean(),
  conditions: z.record(z.string(), z.array(z.string())),
  action: z.object({ type: z.enum(ACTION_TYPES), agentId: z.string().optional(), group: z.string().optional(), skills: z.array(z.string()).optional() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const CategorySkills = z.object({ category: z.string(), subcategory: z.string().nullable(), skills: z.array(z.string()), updatedAt: z.string() });
export const PutCategorySkillsBody = z.strictObject({ skills: z.array(Item).max(50), subcategory: z.string().trim().min(1).max(100).optional() });

export const Candidate = z.object({
  agentId: z.string(),
  name: z.string(),
  eligible: z.boolean(),
  reason: z.string(),
  load: z.number().int().nullable(),
  capacity: z.number().int(),
});

export const Assignment = z
  .object({
    method: z.string(),
    ruleId: z.string().nullable(),
    ruleName: z.string().nullable().optional(),
    decidedAt: z.string(),
    agentId: z.string().nullable().optional(),
    group: z.string().nullable().optional(),
    queued: z.boolean().optional(),
    candidates: z
      .array(Candidate)
      .describe('the chosen agent, every agent passed over with the reason (offline, away, busy, at_capacity, missing_skill …), and the next three eligible ones in line'),
    unlisted: z.number().int().optional().describe('candidates considered but not listed: eligible agents further down the order'),
  })
  .describe('The latest routing decision: how, by which rule, who was chosen, and why each agent passed over was');

export const PriorityScore = z
  .object({
    score: z.number().int(),
    calculated: z.string(),
    source: z.enum(['calculated', 'explicit']),
    factors: z.array(z.object({ factor: z.string(), detail: z.string(), points: z.number().int() })),
  })
  .describe("The priority calculator's score and each factor's contribution");

export const Simulation = z.object({
  agentId: z.string().nullable(),
  agentName: z.string().nullable(),
  group: z.string().nullable(),
  method: z.string(),
  ruleId: z.string().nullable(),
  ruleName: z.string().nullable(),
  queued: z.boolean(),
  explanation: z.string(),
  candidates: z.array(Candidate),
  priority: z.string(),
  priorityScore: PriorityScore,
});
