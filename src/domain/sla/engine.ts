/**
 * The SLA engine against the database. `refreshSla` runs inside every command
 * that changes a ticket: it (re)matches the policy when a matching field
 * changed, recomputes the clock from the ticket's history (clock.ts), stores
 * the result in ticket_sla, and schedules an `sla.check` job at the next
 * instant a warning or breach falls due. `checkSla` is that job: it records
 * each passed warning/breach once (sla_events' unique key makes a duplicate
 * or late run a no-op) and runs the policy's escalation for a new breach, in
 * the same transaction, so it happens exactly once.
 */
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Jobs } from '../../jobs/queue.ts';
import { SYSTEM_ACTOR, type Actor } from '../context.ts';
import { insertHistory } from '../../db/repositories/conversation.ts';
import { getCalendar, listActivePolicies } from '../../db/repositories/sla.ts';
import {
  deleteTicketSla, insertSlaEvents, loadSlaInputs, supervisorsOf, upsertTicketSla, type SlaInputs, type TicketSlaRow,
} from '../../db/repositories/sla-state.ts';
import { computeSla, type SlaState } from './clock.ts';
import { TWENTY_FOUR_SEVEN, type Calendar } from './calendar.ts';
import { matchPolicy, targetsFor, type SlaPolicy } from './policy.ts';
import type { SlaView } from './view.ts';
import type { TicketPriority } from '../tickets/lifecycle.ts';

export const SLA_CHECK_JOB = 'sla.check';
export const SLA_NOTIFY_JOB = 'sla.notify';
export const SLA_RECOMPUTE_JOB = 'sla.recompute';

export interface SlaDeps {
  db: Db;
  now: Date;
  jobs?: Jobs;
  actor: Actor;
}

async function calendarOf(db: Db, policy: SlaPolicy): Promise<Calendar> {
  if (!policy.calendarId) return TWENTY_FOUR_SEVEN;
  const id = policy.calendarId;
  return (await db.cached(`calendar:${id}`, (c) => getCalendar(c, id))) ?? TWENTY_FOUR_SEVEN;
}

/** The active SLA policies in order (from the configuration cache). */
function activePolicies(db: Db) {
  return db.cached('sla-policies', listActivePolicies);
}

function facts(i: SlaInputs) {
  return {
    priority: i.priority, category: i.category, tier: i.tier,
    organization: i.org_id ? { id: i.org_id, name: i.org_name! } : null,
    group: i.group_slug, source: i.source, channel: i.channel, tags: i.tags,
  };
}

function timeline(i: SlaInputs) {
  return {
    createdAt: new Date(i.created_at),
    statuses: i.statuses.map((s) => ({ at: new Date(s.at), to: s.to })),
    messages: i.messages.map((m) => ({ at: new Date(m.at), by: m.by })),
  };
}

/** The policy applying to the ticket: the stored one, or a fresh match when `rematch` (or none is stored). */
function policyFor(policies: SlaPolicy[], i: SlaInputs, rematch: boolean): SlaPolicy | undefined {
  if (!rematch && i.policy_id) {
    const kept = policies.find((p) => p.id === i.policy_id);
    if (kept) return kept;
  }
  return matchPolicy(policies, facts(i));
}

export async function computeFor(db: Db, i: SlaInputs, policy: SlaPolicy, now: Date): Promise<SlaState & { calendar: Calendar }> {
  const minutes = { ...targetsFor(policy, i.priority as TicketPriority), warnAtPercent: policy.warnAtPercent };
  const calendar = await calendarOf(db, policy);
  return { ...computeSla(minutes, calendar, timeline(i), now), calendar };
}

/** The API's view of a stored state (what reading the ticket back would give). */
function viewOf(row: TicketSlaRow, policy: SlaPolicy, state: SlaState & { calendar: Calendar }): SlaView {
  return {
    policyId: policy.id, policyName: policy.name, responseDue: row.response_due, resolutionDue: row.resolution_due,
    responseMet: row.response_met, resolutionMet: row.resolution_met, paused: row.paused, state: row.state,
    targets: JSON.parse(JSON.stringify(state.targets)),
    calendar: state.calendar === TWENTY_FOUR_SEVEN ? null : state.calendar,
  };
}

/**
 * Recomputes a ticket's SLA inside the caller's transaction. With `rematch`
 * (creation, or a change of priority, category, group or the requester's
 * tier) the policy is chosen again; a different policy is written to history.
 * Returns the stored row (null when no policy applies).
 */
