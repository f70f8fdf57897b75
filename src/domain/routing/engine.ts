/**
 * Routing against the database: loads what the chooser needs, then claims the
 * first candidate whose row lock confirms it is still online and under
 * capacity. Load is always counted from tickets under that lock, never read
 * from a counter, so concurrent assignments in any number of processes cannot
 * push an agent over capacity.
 *
 * Lock order (what makes this deadlock-free): a transaction that may wait takes
 * a round-robin cursor first, then at most one agent row at a time (a full
 * agent's lock is released by rolling back to a savepoint before waiting for
 * another). Everything else that holds an agent row — queue draining, an agent
 * going offline, re-dispatching a ticket inside another command — claims
 * tickets, cursors and agents with SKIP LOCKED and so never waits while holding it.
 */
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import { SYSTEM_ACTOR, type Actor } from '../context.ts';
import {
  assignQueuedTickets, claimQueuedTickets, countLoad, loadPool, loadRoutingConfig, lockAgent, lockCursor, lockOpenTicketsOf,
  recordAssignment, getSetting, type LockedAgent,
} from '../../db/repositories/routing.ts';
import { insertHistory, type HistoryEntry } from '../../db/repositories/conversation.ts';
import { updateTicketRow } from '../../db/repositories/tickets.ts';
import {
  explain, planFor, rankCandidates, recordCandidates, type Candidate, type Method, type Plan, type PoolAgent, type Reason,
  type TicketFacts,
} from './chooser.ts';
import { DEFAULT_PRIORITY_SETTINGS, type PrioritySettings } from './priority.ts';
import { DEFAULT_ROUTING_SETTINGS, withDefaults, type RoutingSettings } from './settings.ts';

/** The routing decision as kept on the ticket (`assignment`) and in its history. */
export interface AssignmentRecord {
  method: Method;
  ruleId: string | null;
  ruleName: string | null;
  decidedAt: string;
  agentId: string | null;
  group: string | null;
  queued: boolean;
  candidates: Candidate[];
}

export interface Decision {
  /** the agent given the ticket; email and role are known when it was claimed (not in a simulation) */
  agent: { id: string; name: string; email?: string; role?: string } | null;
  groupId: string | null;
  group: string | null;
  /** the ticket waits for an agent (drained when one frees up) */
  queued: boolean;
  /** skills the ticket needs from an agent (kept for when it waits in the queue again) */
  skills: string[];
  /** a queued ticket only this agent may take (specific_agent away, and no group to fall back on) */
  reservedFor: string | null;
  /** the ticket sits in a queue agents pick from by hand */
  manualQueue: boolean;
  record: AssignmentRecord;
  explanation: string;
  /** how long the decision took, lock waits included */
  ms: number;
}

export interface RoutingContext {
  rules: Parameters<typeof planFor>[0];
  categorySkills: string[];
  routing: RoutingSettings;
  priority: PrioritySettings;
  recentTickets: number;
  lastTicketAt: Date | null;
}

/** Rules, category skills, settings and the requester's history for one ticket (one round trip). */
export async function loadRoutingContext(
  db: Db,
  q: { category: string; subcategory: string | null; requesterId: string | null; now: Date },
): Promise<RoutingContext> {
  const row = await loadRoutingConfig(db, q);
  return {
    rules: row.rules,
    categorySkills: row.category_skills,
    routing: withDefaults(DEFAULT_ROUTING_SETTINGS, row.routing),
    priority: withDefaults(DEFAULT_PRIORITY_SETTINGS, row.priority),
    recentTickets: row.recent_tickets,
    lastTicketAt: row.last_ticket_at,
  };
}

/**
 * How a decision may take locks:
 * - 'wait': may wait for a cursor or an agent row (ticket creation, which holds nothing else);
 * - 'skip': never waits — used inside commands that already hold other rows;
 *   a busy cursor or agent is passed over and the ticket waits in the queue;
 * - 'none': takes no lock and changes nothing (the simulator).
 */
