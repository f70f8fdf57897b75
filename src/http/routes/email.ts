import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError, Errors } from '../../domain/errors.ts';
import { can, require } from '../../domain/auth/policies.ts';
import type { Actor } from '../../domain/context.ts';
import { createMailbox, deleteMailbox, presentMailbox, updateMailbox } from '../../domain/email/mailboxes.ts';
import { deleteSuspended, ingestMessage, releaseSuspended, replayFailure, type IngestDeps } from '../../domain/email/ingest.ts';
import { publicBaseUrl, validateTemplate } from '../../domain/email/acknowledge.ts';
import {
  deleteAutoResponse, emailOfComment, getAutoResponse, getMailbox, insertAutoResponse, listAutoResponses, listFailures, listInboundLog,
  listMailboxes, listSuspended, updateAutoResponse, type AutoResponseRow,
} from '../../db/repositories/email.ts';
import { findTicketId } from '../../db/repositories/tickets.ts';
import { loadSecretKey } from '../../platform/crypto.ts';
import type { Config } from '../../platform/config.ts';
import type { FileStore } from '../../platform/storage.ts';
import { ctxOf, type Deps } from '../helpers.ts';
import { IdParams, problems, UuidParams } from '../schemas/common.ts';
import {
  AutoResponse, CreateAutoResponseBody, CreateMailboxBody, InboundFailure, InboundLogEntry, IngestOutcomeSchema, LimitQuery, Mailbox,
  SuspendedMessage, UpdateAutoResponseBody, UpdateMailboxBody,
} from '../schemas/email.ts';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function presentAutoResponse(a: AutoResponseRow) {
  return {
    id: a.id, name: a.name, mailbox: a.mailbox_id, category: a.category, subject: a.subject, body: a.body, isActive: a.is_active,
    position: a.position, createdAt: iso(a.created_at)!, updatedAt: iso(a.updated_at)!,
  };
}

