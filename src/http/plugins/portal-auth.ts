import type { FastifyRequest } from 'fastify';
import { AppError, Errors } from '../../domain/errors.ts';
import { digest, safeEqual } from '../../domain/auth/secrets.ts';
import { PORTAL_SESSION_COOKIE } from '../../domain/portal/sign-in.ts';
import { findPortalSession, type PortalPrincipal } from '../../db/repositories/portal.ts';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import { sameOrigin } from './auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** the requester signed in to the portal (portal routes only) */
    requester: PortalPrincipal | null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The portal's own authentication: the requester session cookie only. An agent's Bearer
 * token or session does not open the portal (they are other people), and the portal cookie
 * opens nothing else: agent routes never read it, and its path is /api/v1/portal.
 * A write must carry the session's X-CSRF-Token or a same-origin Origin, as for agents.
 * Returns null when there is no valid session (the caller decides whether that is a 401).
 */
export async function portalSession(req: FastifyRequest, deps: { db: Db; clock: Clock }): Promise<PortalPrincipal | null> {
  const cookie = req.cookies[PORTAL_SESSION_COOKIE];
  const session = cookie ? await findPortalSession(deps.db, digest(cookie), deps.clock.now()) : undefined;
  if (!session) return null;
  if (UNSAFE.has(req.method)) {
    const token = req.headers['x-csrf-token'];
    const tokenOk = typeof token === 'string' && safeEqual(token, session.csrf_token);
    if (!tokenOk && !sameOrigin(req)) throw Errors.csrf();
  }
  return session;
}

/** onRequest hook of the portal routes that need a signed-in requester (401 otherwise). */
export function requireRequester(deps: { db: Db; clock: Clock }) {
  return async (req: FastifyRequest) => {
    req.requester = await portalSession(req, deps);
    if (!req.requester) throw new AppError(401, 'auth.required', 'Authentication required', 'Sign in to the portal with the link we e-mail you.');
  };
}

/** onRequest hook of the portal routes anyone may call; a signed-in requester is recognised. */
export function optionalRequester(deps: { db: Db; clock: Clock }) {
  return async (req: FastifyRequest) => {
    req.requester = await portalSession(req, deps);
  };
}
