import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Errors } from '../../domain/errors.ts';
import { addComment, assignTicket, changeStatus, createTicket, updateTicket } from '../../domain/tickets/commands.ts';
import { bulkUpdateTickets } from '../../domain/tickets/bulk.ts';
import { presentAttachment, presentComment, presentHistory, presentTicket } from '../../domain/tickets/presenter.ts';
import { listSlaEvents } from '../../db/repositories/sla-state.ts';
import { findTicketId, getTicketDetail, getTicketView, isValidSortKey, listTickets } from '../../db/repositories/tickets.ts';
import { listAttachments, listHistory } from '../../db/repositories/conversation.ts';
import type { TicketStatus } from '../../domain/tickets/lifecycle.ts';
import type { FileStore } from '../../platform/storage.ts';
import { ctxOf, decodeCursor, encodeCursor, expectedVersion, idempotent, sendWithEtag, type Deps } from '../helpers.ts';
import { multipartBody } from '../multipart.ts';
import { compileQuery } from '../../domain/search/query.ts';
import { agentScope } from '../../domain/search/service.ts';
import { ticketsCsv } from '../../domain/search/csv.ts';
import { sendCsv } from './search.ts';
import { Timezone } from '../schemas/search.ts';
import { IdParams, problems } from '../schemas/common.ts';
import {
  AssignBody, BulkBody, BulkResponse, CommentBody, NewComment, CreateTicketBody, HistoryEntry, ListTicketsQuery, StatusActionBody, Ticket, TicketDetail,
  TicketList, UpdateTicketBody,
} from '../schemas/tickets.ts';

const tags = ['tickets'];

