import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Errors } from '../../domain/errors.ts';
import { require, can } from '../../domain/auth/policies.ts';
import { agentScope, runSearch, searchStats } from '../../domain/search/service.ts';
import { ticketsCsv } from '../../domain/search/csv.ts';
import { isValidSearchSortKey, listSearchDictionaries, setSearchLanguage, type SearchSortBy } from '../../db/repositories/search.ts';
import { getSetting } from '../../db/repositories/routing.ts';
import type { KeysetPosition } from '../../db/repositories/tickets.ts';
import { decodeCursor, encodeCursor, type CursorSort, type Deps } from '../helpers.ts';
import { problems } from '../schemas/common.ts';
import { SearchQueryString, SearchResult, SearchSettings, SearchSettingsBody, Stats, StatsQueryString } from '../schemas/search.ts';

const tags = ['search'];
/** An opaque keyset cursor for a search or view page (the same form as the ticket list's). */
export const encodeSearchCursor = (sort: CursorSort<SearchSortBy>, last: KeysetPosition): string => encodeCursor(sort, last);

/** Reads a search or view cursor back; anything else is a 400. */
export const decodeSearchCursor = (cursor: string, sort: CursorSort<SearchSortBy>): KeysetPosition => decodeCursor(cursor, sort, isValidSearchSortKey);

/** JSON pages hold at most 200 tickets; a CSV export up to 10,000. */
export function checkLimit(limit: number, format: 'json' | 'csv'): void {
  if (format === 'json' && limit > 200) throw Errors.validation([{ path: 'query.limit', message: 'At most 200 (10,000 with format=csv)' }]);
}

/** Answers with a CSV download (typed `never`: it leaves the route's JSON response schema aside). */
export function sendCsv(reply: FastifyReply, name: string, body: string): never {
  return reply.type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="${name}.csv"`).send(body) as never;
}

export async function searchRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/search', {
    schema: { tags, summary: 'Search tickets with the query language (highlights, relevance, keyset pages)', querystring: SearchQueryString, response: { 200: SearchResult, ...problems(400, 401) } },
  }, async (req, reply) => {
    const q = req.query;
    checkLimit(q.limit, q.format);
    require(can.workTickets(req.actor));
    const sort = { sortBy: q.sortBy, sortOrder: q.sortOrder };
    const after = q.cursor ? decodeSearchCursor(q.cursor, sort) : undefined;
    const result = await runSearch(deps.db, agentScope(req.actor, deps.clock.now()), { ...sort, query: q.query, limit: q.limit, after, timezone: q.timezone });
    if (q.format === 'csv') return sendCsv(reply, 'search', ticketsCsv(result.tickets));
    return {
      tickets: result.tickets,
      total: result.total,
      totalIsEstimate: result.totalIsEstimate,
      nextCursor: result.last ? encodeSearchCursor(sort, result.last) : null,
    };
  });

  r.get('/tickets/stats', {
    schema: { tags, summary: 'Counts of the tickets a query matches, by status, priority, category, assignee and group', querystring: StatsQueryString, response: { 200: Stats, ...problems(400, 401) } },
  }, async (req) => {
    require(can.workTickets(req.actor));
    return searchStats(deps.db, agentScope(req.actor, deps.clock.now()), req.query.query, req.query.timezone);
  });

  r.get('/search/settings', {
    schema: { tags, summary: "The install's search language", response: { 200: SearchSettings, ...problems(401) } },
  }, async () => {
    const current = (await getSetting(deps.db, 'search')) as { language?: string } | undefined;
    return { language: current?.language ?? 'simple', available: await listSearchDictionaries(deps.db) };
  });

  r.put('/search/settings', {
    schema: { tags, summary: 'Choose the search language (admins); every ticket is re-indexed', body: SearchSettingsBody, response: { 200: SearchSettings, ...problems(400, 401, 403) } },
  }, async (req) => {
    require(can.administer(req.actor));
    const available = await listSearchDictionaries(deps.db);
    // 'english' names the english_stem dictionary
    const dictionary = [req.body.language, `${req.body.language}_stem`].find((d) => available.includes(d));
    if (!dictionary) throw Errors.validation([{ path: 'language', message: `Unknown language; one of ${available.join(', ')}` }]);
    const reindexed = await setSearchLanguage(deps.db, dictionary);
    return { language: req.body.language, available, reindexed };
  });
}
