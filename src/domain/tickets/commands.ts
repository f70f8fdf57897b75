import type { Ctx } from '../context.ts';
import { Errors } from '../errors.ts';
import { can, require } from '../auth/policies.ts';
import { assertTransition, lifecycleTimestamps, statusChangeType, type TicketPriority, type TicketSource, type TicketStatus } from './lifecycle.ts';
import { findOrCreateOrganization, findOrCreateRequester } from '../../db/repositories/people.ts';
import { getAgent, getGroupBySlug } from '../../db/repositories/agents.ts';
import {
  findTicketId, getTicketView, insertTicket, lockTicket, updateTicketRow,
  type TicketChanges, type TicketRow, type TicketViewRow,
} from '../../db/repositories/tickets.ts';
import { insertAttachment, insertComment, insertHistory, type CommentRow, type HistoryEntry } from '../../db/repositories/conversation.ts';
import type { StoredFile } from '../../platform/storage.ts';
import { SYSTEM_ACTOR } from '../context.ts';
import { scorePriority, type PriorityScore } from '../routing/priority.ts';
import { WAITING_STATUSES, DEFAULT_ROUTING_SETTINGS, withDefaults } from '../routing/settings.ts';
import {
  decide, decisionHistory, drainAfterCommit, loadRoutingContext, planNewTicket, planRedispatch, prioritySettings, type AssignmentRecord, type Decision,
} from '../routing/engine.ts';
import type { TicketFacts } from '../routing/chooser.ts';
import { getSetting, groupSlug } from '../../db/repositories/routing.ts';
import { refreshSla } from '../sla/engine.ts';
import { queueReplyMail } from '../email/outbound.ts';

/** author_id / uploaded_by of what Triage itself writes (a bounce note, an e-mail's attachments): the nil UUID. */
export const SYSTEM_AUTHOR_ID = '00000000-0000-0000-0000-000000000000';

export interface CreateTicketInput {
  subject: string;
  description: string;
  requester: { name: string; email: string; phone?: string; organization?: string };
  category: string;
  subcategory?: string;
  priority?: TicketPriority;
  source: TicketSource;
  channel?: string;
  tags?: string[];
  customFields?: Record<string, unknown>;
  dueDate?: Date | null;
  externalId?: string;
  /** the earlier ticket (UUID or number) this one follows up */
  followUpOf?: string;
}

/**
 * Tags are a set: stored trimmed, lower-cased, without duplicates and sorted, so
 * that sending the same tags in another order is no change (no history row, no new version).
 */
export function normalizeTags(tags: string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))].sort();
}

/**
 * Opens a ticket for a requester (found or created by e-mail), writes its
 * `created` history row, and stores its attachments, in one transaction.
 * `followUpOf` (UUID or number) links it to an earlier ticket, typically a
 * closed one, which can itself no longer change.
 */
