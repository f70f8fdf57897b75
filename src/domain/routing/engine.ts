/**
 * Routing against the database: loads what the chooser needs, then claims the
 * first candidate whose row lock confirms it is still online and under
 * capacity. Load is read under that lock from the per-agent counts the database
 * keeps in every transaction that writes tickets (agent_loads, migration 0015 —
 * never bumped by the application), so concurrent assignments in any number of
 * processes cannot push an agent over capacity.
 *
 * Lock order (what makes this deadlock-free): a transaction that may wait takes
 * a round-robin cursor first, then at most one agent row at a time (a full
 * agent's lock is released before waiting for another). The claim — cursor,
 * agent locks, load reads, the assignment record — is one server-side function
 * (`triage_route_claim`, migration 0007), called after the pool snapshot by
 * `triage_route` (migration 0015), so a decision costs one round trip.
 * Everything else that holds an agent row —
 * queue draining, an agent going offline, re-dispatching a ticket inside another
 * command — claims tickets, cursors and agents with SKIP LOCKED and so never
 * waits while holding it.
 */
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import { SYSTEM_ACTOR, type Actor } from '../context.ts';
import {
  assignQueuedTickets, claimQueuedTickets, countLoad, loadRoutingConfig, lockAgent, lockOpenTicketsOf, route,
  getSetting, requesterHistory, type RequesterHistory, type RoutingConfigRow,
} from '../../db/repositories/routing.ts';
import { insertHistory, type HistoryEntry } from '../../db/repositories/conversation.ts';
import { updateTicketRow } from '../../db/repositories/tickets.ts';
import {
  explain, markCandidates, planFor, rankCandidates, recordCandidates, type Candidate, type Method, type Plan, type PoolAgent, type Reason,
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
  /** the chosen agent, those passed over with their reason, the next eligible ones (recordCandidates) */
  candidates: Candidate[];
  /** candidates considered but not listed: eligible agents further down the strategy's order */
  unlisted: number;
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
  /** every candidate considered, with its reason (the simulator shows them all) */
  candidates: Candidate[];
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

/**
 * Rules, category skills and settings (from the configuration cache) and the
 * requester's history for one ticket. `history` is passed by a caller that read
 * it already (createTicket reads it with the requester); a requester not yet
 * known has none.
 */
export async function loadRoutingContext(
  db: Db,
  q: { category: string; subcategory: string | null; requesterId: string | null; now: Date; history?: RequesterHistory },
): Promise<RoutingContext> {
  const config = await db.cached('routing', loadRoutingConfig);
  const priority = withDefaults(DEFAULT_PRIORITY_SETTINGS, config.priority);
  const history = q.history
    ?? (q.requesterId ? await requesterHistory(db, q.requesterId, priority.recentWindowDays, q.now) : { recentTickets: 0, lastTicketAt: null });
  return {
    rules: config.rules,
    categorySkills: categorySkillsFor(config.category_skills, q.category, q.subcategory),
    routing: withDefaults(DEFAULT_ROUTING_SETTINGS, config.routing),
    priority,
    recentTickets: history.recentTickets,
    lastTicketAt: history.lastTicketAt,
  };
}

/** The priority calculator's settings (from the configuration cache). */
export async function prioritySettings(db: Db): Promise<PrioritySettings> {
  return withDefaults(DEFAULT_PRIORITY_SETTINGS, (await db.cached('routing', loadRoutingConfig)).priority);
}

/** The skills of a subcategory's own row, else of its category's ('' subcategory) row, else none. */
function categorySkillsFor(rows: RoutingConfigRow['category_skills'], category: string, subcategory: string | null): string[] {
  const own = subcategory ? rows.find((r) => r.category === category && r.subcategory === subcategory) : undefined;
  return (own ?? rows.find((r) => r.category === category && r.subcategory === ''))?.skills ?? [];
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
  const r = await route(db, {
    groupSlug: plan.group,
    scope: specific ? 'agent' : plan.group ? 'group' : 'all',
    agentId: plan.agentId,
    skills: plan.skills,
    method: plan.method,
    autoAssign: plan.autoAssign,
    exclude: [...(opts.exclude ?? [])],
    mode: opts.mode,
    now,
  });
  const groupId = r.group?.id ?? null;
  // A rule naming a group that no longer exists routes as if it named none.
  const effective: Plan = { ...plan, group: r.group?.slug ?? null };
  if (opts.mode === 'none') {
    const { order, candidates } = rankCandidates(effective, r.pool, r.cursor, opts.exclude);
    return finish(order[0] ?? null, candidates, order);
  }
  const snapshot = rankCandidates(effective, r.pool, null, opts.exclude);
  // No claim: nobody eligible in the pool (everyone offline, busy or full) — the ticket waits in the
  // queue, and neither the scope's cursor nor any agent row was locked: the common case in a busy
  // team, and one that must not serialize ticket creation. A slot freed meanwhile is filled by the
  // queue drain that follows the change that freed it, or by the periodic routing sweep.
  // 'cursor_locked': another transaction holds the round-robin cursor and this one may not wait.
  const claim = r.claim;
  if (!claim || claim === 'cursor_locked') return finish(null, snapshot.candidates, snapshot.order);
  const candidates = snapshot.candidates.map((c) => ({ ...c }));
  const byId = new Map(candidates.map((c) => [c.agentId, c]));
  for (const t of claim.tried) {
    const c = byId.get(t.id);
    if (!c) continue;
    c.reason = t.reason;
    c.eligible = false;
    if (t.load !== null) c.load = t.load;
  }
  const got = claim.agent;
  if (!got) return finish(null, candidates, snapshot.order);
  const c = byId.get(got.id);
  if (c) Object.assign(c, { eligible: true, reason: 'eligible' as Reason, load: got.load });
  const a = r.pool.find((p) => p.id === got.id)!;
  return finish({ ...a, load: got.load, email: got.email, role: got.role }, candidates, snapshot.order);

  function finish(agent: (PoolAgent & { email?: string; role?: string }) | null, all: Candidate[], order: PoolAgent[]): Decision {
    const ids = order.map((o) => o.id);
    const recorded = recordCandidates(all, agent?.id ?? null, ids);
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
        candidates: recorded.candidates,
        unlisted: recorded.unlisted,
      },
      candidates: markCandidates(all, agent?.id ?? null, ids),
      explanation: explain(effective, agent, all),
      ms: performance.now() - started,
    };
  }
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
      unlisted: d.record.unlisted,
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
      candidates: [{ agentId, name: agent.name, eligible: true, reason: 'chosen', load, capacity: agent.capacity }], unlisted: 0,
    };
    await assignQueuedTickets(db, ids, agentId, record, now);
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
