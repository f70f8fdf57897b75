import { TICKET_STATUSES, type TicketStatus } from '../../src/domain/tickets/lifecycle.ts';

/** Issue 2's lifecycle, written out independently of the code under test (the tests' oracle). */
export const ALLOWED: Record<TicketStatus, TicketStatus[]> = {
  new: ['open', 'in_progress', 'pending', 'resolved', 'cancelled'],
  open: ['in_progress', 'pending', 'resolved', 'cancelled'],
  in_progress: ['open', 'pending', 'resolved', 'cancelled'],
  pending: ['open', 'in_progress', 'resolved', 'cancelled'],
  resolved: ['open', 'closed'],
  closed: [],
  cancelled: [],
};

/** Every (from, to) pair over the seven statuses, with whether the lifecycle allows it. */
export const STATUS_PAIRS = TICKET_STATUSES.flatMap((from) => TICKET_STATUSES.map((to) => ({ from, to, allowed: ALLOWED[from].includes(to) })));
