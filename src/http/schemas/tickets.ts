import { z } from 'zod';
import { TICKET_PRIORITIES, TICKET_SOURCES, TICKET_STATUSES } from '../../domain/tickets/lifecycle.ts';
import { DateTime, QueryDate, Uuid, csv } from './common.ts';
import { Assignment, PriorityScore } from './routing.ts';

const SlaTarget = z.object({
  target: z.enum(['first_response', 'next_response', 'resolution']),
  startedAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  warnAt: z.string().nullable(),
  remainingBusinessMinutes: z.number(),
  status: z.enum(['ok', 'at_risk', 'breached', 'met', 'paused']),
  metAt: z.string().nullable(),
});
export const Sla = z
  .object({
    policyId: z.string().nullable(),
    policyName: z.string().nullable(),
    responseDue: z.string().nullable(),
    resolutionDue: z.string().nullable(),
    responseMet: z.boolean().nullable(),
    resolutionMet: z.boolean().nullable(),
    paused: z.boolean(),
    state: z.enum(['ok', 'at_risk', 'breached', 'met', 'paused']),
    targets: z.array(SlaTarget),
  })
  .describe('SLA: the policy, each target with its due time, remaining business minutes and status (null when no policy applies)');

export const Status = z.enum(TICKET_STATUSES);
export const Priority = z.enum(TICKET_PRIORITIES);
export const Source = z.enum(TICKET_SOURCES);
const Tag = z.string().trim().min(1).max(100);
const Tags = z.array(Tag).max(50);
const CustomFields = z.record(z.string().max(100), z.unknown()).refine((o) => JSON.stringify(o).length <= 65_536, 'At most 64 KiB of custom fields');
const Email = z.email().max(320);

export const CreateTicketBody = z.strictObject({
  subject: z.string().trim().min(1).max(500),
  description: z.string().min(1).max(1_000_000),
  requester: z.strictObject({
    name: z.string().trim().min(1).max(255),
    email: Email,
    phone: z.string().trim().max(50).optional(),
    organization: z.string().trim().min(1).max(255).optional(),
  }),
  category: z.string().trim().min(1).max(100),
  subcategory: z.string().trim().min(1).max(100).optional(),
  priority: Priority.optional(),
  source: Source,
  channel: z.string().trim().min(1).max(100).optional(),
  tags: Tags.optional(),
  customFields: CustomFields.optional(),
  dueDate: DateTime.nullable().optional(),
  externalId: z.string().trim().min(1).max(255).optional(),
  followUpOf: z.string().trim().min(1).max(64).optional().describe('UUID or number of the earlier (e.g. closed) ticket this one follows up'),
});

export const UpdateTicketBody = z
  .strictObject({
    subject: z.string().trim().min(1).max(500),
    description: z.string().min(1).max(1_000_000),
    status: Status,
    priority: Priority,
    category: z.string().trim().min(1).max(100),
    subcategory: z.string().trim().min(1).max(100).nullable(),
    tags: Tags,
    customFields: CustomFields,
    dueDate: DateTime.nullable(),
    assigneeId: Uuid.nullable(),
  })
  .partial();

export const CommentBody = z.strictObject({
  content: z.string().min(1).max(1_000_000),
  from: z
    .enum(['agent', 'requester'])
    .optional()
    .describe("'requester': record a message the customer sent another way (phone, chat); public, reopens a pending ticket"),
  isInternal: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).optional(),
});

export const AssignBody = z
  .strictObject({ agentId: Uuid.nullable().optional(), group: z.string().min(1).max(100).nullable().optional() })
  .refine((b) => b.agentId !== undefined || b.group !== undefined, { message: 'Give agentId or group', path: ['agentId'] });

export const StatusActionBody = z.strictObject({ comment: z.string().max(10_000).optional() }).nullish();

export const ListTicketsQuery = z.strictObject({
  status: csv(Status).optional(),
  priority: csv(Priority).optional(),
  category: csv(z.string().min(1).max(100)).optional(),
  assigneeId: csv(Uuid).optional(),
  requesterId: csv(Uuid).optional(),
  tags: csv(z.string().min(1).max(100)).optional(),
  createdAfter: QueryDate.optional(),
  createdBefore: QueryDate.optional(),
  dueAfter: QueryDate.optional(),
  dueBefore: QueryDate.optional(),
  q: z.string().min(1).max(500).optional(),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(20),
  sortBy: z.enum(['createdAt', 'updatedAt', 'priority', 'dueDate', 'slaDue']).default('createdAt').describe('priority and slaDue: desc = most urgent first'),
  slaStatus: csv(z.enum(['breached', 'at_risk', 'ok'])).optional(),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
  cursor: z.string().max(500).optional(),
});

const Person = z.object({ id: Uuid, name: z.string(), email: z.string() });

