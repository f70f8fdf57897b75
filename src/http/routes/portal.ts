import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { SYSTEM_ACTOR } from '../../domain/context.ts';
import { Errors } from '../../domain/errors.ts';
import { can, require } from '../../domain/auth/policies.ts';
import { PORTAL_SESSION_COOKIE, redeemLink, requestSignInLink, signOut } from '../../domain/portal/sign-in.ts';
import { issueFormToken, MIN_FILL_MS } from '../../domain/portal/form-token.ts';
import { findPortalSession, getOrganizationPortalShared, setOrganizationPortalShared } from '../../db/repositories/portal.ts';
import { digest } from '../../domain/auth/secrets.ts';
import type { Config } from '../../platform/config.ts';
import { loadSecretKey } from '../../platform/crypto.ts';
import type { FileStore } from '../../platform/storage.ts';
import { ctxOf, type Deps } from '../helpers.ts';
import { requireRequester } from '../plugins/portal-auth.ts';
import { problems, UuidParams } from '../schemas/common.ts';
import { OrganizationPortal, PortalMe, PortalSecurity, SessionBody, SignInLinkBody } from '../schemas/portal.ts';
import { portalTicketRoutes } from './portal-tickets.ts';

export type PortalDeps = Deps & {
  store: FileStore;
  config: Pick<Config, 'publicUrl' | 'cookieSecure' | 'sessionTtlSeconds' | 'dataDir' | 'secretKey'>;
};

const tags = ['portal'];
/** The cookie goes only to the portal's API: it is no credential anywhere else. */
const COOKIE_PATH = '/api/v1/portal';
/** Sign-in links asked from one IP per 15 minutes. */
const LINKS_PER_IP = 20;

/** Where a link points: PUBLIC_URL, else the origin this request came to (set PUBLIC_URL in production: Host can be forged). */
function baseUrlOf(config: PortalDeps['config'], req: FastifyRequest): string {
  return config.publicUrl ?? `${req.protocol}://${req.host}`;
}

/**
 * The customer portal's API under /api/v1/portal: sign-in by e-mailed link, the requester's
 * session, and (portal-tickets.ts) their tickets and the web form. Every route here is public
 * to the agent authentication; requesters authenticate with their own cookie (portal-auth.ts).
 */
export async function portalRoutes(app: FastifyInstance, deps: PortalDeps) {
  app.decorateRequest('requester', null);
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/portal')) route.config = { ...route.config, public: true };
  });
  const r = app.withTypeProvider<ZodTypeProvider>();
  let key: Promise<Buffer> | undefined;
  const secretKey = () => (key ??= loadSecretKey(deps.config));
  const signedIn = requireRequester(deps);

  r.post('/portal/sign-in-link', {
    config: { rateLimit: { max: LINKS_PER_IP, timeWindow: '15 minutes' } },
    schema: {
      tags, summary: 'E-mail a one-time sign-in link (valid 15 minutes) to a requester; always 202, known address or not',
      security: [], body: SignInLinkBody, response: { 202: z.object({ status: z.literal('accepted') }), ...problems(400, 429) },
    },
  }, async (req, reply) => {
    await requestSignInLink({ db: deps.db, clock: deps.clock, actor: SYSTEM_ACTOR, jobs: deps.jobs }, req.body.email, baseUrlOf(deps.config, req), req.body.returnTo ?? null);
    return reply.code(202).send({ status: 'accepted' as const });
  });

  r.post('/portal/sessions', {
    config: { rateLimit: { max: LINKS_PER_IP, timeWindow: '15 minutes' } },
    schema: {
      tags, summary: 'Exchange a sign-in link\'s token for a requester session (HttpOnly cookie) and its CSRF token',
      security: [], body: SessionBody, response: { 200: z.object({ requester: PortalMe, csrfToken: z.string() }), ...problems(400, 401, 429) },
    },
  }, async (req, reply) => {
    const ctx = { db: deps.db, clock: deps.clock, actor: SYSTEM_ACTOR };
    const s = await redeemLink(ctx, req.body.token, deps.config.sessionTtlSeconds);
    reply.setCookie(PORTAL_SESSION_COOKIE, s.sessionToken, {
      path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: deps.config.cookieSecure, expires: s.expiresAt,
    });
    const me = (await findPortalSession(deps.db, digest(s.sessionToken), deps.clock.now()))!;
    return { requester: presentMe(me), csrfToken: s.csrfToken };
  });

  r.delete('/portal/sessions', {
    onRequest: signedIn,
    schema: { tags, security: PortalSecurity, summary: 'Sign out of the portal', response: problems(401, 403) },
  }, async (req, reply) => {
    await signOut(ctxOf(deps, req), req.cookies[PORTAL_SESSION_COOKIE]!);
    reply.clearCookie(PORTAL_SESSION_COOKIE, { path: COOKIE_PATH });
    return reply.code(204).send(undefined as never);
  });

  r.get('/portal/me', {
    onRequest: signedIn,
    schema: { tags, security: PortalSecurity, summary: 'The signed-in requester', response: { 200: PortalMe, ...problems(401) } },
  }, async (req) => presentMe(req.requester!));

  r.get('/portal/form-token', {
    schema: {
      tags, summary: 'A signed timestamp for the web form (the form may be sent a few seconds after it is issued)', security: [],
      response: { 200: z.object({ formToken: z.string(), minFillSeconds: z.number() }) },
    },
  }, async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
    return { formToken: issueFormToken(deps.clock.now(), await secretKey()), minFillSeconds: MIN_FILL_MS / 1000 };
  });

  await app.register(portalTicketRoutes, { ...deps, secretKey });

  // --- for agents: whether an organization's requesters see each other's tickets --------------
  const orgPortal = (row: { id: string; portal_shared: boolean }) => ({ organizationId: row.id, sharedTickets: row.portal_shared });
  r.get('/organizations/:id/portal', {
    schema: { tags: ['organizations'], summary: 'Whether the organization shares its tickets in the customer portal', params: UuidParams, response: { 200: OrganizationPortal, ...problems(401, 404) } },
  }, async (req) => {
    const row = await getOrganizationPortalShared(deps.db, req.params.id);
    if (!row) throw Errors.notFound('organization', req.params.id);
    return orgPortal(row);
  });
  r.put('/organizations/:id/portal', {
    schema: {
      tags: ['organizations'], summary: 'Let the organization\'s requesters see all its tickets in the portal, or only their own (supervisors, admins)',
      params: UuidParams, body: z.strictObject({ sharedTickets: z.boolean() }), response: { 200: OrganizationPortal, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    require(can.supervise(req.actor), 'Only supervisors and admins change what an organization shares.');
    const row = await setOrganizationPortalShared(deps.db, req.params.id, req.body.sharedTickets, deps.clock.now());
    if (!row) throw Errors.notFound('organization', req.params.id);
    return orgPortal(row);
  });
}

function presentMe(p: { name: string; email: string; organization: string | null; organization_shared: boolean }) {
  return { name: p.name, email: p.email, organization: p.organization, organizationTicketsVisible: p.organization_shared };
}
