/**
 * Saved views: a query in the search language with columns and a sort,
 * personal, shared with a group or with every agent, plus the built-in views
 * every agent has. Counts are live (the same capped count as search).
 */
import type { Ctx } from '../context.ts';
import { AppError, Errors } from '../errors.ts';
import { can, require } from '../auth/policies.ts';
import { countMatches, type SearchSortBy } from '../../db/repositories/search.ts';
import { deleteView, getView, groupForView, insertView, isViewVisible, listVisibleViews, type SavedViewRow } from '../../db/repositories/views.ts';
import type { KeysetPosition } from '../../db/repositories/tickets.ts';
import { compileQuery } from './query.ts';
import { agentScope, runSearch } from './service.ts';

export interface ViewDefinition {
  id: string;
  name: string;
  query: string;
  columns: string[];
  sortBy: SearchSortBy;
  sortOrder: 'asc' | 'desc';
  visibility: 'personal' | 'group' | 'all' | 'builtin';
  group: string | null;
  ownerId: string | null;
}

const DEFAULT_COLUMNS = ['number', 'subject', 'requester', 'status', 'priority', 'assignee', 'updatedAt'];

/** The views every agent has. Their queries are ordinary search-language text. */
export const BUILTIN_VIEWS: ViewDefinition[] = [
  { id: 'my-open', name: 'My open tickets', query: 'assignee:me status<solved', sortBy: 'priority', sortOrder: 'desc' },
  { id: 'unassigned-in-my-groups', name: 'Unassigned in my groups', query: 'assignee:none group:mine status<solved', sortBy: 'priority', sortOrder: 'desc' },
  { id: 'sla-breaching-next-hour', name: 'SLA breaching in the next hour', query: 'sla_due<+1h -sla:breached status<solved', sortBy: 'slaDue', sortOrder: 'desc' },
  { id: 'recently-updated', name: 'Recently updated', query: 'updated>24h', sortBy: 'updatedAt', sortOrder: 'desc' },
].map((v) => ({ ...v, sortBy: v.sortBy as SearchSortBy, sortOrder: v.sortOrder as 'desc', columns: DEFAULT_COLUMNS, visibility: 'builtin' as const, group: null, ownerId: null }));

function fromRow(r: SavedViewRow): ViewDefinition {
  return {
    id: r.id, name: r.name, query: r.query, columns: r.columns, sortBy: r.sort_by as SearchSortBy, sortOrder: r.sort_order,
    visibility: r.visibility, group: r.group_slug, ownerId: r.owner_id,
  };
}

export interface NewView {
  name: string;
  query: string;
  columns?: string[];
  sortBy?: SearchSortBy;
  sortOrder?: 'asc' | 'desc';
  visibility: 'personal' | 'group' | 'all';
  group?: string;
}

/** Saves a view; its query must parse (400 with the position otherwise); a group view needs a group the agent belongs to (supervisors: any). */
export async function createView(ctx: Ctx, input: NewView): Promise<ViewDefinition> {
  require(can.workTickets(ctx.actor) && ctx.actor.id !== null, 'Only agents save views.');
  compileQuery(input.query, { now: ctx.clock.now() });
  let groupId: string | null = null;
  if (input.visibility === 'group') {
    if (!input.group) throw Errors.validation([{ path: 'group', message: 'A group view names its group' }]);
    const g = await groupForView(ctx.db, input.group, ctx.actor.id);
    if (!g) throw Errors.validation([{ path: 'group', message: `No group ${input.group}` }]);
    if (!g.member && !can.supervise(ctx.actor)) throw Errors.forbidden('Share views only with groups you belong to.');
    groupId = g.id;
  } else if (input.group) {
    throw Errors.validation([{ path: 'group', message: "Only a view with visibility 'group' names a group" }]);
  }
  const row = await insertView(ctx.db, {
    name: input.name, query: input.query, columns: input.columns ?? DEFAULT_COLUMNS, sortBy: input.sortBy ?? 'createdAt',
    sortOrder: input.sortOrder ?? 'desc', visibility: input.visibility, groupId, ownerId: ctx.actor.id!,
  }, ctx.clock.now());
  return fromRow(row);
}

/** Every view the agent may use (built-ins first), each with how many tickets it shows now. */
export async function listViews(ctx: Ctx): Promise<(ViewDefinition & { count: number; countIsEstimate: boolean })[]> {
  const now = ctx.clock.now();
  const scope = agentScope(ctx.actor, now);
  const views = [...BUILTIN_VIEWS, ...(ctx.actor.id ? (await listVisibleViews(ctx.db, ctx.actor.id)).map(fromRow) : [])];
  const out = [];
  for (const v of views) {
    let counted = { total: 0, isEstimate: false };
    try {
      counted = await countMatches(ctx.db, compileQuery(v.query, { now }), scope);
    } catch (err) {
      // a saved query the language no longer accepts shows 0 rather than hiding every view
      if (!(err instanceof AppError)) throw err;
    }
    out.push({ ...v, count: counted.total, countIsEstimate: counted.isEstimate });
  }
  return out;
}

/** A view the agent may see, by id (built-in ids included); 404 otherwise. */
export async function findView(ctx: Ctx, id: string): Promise<ViewDefinition> {
  const builtin = BUILTIN_VIEWS.find((v) => v.id === id);
  if (builtin) return builtin;
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
  if (!uuid || !ctx.actor.id || !(await isViewVisible(ctx.db, id, ctx.actor.id))) throw Errors.notFound('view', id);
  return fromRow((await getView(ctx.db, id))!);
}

/** One keyset page of a view's tickets, in the view's sort. */
export async function viewTickets(ctx: Ctx, view: ViewDefinition, page: { limit: number; after?: KeysetPosition; timezone?: string }) {
  return runSearch(ctx.db, agentScope(ctx.actor, ctx.clock.now()), {
    query: view.query, sortBy: view.sortBy, sortOrder: view.sortOrder, limit: page.limit, after: page.after, timezone: page.timezone,
  });
}

/** Deletes a saved view: its owner, or an admin. Built-ins cannot be deleted. */
export async function removeView(ctx: Ctx, id: string): Promise<void> {
  const view = await findView(ctx, id);
  if (view.visibility === 'builtin') throw Errors.conflict('view.builtin', 'Built-in views cannot be deleted.');
  require(view.ownerId === ctx.actor.id || can.administer(ctx.actor), 'Only the owner or an admin deletes a view.');
  await deleteView(ctx.db, view.id);
}