export async function createTicket(ctx: Ctx, input: CreateTicketInput, files: StoredFile[] = []): Promise<TicketViewRow> {
  require(can.workTickets(ctx.actor));
  const now = ctx.clock.now();
  return ctx.db.transaction(async (db) => {
    const followUpOf = input.followUpOf ? await resolveFollowUp(db, input.followUpOf) : null;
    const { recentWindowDays } = await prioritySettings(db);
    const { created: _created, history, ...requester } = await resolveRequester(db, input.requester, now, recentWindowDays);
    const tags = normalizeTags(input.tags);
    const routing = await loadRoutingContext(db, {
      category: input.category, subcategory: input.subcategory ?? null, requesterId: requester.id, now, history,
    });
    const score = scorePriority(
      {
        tier: requester.tier, category: input.category, subject: input.subject, description: input.description,
        attachments: files.length, recentTickets: routing.recentTickets, lastTicketAt: routing.lastTicketAt, now,
        explicit: input.priority,
      },
      routing.priority,
    );
    const priority = score.priority;
    const facts: TicketFacts = {
      category: input.category, subcategory: input.subcategory ?? null, priority, tier: requester.tier,
      organization: requester.organizationId ? { id: requester.organizationId, name: requester.organization! } : null,
      source: input.source, channel: input.channel ?? null, tags, subject: input.subject, description: input.description,
    };
    const decision = routing.routing.enabled ? await decide(db, now, planNewTicket(routing, facts), { mode: 'wait' }) : null;
    const assigned = decision ? decisionHistory({ id: '', assigneeId: null, groupId: null }, decision, SYSTEM_ACTOR) : null;
    const ticket = await insertTicket(
      db,
      {
        subject: input.subject,
        description: input.description,
        status: 'new',
        priority,
        category: input.category,
        subcategory: input.subcategory ?? null,
        requesterId: requester.id,
        assigneeId: decision?.agent?.id ?? null,
        assigneeGroupId: decision?.groupId ?? null,
        source: input.source,
        channel: input.channel ?? null,
        tags,
        customFields: input.customFields ?? {},
        dueDate: input.dueDate ?? null,
        externalId: input.externalId ?? null,
        followUpOf,
        createdBy: ctx.actor.id,
        priorityScore: score.score,
        priorityFactors: priorityRecord(score),
        queuedAt: decision?.queued ? now : null,
        routingSkills: decision?.skills ?? [],
        routingAgentId: decision?.reservedFor ?? null,
        manualQueue: decision?.manualQueue ?? false,
        assignment: decision?.record ?? null,
      },
      {
        changedBy: ctx.actor.id,
        actorType: ctx.actor.type,
        changedTo: {
          subject: input.subject, status: 'new', priority, category: input.category, source: input.source,
          requesterId: requester.id, tags, priorityScore: score.score,
          ...(followUpOf ? { followUpOf } : {}),
          ...(files.length ? { attachments: files.length } : {}),
        },
        ...(assigned ? { assigned: { changedFrom: assigned.changedFrom, changedTo: assigned.changedTo, comment: assigned.comment ?? null } } : {}),
      },
      now,
    );
    for (const f of files) await insertAttachment(db, fileRow(ctx, ticket.id, null, f), now);
    const sla = await refreshSla({ db, now, jobs: ctx.jobs, actor: ctx.actor }, ticket.id, { rematch: true, created: true });
    // The view is built from what we hold: the row, the requester, the agent claimed (online, row locked), the SLA.
    const agent = decision?.agent;
    const assignee = agent ? { id: agent.id, name: agent.name, email: agent.email!, role: agent.role!, status: 'online' } : null;
    return { ...ticket, requester, assignee, assignee_group: decision?.group ?? null, routing_ms: decision?.ms, sla };
  });
}

/** The priority calculator's result as kept on the ticket. */
function priorityRecord(score: PriorityScore) {
  return { score: score.score, calculated: score.calculated, source: score.source, factors: score.factors };
}

/** The requester, found by e-mail or created (with their organization, found or created by name). */
async function resolveRequester(db: Ctx['db'], r: CreateTicketInput['requester'], now: Date, historyWindowDays: number) {
  const organization = r.organization ? await findOrCreateOrganization(db, r.organization, now) : null;
  return findOrCreateRequester(db, { name: r.name, email: r.email, phone: r.phone, organization }, now, { historyWindowDays });
}

/** The id of the ticket a follow-up links to; 404 when there is none. */
async function resolveFollowUp(db: Ctx['db'], ref: string): Promise<string> {
  const id = await findTicketId(db, ref);
  if (!id) throw Errors.notFound('ticket', ref);
  return id;
}

export interface UpdateTicketInput {
  subject?: string;
  description?: string;
  status?: TicketStatus;
  priority?: TicketPriority;
  category?: string;
  subcategory?: string | null;
  tags?: string[];
  customFields?: Record<string, unknown>;
  dueDate?: Date | null;
  assigneeId?: string | null;
  /** a group's slug (null: no group), as assignTicket */
  group?: string | null;
  /** tags added to / removed from the ticket's tags as they are under the row lock (after `tags`), so concurrent changes lose none */
  addTags?: string[];
  removeTags?: string[];
}

