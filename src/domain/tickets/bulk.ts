import type { Ctx } from '../context.ts';
import { AppError, Errors, type FieldError } from '../errors.ts';
import { can, require } from '../auth/policies.ts';
import { getAgent, getGroupBySlug } from '../../db/repositories/agents.ts';
import { updateTicket } from './commands.ts';
import type { TicketPriority, TicketStatus } from './lifecycle.ts';

/** The same change for every ticket of a bulk action. */
export interface BulkChanges {
  status?: TicketStatus;
  priority?: TicketPriority;
  /** null: unassign */
  assigneeId?: string | null;
  /** a group's slug; null: no group */
  group?: string | null;
  addTags?: string[];
  removeTags?: string[];
}

/** One ticket of a bulk action, with the version the caller saw (optional: without it the change is applied to whatever is there). */
export interface BulkTarget {
  id: string;
  version?: number;
}

export type BulkOutcome = 'updated' | 'conflict' | 'not_found' | 'invalid';

export interface BulkResult {
  id: string;
  outcome: BulkOutcome;
  /** the HTTP status the same change on this ticket alone would have answered */
  status: number;
  /** the ticket's version now: after the change, or the newer one that made it a conflict */
  version?: number;
  /** why the ticket was not changed: the problem's stable code and its detail */
  error?: { code: string; detail: string };
}

export interface BulkSummary {
  results: BulkResult[];
  updated: number;
  conflicts: number;
}

/**
 * Applies one set of changes to many tickets, each through `updateTicket` in
 * its own transaction (the same rules, history rows, SLA and routing effects
 * as a single PATCH), one after the other in the order given. A ticket that
 * fails — changed since the caller's `version`, gone, or refusing the change
 * (an impossible status move, a closed ticket) — is reported and skipped; the
 * others are still changed. What is wrong for every ticket alike (an unknown
 * agent or group) is a 400 before any ticket is touched.
 */
export async function bulkUpdateTickets(ctx: Ctx, targets: BulkTarget[], changes: BulkChanges): Promise<BulkSummary> {
  require(can.workTickets(ctx.actor));
  await checkTargets(ctx, changes);
  const results: BulkResult[] = [];
  for (const target of targets) results.push(await changeOne(ctx, target, changes));
  return {
    results,
    updated: results.filter((r) => r.outcome === 'updated').length,
    conflicts: results.filter((r) => r.outcome === 'conflict').length,
  };
}

async function changeOne(ctx: Ctx, target: BulkTarget, changes: BulkChanges): Promise<BulkResult> {
  try {
    const ticket = await updateTicket(ctx, target.id, changes, target.version);
    return { id: target.id, outcome: 'updated', status: 200, version: ticket.version };
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    return { id: target.id, ...outcomeOf(err) };
  }
}

/** A refused single change as a bulk outcome. */
function outcomeOf(err: AppError): Omit<BulkResult, 'id'> {
  const error = { code: err.code, detail: err.message };
  if (err.code === 'ticket.version_stale') {
    return { outcome: 'conflict', status: err.status, version: err.extra?.currentVersion as number, error };
  }
  if (err.code === 'ticket.not_found') return { outcome: 'not_found', status: err.status, error };
  return { outcome: 'invalid', status: err.status, error };
}

/** The agent and group the changes name exist (and the agent is active), else a 400 naming the field. */
async function checkTargets(ctx: Ctx, changes: BulkChanges): Promise<void> {
  const errors: FieldError[] = [];
  if (changes.assigneeId) {
    const agent = await getAgent(ctx.db, changes.assigneeId);
    if (!agent?.active) errors.push({ path: 'changes.assigneeId', message: `No active agent ${changes.assigneeId}` });
  }
  if (changes.group && !(await getGroupBySlug(ctx.db, changes.group))) {
    errors.push({ path: 'changes.group', message: `No group ${changes.group}` });
  }
  if (errors.length) throw Errors.validation(errors);
}
