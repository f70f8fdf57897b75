import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Errors } from '../../domain/errors.ts';
import { SESSION_COOKIE } from '../../domain/auth/commands.ts';
import {
  createAgent, createGroup, createOrganization, updateAgent, updateGroup, updateOrganization, updateRequester,
} from '../../domain/people/commands.ts';
import { presentAgent, presentGroup, presentOrganization, presentRequester } from '../../domain/people/presenter.ts';
import { getAgent, getGroupBySlug, listAgents, listGroups } from '../../db/repositories/agents.ts';
import { findRequesterByEmail, getOrganization, getRequester, listOrganizations, listRequesters } from '../../db/repositories/people.ts';
import { ctxOf, idempotent, type Deps } from '../helpers.ts';
import { groupLoads } from '../../db/repositories/routing.ts';
import { Pagination, problems, UuidParams } from '../schemas/common.ts';
import {
  Agent, CreateAgentBody, CreateGroupBody, CreateOrganizationBody, Group, Organization, Presence, Requester, Role,
  UpdateAgentBody, UpdateGroupBody, UpdateOrganizationBody, UpdateRequesterBody,
} from '../schemas/people.ts';

const page = <T extends z.ZodType>(key: string, item: T) =>
  z.object({ [key]: z.array(item), total: z.number().int(), page: z.number().int(), totalPages: z.number().int() });