/** Plain fields: API name → column. Each change is its own `updated` history row. */
const PLAIN_FIELDS = {
  subject: 'subject',
  description: 'description',
  priority: 'priority',
  category: 'category',
  subcategory: 'subcategory',
  tags: 'tags',
  customFields: 'custom_fields',
  dueDate: 'due_date',
} as const;

/**
 * Changes a ticket's fields, status and assignee in one transaction, one
 * history row per change. `expectedVersion` (from If-Match) makes a stale
 * write fail with 412 instead of overwriting someone else's change.
 */
export async function updateTicket(
  ctx: Ctx,
  ref: string,
  input: UpdateTicketInput,
  expectedVersion?: number,
): Promise<TicketViewRow> {
  return onTicket(ctx, ref, expectedVersion, async (db, ticket, now) => {
    const changes: TicketChanges = {};
    const history: HistoryEntry[] = [];
    const fields = input.addTags || input.removeTags ? { ...input, tags: editTags(input.tags ?? ticket.tags, input.addTags, input.removeTags) } : input;
    for (const [field, column] of Object.entries(PLAIN_FIELDS) as [keyof typeof PLAIN_FIELDS, keyof TicketRow][]) {
      let next = fields[field];
      if (next === undefined) continue;
      if (field === 'tags') next = normalizeTags(next as string[]);
      const prev = ticket[column];
      if (sameValue(prev, next)) continue;
      (changes as Record<string, unknown>)[column] = next;
      history.push(entry(ctx, ticket.id, 'updated', field, { [field]: prev }, { [field]: next }));
    }
    const newAgent = input.assigneeId !== undefined && (input.assigneeId !== ticket.assignee_id || input.group !== undefined);
    if (newAgent || input.group !== undefined) {
      const target = { ...(newAgent ? { agentId: input.assigneeId } : {}), ...(input.group !== undefined ? { group: input.group } : {}) };
      await applyAssignment(ctx, db, ticket, target, changes, history, { now, openIfNew: input.status === undefined });
    }
    if (input.status !== undefined && input.status !== ticket.status) {
      applyStatus(ctx, ticket, input.status, changes, history, now);
    }
    return { changes, history };
  });
}

/** `tags` with `add` added and `remove` taken away (normalized: a set, sorted). */
function editTags(tags: string[], add: string[] = [], remove: string[] = []): string[] {
  const gone = new Set(normalizeTags(remove));
  return normalizeTags([...tags, ...add]).filter((t) => !gone.has(t));
}

/**
 * Moves a ticket to `to` (resolve, close, reopen, cancel), enforcing the
 * lifecycle. Unlike a PATCH of the status, an action on a ticket already in
 * `to` is refused: resolving a resolved ticket or cancelling a cancelled one is
 * not a move the lifecycle has (a retried request should carry an Idempotency-Key).
 */
export async function changeStatus(
  ctx: Ctx,
  ref: string,
  to: TicketStatus,
  opts: { expectedVersion?: number; reason?: string; onlyFrom?: TicketStatus[] } = {},
): Promise<TicketViewRow> {
  return onTicket(ctx, ref, opts.expectedVersion, async (_db, ticket, now) => {
    if (ticket.status === to || (opts.onlyFrom && !opts.onlyFrom.includes(ticket.status))) throw Errors.transition(ticket.status, to);
    const changes: TicketChanges = {};
    const history: HistoryEntry[] = [];
    applyStatus(ctx, ticket, to, changes, history, now, opts.reason);
    return { changes, history };
  }, { allowFinal: false });
}

/**
 * Assigns a ticket to an agent and/or a group (by slug). Assigning an agent to
 * a `new` ticket opens it; moving to a group the assignee is not in unassigns it.
 */