export type LockMode = 'wait' | 'skip' | 'none';

/** Decides who gets a ticket with this plan; with a locking mode, claims the agent (its row stays locked). */
export async function decide(
  db: Db,
  now: Date,
  plan: Plan,
  opts: { mode: LockMode; exclude?: ReadonlySet<string> },
): Promise<Decision> {
  const started = performance.now();
  const specific = plan.method === 'specific_agent';
  const { group, pool } = await loadPool(db, {
    groupSlug: plan.group,
    scope: specific ? 'agent' : plan.group ? 'group' : 'all',
    agentId: plan.agentId,
    skills: plan.skills,
  });
  const groupId = group?.id ?? null;
  // A rule naming a group that no longer exists routes as if it named none.
  const effective: Plan = { ...plan, group: group?.slug ?? null };
  const scope = effective.method === 'round_robin' && effective.autoAssign ? (groupId ? `group:${groupId}` : 'all') : null;
  let cursor: string | null = null;
  if (scope) {
    if (opts.mode === 'none') cursor = await readCursor(db, scope);
    else {
      const c = await lockCursor(db, scope, now, opts.mode === 'skip');
      if (c === 'locked') return finish(null, rankCandidates(effective, pool, null, opts.exclude).candidates);
      cursor = c;
    }
  }
  const { order, candidates } = rankCandidates(effective, pool, cursor, opts.exclude);
  let chosen: (PoolAgent & { email?: string; role?: string }) | null = null;
  if (opts.mode === 'none') chosen = order[0] ?? null;
  else {
    chosen = await claimFirst(db, effective, groupId, order, candidates, opts.mode === 'wait' && effective.method === 'round_robin', opts.mode);
    if (chosen) await recordAssignment(db, chosen.id, scope, now);
  }
  return finish(chosen, candidates);

  function finish(agent: (PoolAgent & { email?: string; role?: string }) | null, all: Candidate[]): Decision {
    const recorded = recordCandidates(all, agent?.id ?? null);
    const queued = !agent && effective.autoAssign;
    return {
      agent: agent ? { id: agent.id, name: agent.name, email: agent.email, role: agent.role } : null,
      groupId,
      group: effective.group,
      queued,
      skills: effective.skills,
      reservedFor: queued && effective.method === 'specific_agent' && !groupId ? effective.agentId : null,
      manualQueue: !effective.autoAssign,
      record: {
        method: effective.method,
        ruleId: effective.ruleId,
        ruleName: effective.ruleName,
        decidedAt: now.toISOString(),
        agentId: agent?.id ?? null,
        group: effective.group,
        queued,
        candidates: recorded,
      },
      explanation: explain(effective, agent, all),
      ms: performance.now() - started,
    };
  }
}

async function readCursor(db: Db, scope: string): Promise<string | null> {
  return (await db.query<{ last_agent_id: string | null }>('SELECT last_agent_id FROM routing_cursors WHERE scope = $1', [scope])).rows[0]
    ?.last_agent_id ?? null;
}

/**
 * Tries the candidates in order: lock the agent's row, re-check presence and
 * skills, count the load. The first still under capacity is kept locked.
 * Round robin (with `waitEach`) waits for each agent in turn, releasing a full
 * one before the next; the other strategies first take agents nobody holds
 * (SKIP LOCKED), and only in 'wait' mode then wait for the ones that were busy.
 * `candidates` get the reason found under the lock.
 */
