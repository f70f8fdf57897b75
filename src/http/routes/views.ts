import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { createView, findView, listViews, removeView, viewTickets } from '../../domain/search/views.ts';
import { ticketsCsv } from '../../domain/search/csv.ts';
import { ctxOf, type Deps } from '../helpers.ts';
import { problems } from '../schemas/common.ts';
import { SearchResult } from '../schemas/search.ts';
import { CreateViewBody, View, ViewParams, ViewTicketsQuery, ViewWithCount } from '../schemas/views.ts';
import { checkLimit, decodeSearchCursor, encodeSearchCursor, sendCsv } from './search.ts';

const tags = ['views'];

export async function viewRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/views', {
    schema: { tags, summary: 'Save a view: a query with columns and sort, personal or shared (group, all agents)', body: CreateViewBody, response: { 201: View, ...problems(400, 401, 403) } },
  }, async (req, reply) => {
    const view = await createView(ctxOf(deps, req), req.body);
    reply.code(201);
    return view;
  });

  r.get('/views', {
    schema: { tags, summary: 'Built-in and saved views the caller may use, each with its live count', response: { 200: z.object({ views: z.array(ViewWithCount) }), ...problems(401) } },
  }, async (req) => ({ views: await listViews(ctxOf(deps, req)) }));

  r.get('/views/:id/tickets', {
    schema: { tags, summary: "A view's tickets, one keyset page at a time", params: ViewParams, querystring: ViewTicketsQuery, response: { 200: SearchResult, ...problems(400, 401, 404) } },
  }, async (req, reply) => {
    checkLimit(req.query.limit, req.query.format);
    const ctx = ctxOf(deps, req);
    const view = await findView(ctx, req.params.id);
    const sort = { sortBy: view.sortBy, sortOrder: view.sortOrder };
    const after = req.query.cursor ? decodeSearchCursor(req.query.cursor, sort) : undefined;
    const result = await viewTickets(ctx, view, { limit: req.query.limit, after, timezone: req.query.timezone });
    if (req.query.format === 'csv') return sendCsv(reply, 'view', ticketsCsv(result.tickets));
    return { tickets: result.tickets, total: result.total, totalIsEstimate: result.totalIsEstimate, nextCursor: result.last ? encodeSearchCursor(sort, result.last) : null };
  });

  r.delete('/views/:id', {
    schema: { tags, summary: 'Delete a saved view (its owner or an admin)', params: ViewParams, response: { 204: z.null(), ...problems(401, 403, 404, 409) } },
  }, async (req, reply) => {
    await removeView(ctxOf(deps, req), req.params.id);
    reply.code(204);
    return null;
  });
}