export async function assignTicket(
  ctx: Ctx,
  ref: string,
  target: { agentId?: string | null; group?: string | null },
  expectedVersion?: number,
): Promise<TicketViewRow> {
  return onTicket(ctx, ref, expectedVersion, async (db, ticket, now) => {
    const changes: TicketChanges = {};
    const history: HistoryEntry[] = [];
    await applyAssignment(ctx, db, ticket, target, changes, history, { now, openIfNew: true });
    return { changes, history };
  });
}

/**
 * Adds a public reply or an internal note (with attachments). The first public
 * reply by an agent opens a `new` ticket. Closed and cancelled tickets take no comments.
 */
export async function addComment(
  ctx: Ctx,
  ref: string,
  input: CommentInput,
  files: StoredFile[] = [],
  expectedVersion?: number,
): Promise<{ ticket: TicketViewRow; comment: CommentRow }> {
  const { ticket, comment } = await commentOn(ctx, ref, input, files, expectedVersion, true);
  return { ticket: ticket!, comment };
}

/**
 * addComment for a caller that does not answer with the ticket (the e-mail
 * pipeline): the same transaction without re-reading the ticket's view.
 */
export async function appendComment(ctx: Ctx, ref: string, input: CommentInput, files: StoredFile[] = []): Promise<CommentRow> {
  return (await commentOn(ctx, ref, input, files, undefined, false)).comment;
}

type CommentInput = {
  content: string; isInternal?: boolean; from?: 'agent' | 'requester'; requesterId?: string;
  /** the e-mail the comment came in (stored with it: no second write) */
  email?: object;
};

async function commentOn(
  ctx: Ctx, ref: string, input: CommentInput, files: StoredFile[], expectedVersion: number | undefined, view: boolean,
): Promise<{ ticket: TicketViewRow | null; comment: CommentRow }> {
  let comment!: CommentRow;
  const fromRequester = input.from === 'requester';
  if (fromRequester && input.isInternal) {
    throw Errors.validation([{ path: 'isInternal', message: 'A message from the requester is always public' }]);
  }
  const ticket = await changeTicket(ctx, ref, expectedVersion, async (db, row, now) => {
    const isInternal = input.isInternal ?? false;
    comment = await insertComment(
      db,
      fromRequester
        ? { ticketId: row.id, authorId: input.requesterId ?? row.requester_id, authorType: 'requester', content: input.content, isInternal: false, email: input.email }
        : ctx.actor.type === 'system'
          ? { ticketId: row.id, authorId: SYSTEM_AUTHOR_ID, authorType: 'system', content: input.content, isInternal }
          : { ticketId: row.id, authorId: ctx.actor.id!, authorType: 'agent', content: input.content, isInternal },
      now,
    );
    comment.author_name = fromRequester ? null : ctx.actor.name;
    for (const f of files) await insertAttachment(db, fileRow(ctx, row.id, comment.id, f), now);
    // an agent's public reply is e-mailed to the requester: its job is enqueued in this transaction
    if (!fromRequester && !isInternal && ctx.actor.type === 'agent') comment.delivery = await queueReplyMail({ ...ctx, db }, row, comment, now);
    const changes: TicketChanges = {};
    const history: HistoryEntry[] = [
      entry(ctx, row.id, 'commented', null, null, {
        commentId: comment.id, isInternal, attachments: files.length, ...(fromRequester ? { from: 'requester' } : {}),
      }),
    ];
    if (fromRequester) {
      // the customer answered: a ticket waiting on them (or solved) is open again
      if (row.status === 'pending' || row.status === 'resolved') applyStatus(ctx, row, 'open', changes, history, now, 'the requester replied');
    } else if (!isInternal && row.status === 'new') applyStatus(ctx, row, 'open', changes, history, now, 'first public reply');
    return { changes, history, alwaysBump: true };
  }, { view });
  return { ticket, comment };
}