export async function refreshSla(
  d: SlaDeps,
  ticketId: string,
  opts: { rematch: boolean; created?: boolean; hasSla?: boolean },
): Promise<SlaView | null> {
  const policies = await activePolicies(d.db);
  if (policies.length === 0) {
    // no SLA in use: a policy switched off since may have left a row to clear (`hasSla`: the caller
    // knows whether the ticket has one; a ticket just created has none)
    if (!opts.created && opts.hasSla !== false) await deleteTicketSla(d.db, ticketId);
    return null;
  }
  const inputs = await loadSlaInputs(d.db, ticketId);
  if (!inputs) return null;
  const policy = policyFor(policies, inputs, opts.rematch || !inputs.policy_id);
  if (policy?.id !== (inputs.policy_id ?? undefined) && !opts.created && (policy || inputs.policy_id)) {
    await insertHistory(
      d.db,
      [{
        ticketId, changedBy: d.actor.id, actorType: d.actor.type, changeType: 'updated', field: 'sla_policy',
        changedFrom: { policyId: inputs.policy_id, policyName: inputs.policy_name },
        changedTo: { policyId: policy?.id ?? null, policyName: policy?.name ?? null },
        comment: policy ? `SLA policy "${policy.name}" applies; deadlines recomputed` : 'No SLA policy applies any more',
      }],
      d.now,
    );
  }
  if (!policy) {
    if (inputs.policy_id || inputs.has_sla) await deleteTicketSla(d.db, ticketId);
    return null;
  }
  const state = await computeFor(d.db, inputs, policy, d.now);
  const row = await upsertTicketSla(d.db, ticketId, policy, state, d.now);
  await schedule(d, ticketId, state.nextCheckAt, inputs.next_check_at);
  return viewOf(row, policy, state);
}

async function schedule(d: SlaDeps, ticketId: string, next: Date | null, previous: Date | null): Promise<void> {
  if (!d.jobs || !next) return;
  if (previous && new Date(previous).getTime() === next.getTime()) return;
  // One job per deadline instant; a job for an instant that moved finds nothing due and does nothing.
  await d.jobs.send(d.db, SLA_CHECK_JOB, { ticketId }, { startAfter: next, singletonKey: `${ticketId}:${next.toISOString()}` });
}

export interface CheckResult {
  recorded: { kind: 'warning' | 'breach'; target: string; dueAt: Date }[];
}

/**
 * The `sla.check` job: records every warning and breach whose instant has
 * passed (once — the unique key absorbs duplicate and late runs), runs the
 * escalation of each new breach, stores the new state and schedules the next check.
 * `escalate` is the routing issue's hook (raise priority, move to a group).
 */
export async function checkSla(
  deps: { db: Db; clock: Clock; jobs?: Jobs },
  ticketId: string,
  escalate: (db: Db, ticketId: string, action: { raisePriority?: boolean; group?: string; reason: string }) => Promise<void>,
): Promise<CheckResult> {
  return deps.db.transaction(async (db) => {
    const now = deps.clock.now();
    await db.query('SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE', [ticketId]);
    const inputs = await loadSlaInputs(db, ticketId);
    if (!inputs?.policy_id) return { recorded: [] };
    const policy = policyFor(await activePolicies(db), inputs, false);
    if (!policy) return { recorded: [] };
    const state = await computeFor(db, inputs, policy, now);
    const recorded = await insertSlaEvents(db, ticketId, policy.id, state.passed, now);
    await upsertTicketSla(db, ticketId, policy, state, now);
    const d: SlaDeps = { db, now, jobs: deps.jobs, actor: SYSTEM_ACTOR };
    await schedule(d, ticketId, state.nextCheckAt, inputs.next_check_at);
    const breaches = recorded.filter((e) => e.kind === 'breach');
    for (const b of breaches) {
      const label = b.target.replace('_', ' ');
      const e = policy.escalation ?? {};
      if (e.raisePriority || e.moveToGroup) {
        await escalate(db, ticketId, {
          raisePriority: e.raisePriority, group: e.moveToGroup,
          reason: `SLA breach: ${label} was due ${b.dueAt.toISOString()} (policy "${policy.name}")`,
        });
      }
      if (e.notify && deps.jobs) {
        const recipients = await supervisorsOf(db, ticketId);
        await deps.jobs.send(db, SLA_NOTIFY_JOB, { ticketId, target: b.target, dueAt: b.dueAt.toISOString(), policy: policy.name, recipients });
      }
    }
    return { recorded };
  });
}