/** Mailboxes, auto-responses, the inbound log, dead letters and suspended mail (admins); a comment's raw message (agents). */
export async function emailRoutes(app: FastifyInstance, deps: Deps & { store: FileStore; config: Config }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['email'];
  const admin = (actor: Actor) => require(can.administer(actor), 'Only admins manage the e-mail channel.');
  let key: Promise<Buffer> | undefined;
  const secretKey = () => (key ??= loadSecretKey(deps.config));
  const ingestDeps = async (): Promise<IngestDeps> => ({
    db: deps.db, clock: deps.clock, jobs: deps.jobs, store: deps.store, secretKey: await secretKey(), spamdUrl: deps.config.spamdUrl,
    publicUrl: publicBaseUrl(deps.config), log: app.log as unknown as IngestDeps['log'],
  });

  // --- mailboxes -------------------------------------------------------------------------
  r.get('/mailboxes', {
    schema: { tags, summary: 'Mailboxes (admins); passwords are never returned', response: { 200: z.object({ mailboxes: z.array(Mailbox) }), ...problems(401, 403) } },
  }, async (req) => {
    admin(req.actor);
    return { mailboxes: (await listMailboxes(deps.db)).map(presentMailbox) };
  });

  r.post('/mailboxes', {
    schema: { tags, summary: 'Create a mailbox (admins)', body: CreateMailboxBody, response: { 201: Mailbox, ...problems(400, 401, 403, 409) } },
  }, async (req, reply) => {
    const row = await createMailbox(ctxOf(deps, req), req.body, await secretKey());
    return reply.code(201).send(presentMailbox(row));
  });

  r.get('/mailboxes/:id', {
    schema: { tags, summary: 'A mailbox (admins)', params: UuidParams, response: { 200: Mailbox, ...problems(401, 403, 404) } },
  }, async (req) => {
    admin(req.actor);
    const row = await getMailbox(deps.db, req.params.id);
    if (!row) throw Errors.notFound('mailbox', req.params.id);
    return presentMailbox(row);
  });

  r.patch('/mailboxes/:id', {
    schema: {
      tags, summary: 'Change a mailbox (admins); a password left out keeps the stored one', params: UuidParams, body: UpdateMailboxBody,
      response: { 200: Mailbox, ...problems(400, 401, 403, 404, 409) },
    },
  }, async (req) => presentMailbox(await updateMailbox(ctxOf(deps, req), req.params.id, req.body, await secretKey())));

  r.delete('/mailboxes/:id', {
    schema: { tags, summary: 'Delete a mailbox (admins); its messages stay on their tickets', params: UuidParams, response: { 204: z.null(), ...problems(401, 403, 404) } },
  }, async (req, reply) => {
    await deleteMailbox(ctxOf(deps, req), req.params.id);
    return reply.code(204).send(null);
  });

  // A raw message posted by an admin (operations, tests): the same pipeline as SMTP and IMAP.
  await app.register(async (raw) => {
    raw.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: deps.config.smtpMaxBytes }, (_req, body, done) => done(null, body));
    raw.withTypeProvider<ZodTypeProvider>().post('/mailboxes/:id/inbound', {
      schema: {
        tags, summary: 'Deliver a raw message (Content-Type: message/rfc822) to a mailbox, as if it came by SMTP (admins)',
        consumes: ['message/rfc822'], params: UuidParams, response: { 200: IngestOutcomeSchema, ...problems(400, 401, 403, 404, 413, 415) },
      },
      onRequest: async (req) => {
        const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type !== 'message/rfc822') {
          throw new AppError(415, 'request.unsupported_media_type', 'Unsupported media type', 'Send the message with Content-Type: message/rfc822.');
        }
      },
    }, async (req) => {
      admin(req.actor);
      if (!(await getMailbox(deps.db, req.params.id))) throw Errors.notFound('mailbox', req.params.id);
      const body = req.body as unknown as Buffer;
      if (!Buffer.isBuffer(body) || body.length === 0) throw Errors.validation([{ path: 'body', message: 'An RFC 5322 message is required' }]);
      return ingestMessage(await ingestDeps(), { raw: body, mailboxId: req.params.id, transport: 'api' });
    });
  });

  // --- auto-responses ----------------------------------------------------------------------
  const checkTemplates = (b: { subject?: string; body?: string }) => {
    if (b.subject !== undefined) validateTemplate('subject', b.subject);
    if (b.body !== undefined) validateTemplate('body', b.body);
  };
  const checkMailbox = async (id: string | null | undefined) => {
    if (id && !(await getMailbox(deps.db, id))) throw Errors.validation([{ path: 'mailbox', message: `No mailbox ${id}` }]);
  };

  r.get('/auto-responses', {
    schema: { tags, summary: 'Automatic acknowledgement templates, in the order they are matched (admins)', response: { 200: z.object({ autoResponses: z.array(AutoResponse) }), ...problems(401, 403) } },
  }, async (req) => {
    admin(req.actor);
    return { autoResponses: (await listAutoResponses(deps.db)).map(presentAutoResponse) };
  });

  r.post('/auto-responses', {
    schema: { tags, summary: 'Create an acknowledgement template (Liquid) (admins)', body: CreateAutoResponseBody, response: { 201: AutoResponse, ...problems(400, 401, 403) } },
  }, async (req, reply) => {
    admin(req.actor);
    checkTemplates(req.body);
    await checkMailbox(req.body.mailbox);
    const { mailbox, ...rest } = req.body;
    const row = await insertAutoResponse(deps.db, { ...rest, mailboxId: mailbox ?? null }, deps.clock.now());
    return reply.code(201).send(presentAutoResponse(row));
  });

  r.get('/auto-responses/:id', {
    schema: { tags, summary: 'An acknowledgement template (admins)', params: UuidParams, response: { 200: AutoResponse, ...problems(401, 403, 404) } },
  }, async (req) => {
    admin(req.actor);
    const row = await getAutoResponse(deps.db, req.params.id);
    if (!row) throw Errors.notFound('auto_response', req.params.id);
    return presentAutoResponse(row);
  });

  r.patch('/auto-responses/:id', {
    schema: { tags, summary: 'Change an acknowledgement template (admins)', params: UuidParams, body: UpdateAutoResponseBody, response: { 200: AutoResponse, ...problems(400, 401, 403, 404) } },
  }, async (req) => {
    admin(req.actor);
    checkTemplates(req.body);
    await checkMailbox(req.body.mailbox);
    const { mailbox, ...rest } = req.body;
    const row = await updateAutoResponse(deps.db, req.params.id, { ...rest, ...(mailbox !== undefined ? { mailboxId: mailbox } : {}) }, deps.clock.now());
    if (!row) throw Errors.notFound('auto_response', req.params.id);
    return presentAutoResponse(row);
  });

  r.delete('/auto-responses/:id', {
    schema: { tags, summary: 'Delete an acknowledgement template (admins)', params: UuidParams, response: { 204: z.null(), ...problems(401, 403, 404) } },
  }, async (req, reply) => {
    admin(req.actor);
    if (!(await deleteAutoResponse(deps.db, req.params.id))) throw Errors.notFound('auto_response', req.params.id);
    return reply.code(204).send(null);
  });

  // --- inbound log, dead letters, suspended mail -------------------------------------------------
  r.get('/admin/inbound-log', {
    schema: { tags, summary: 'Received messages and what became of them, newest first (admins)', querystring: LimitQuery, response: { 200: z.object({ entries: z.array(InboundLogEntry) }), ...problems(400, 401, 403) } },
  }, async (req) => {
    admin(req.actor);
    const rows = await listInboundLog(deps.db, req.query.limit);
    return {
      entries: rows.map((l) => ({
        id: l.id, receivedAt: iso(l.received_at)!, mailbox: l.mailbox_address, transport: l.transport, messageId: l.message_id,
        from: l.from_address, subject: l.subject, outcome: l.outcome, reason: l.reason, ticketId: l.ticket_id, commentId: l.comment_id,
      })),
    };
  });

  r.get('/admin/inbound-failures', {
    schema: { tags, summary: 'Messages that could not be ingested, kept whole for replay (admins)', querystring: LimitQuery, response: { 200: z.object({ failures: z.array(InboundFailure) }), ...problems(400, 401, 403) } },
  }, async (req) => {
    admin(req.actor);
    const rows = await listFailures(deps.db, { limit: req.query.limit });
    return {
      failures: rows.map((f) => ({
        id: f.id, mailboxId: f.mailbox_id, transport: f.transport, error: f.error, attempts: f.attempts,
        size: Number((f as { raw_size?: number }).raw_size ?? 0), createdAt: iso(f.created_at)!, lastAttemptAt: iso(f.last_attempt_at)!,
        resolvedAt: iso(f.resolved_at),
      })),
    };
  });

  r.post('/admin/inbound-failures/:id/replay', {
    schema: { tags, summary: 'Run a failed message through the pipeline again; resolved when it succeeds (admins)', params: UuidParams, response: { 200: IngestOutcomeSchema, ...problems(401, 403, 404, 409) } },
  }, async (req) => {
    admin(req.actor);
    return replayFailure(await ingestDeps(), req.params.id);
  });

  r.get('/admin/suspended', {
    schema: { tags, summary: 'Suspected spam awaiting a decision, newest first (admins)', querystring: LimitQuery, response: { 200: z.object({ messages: z.array(SuspendedMessage) }), ...problems(400, 401, 403) } },
  }, async (req) => {
    admin(req.actor);
    const rows = await listSuspended(deps.db, req.query.limit);
    return {
      messages: rows.map((s) => ({
        id: s.id, mailboxId: s.mailbox_id, messageId: s.message_id, from: s.from_address, subject: s.subject, reason: s.reason,
        spamScore: s.spam_score, spamThreshold: s.spam_threshold, createdAt: iso(s.created_at)!,
      })),
    };
  });

  r.post('/admin/suspended/:id/release', {
    schema: { tags, summary: 'Not spam: ingest it without the spam check (admins)', params: UuidParams, response: { 200: IngestOutcomeSchema, ...problems(401, 403, 404, 409) } },
  }, async (req) => {
    admin(req.actor);
    return releaseSuspended(await ingestDeps(), req.params.id, req.actor.id);
  });

  r.delete('/admin/suspended/:id', {
    schema: { tags, summary: 'Spam: delete it (admins)', params: UuidParams, response: { 204: z.null(), ...problems(401, 403, 404) } },
  }, async (req, reply) => {
    admin(req.actor);
    await deleteSuspended(deps, req.params.id, req.actor.id);
    return reply.code(204).send(null);
  });

  // --- a comment's original message ---------------------------------------------------------------
  r.get('/tickets/:id/comments/:cid/raw', {
    schema: {
      tags: ['tickets'], summary: 'The original e-mail a comment came from (message/rfc822, agents)',
      params: z.strictObject({ id: IdParams.shape.id, cid: z.uuid() }), response: problems(401, 403, 404),
    },
  }, async (req, reply) => {
    require(can.workTickets(req.actor));
    const ticketId = await findTicketId(deps.db, req.params.id);
    if (!ticketId) throw Errors.notFound('ticket', req.params.id);
    const m = await emailOfComment(deps.db, req.params.cid);
    if (!m || m.ticket_id !== ticketId || m.direction !== 'inbound' || !m.raw_sha256) throw Errors.notFound('message', req.params.cid);
    reply
      .header('Content-Type', 'message/rfc822')
      .header('Content-Disposition', `attachment; filename="message-${req.params.cid}.eml"`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', "default-src 'none'; sandbox");
    if (m.raw_size !== null) reply.header('Content-Length', String(m.raw_size));
    return reply.send(deps.store.open(m.raw_sha256.trim()) as never);
  });
}
