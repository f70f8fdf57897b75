import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Errors } from '../../domain/errors.ts';
import { can, require } from '../../domain/auth/policies.ts';
import {
  changeRule, clearCategorySkills, createRule, readSettings, removeRule, setCategorySkills, simulateRouting, writeSettings,
} from '../../domain/routing/commands.ts';
import { PrioritySettings } from '../../domain/routing/priority.ts';
import { RoutingSettings } from '../../domain/routing/settings.ts';
import { getRule, listCategorySkills, listRules, type CategorySkillsRow, type RuleRow } from '../../db/repositories/routing.ts';
import { ctxOf, idempotent, type Deps } from '../helpers.ts';
import { problems, UuidParams } from '../schemas/common.ts';
import { CreateTicketBody } from '../schemas/tickets.ts';
import { CategorySkills, CreateRuleBody, PutCategorySkillsBody, Rule, Simulation, UpdateRuleBody } from '../schemas/routing.ts';

const iso = (d: Date) => new Date(d).toISOString();

function presentRule(r: RuleRow) {
  return {
    id: r.id, name: r.name, position: r.position, isActive: r.is_active,
    conditions: r.conditions as Record<string, string[]>, action: r.action, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

function presentCategorySkills(c: CategorySkillsRow) {
  return { category: c.category, subcategory: c.subcategory || null, skills: c.skills, updatedAt: iso(c.updated_at) };
}

export async function routingRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['routing'];
  const supervise = (req: { actor: Parameters<typeof can.supervise>[0] }) =>
    require(can.supervise(req.actor), 'Only supervisors and admins see routing configuration.');

  // --- assignment rules ---------------------------------------------------------
  r.get('/assignment-rules', {
    schema: { tags, summary: 'Assignment rules in the order they are evaluated', response: { 200: z.object({ rules: z.array(Rule) }), ...problems(401, 403) } },
  }, async (req) => {
    supervise(req);
    return { rules: (await listRules(deps.db)).map(presentRule) };
  });

  r.post('/assignment-rules', {
    schema: { tags, summary: 'Create an assignment rule (admins)', body: CreateRuleBody, response: { 201: Rule, ...problems(400, 401, 403) } },
  }, async (req, reply) => idempotent(deps, req, reply, 201, async (ctx) => presentRule(await createRule(ctx, req.body))));

  r.get('/assignment-rules/:id', {
    schema: { tags, summary: 'An assignment rule', params: UuidParams, response: { 200: Rule, ...problems(401, 403, 404) } },
  }, async (req) => {
    supervise(req);
    const rule = await getRule(deps.db, req.params.id);
    if (!rule) throw Errors.notFound('assignment_rule', req.params.id);
    return presentRule(rule);
  });

  r.patch('/assignment-rules/:id', {
    schema: { tags, summary: 'Change an assignment rule (admins)', params: UuidParams, body: UpdateRuleBody, response: { 200: Rule, ...problems(400, 401, 403, 404) } },
  }, async (req) => presentRule(await changeRule(ctxOf(deps, req), req.params.id, req.body)));

  r.delete('/assignment-rules/:id', {
    schema: { tags, summary: 'Delete an assignment rule (admins)', params: UuidParams, response: { 204: z.null(), ...problems(401, 403, 404) } },
  }, async (req, reply) => {
    await removeRule(ctxOf(deps, req), req.params.id);
    return reply.code(204).send(null);
  });

  // --- category skills --------------------------------------------------------------
  r.get('/category-skills', {
    schema: { tags, summary: 'Skills each category requires (for skill_based rules)', response: { 200: z.object({ categorySkills: z.array(CategorySkills) }), ...problems(401, 403) } },
  }, async (req) => {
    supervise(req);
    return { categorySkills: (await listCategorySkills(deps.db)).map(presentCategorySkills) };
  });

  const CategoryParams = z.strictObject({ category: z.string().trim().min(1).max(100) });
  r.put('/category-skills/:category', {
    schema: {
      tags, summary: 'Set the skills a category (or one of its subcategories) requires (admins)',
      params: CategoryParams, body: PutCategorySkillsBody, response: { 200: CategorySkills, ...problems(400, 401, 403) },
    },
  }, async (req) =>
    presentCategorySkills(await setCategorySkills(ctxOf(deps, req), req.params.category, req.body.subcategory, req.body.skills)),
  );

  r.delete('/category-skills/:category', {
    schema: {
      tags, summary: 'Remove the skills of a category (admins)', params: CategoryParams,
      querystring: z.strictObject({ subcategory: z.string().trim().min(1).max(100).optional() }), response: { 204: z.null(), ...problems(401, 403, 404) },
    },
  }, async (req, reply) => {
    await clearCategorySkills(ctxOf(deps, req), req.params.category, req.query.subcategory);
    return reply.code(204).send(null);
  });

  // --- settings -------------------------------------------------------------------------
  for (const [key, schema, summary] of [
    ['priority', PrioritySettings, 'Priority calculator weights and thresholds'],
    ['routing', RoutingSettings, 'Routing options (on/off, whether pending counts as load, return tickets on offline)'],
  ] as const) {
    r.get(`/settings/${key}`, {
      schema: { tags, summary, response: { 200: schema, ...problems(401, 403) } },
    }, async (req) => readSettings(ctxOf(deps, req), key));
    r.put(`/settings/${key}`, {
      schema: {
        tags, summary: `${summary}: the fields given replace the current ones (admins)`,
        body: z.record(z.string(), z.unknown()), response: { 200: schema, ...problems(400, 401, 403) },
      },
    }, async (req) => writeSettings(ctxOf(deps, req), key, req.body));
  }

  // --- simulator -------------------------------------------------------------------------
  r.post('/routing/simulate', {
    schema: {
      tags, summary: 'Which agent or group would receive this ticket now, and why — nothing is created or changed',
      body: CreateTicketBody, response: { 200: Simulation, ...problems(400, 401) },
    },
  }, async (req) => {
    const { decision: d, priority } = await simulateRouting(ctxOf(deps, req), req.body);
    return {
      agentId: d.agent?.id ?? null, agentName: d.agent?.name ?? null, group: d.group, method: d.record.method,
      ruleId: d.record.ruleId, ruleName: d.record.ruleName, queued: d.queued, explanation: d.explanation,
      candidates: d.candidates, priority: priority.priority,
      priorityScore: { score: priority.score, calculated: priority.calculated, source: priority.source, factors: priority.factors },
    };
  });
}
