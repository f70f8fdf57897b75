/**
 * Search as the API offers it: a query in the search language, run for an
 * actor, one keyset page with highlights, and the total (exact up to 10,000).
 */
import type { Db } from '../../db/client.ts';
import {
  countMatches, MARK_END, MARK_START, searchTickets, ticketStats, type SearchRow, type SearchScope, type SearchSortBy,
} from '../../db/repositories/search.ts';
import type { KeysetPosition } from '../../db/repositories/tickets.ts';
import type { Actor } from '../context.ts';
import { presentTicket } from '../tickets/presenter.ts';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../tickets/lifecycle.ts';
import { compileQuery, type SearchQuery } from './query.ts';

/** The scope an actor searches in: staff see every ticket and internal notes. */
export function agentScope(actor: Actor, now: Date): SearchScope {
  return { audience: 'agent', actorId: actor.id, now };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A ts_headline snippet as safe HTML: the text escaped, the matches in <mark>. Null when nothing in it matched. */
export function snippetHtml(raw: string | null): string | null {
  if (!raw || !raw.includes(MARK_START)) return null;
  return raw
    .replace(/[&<>"']/g, (c) => ESCAPES[c])
    .replaceAll(MARK_START, '<mark>')
    .replaceAll(MARK_END, '</mark>');
}

export function presentHighlights(row: SearchRow): { subject?: string; description?: string; comments?: string[] } {
  const out: { subject?: string; description?: string; comments?: string[] } = {};
  const subject = snippetHtml(row.hl_subject);
  const description = snippetHtml(row.hl_description);
  const comments = (row.hl_comments ?? []).map(snippetHtml).filter((s): s is string => s !== null);
  if (subject) out.subject = subject;
  if (description) out.description = description;
  if (comments.length) out.comments = comments;
  return out;
}

export interface SearchInput {
  query: string;
  sortBy: SearchSortBy;
  sortOrder: 'asc' | 'desc';
  limit: number;
  after?: KeysetPosition;
  timezone?: string;
}

/** Runs a search for a scope: the page (presented, with highlights), the total and where the next page starts. */
export async function runSearch(db: Db, scope: SearchScope, input: SearchInput, parsed?: SearchQuery) {
  const query = parsed ?? compileQuery(input.query, { now: scope.now, timezone: input.timezone });
  const [page, count] = await Promise.all([
    searchTickets(db, query, scope, { sortBy: input.sortBy, sortOrder: input.sortOrder, limit: input.limit, after: input.after }),
    countMatches(db, query, scope),
  ]);
  return {
    tickets: page.rows.map((row) => ({ ...presentTicket(row, scope.now), highlights: presentHighlights(row) })),
    total: count.total,
    totalIsEstimate: count.isEstimate,
    last: page.rows.length === input.limit ? page.last : undefined,
  };
}

/** Counts of the tickets a query matches: by status, priority, category, assignee (id → {name, count}) and group (slug). */
export async function searchStats(db: Db, scope: SearchScope, query: string, timezone?: string) {
  const rows = await ticketStats(db, compileQuery(query, { now: scope.now, timezone }), scope);
  const byStatus: Record<string, number> = Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0]));
  const byPriority: Record<string, number> = Object.fromEntries(TICKET_PRIORITIES.map((s) => [s, 0]));
  const byCategory: Record<string, number> = {};
  const byAssignee: Record<string, { name: string | null; count: number }> = {};
  const byGroup: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    if (r.dim === 'total') total = r.n;
    else if (r.dim === 'status') byStatus[r.key!] = r.n;
    else if (r.dim === 'priority') byPriority[r.key!] = r.n;
    else if (r.dim === 'category') byCategory[r.key!] = r.n;
    else if (r.dim === 'assignee') byAssignee[r.key ?? 'unassigned'] = { name: r.label, count: r.n };
    else byGroup[r.label ?? 'none'] = r.n;
  }
  // an empty match still has its grand-total row; no match at all still answers zeros
  return { total, byStatus, byPriority, byCategory, byAssignee, byGroup };
}
