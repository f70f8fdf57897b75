import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { createApiToken, listTokens, login, logout, revokeToken, SESSION_COOKIE } from '../../domain/auth/commands.ts';
import { presentAgent } from '../../domain/people/presenter.ts';
import { getAgent } from '../../db/repositories/agents.ts';
import type { ApiTokenRow } from '../../db/repositories/auth.ts';
import { updateAgent } from '../../domain/people/commands.ts';
import { ctxOf, type Deps } from '../helpers.ts';
import { problems, UuidParams } from '../schemas/common.ts';
import { Agent, ApiToken, LoginBody, Presence } from '../schemas/people.ts';
import { Errors } from '../../domain/errors.ts';
import { SYSTEM_ACTOR } from '../../domain/context.ts';

const presentToken = (t: ApiTokenRow) => ({
  id: t.id, agentId: t.agent_id, name: t.name, prefix: t.prefix,
  createdAt: t.created_at.toISOString(), lastUsedAt: t.last_used_at?.toISOString() ?? null,
});

export async function authRoutes(app: FastifyInstance, deps: Deps & { sessionTtlSeconds: number; cookieSecure: boolean; loginRateLimit: number }) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/auth/login', {
    config: { public: true, rateLimit: { max: deps.loginRateLimit, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'], summary: 'Sign in; sets an HttpOnly session cookie and returns the CSRF token for writes',
      security: [],
      body: LoginBody, response: { 200: z.object({ user: Agent, csrfToken: z.string() }), ...problems(400, 401, 429) },
    },
  }, async (req, reply) => {
    const s = await login({ db: deps.db, clock: deps.clock, actor: SYSTEM_ACTOR }, req.body.email, req.body.password, deps.sessionTtlSeconds);
    reply.setCookie(SESSION_COOKIE, s.sessionToken, {
      path: '/', httpOnly: true, sameSite: 'lax', secure: deps.cookieSecure, expires: s.expiresAt,
    });
    return { user: presentAgent(s.agent), csrfToken: s.csrfToken };
  });

  r.post('/auth/logout', { schema: { tags: ['auth'], summary: 'Sign out (ends the session)', response: problems(401) } }, async (req, reply) => {
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie) await logout(ctxOf(deps, req), cookie);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(undefined as never);
  });

  r.get('/me', { schema: { tags: ['auth'], summary: 'The signed-in agent', response: { 200: Agent, ...problems(401) } } }, async (req) => {
    const agent = await getAgent(deps.db, req.actor.id!);
    if (!agent) throw Errors.unauthenticated();
    return presentAgent(agent);
  });

  r.patch('/me/status', {
    schema: { tags: ['auth'], summary: 'Set your presence', body: z.strictObject({ status: Presence }), response: { 200: Agent, ...problems(400, 401) } },
  }, async (req) => presentAgent(await updateAgent(ctxOf(deps, req), req.actor.id!, { status: req.body.status })));

  r.post('/api-tokens', {
    schema: {
      tags: ['auth'], summary: 'Create an API token (the secret is shown only in this response)',
      body: z.strictObject({ name: z.string().trim().min(1).max(255) }),
      response: { 201: ApiToken.extend({ token: z.string() }), ...problems(400, 401) },
    },
  }, async (req, reply) => {
    // Not idempotent on purpose: a replayed response would have to keep the secret in the
    // database in clear; a retried request simply gets a new token (the lost one is useless).
    const { token, row } = await createApiToken(ctxOf(deps, req), req.body.name);
    return reply.code(201).send({ ...presentToken(row), token });
  });

  r.get('/api-tokens', {
    schema: {
      tags: ['auth'], summary: 'Your API tokens (admins: ?all=true for everyone’s)',
      querystring: z.strictObject({ all: z.enum(['true', 'false']).optional() }),
      response: { 200: z.object({ tokens: z.array(ApiToken) }), ...problems(401, 403) },
    },
  }, async (req) => ({ tokens: (await listTokens(ctxOf(deps, req), req.query.all === 'true')).map(presentToken) }));

  r.delete('/api-tokens/:id', {
    schema: { tags: ['auth'], summary: 'Revoke an API token', params: UuidParams, response: problems(401, 404) },
  }, async (req, reply) => {
    await revokeToken(ctxOf(deps, req), req.params.id);
    app.tokenCache.clear();
    return reply.code(204).send(undefined as never);
  });
}
