import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../domain/context.ts';
import { Errors } from '../../domain/errors.ts';
import { digest, safeEqual } from '../../domain/auth/secrets.ts';
import { SESSION_COOKIE } from '../../domain/auth/commands.ts';
import { findApiTokenPrincipal, findSession } from '../../db/repositories/auth.ts';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    /** how the caller authenticated; cookie sessions need CSRF protection */
    authKind: 'session' | 'token' | 'none';
  }
  interface FastifyContextConfig {
    /** route needs no authentication (login, OpenAPI document) */
    public?: boolean;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True when the Origin (or Referer) names this server, i.e. the request comes from our own pages. */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin ?? req.headers.referer;
  if (!origin) return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Authenticates every /api/v1 request: `Authorization: Bearer <token>` for
 * integrations, the session cookie for the web UI. A cookie-authenticated
 * write must also carry the session's X-CSRF-Token or a same-origin Origin.
 */
export function registerAuth(app: FastifyInstance, deps: { db: Db; clock: Clock }): void {
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('authKind', 'none');
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/v1/') || req.routeOptions.config?.public) return;
    const now = deps.clock.now();
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const principal = m ? await findApiTokenPrincipal(deps.db, digest(m[1]), now) : undefined;
      if (!principal) throw Errors.unauthenticated();
      req.actor = { type: 'agent', id: principal.agent_id, name: principal.name, role: principal.role };
      req.authKind = 'token';
      return;
    }
    const cookie = req.cookies[SESSION_COOKIE];
    const session = cookie ? await findSession(deps.db, digest(cookie), now) : undefined;
    if (!session) throw Errors.unauthenticated();
    if (UNSAFE.has(req.method)) {
      const token = req.headers['x-csrf-token'];
      const tokenOk = typeof token === 'string' && safeEqual(token, session.csrf_token);
      if (!tokenOk && !sameOrigin(req)) throw Errors.csrf();
    }
    req.actor = { type: 'agent', id: session.agent_id, name: session.name, role: session.role };
    req.authKind = 'session';
  });
}