async function claimFirst(
  db: Db,
  plan: Plan,
  groupId: string | null,
  order: PoolAgent[],
  candidates: Candidate[],
  waitEach: boolean,
  mode: 'wait' | 'skip',
): Promise<(PoolAgent & { email: string; role: string }) | null> {
  if (order.length === 0) return null;
  const byId = new Map(candidates.map((c) => [c.agentId, c]));
  const mark = (id: string, reason: Reason, load?: number) => {
    const c = byId.get(id);
    if (!c) return;
    c.reason = reason;
    c.eligible = reason === 'eligible';
    if (load !== undefined) c.load = load;
  };
  type Claimed = PoolAgent & { email: string; role: string };
  const tryAgent = async (a: PoolAgent, skipLocked: boolean): Promise<Claimed | 'locked' | null> => {
    const locked = await lockAgent(db, a.id, skipLocked);
    if (locked === 'locked') return 'locked';
    const reason = recheck(locked, plan, groupId);
    if (reason !== 'eligible') {
      mark(a.id, reason);
      return null;
    }
    const load = await countLoad(db, a.id);
    if (load >= locked!.capacity) {
      mark(a.id, 'at_capacity', load);
      return null;
    }
    mark(a.id, 'eligible', load);
    return { ...a, load, email: locked!.email, role: locked!.role };
  };
  await db.query('SAVEPOINT routing_claim');
  const busy: PoolAgent[] = [];
  for (const a of order) {
    const got = await tryAgent(a, !waitEach);
    if (got === 'locked') busy.push(a);
    else if (got) return got;
    else if (waitEach) await db.query('ROLLBACK TO SAVEPOINT routing_claim');
  }
  if (mode === 'wait' && busy.length) {
    // Release every full agent taken so far before waiting: a transaction never
    // waits for an agent while holding another.
    await db.query('ROLLBACK TO SAVEPOINT routing_claim');
    for (const a of busy) {
      const got = await tryAgent(a, false);
      if (got && got !== 'locked') return got;
      await db.query('ROLLBACK TO SAVEPOINT routing_claim');
    }
  }
  return null;
}

function recheck(a: LockedAgent | undefined, plan: Plan, groupId: string | null): Reason {
  if (!a || !a.active) return 'inactive';
  if (a.status !== 'online') return a.status;
  if (plan.method !== 'specific_agent' && groupId && !a.groups.includes(groupId)) return 'not_in_group';
  if (!plan.skills.every((s) => a.skills.includes(s))) return 'missing_skill';
  return 'eligible';
}

/** The plan for a new ticket from the rules (the first match, else round robin over everyone). */
export function planNewTicket(ctx: RoutingContext, facts: TicketFacts): Plan {
  return planFor(ctx.rules, facts, ctx.categorySkills);
}

/**
 * The plan for a ticket that lost its agent (unassigned, moved to a group,
 * reopened without one): round robin within its group, with the skills it needs.
 */
export function planRedispatch(t: { group: string | null; skills: string[]; queueOnly: boolean }): Plan {
  return {
    ruleId: null, ruleName: null, method: 'round_robin', group: t.group, agentId: null, skills: t.skills, autoAssign: !t.queueOnly,
    origin: 'redispatch',
  };
}

/** History row of a routing decision (`assigned`, with method and candidates). */
export function decisionHistory(
  ticket: { id: string; assigneeId: string | null; groupId: string | null },
  d: Decision,
  actor: Actor,
): HistoryEntry {
  return {
    ticketId: ticket.id,
    changedBy: actor.id,
    actorType: actor.type,
    changeType: 'assigned',
    field: 'assignee',
    changedFrom: { assigneeId: ticket.assigneeId, groupId: ticket.groupId },
    changedTo: {
      assigneeId: d.agent?.id ?? null,
      groupId: d.groupId,
      group: d.group,
      ...(d.agent ? { assigneeName: d.agent.name } : {}),
      method: d.record.method,
      ruleId: d.record.ruleId,
      queued: d.queued,
      candidates: d.record.candidates,
    },
    comment: d.explanation,
  };
}

/**
 * Fills an agent's free capacity from the queue: the oldest most urgent waiting
 * tickets they may take (their groups or none; skills they hold). Runs in its
 * own transaction after the command that freed the slot (or brought the agent
 * online) has committed, so it holds nothing else while it waits for the agent's row.
 * Returns the ids of the tickets assigned.
 */
