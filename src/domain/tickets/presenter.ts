import type { TicketViewRow } from '../../db/repositories/tickets.ts';
import type { AssignmentRecord } from '../routing/engine.ts';
import { presentSla } from '../sla/view.ts';
import type { PriorityScore } from '../routing/priority.ts';

type AssignmentDto = AssignmentRecord;
type PriorityScoreDto = Omit<PriorityScore, 'priority'>;
import type { AttachmentRow, CommentRow, HistoryRow } from '../../db/repositories/conversation.ts';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** The API's ticket (the seed's Ticket interface, plus number and version). */
export function presentTicket(t: TicketViewRow, now: Date = new Date()) {
  return {
    id: t.id,
    number: Number(t.number),
    externalId: t.external_id,
    subject: t.subject,
    description: t.description,
    status: t.status,
    priority: t.priority,
    category: t.category,
    subcategory: t.subcategory,
    requester: t.requester,
    assignee: t.assignee,
    assigneeGroup: t.assignee_group,
    tags: t.tags ?? [],
    customFields: t.custom_fields ?? {},
    source: t.source,
    channel: t.channel,
    createdAt: iso(t.created_at)!,
    updatedAt: iso(t.updated_at)!,
    dueDate: iso(t.due_date),
    resolvedAt: iso(t.resolved_at),
    closedAt: iso(t.closed_at),
    followUpOf: t.follow_up_of,
    sla: presentSla(t.sla ?? null, now),
    assignment: (t.assignment ?? null) as AssignmentDto | null,
    priorityScore: (t.priority_factors ?? null) as PriorityScoreDto | null,
    version: t.version,
  };
}
export type TicketDto = ReturnType<typeof presentTicket>;

export function presentAttachment(a: AttachmentRow) {
  return {
    id: a.id,
    commentId: a.comment_id,
    fileName: a.file_name,
    size: Number(a.file_size),
    mimeType: a.mime_type,
    url: `/api/v1/attachments/${a.id}`,
    createdAt: iso(a.created_at)!,
  };
}

export function presentComment(c: CommentRow, attachments: AttachmentRow[] = []) {
  return {
    id: c.id,
    ticketId: c.ticket_id,
    author: { id: c.author_id, type: c.author_type, name: c.author_name },
    content: c.content,
    isInternal: c.is_internal,
    isPublic: !c.is_internal,
    attachments: attachments.filter((a) => a.comment_id === c.id).map(presentAttachment),
    createdAt: iso(c.created_at)!,
    // present only on comments that came by e-mail / replies that were e-mailed
    ...(c.email ? { email: c.email } : {}),
    ...(c.delivery ? { delivery: c.delivery } : {}),
  };
}

export function presentHistory(h: HistoryRow) {
  return {
    id: h.id,
    ticketId: h.ticket_id,
    changeType: h.change_type,
    field: h.field,
    changedBy: h.changed_by,
    changedByName: h.changed_by_name ?? (h.actor_type === 'system' ? 'Triage' : null),
    actorType: h.actor_type,
    changedFrom: h.changed_from,
    changedTo: h.changed_to,
    comment: h.comment,
    createdAt: iso(h.created_at)!,
  };
}