export async function ticketRoutes(app: FastifyInstance, deps: Deps & { store: FileStore }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const files = multipartBody(deps.store);

  r.post('/tickets', {
    schema: {
      tags, summary: 'Open a ticket (JSON, or multipart with a `data` JSON field and files)',
      body: CreateTicketBody, response: { 201: Ticket, ...problems(400, 401, 413, 415, 422) },
    },
    preValidation: files,
  }, async (req, reply) =>
    idempotent(deps, req, reply, 201, async (ctx) => {
      const ticket = await createTicket(ctx, req.body, req.uploadedFiles);
      // how long the routing decision took, lock waits included (read by bench:routing)
      if (ticket.routing_ms !== undefined) reply.header('Server-Timing', `routing;dur=${ticket.routing_ms.toFixed(3)}`);
      return presentTicket(ticket, deps.clock.now());
    }),
  );

  r.get('/tickets', {
    schema: {
      tags, summary: 'List tickets by filters and/or a search-language query (page/limit, or cursor for keyset paging); format=csv exports the page',
      querystring: ListTicketsQuery.extend({
        query: z.string().max(1000).optional().describe('the search language, as GET /search'),
        timezone: Timezone.optional(),
        format: z.enum(['json', 'csv']).default('json'),
      }),
      response: { 200: TicketList, ...problems(400, 401) },
    },
  }, async (req, reply) => {
    const q = req.query;
    const now = deps.clock.now();
    const search = q.query ? { query: compileQuery(q.query, { now, timezone: q.timezone }), scope: agentScope(req.actor, now) } : undefined;
    const sort = { sortBy: q.sortBy, sortOrder: q.sortOrder };
    const after = q.cursor ? decodeCursor(q.cursor, sort, isValidSortKey) : undefined;
    const result = await listTickets(
      deps.db,
      {
        status: q.status, priority: q.priority, category: q.category, assigneeId: q.assigneeId, requesterId: q.requesterId,
        tags: q.tags?.map((t) => t.toLowerCase()), createdAfter: q.createdAfter, createdBefore: q.createdBefore,
        dueAfter: q.dueAfter, dueBefore: q.dueBefore, q: q.q, slaStatus: q.slaStatus, now: deps.clock.now(), search,
      },
      { sortBy: q.sortBy, sortOrder: q.sortOrder, limit: q.limit, offset: (q.page - 1) * q.limit, after },
    );
    const tickets = result.rows.map((row) => presentTicket(row, deps.clock.now()));
    if (q.format === 'csv') return sendCsv(reply, 'tickets', ticketsCsv(tickets));
    return {
      tickets,
      total: result.total,
      page: after ? 1 : q.page,
      totalPages: Math.ceil(result.total / q.limit),
      nextCursor: result.rows.length === q.limit && result.last ? encodeCursor(sort, result.last) : null,
    };
  });

  r.post('/tickets/bulk', {
    schema: {
      tags,
      summary: 'Change up to 100 tickets at once (status, priority, assignee, group, tags): each ticket in its own transaction, '
        + 'as a single PATCH would; a ticket changed since its `version` is a conflict and left as it is',
      body: BulkBody, response: { 200: BulkResponse, ...problems(400, 401, 403) },
    },
  }, async (req) => bulkUpdateTickets(ctxOf(deps, req), req.body.tickets, req.body.changes));

  r.get('/tickets/:id', {
    schema: { tags, summary: 'A ticket (by UUID or number) with its conversation', params: IdParams, response: { 200: TicketDetail, ...problems(401, 404) } },
  }, async (req, reply) => {
    const detail = await getTicketDetail(deps.db, req.params.id, true);
    if (!detail) throw Errors.notFound('ticket', req.params.id);
    const { comments, attachments } = detail;
    return sendWithEtag(reply, 200, {
      ...presentTicket(detail, deps.clock.now()),
      comments: comments.map((c) => presentComment(c, attachments)),
      attachments: attachments.map(presentAttachment),
    });
  });

  r.get('/tickets/:id/sla-events', {
    schema: {
      tags, summary: 'SLA warnings and breaches recorded for a ticket (each once)', params: IdParams,
      response: {
        200: z.object({
          events: z.array(z.object({ kind: z.enum(['warning', 'breach']), target: z.string(), dueAt: z.string(), recordedAt: z.string() })),
        }),
        ...problems(401, 404),
      },
    },
  }, async (req) => {
    const id = await findTicketId(deps.db, req.params.id);
    if (!id) throw Errors.notFound('ticket', req.params.id);
    const events = await listSlaEvents(deps.db, id);
    return {
      events: events.map((e) => ({ kind: e.kind, target: e.target, dueAt: new Date(e.due_at).toISOString(), recordedAt: new Date(e.recorded_at).toISOString() })),
    };
  });

  r.patch('/tickets/:id', {
    schema: { tags, summary: 'Change fields, status or assignee (If-Match: ETag → 412 when stale)', params: IdParams, body: UpdateTicketBody, response: { 200: Ticket, ...problems(400, 401, 404, 409, 412) } },
  }, async (req, reply) =>
    sendWithEtag(reply, 200, presentTicket(await updateTicket(ctxOf(deps, req), req.params.id, req.body, expectedVersion(req)), deps.clock.now())),
  );

  r.delete('/tickets/:id', {
    schema: { tags, summary: 'Cancel a ticket (soft delete)', params: IdParams, response: { 200: Ticket, ...problems(401, 404, 409, 412) } },
  }, async (req, reply) =>
    sendWithEtag(reply, 200, presentTicket(await changeStatus(ctxOf(deps, req), req.params.id, 'cancelled', { expectedVersion: expectedVersion(req) }), deps.clock.now())),
  );

  r.post('/tickets/:id/comments', {
    schema: {
      tags, summary: 'Add a public reply or internal note (JSON, or multipart with files)', params: IdParams, body: CommentBody,
      response: { 201: NewComment, ...problems(400, 401, 404, 409, 412, 413) },
    },
    preValidation: files,
  }, async (req, reply) =>
    idempotent(deps, req, reply, 201, async (ctx) => {
      const { ticket, comment } = await addComment(ctx, req.params.id, req.body, req.uploadedFiles, expectedVersion(req));
      const attachments = await listAttachments(ctx.db, ticket.id, true);
      // the ticket's new version, so the client can go on editing (also the ETag, on replays too)
      return { ...presentComment(comment, attachments), ticketVersion: ticket.version };
    }),
  );

  r.post('/tickets/:id/assign', {
    schema: { tags, summary: 'Assign to an agent and/or a group (by slug)', params: IdParams, body: AssignBody, response: { 200: Ticket, ...problems(400, 401, 404, 409, 412) } },
  }, async (req, reply) =>
    idempotent(deps, req, reply, 200, async (ctx) =>
      presentTicket(await assignTicket(ctx, req.params.id, req.body, expectedVersion(req)), deps.clock.now()),
    ),
  );

  const statusAction = (path: string, to: TicketStatus, summary: string, onlyFrom?: TicketStatus[]) =>
    r.post(`/tickets/:id/${path}`, {
      schema: { tags, summary, params: IdParams, body: StatusActionBody, response: { 200: Ticket, ...problems(401, 404, 409, 412) } },
    }, async (req, reply) =>
      idempotent(deps, req, reply, 200, async (ctx) =>
        presentTicket(await changeStatus(ctx, req.params.id, to, { expectedVersion: expectedVersion(req), reason: req.body?.comment, onlyFrom }), deps.clock.now()),
      ),
    );
  statusAction('resolve', 'resolved', 'Resolve');
  statusAction('close', 'closed', 'Close a resolved ticket');
  statusAction('reopen', 'open', 'Reopen a resolved ticket', ['resolved']);

  r.get('/tickets/:id/history', {
    schema: { tags, summary: 'Every change to the ticket, oldest first', params: IdParams, response: { 200: z.object({ history: z.array(HistoryEntry) }), ...problems(401, 404) } },
  }, async (req) => {
    const view = await getTicketView(deps.db, req.params.id);
    if (!view) throw Errors.notFound('ticket', req.params.id);
    return { history: (await listHistory(deps.db, view.id)).map(presentHistory) };
  });
}