export const Ticket = z
  .object({
    id: Uuid,
    number: z.number().int(),
    externalId: z.string().nullable(),
    subject: z.string(),
    description: z.string(),
    status: Status,
    priority: Priority,
    category: z.string(),
    subcategory: z.string().nullable(),
    requester: Person.extend({
      phone: z.string().nullable(),
      organization: z.string().nullable(),
      organizationId: Uuid.nullable(),
      tier: z.string(),
    }),
    assignee: Person.extend({ role: z.string(), status: z.string() }).nullable(),
    assigneeGroup: z.string().nullable(),
    tags: z.array(z.string()),
    customFields: z.record(z.string(), z.unknown()),
    source: Source,
    channel: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    dueDate: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    followUpOf: Uuid.nullable(),
    sla: Sla.nullable(),
    assignment: Assignment.nullable(),
    priorityScore: PriorityScore.nullable(),
    version: z.number().int(),
  })
  .describe('A ticket (ETag header = its version)');

export const Attachment = z.object({
  id: Uuid,
  commentId: Uuid.nullable(),
  fileName: z.string(),
  size: z.number(),
  mimeType: z.string(),
  url: z.string(),
  createdAt: z.string(),
});

const EmailAddress = z.object({ address: z.string(), name: z.string() });

export const Comment = z.object({
  id: Uuid,
  ticketId: Uuid,
  author: z.object({ id: Uuid, type: z.string(), name: z.string().nullable() }),
  content: z.string(),
  isInternal: z.boolean(),
  isPublic: z.boolean(),
  attachments: z.array(Attachment),
  createdAt: z.string(),
  /** a comment that came by e-mail: the message as received (HTML sanitized, quoted history apart) */
  email: z.object({
    messageId: z.string().nullable(),
    from: EmailAddress.nullable(),
    to: z.array(EmailAddress),
    cc: z.array(EmailAddress),
    subject: z.string(),
    inReplyTo: z.string().nullable(),
    references: z.array(z.string()),
    threadedBy: z.enum(['header', 'token', 'subject']).nullable(),
    bodyText: z.string(),
    bodyHtmlSanitized: z.string().nullable(),
    quotedText: z.string(),
  }).optional(),
  /** an agent's public reply e-mailed to the requester: where its delivery stands */
  delivery: z.object({
    status: z.enum(['queued', 'sent', 'failed']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    messageId: z.string().nullable(),
  }).optional(),
});

/** A comment just added: also the ticket's new version (its ETag). */
export const NewComment = Comment.extend({ ticketVersion: z.number().int() });

export const TicketDetail = Ticket.extend({ comments: z.array(Comment), attachments: z.array(Attachment) });

export const HistoryEntry = z.object({
  id: Uuid,
  ticketId: Uuid,
  changeType: z.string(),
  field: z.string().nullable(),
  changedBy: Uuid.nullable(),
  changedByName: z.string().nullable(),
  actorType: z.string(),
  changedFrom: z.unknown(),
  changedTo: z.unknown(),
  comment: z.string().nullable(),
  createdAt: z.string(),
});

export const TicketList = z.object({
  tickets: z.array(Ticket),
  total: z.number().int(),
  page: z.number().int(),
  totalPages: z.number().int(),
  nextCursor: z.string().nullable(),
});

const MAX_BULK = 100;

export const BulkBody = z.strictObject({
  tickets: z
    .array(z.strictObject({
      id: Uuid,
      version: z.number().int().min(0).optional().describe('the version the caller saw: a ticket changed since is a conflict, left as it is'),
    }))
    .min(1)
    .max(MAX_BULK, `At most ${MAX_BULK} tickets at once`)
    .superRefine((list, c) => {
      const seen = new Set<string>();
      list.forEach((t, i) => {
        if (seen.has(t.id.toLowerCase())) c.addIssue({ code: 'custom', path: [i, 'id'], message: 'This ticket is listed twice' });
        seen.add(t.id.toLowerCase());
      });
    }),
  changes: z
    .strictObject({
      status: Status.optional(),
      priority: Priority.optional(),
      assigneeId: Uuid.nullable().optional().describe('null: unassign'),
      group: z.string().min(1).max(100).nullable().optional().describe("a group's slug; null: no group"),
      addTags: Tags.optional(),
      removeTags: Tags.optional(),
    })
    .superRefine((ch, c) => {
      if (Object.values(ch).every((v) => v === undefined)) c.addIssue({ code: 'custom', message: 'Give at least one change' });
      const added = new Set((ch.addTags ?? []).map((t) => t.toLowerCase()));
      const both = (ch.removeTags ?? []).filter((t) => added.has(t.toLowerCase()));
      if (both.length) c.addIssue({ code: 'custom', path: ['removeTags'], message: `Both added and removed: ${both.join(', ')}` });
    }),
});

export const BulkResult = z.object({
  id: Uuid,
  outcome: z.enum(['updated', 'conflict', 'not_found', 'invalid']),
  status: z.number().int().describe('the HTTP status the same change on this ticket alone would have answered'),
  version: z.number().int().optional().describe('the ticket\'s version now: after the change, or the newer one that made it a conflict'),
  error: z.object({ code: z.string(), detail: z.string() }).optional().describe('why this ticket was not changed'),
});

export const BulkResponse = z.object({
  results: z.array(BulkResult).describe('one per ticket, in the order asked'),
  updated: z.number().int(),
  conflicts: z.number().int(),
});
