import { assertTransition, lifecycleTimestamps, statusChangeType, type TicketPriority, type TicketSource, type TicketStatus } from '../../domain/tickets/lifecycle.ts';
import type { ChangeType } from '../../db/repositories/conversation.ts';
import type { Random } from './random.ts';

/** Who does something to a demo ticket: an agent, the requester, or Triage itself (routing, automations). */
export interface DemoActor {
  type: 'agent' | 'requester' | 'system';
  /** agent or requester id; null for the system */
  id: string | null;
  name: string;
}

export interface DemoComment {
  id: string;
  authorId: string;
  authorType: 'agent' | 'requester';
  content: string;
  isInternal: boolean;
  createdAt: Date;
}

export interface DemoHistory {
  /** the acting agent; null for the requester and for the system (actorType says which) */
  changedBy: string | null;
  actorType: DemoActor['type'];
  changeType: ChangeType;
  field: string | null;
  changedFrom: unknown;
  changedTo: unknown;
  comment: string | null;
  createdAt: Date;
}

export interface DemoTicket {
  id: string;
  /** allocated from the ticket number sequence when the ticket is written */
  number: number;
  subject: string;
  description: string;
  status: TicketStatus;
  priority: TicketPriority;
  category: string;
  subcategory: string;
  requesterId: string;
  assigneeId: string | null;
  groupId: string | null;
  source: TicketSource;
  channel: string;
  tags: string[];
  customFields: Record<string, unknown>;
  dueDate: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  /** 1 at creation, +1 per later command, as the real commands count it */
  version: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  comments: DemoComment[];
  history: DemoHistory[];
}

export const MAX_COMMENTS = 6;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Plays a ticket's life forward in time, one command at a time, writing the
 * same history rows (types, fields, from/to shapes) and version bumps as the
 * real commands in domain/tickets/commands.ts, and using the real lifecycle
 * rules, so an impossible move throws here instead of landing in the data.
 */
export class TicketLife {
  /** the current time of this ticket's story, in ms */
  t: number;

  constructor(
    private readonly rng: Random,
    private readonly now: number,
    readonly ticket: DemoTicket,
  ) {
    this.t = ticket.createdAt.getTime();
  }

  /** Time left before "now" (ms). */
  get room(): number {
    return this.now - this.t;
  }

  /** Lets a random time pass (log-uniform in [minMs, maxMs]); near "now", waits are squeezed so nothing lies in the future. */
  wait(minMs: number, maxMs: number): void {
    let d = this.rng.logDuration(minMs, maxMs);
    if (d >= this.room) d = Math.floor(this.room * this.rng.next() * 0.5);
    this.t = Math.min(this.now, this.t + Math.max(1, d));
  }

  /** Jumps to an absolute time (used for automations that run at a fixed delay); never backwards or past now. */
  at(ms: number): void {
    this.t = Math.min(this.now, Math.max(this.t + 1, ms));
  }

  private entry(actor: DemoActor, changeType: ChangeType, field: string | null, from: unknown, to: unknown, comment?: string): DemoHistory {
    return {
      changedBy: actor.type === 'agent' ? actor.id : null, actorType: actor.type, changeType, field,
      changedFrom: from, changedTo: to, comment: comment ?? null, createdAt: new Date(this.t),
    };
  }

  /** One command: its history rows share a timestamp, and the ticket's version goes up once. */
  private commit(entries: DemoHistory[]): void {
    this.ticket.history.push(...entries);
    this.ticket.version += 1;
    this.ticket.updatedAt = new Date(this.t);
  }

  /** The `created` row, as createTicket writes it. `number` is filled in when the ticket is written. */
  create(actor: DemoActor): void {
    const k = this.ticket;
    k.createdBy = actor.type === 'agent' ? actor.id : null;
    k.history.push(
      this.entry(actor, 'created', null, null, {
        number: 0, subject: k.subject, status: k.status, priority: k.priority, category: k.category,
        source: k.source, requesterId: k.requesterId, tags: [...k.tags],
      }),
    );
  }

  private statusEntry(actor: DemoActor, to: TicketStatus, reason?: string): DemoHistory {
    const k = this.ticket;
    const from = k.status;
    assertTransition(from, to);
    const now = new Date(this.t);
    const stamps = lifecycleTimestamps(to, now);
    const fromV: Record<string, unknown> = { status: from };
    const toV: Record<string, unknown> = { status: to };
    if (stamps.resolvedAt !== undefined && iso(k.resolvedAt) !== iso(stamps.resolvedAt)) {
      fromV.resolvedAt = iso(k.resolvedAt);
      toV.resolvedAt = iso(stamps.resolvedAt);
      k.resolvedAt = stamps.resolvedAt;
    }
    if (stamps.closedAt !== undefined && iso(k.closedAt) !== iso(stamps.closedAt)) {
      fromV.closedAt = iso(k.closedAt);
      toV.closedAt = iso(stamps.closedAt);
      k.closedAt = stamps.closedAt;
    }
    k.status = to;
    return this.entry(actor, statusChangeType(from, to), 'status', fromV, toV, reason);
  }

  /** changeStatus / PATCH status. */
  setStatus(actor: DemoActor, to: TicketStatus, reason?: string): void {
    this.commit([this.statusEntry(actor, to, reason)]);
  }

  /** assignTicket to a group and optionally an agent; assigning an agent to a `new` ticket opens it. */
  assign(actor: DemoActor, group: { id: string; slug: string }, agent: { id: string; name: string } | null): void {
    const k = this.ticket;
    const from = { assigneeId: k.assigneeId, groupId: k.groupId };
    k.assigneeId = agent ? agent.id : k.assigneeId;
    k.groupId = group.id;
    const entries = [
      this.entry(actor, 'assigned', 'assignee', from, {
        assigneeId: k.assigneeId, groupId: k.groupId, ...(agent ? { assigneeName: agent.name } : {}), group: group.slug,
      }),
    ];
    if (k.assigneeId && k.status === 'new') entries.push(this.statusEntry(actor, 'open', 'assigned'));
    this.commit(entries);
  }

  /** PATCH of one plain field (priority, tags …): an `updated` row with the old and new value. */
  update<F extends 'priority' | 'tags'>(actor: DemoActor, field: F, value: DemoTicket[F]): void {
    const k = this.ticket;
    const entry = this.entry(actor, 'updated', field, { [field]: k[field] }, { [field]: value });
    k[field] = value;
    this.commit([entry]);
  }

  get canComment(): boolean {
    return this.ticket.comments.length < MAX_COMMENTS;
  }

  /**
   * addComment. An agent's first public reply opens a `new` ticket; a
   * requester's reply to a `pending` ticket puts it back to `open`.
   * Returns false (and does nothing) once the ticket has MAX_COMMENTS comments.
   */
  comment(actor: DemoActor & { id: string }, content: string, isInternal = false): boolean {
    if (!this.canComment || actor.type === 'system') return false;
    const k = this.ticket;
    const c: DemoComment = {
      id: this.rng.uuid(), authorId: actor.id, authorType: actor.type, content, isInternal, createdAt: new Date(this.t),
    };
    k.comments.push(c);
    const entries = [this.entry(actor, 'commented', null, null, { commentId: c.id, isInternal, attachments: 0 })];
    if (actor.type === 'agent' && !isInternal && k.status === 'new') entries.push(this.statusEntry(actor, 'open', 'first public reply'));
    if (actor.type === 'requester' && k.status === 'pending') entries.push(this.statusEntry(actor, 'open', 'requester replied'));
    this.commit(entries);
    return true;
  }
}
