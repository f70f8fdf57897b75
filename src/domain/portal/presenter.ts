import type { TicketDetailRow } from '../../db/repositories/tickets.ts';
import type { PortalTicketRow } from '../../db/repositories/portal.ts';
import type { AttachmentRow } from '../../db/repositories/conversation.ts';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/** A ticket in the requester's list: no internal fields (assignee, group, priority, SLA, tags). */
export function presentPortalTicketRow(t: PortalTicketRow) {
  return {
    number: Number(t.number), subject: t.subject, status: t.status, requesterName: t.requester_name,
    createdAt: iso(t.created_at)!, updatedAt: iso(t.updated_at)!,
  };
}

function presentPortalAttachment(a: AttachmentRow) {
  return { id: a.id, fileName: a.file_name, size: Number(a.file_size), mimeType: a.mime_type, url: `/api/v1/portal/attachments/${a.id}` };
}

/**
 * A ticket as its requester sees it: the request and the public conversation. The query
 * already left internal notes and their files out; they are filtered again here, so that a
 * change to the query cannot leak one (STYLE.md habit 3).
 */
export function presentPortalTicket(t: TicketDetailRow) {
  const comments = t.comments.filter((c) => !c.is_internal);
  const publicIds = new Set(comments.map((c) => c.id));
  const files = t.attachments.filter((a) => a.comment_id === null || publicIds.has(a.comment_id));
  return {
    number: Number(t.number),
    subject: t.subject,
    description: t.description,
    status: t.status,
    requesterName: t.requester.name,
    createdAt: iso(t.created_at)!,
    updatedAt: iso(t.updated_at)!,
    resolvedAt: iso(t.resolved_at),
    attachments: files.filter((a) => a.comment_id === null).map(presentPortalAttachment),
    comments: comments.map((c) => ({
      id: c.id,
      // agents are shown by name; what Triage itself wrote as the support team
      author: { type: c.author_type, name: c.author_type === 'system' ? 'Support' : (c.author_name ?? '') },
      content: c.content,
      createdAt: iso(c.created_at)!,
      attachments: files.filter((a) => a.comment_id === c.id).map(presentPortalAttachment),
    })),
  };
}
