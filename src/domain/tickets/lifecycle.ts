import { Errors } from '../errors.ts';

export const TICKET_STATUSES = ['new', 'open', 'in_progress', 'pending', 'resolved', 'closed', 'cancelled'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export const TICKET_SOURCES = ['email', 'web', 'chat', 'api', 'phone'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];

/** Statuses in which a ticket is work an agent still has to do (counts toward load). */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'open', 'in_progress', 'pending'];

const ALLOWED: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'in_progress', 'pending', 'resolved', 'cancelled'],
  open: ['in_progress', 'pending', 'resolved', 'cancelled'],
  in_progress: ['open', 'pending', 'resolved', 'cancelled'],
  pending: ['open', 'in_progress', 'resolved', 'cancelled'],
  resolved: ['open', 'closed'],
  // final: a follow-up to a closed ticket is a new ticket linked to it
  closed: [],
  cancelled: [],
};

/** True when the lifecycle allows moving a ticket from `from` to `to`. */
export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Throws the 409 `ticket.transition_invalid` error unless the move is allowed. */
export function assertTransition(from: TicketStatus, to: TicketStatus): void {
  if (!canTransition(from, to)) throw Errors.transition(from, to);
}

/** The history change type that names a move to `to` from `from`. */
export function statusChangeType(from: TicketStatus, to: TicketStatus) {
  if (to === 'resolved') return 'resolved' as const;
  if (to === 'closed') return 'closed' as const;
  if (to === 'cancelled') return 'cancelled' as const;
  if (from === 'resolved') return 'reopened' as const;
  return 'status_changed' as const;
}

/**
 * The timestamps a status change implies: `resolvedAt` is set on resolve and
 * cleared on reopen; `closedAt` is set on close. `undefined` = unchanged.
 */
export function lifecycleTimestamps(to: TicketStatus, now: Date): { resolvedAt?: Date | null; closedAt?: Date | null } {
  if (to === 'resolved') return { resolvedAt: now, closedAt: null };
  if (to === 'closed') return { closedAt: now };
  if (to === 'cancelled') return {};
  return { resolvedAt: null, closedAt: null };
}

/** Allowed target statuses from each status (for the API documentation and the UI). */
export const TRANSITIONS = ALLOWED;
