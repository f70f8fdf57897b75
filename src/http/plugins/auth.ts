import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../domain/context.ts';
import { Errors } from '../../domain/errors.ts';
import { digest, safeEqual } from '../../domain/auth/secrets.ts';
import { SESSION_COOKIE } from '../../domain/auth/commands.ts';
import { findApiTokenPrincipal, findSession } from '../../db/repositories/auth.ts';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import { TokenCache } from './token-cache.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** checked API tokens; clear it on any change to tokens or agents */
    tokenCache: TokenCache;
  }
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

/**
 * True when the Origin (or Referer) names this server, i.e. the request comes
 * from our own pages. Both sides go through URL so that an explicit default
 * port ("Host: desk:80" against "Origin: http://desk") still compares equal.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin ?? req.headers.referer;
  const host = req.headers.host;
  if (!origin || !host) return false;
  try {
    const from = new URL(origin);
    if (from.protocol !== 'http:' && from.protocol !== 'https:') return false;
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Whether a request is an API request. The matched route's pattern decides, not
 * the raw URL: the router decodes percent-escapes, so `/%61pi/v1/me` reaches
 * `/api/v1/me` while its raw URL does not start with `/api/v1/`. Unmatched
 * requests (404s) fall back to the raw URL.
 */
function isApiRequest(req: FastifyRequest): boolean {
  const path = req.routeOptions.url ?? req.url;
  return path === '/api/v1' || path.startsWith('/api/v1/');
}

/**
 * Authenticates every /api/v1 request: `Authorization: Bearer <token>` for
 * integrations, the session cookie for the web UI. A cookie-authenticated
 * write must also carry the session's X-CSRF-Token or a same-origin Origin.
 */
export function registerAuth(app: FastifyInstance, deps: { db: Db; clock: Clock; tokenCacheMs: number }): void {
  const tokens = new TokenCache(deps.tokenCacheMs);
  app.decorate('tokenCache', tokens);
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('authKind', 'none');
  app.addHook('onRequest', async (req) => {
    if (!isApiRequest(req) || req.routeOptions.config?.public) return;
    const now = deps.clock.now();
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw Errors.unauthenticated();
      const hash = digest(m[1]);
      const key = hash.toString('base64');
      let principal = tokens.get(key, now.getTime());
      if (!principal) {
        principal = await findApiTokenPrincipal(deps.db, hash, now);
        if (!principal) throw Errors.unauthenticated();
        tokens.set(key, principal, now.getTime());
      }
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