const PRIORITY_UP: Record<TicketPriority, TicketPriority> = { low: 'normal', normal: 'high', high: 'critical', critical: 'critical' };

/**
 * The escalation hook (called by the SLA engine on a breach): raises the
 * priority by one level and/or moves the ticket to a group, each change a
 * history row carrying `reason`. Moving to a group the assignee is not in
 * routes the ticket again within that group.
 */
export async function escalateTicket(
  ctx: Ctx,
  ref: string,
  action: { raisePriority?: boolean; group?: string; reason: string },
): Promise<TicketViewRow> {
  return onTicket(ctx, ref, undefined, async (db, ticket, now) => {
    const changes: TicketChanges = {};
    const history: HistoryEntry[] = [];
    if (action.raisePriority && ticket.priority !== 'critical') {
      changes.priority = PRIORITY_UP[ticket.priority];
      history.push(entry(ctx, ticket.id, 'updated', 'priority', { priority: ticket.priority }, { priority: changes.priority }, action.reason));
    }
    if (action.group) {
      await applyAssignment(ctx, db, ticket, { group: action.group }, changes, history, { now, openIfNew: false, reason: action.reason });
    }
    return { changes, history };
  });
}

// ---------------------------------------------------------------------------

type Mutation = { changes: TicketChanges; history: HistoryEntry[]; alwaysBump?: boolean };

/**
 * The frame of every command on an existing ticket: lock the row, check the
 * version and that the ticket is not final, let `fn` decide the changes, route
 * the ticket again if it lost its agent, then write the row and its history in
 * the same transaction. An agent the change freed a slot for is then given the
 * next waiting ticket (queue draining).
 */
async function onTicket(
  ctx: Ctx,
  ref: string,
  expectedVersion: number | undefined,
  fn: (db: Ctx['db'], ticket: TicketRow, now: Date) => Promise<Mutation>,
  opts: { allowFinal?: boolean; view?: boolean } = {},
): Promise<TicketViewRow> {
  return (await changeTicket(ctx, ref, expectedVersion, fn, opts))!;
}

/** onTicket; with `view: false` it does not read the ticket's view back and returns null. */
async function changeTicket(
  ctx: Ctx,
  ref: string,
  expectedVersion: number | undefined,
  fn: (db: Ctx['db'], ticket: TicketRow, now: Date) => Promise<Mutation>,
  opts: { allowFinal?: boolean; view?: boolean },
): Promise<TicketViewRow | null> {
  require(can.workTickets(ctx.actor));
  let freed: string | null = null;
  const view = await ctx.db.transaction(async (db) => {
    const ticket = await lockTicket(db, ref);
    if (!ticket) throw Errors.notFound('ticket', ref);
    // read once the row is ours: a change that waited for the lock is stamped after the one it follows
    const now = ctx.clock.now();
    if (expectedVersion !== undefined && expectedVersion !== ticket.version) throw Errors.stale(ticket.version);
    if (opts.allowFinal !== false && (ticket.status === 'closed' || ticket.status === 'cancelled')) {
      throw Errors.conflict('ticket.final', `Ticket #${ticket.number} is ${ticket.status} and can no longer change; open a follow-up ticket instead.`);
    }
    const { changes, history, alwaysBump } = await fn(db, ticket, now);
    freed = await rerouteAfterChange(ctx, db, ticket, changes, history, now);
    if (history.length > 0 || alwaysBump) {
      await updateTicketRow(db, ticket.id, changes, now);
      await insertHistory(db, history, now);
      // a change of what SLA policies match on picks the policy again; any change recomputes the deadlines
      const rematch = ['priority', 'category', 'assignee_group_id', 'tags', 'source'].some((k) => k in changes);
      await refreshSla({ db, now, jobs: ctx.jobs, actor: ctx.actor }, ticket.id, { rematch, hasSla: ticket.has_sla });
    }
    return opts.view === false ? null : (await getTicketView(db, ticket.id))!;
  });
  if (freed) await drainAfterCommit(ctx, freed);
  return view;
}

