/**
 * What a requester does in the portal. Each action finds the ticket within the requester's
 * scope first (someone else's ticket is "not found", never "forbidden") and then runs the
 * ticket commands every other channel uses: a reply is a requester comment (public, reopens
 * a pending or solved ticket, restarts the SLA's next response), "mark as solved" is the
 * resolve transition, the web form is createTicket with source `web`.
 */
import type { Actor, Ctx } from '../context.ts';
import { AppError, Errors } from '../errors.ts';
import { addComment, changeStatus, createTicket } from '../tickets/commands.ts';
import { getTicketDetail } from '../../db/repositories/tickets.ts';
import { findPortalTicketId, listPortalTickets, type PortalPrincipal, type PortalScope } from '../../db/repositories/portal.ts';
import type { StoredFile } from '../../platform/storage.ts';
import { presentPortalTicket, presentPortalTicketRow } from './presenter.ts';

/**
 * The actor of a requester's change. Requesters are no agents (history's `changed_by` names
 * agents only), so the change is Triage's own on their behalf: the comment itself is the
 * requester's, and the history rows say `from: requester` or give the reason.
 */
export function requesterActor(p: Pick<PortalPrincipal, 'name'>): Actor {
  return { type: 'system', id: null, name: `${p.name} (customer portal)`, role: 'system' };
}

/** The requester's own tickets; with `organization`, their organization's — only when it shares them. */
export function scopeOf(p: PortalPrincipal, organization = false): PortalScope {
  if (organization && !(p.organization_id && p.organization_shared)) {
    throw new AppError(403, 'portal.organization_not_shared', 'Forbidden', 'Your organization does not share its tickets in the portal.');
  }
  // a shared organization's tickets are readable (and answerable) from any ticket page; the list shows them on request
  return { requesterId: p.requester_id, sharedOrganizationId: p.organization_shared ? p.organization_id : null };
}

/** One page of tickets: only the requester's own unless `organization`. */
export async function listRequesterTickets(ctx: Ctx, p: PortalPrincipal, o: { organization: boolean; limit: number; offset: number }) {
  const scope = scopeOf(p, o.organization);
  const { rows, total } = await listPortalTickets(ctx.db, o.organization ? scope : { requesterId: p.requester_id, sharedOrganizationId: null }, o);
  return { tickets: rows.map(presentPortalTicketRow), total };
}

async function ticketIdFor(ctx: Ctx, p: PortalPrincipal, number: number): Promise<string> {
  const id = await findPortalTicketId(ctx.db, scopeOf(p), number);
  if (!id) throw Errors.notFound('ticket', String(number));
  return id;
}

/** The ticket with its public conversation (never internal notes, history or assignment). */
export async function readRequesterTicket(ctx: Ctx, p: PortalPrincipal, number: number) {
  const detail = await getTicketDetail(ctx.db, await ticketIdFor(ctx, p, number), false);
  if (!detail) throw Errors.notFound('ticket', String(number));
  return presentPortalTicket(detail);
}

/** The requester answers (with files): a public requester comment, through addComment. */
export async function replyAsRequester(ctx: Ctx, p: PortalPrincipal, number: number, content: string, files: StoredFile[]) {
  const id = await ticketIdFor(ctx, p, number);
  const actx = { ...ctx, actor: requesterActor(p) };
  const { comment } = await addComment(actx, id, { content, from: 'requester', requesterId: p.requester_id }, files);
  return { ticketId: id, commentId: comment.id };
}

/** The requester says the problem is solved: the ticket is resolved (409 from a status that cannot be). */
export async function solveAsRequester(ctx: Ctx, p: PortalPrincipal, number: number) {
  const id = await ticketIdFor(ctx, p, number);
  await changeStatus({ ...ctx, actor: requesterActor(p) }, id, 'resolved', { reason: 'the requester marked it solved' });
  return { ticketId: id, ticket: await readRequesterTicket(ctx, p, number) };
}

export interface WebRequest {
  name: string;
  email: string;
  subject: string;
  description: string;
}

/** A request from the web form: a ticket from the requester (found or created by e-mail), routed like any other. */
export async function submitWebRequest(ctx: Ctx, r: WebRequest, files: StoredFile[]) {
  const ticket = await createTicket(
    { ...ctx, actor: requesterActor(r) },
    { subject: r.subject, description: r.description, requester: { name: r.name, email: r.email }, category: 'general', source: 'web', channel: 'portal' },
    files,
  );
  return { ticketId: ticket.id, created: { number: Number(ticket.number), subject: ticket.subject, status: ticket.status } };
}
