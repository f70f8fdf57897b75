import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Errors } from '../../domain/errors.ts';
import { checkFormToken } from '../../domain/portal/form-token.ts';
import { listRequesterTickets, readRequesterTicket, replyAsRequester, scopeOf, solveAsRequester, submitWebRequest } from '../../domain/portal/tickets.ts';
import { findPortalAttachment } from '../../db/repositories/portal.ts';
import { ctxOf } from '../helpers.ts';
import { multipartBody } from '../multipart.ts';
import { optionalRequester, requireRequester } from '../plugins/portal-auth.ts';
import { problems, UuidParams } from '../schemas/common.ts';
import { PortalReplyBody, PortalSecurity, PortalTicket, PortalTicketRow, PortalTicketsQuery, TicketNumberParams, WebRequestBody } from '../schemas/portal.ts';
import { sendStoredFile } from './attachments.ts';
import type { PortalDeps } from './portal.ts';

const tags = ['portal'];
/** Web-form requests accepted from one IP per hour. */
const REQUESTS_PER_IP = 20;

/** The requester's tickets, replies, "solved", attachments, and the web form (registered by portalRoutes). */
export async function portalTicketRoutes(app: FastifyInstance, deps: PortalDeps & { secretKey: () => Promise<Buffer> }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const signedIn = requireRequester(deps);
  const files = multipartBody(deps.store);

  r.get('/portal/tickets', {
    onRequest: signedIn,
    schema: {
      tags, security: PortalSecurity, summary: 'Your tickets, last changed first (scope=organization: your organization\'s, when it shares them)',
      querystring: PortalTicketsQuery,
      response: { 200: z.object({ tickets: z.array(PortalTicketRow), total: z.number().int(), page: z.number().int(), totalPages: z.number().int() }), ...problems(400, 401, 403) },
    },
  }, async (req) => {
    const q = req.query;
    const { tickets, total } = await listRequesterTickets(ctxOf(deps, req), req.requester!, {
      organization: q.scope === 'organization', limit: q.limit, offset: (q.page - 1) * q.limit,
    });
    return { tickets, total, page: q.page, totalPages: Math.ceil(total / q.limit) };
  });

  r.get('/portal/tickets/:number', {
    onRequest: signedIn,
    schema: { tags, security: PortalSecurity, summary: 'Your ticket with its public replies', params: TicketNumberParams, response: { 200: PortalTicket, ...problems(400, 401, 404) } },
  }, async (req) => readRequesterTicket(ctxOf(deps, req), req.requester!, req.params.number));

  r.post('/portal/tickets/:number/comments', {
    onRequest: signedIn,
    preValidation: files,
    schema: {
      tags, security: PortalSecurity, summary: 'Reply to your ticket (JSON, or multipart with a `content` field and files); reopens it when pending or solved',
      params: TicketNumberParams, body: PortalReplyBody, response: { 201: PortalTicket, ...problems(400, 401, 403, 404, 409, 413) },
    },
  }, async (req, reply) => {
    const ctx = ctxOf(deps, req);
    await replyAsRequester(ctx, req.requester!, req.params.number, req.body.content, req.uploadedFiles);
    return reply.code(201).send(await readRequesterTicket(ctx, req.requester!, req.params.number));
  });

  r.post('/portal/tickets/:number/solve', {
    onRequest: signedIn,
    schema: { tags, security: PortalSecurity, summary: 'Mark your ticket as solved (it becomes resolved)', params: TicketNumberParams, response: { 200: PortalTicket, ...problems(400, 401, 403, 404, 409) } },
  }, async (req) => {
    return (await solveAsRequester(ctxOf(deps, req), req.requester!, req.params.number)).ticket;
  });

  r.get('/portal/attachments/:id', {
    onRequest: signedIn,
    schema: { tags, security: PortalSecurity, summary: 'Download a file of your ticket\'s public conversation', params: UuidParams, response: problems(401, 404) },
  }, async (req, reply) => {
    const a = await findPortalAttachment(deps.db, scopeOf(req.requester!), req.params.id);
    if (!a) throw Errors.notFound('attachment', req.params.id);
    return sendStoredFile(reply, deps.store, a);
  });

  r.post('/portal/tickets', {
    onRequest: optionalRequester(deps),
    preValidation: files,
    config: { rateLimit: { max: REQUESTS_PER_IP, timeWindow: '1 hour' } },
    schema: {
      tags, summary: 'Open a request from the web form (no account needed; JSON or multipart with files). Spam guard: formToken, the empty `website` honeypot, a per-IP limit',
      security: [], body: WebRequestBody,
      response: { 201: z.object({ number: z.number().int(), subject: z.string(), status: z.string() }), ...problems(400, 403, 413, 429) },
    },
  }, async (req, reply) => {
    const b = req.body;
    const errors: { path: string; message: string }[] = [];
    // a field people never see: whatever fills it is a robot
    if (b.website) errors.push({ path: 'website', message: 'Leave this field empty' });
    const tokenProblem = checkFormToken(b.formToken, deps.clock.now(), await deps.secretKey());
    if (tokenProblem) errors.push({ path: 'formToken', message: tokenProblem });
    const who = req.requester ? { name: req.requester.name, email: req.requester.email } : { name: b.name, email: b.email };
    if (!who.name) errors.push({ path: 'name', message: 'Required' });
    if (!who.email) errors.push({ path: 'email', message: 'Required' });
    if (errors.length) throw Errors.validation(errors, 'The request was not accepted.');
    const { created } = await submitWebRequest(ctxOf(deps, req), { name: who.name!, email: who.email!, subject: b.subject, description: b.description }, req.uploadedFiles);
    return reply.code(201).send(created);
  });
}