const isWaiting = (status: TicketStatus) => (WAITING_STATUSES as readonly string[]).includes(status);

/**
 * After a change: a ticket left without an agent while it still needs one
 * (unassigned, moved to a group, reopened) is routed again at once, within its
 * group, never back to the agent who just gave it up; returns the agent whose
 * slot the change may have freed.
 */
async function rerouteAfterChange(
  ctx: Ctx,
  db: Ctx['db'],
  ticket: TicketRow,
  changes: TicketChanges,
  history: HistoryEntry[],
  now: Date,
): Promise<string | null> {
  const assignee = changes.assignee_id !== undefined ? changes.assignee_id : ticket.assignee_id;
  const groupId = changes.assignee_group_id !== undefined ? changes.assignee_group_id : ticket.assignee_group_id;
  const status = changes.status ?? ticket.status;
  const assigneeChanged = assignee !== ticket.assignee_id;
  const groupChanged = groupId !== ticket.assignee_group_id;
  const reopened = changes.status !== undefined && !isWaiting(ticket.status) && isWaiting(status);
  if (assignee === null && isWaiting(status) && (assigneeChanged || groupChanged || (reopened && ticket.queued_at !== null))) {
    const settings = withDefaults(DEFAULT_ROUTING_SETTINGS, await getSetting(db, 'routing'));
    if (settings.enabled) {
      // A ticket taken from a pick-by-hand queue and released goes back to that queue, unassigned.
      const queueOnly = ticket.manual_queue && !groupChanged;
      const plan = planRedispatch({ group: groupId ? await groupSlug(db, groupId) : null, skills: ticket.routing_skills, queueOnly });
      // The agent who gave the ticket up is never handed it back by the queue.
      const excluded = assigneeChanged && ticket.assignee_id ? [ticket.assignee_id] : [];
      const d: Decision = await decide(db, now, plan, { mode: 'skip', exclude: new Set(excluded) });
      changes.assignee_id = d.agent?.id ?? null;
      changes.queued_at = d.queued ? now : null;
      changes.assignment = d.record;
      changes.routing_agent_id = null;
      changes.manual_queue = queueOnly;
      if (excluded.length) changes.routing_excluded = excluded;
      history.push(decisionHistory({ id: ticket.id, assigneeId: assignee, groupId }, d, SYSTEM_ACTOR));
    }
  }
  const finalAssignee = changes.assignee_id !== undefined ? changes.assignee_id : ticket.assignee_id;
  const former = ticket.assignee_id;
  if (former && (finalAssignee !== former || (changes.status !== undefined && !isWaiting(status)))) return former;
  return null;
}

function applyStatus(
  ctx: Ctx,
  ticket: TicketRow,
  to: TicketStatus,
  changes: TicketChanges,
  history: HistoryEntry[],
  now: Date,
  reason?: string,
): void {
  const from = (changes.status ?? ticket.status) as TicketStatus;
  if (from === to) return;
  assertTransition(from, to);
  changes.status = to;
  const stamps = lifecycleTimestamps(to, now);
  const fromStamps: Record<string, unknown> = {};
  const toStamps: Record<string, unknown> = {};
  if (stamps.resolvedAt !== undefined && !sameValue(ticket.resolved_at, stamps.resolvedAt)) {
    changes.resolved_at = stamps.resolvedAt;
    fromStamps.resolvedAt = ticket.resolved_at;
    toStamps.resolvedAt = stamps.resolvedAt;
  }
  if (stamps.closedAt !== undefined && !sameValue(ticket.closed_at, stamps.closedAt)) {
    changes.closed_at = stamps.closedAt;
    fromStamps.closedAt = ticket.closed_at;
    toStamps.closedAt = stamps.closedAt;
  }
  history.push(
    entry(ctx, ticket.id, statusChangeType(from, to), 'status', { status: from, ...fromStamps }, { status: to, ...toStamps }, reason),
  );
}