export async function peopleRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  // --- agents -----------------------------------------------------------------
  r.post('/agents', {
    schema: { tags: ['agents'], summary: 'Create an agent (admins only)', body: CreateAgentBody, response: { 201: Agent, ...problems(400, 401, 403, 409) } },
  }, async (req, reply) => idempotent(deps, req, reply, 201, async (ctx) => presentAgent(await createAgent(ctx, req.body))));

  r.get('/agents', {
    schema: {
      tags: ['agents'], summary: 'List agents',
      querystring: z.strictObject({
        role: Role.optional(), status: Presence.optional(), group: z.string().max(100).optional(),
        includeInactive: z.enum(['true', 'false']).optional().describe('true: deactivated agents too'), ...Pagination,
      }),
      response: { 200: page('agents', Agent), ...problems(400, 401) },
    },
  }, async (req) => {
    const { page: p, limit, includeInactive, ...f } = req.query;
    const { rows, total } = await listAgents(deps.db, { ...f, includeInactive: includeInactive === 'true', limit, offset: (p - 1) * limit });
    return { agents: rows.map(presentAgent), total, page: p, totalPages: Math.ceil(total / limit) };
  });

  r.get('/agents/:id', {
    schema: { tags: ['agents'], summary: 'An agent', params: UuidParams, response: { 200: Agent, ...problems(401, 404) } },
  }, async (req) => {
    const agent = await getAgent(deps.db, req.params.id);
    if (!agent) throw Errors.notFound('agent', req.params.id);
    return presentAgent(agent);
  });

  r.patch('/agents/:id', {
    schema: { tags: ['agents'], summary: 'Change an agent (see policies)', params: UuidParams, body: UpdateAgentBody, response: { 200: Agent, ...problems(400, 401, 403, 404, 409) } },
  }, async (req) => {
    const agent = await updateAgent(ctxOf(deps, req), req.params.id, req.body, { currentSessionToken: req.cookies[SESSION_COOKIE] });
    app.tokenCache.clear(); // names and roles of cached callers may have changed
    return presentAgent(agent);
  });

  // --- groups -----------------------------------------------------------------
  r.post('/groups', {
    schema: { tags: ['groups'], summary: 'Create a group (queue), named by a unique slug', body: CreateGroupBody, response: { 201: Group, ...problems(400, 401, 403, 409) } },
  }, async (req, reply) => idempotent(deps, req, reply, 201, async (ctx) => presentGroup(await createGroup(ctx, req.body))));

  r.get('/groups', {
    schema: { tags: ['groups'], summary: 'List groups with their members, live load and waiting tickets', response: { 200: z.object({ groups: z.array(Group) }), ...problems(401) } },
  }, async () => {
    const groups = await listGroups(deps.db);
    const live = await groupLoads(deps.db, groups.map((g) => g.id));
    return { groups: groups.map((g) => presentGroup(g, live.get(g.id))) };
  });

  r.get('/groups/:slug', {
    schema: { tags: ['groups'], summary: 'A group', params: z.strictObject({ slug: z.string().max(100) }), response: { 200: Group, ...problems(401, 404) } },
  }, async (req) => {
    const g = await getGroupBySlug(deps.db, req.params.slug);
    if (!g) throw Errors.notFound('group', req.params.slug);
    return presentGroup(g, (await groupLoads(deps.db, [g.id])).get(g.id));
  });

  r.patch('/groups/:slug', {
    schema: { tags: ['groups'], summary: 'Change a group', params: z.strictObject({ slug: z.string().max(100) }), body: UpdateGroupBody, response: { 200: Group, ...problems(400, 401, 403, 404) } },
  }, async (req) => presentGroup(await updateGroup(ctxOf(deps, req), req.params.slug, req.body)));

  // --- requesters -------------------------------------------------------------
  r.get('/requesters', {
    schema: {
      tags: ['requesters'], summary: 'List requesters; ?email= looks one up (case-insensitive)',
      querystring: z.strictObject({ email: z.string().max(320).optional(), organizationId: z.uuid().optional(), q: z.string().min(1).max(200).optional(), ...Pagination }),
      response: { 200: page('requesters', Requester), ...problems(400, 401) },
    },
  }, async (req) => {
    const { page: p, limit, ...f } = req.query;
    const { rows, total } = await listRequesters(deps.db, { ...f, limit, offset: (p - 1) * limit });
    return { requesters: rows.map(presentRequester), total, page: p, totalPages: Math.ceil(total / limit) };
  });

  r.get('/requesters/lookup', {
    schema: { tags: ['requesters'], summary: 'The requester with this e-mail', querystring: z.strictObject({ email: z.string().min(3).max(320) }), response: { 200: Requester, ...problems(400, 401, 404) } },
  }, async (req) => {
    const found = await findRequesterByEmail(deps.db, req.query.email);
    if (!found) throw Errors.notFound('requester', req.query.email);
    return presentRequester(found);
  });

  r.get('/requesters/:id', {
    schema: { tags: ['requesters'], summary: 'A requester', params: UuidParams, response: { 200: Requester, ...problems(401, 404) } },
  }, async (req) => {
    const found = await getRequester(deps.db, req.params.id);
    if (!found) throw Errors.notFound('requester', req.params.id);
    return presentRequester(found);
  });

  r.patch('/requesters/:id', {
    schema: { tags: ['requesters'], summary: 'Change a requester', params: UuidParams, body: UpdateRequesterBody, response: { 200: Requester, ...problems(400, 401, 404) } },
  }, async (req) => presentRequester(await updateRequester(ctxOf(deps, req), req.params.id, req.body)));

  // --- organizations ------------------------------------------------------------
  r.post('/organizations', {
    schema: { tags: ['organizations'], summary: 'Create an organization', body: CreateOrganizationBody, response: { 201: Organization, ...problems(400, 401, 403, 409) } },
  }, async (req, reply) => idempotent(deps, req, reply, 201, async (ctx) => presentOrganization(await createOrganization(ctx, req.body))));

  r.get('/organizations', {
    schema: { tags: ['organizations'], summary: 'List organizations', querystring: z.strictObject({ ...Pagination }), response: { 200: page('organizations', Organization), ...problems(400, 401) } },
  }, async (req) => {
    const { rows, total } = await listOrganizations(deps.db, req.query.limit, (req.query.page - 1) * req.query.limit);
    return { organizations: rows.map(presentOrganization), total, page: req.query.page, totalPages: Math.ceil(total / req.query.limit) };
  });

  r.get('/organizations/:id', {
    schema: { tags: ['organizations'], summary: 'An organization', params: UuidParams, response: { 200: Organization, ...problems(401, 404) } },
  }, async (req) => {
    const o = await getOrganization(deps.db, req.params.id);
    if (!o) throw Errors.notFound('organization', req.params.id);
    return presentOrganization(o);
  });

  r.patch('/organizations/:id', {
    schema: { tags: ['organizations'], summary: 'Change an organization', params: UuidParams, body: UpdateOrganizationBody, response: { 200: Organization, ...problems(400, 401, 403, 404, 409) } },
  }, async (req) => presentOrganization(await updateOrganization(ctxOf(deps, req), req.params.id, req.body)));
}