export async function drainQueue(
  deps: { db: Db; clock: Clock },
  agentId: string,
  opts: { skipLocked?: boolean; actor: Actor },
): Promise<string[]> {
  return deps.db.transaction(async (db) => {
    const now = deps.clock.now();
    const agent = await lockAgent(db, agentId, opts.skipLocked ?? false);
    if (!agent || agent === 'locked' || !agent.active || agent.status !== 'online') return [];
    if (!withDefaults(DEFAULT_ROUTING_SETTINGS, await getSetting(db, 'routing')).enabled) return [];
    const load = await countLoad(db, agentId);
    const free = agent.capacity - load;
    if (free <= 0) return [];
    const tickets = await claimQueuedTickets(db, { id: agentId, groupIds: agent.groups, skills: agent.skills }, free);
    if (tickets.length === 0) return [];
    const ids = tickets.map((t) => t.id);
    const record: AssignmentRecord = {
      method: 'queue_drain', ruleId: null, ruleName: null, decidedAt: now.toISOString(), agentId, group: null, queued: false,
      candidates: [{ agentId, name: agent.name, eligible: true, reason: 'chosen', load, capacity: agent.capacity }],
    };
    await assignQueuedTickets(db, ids, agentId, record, now);
    await recordAssignment(db, agentId, null, now);
    await insertHistory(
      db,
      tickets.map((t, i) => ({
        ticketId: t.id,
        changedBy: opts.actor.id,
        actorType: opts.actor.type,
        changeType: 'assigned' as const,
        field: 'assignee',
        changedFrom: { assigneeId: null, groupId: t.assignee_group_id },
        changedTo: { assigneeId: agentId, groupId: t.assignee_group_id, assigneeName: agent.name, method: 'queue_drain', ruleId: null, queued: false, candidates: record.candidates },
        comment: `Queue drain: ${agent.name} had a free slot (${load + i} of ${agent.capacity} open)`,
      })),
      now,
    );
    return ids;
  });
}

/**
 * Drains the queue for an agent after a change of theirs or of one of their
 * tickets has committed. Inside a caller's transaction (an Idempotency-Key
 * request) it joins it and passes over a busy agent row instead of waiting.
 * A failure is logged, not thrown: the change itself has committed, and the
 * periodic routing sweep fills the slot later.
 */
export async function drainAfterCommit(ctx: { db: Db; clock: Clock; log?: { warn(obj: object, msg: string): void } }, agentId: string): Promise<string[]> {
  try {
    return await drainQueue(ctx, agentId, { skipLocked: ctx.db.inTransaction, actor: SYSTEM_ACTOR });
  } catch (err) {
    ctx.log?.warn({ err, agentId }, 'queue drain after a change failed; the routing sweep will retry');
    return [];
  }
}

/**
 * Returns an agent's open tickets to the queue (when they go offline and the
 * routing settings say so), each routed again at once to another agent of its
 * group when one is free. Tickets other transactions hold are left for the
 * periodic sweep. Returns how many tickets were returned.
 */
export async function returnTicketsToQueue(db: Db, now: Date, agentId: string, actor: Actor): Promise<number> {
  const tickets = await lockOpenTicketsOf(db, agentId);
  for (const t of tickets) {
    const d = await decide(db, now, planRedispatch({ group: t.group, skills: t.routing_skills, queueOnly: t.manual_queue }), {
      mode: 'skip',
      exclude: new Set([agentId]),
    });
    await updateTicketRow(
      db,
      t.id,
      { assignee_id: d.agent?.id ?? null, queued_at: d.queued ? now : null, assignment: d.record, routing_agent_id: null },
      now,
    );
    const h = decisionHistory({ id: t.id, assigneeId: agentId, groupId: t.assignee_group_id }, d, actor);
    h.comment = `Returned to the queue: the assignee went offline. ${d.explanation}`;
    await insertHistory(db, [h], now);
  }
  return tickets.length;
}
