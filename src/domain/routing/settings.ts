import { z } from 'zod';

/** Routing options an admin changes at run time (settings key 'routing'). */
export const RoutingSettings = z.strictObject({
  /** false: new tickets stay unassigned (no rules, no queue) */
  enabled: z.boolean(),
  /** whether pending tickets (waiting on the customer) count towards an agent's load */
  pendingCountsAsLoad: z.boolean(),
  /** whether an agent going offline returns their open tickets to the queue */
  returnTicketsOnOffline: z.boolean(),
});
export type RoutingSettings = z.infer<typeof RoutingSettings>;

export const DEFAULT_ROUTING_SETTINGS: RoutingSettings = {
  enabled: true,
  pendingCountsAsLoad: false,
  returnTicketsOnOffline: false,
};

/** Ticket statuses that count as an agent's load (mirrors the SQL function load_statuses()). */
export function loadStatuses(s: RoutingSettings): string[] {
  return s.pendingCountsAsLoad ? ['new', 'open', 'in_progress', 'pending'] : ['new', 'open', 'in_progress'];
}

/** Statuses in which an unassigned ticket waits for an agent. */
export const WAITING_STATUSES = ['new', 'open', 'in_progress'] as const;

/** A stored settings value over the defaults: keys written by an older version are kept, missing ones defaulted. */
export function withDefaults<T extends object>(defaults: T, stored: unknown): T {
  return stored && typeof stored === 'object' ? { ...defaults, ...(stored as Partial<T>) } : defaults;
}