/**
 * Works out an assignment to an agent and/or a group (by slug) into `changes`
 * and `history`; with `openIfNew`, giving a `new` ticket an agent opens it.
 */
async function applyAssignment(
  ctx: Ctx,
  db: Ctx['db'],
  ticket: TicketRow,
  target: { agentId?: string | null; group?: string | null },
  changes: TicketChanges,
  history: HistoryEntry[],
  opts: { now: Date; openIfNew: boolean; reason?: string },
): Promise<void> {
  let agent: Awaited<ReturnType<typeof getAgent>> | null = null;
  if (target.agentId) {
    agent = (await getAgent(db, target.agentId)) ?? null;
    if (!agent || !agent.active) throw Errors.notFound('agent', target.agentId);
  }
  let groupId = ticket.assignee_group_id;
  let groupSlug: string | null | undefined;
  if (target.group !== undefined) {
    const group = target.group === null ? null : await getGroupBySlug(db, target.group);
    if (target.group !== null && !group) throw Errors.notFound('group', target.group);
    groupId = group?.id ?? null;
    groupSlug = group?.slug ?? null;
  }
  let assigneeId = target.agentId !== undefined ? target.agentId : ticket.assignee_id;
  if (target.agentId === undefined && groupSlug && assigneeId) {
    // Moving to another queue: the assignee keeps the ticket only if they belong to it.
    const current = await getAgent(db, assigneeId);
    if (!current?.groups.includes(groupSlug)) assigneeId = null;
  }
  const from = { assigneeId: ticket.assignee_id, groupId: ticket.assignee_group_id };
  const to = { assigneeId, groupId };
  if (from.assigneeId === to.assigneeId && from.groupId === to.groupId) return;
  changes.assignee_id = assigneeId;
  changes.assignee_group_id = groupId;
  // a queue chosen by hand is routed like any group's; only a `group` rule makes a pick-by-hand queue
  if (groupId !== ticket.assignee_group_id) changes.manual_queue = false;
  if (assigneeId) {
    changes.queued_at = null;
    changes.assignment = {
      method: 'manual', ruleId: null, ruleName: null, decidedAt: opts.now.toISOString(), agentId: assigneeId,
      group: groupSlug ?? null, queued: false, candidates: [], unlisted: 0,
    } satisfies AssignmentRecord;
  }
  history.push(
    entry(ctx, ticket.id, 'assigned', 'assignee', from, {
      ...to,
      ...(agent ? { assigneeName: agent.name } : {}),
      ...(groupSlug !== undefined ? { group: groupSlug } : {}),
      method: 'manual',
    }, opts.reason),
  );
  if (opts.openIfNew && assigneeId && ticket.status === 'new' && changes.status === undefined) {
    applyStatus(ctx, ticket, 'open', changes, history, opts.now, 'assigned');
  }
}

function entry(
  ctx: Ctx,
  ticketId: string,
  changeType: HistoryEntry['changeType'],
  field: string | null,
  changedFrom: unknown,
  changedTo: unknown,
  comment?: string,
): HistoryEntry {
  return { ticketId, changedBy: ctx.actor.id, actorType: ctx.actor.type, changeType, field, changedFrom, changedTo, comment };
}

function fileRow(ctx: Ctx, ticketId: string, commentId: string | null, f: StoredFile) {
  return { ticketId, commentId, fileName: f.fileName, sha256: f.sha256, size: f.size, mimeType: f.mimeType, uploadedBy: ctx.actor.id ?? SYSTEM_AUTHOR_ID };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return (a == null && b == null) || (a != null && b != null && new Date(a as Date).getTime() === new Date(b as Date).getTime());
  }
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

/** JSON with object keys sorted, so that jsonb's key order does not look like a change. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
