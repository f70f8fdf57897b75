import type { Db, QueryOptions } from '../client.ts';
import type { Clause, SearchQuery } from '../../domain/search/query.ts';
import { escapeLike } from './people.ts';
import { SORT_KEYS, VIEW_COLUMNS, VIEW_FROM, type KeysetPosition, type SortBy, type TicketViewRow } from './tickets.ts';

/**
 * Who runs a search. Agents match internal notes too; a requester only ever
 * matches their own tickets, and only through public text (public_vector).
 */
export interface SearchScope {
  audience: 'agent' | 'requester';
  /** the agent (assignee:me, group:mine); null for the system */
  actorId: string | null;
  /** for audience 'requester': whose tickets */
  requesterId?: string;
  /** the instant relative SLA states are judged at */
  now: Date;
}

export const TS_CONFIG = `'triage_search'`;

/** The WHERE fragments of a query over `tickets t`, each value pushed onto `params`; `tsquery` is the free text's parameter. */
export interface CompiledSearch {
  where: string[];
  /** `websearch_to_tsquery(…)` over the free text, when there is any */
  tsquery?: string;
  vector: 'agent_vector' | 'public_vector';
}

/**
 * Compiles resolved conditions to SQL over `tickets t`. Every fragment is
 * self-contained (sub-selects, not joins), so the same output serves lists,
 * counts and statistics. With `textAlias`, the free text is matched on that
 * already-joined `ticket_search` alias (for ranking) instead of an EXISTS.
 */
export function compileSearch(q: SearchQuery, scope: SearchScope, params: unknown[], opts: { textAlias?: string } = {}): CompiledSearch {
  const p = (v: unknown) => `$${params.push(v)}`;
  const vector = scope.audience === 'agent' ? 'agent_vector' : 'public_vector';
  const where: string[] = [];
  if (scope.audience === 'requester') where.push(`t.requester_id = ${p(scope.requesterId ?? '00000000-0000-0000-0000-000000000000')}::uuid`);
  for (const c of q.clauses) {
    const sql = clauseSql(c, scope, p);
    where.push(c.negated ? `NOT coalesce((${sql}), false)` : sql);
  }
  let tsquery: string | undefined;
  if (q.text) {
    tsquery = `websearch_to_tsquery(${TS_CONFIG}, ${p(q.text)}::text)`;
    where.push(
      opts.textAlias
        ? `${opts.textAlias}.${vector} @@ ${tsquery}`
        : `EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_id = t.id AND s.${vector} @@ ${tsquery})`,
    );
  }
  return { where, tsquery, vector };
}

const TIME_COLUMNS = {
  created: 't.created_at',
  updated: 't.updated_at',
  due: 't.due_date',
  solved: 't.resolved_at',
  sla_due: '(SELECT s.next_due_at FROM ticket_sla s WHERE s.ticket_id = t.id)',
} as const;

function clauseSql(c: Clause, scope: SearchScope, p: (v: unknown) => string): string {
  const any = (parts: string[]) => (parts.length === 0 ? 'false' : parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`);
  // pushed only when used: an unused parameter has no type and PostgreSQL refuses the statement
  const actor = () => (scope.actorId ? `${p(scope.actorId)}::uuid` : 'NULL::uuid');
  switch (c.kind) {
    case 'status':
      return `t.status = ANY(${p(c.values)}::text[])`;
    case 'priority':
      return `t.priority = ANY(${p(c.values)}::text[])`;
    case 'assignee':
      return any([
        ...(c.me ? [`t.assignee_id = ${actor()}`] : []),
        ...(c.none ? ['t.assignee_id IS NULL'] : []),
        ...(c.refs.length
          ? [`t.assignee_id IN (SELECT a.id FROM agents a WHERE a.id::text = ANY(${p(c.refs)}::text[]) OR a.email = ANY(${p(c.refs)}::text[]) OR lower(a.name) = ANY(${p(c.refs)}::text[]))`]
          : []),
      ]);
    case 'group':
      return any([
        ...(c.mine ? [`t.assignee_group_id IN (SELECT ag.group_id FROM agent_groups ag WHERE ag.agent_id = ${actor()})`] : []),
        ...(c.none ? ['t.assignee_group_id IS NULL'] : []),
        ...(c.slugs.length ? [`t.assignee_group_id IN (SELECT g.id FROM groups g WHERE g.slug = ANY(${p(c.slugs)}::text[]))`] : []),
      ]);
    case 'requester':
      // exact id or e-mail, a substring of the name or address, or a similar one (pg_trgm, typos included)
      return any(
        c.values.map((v) => {
          const exact = p(v);
          const like = p(`%${escapeLike(v)}%`);
          return `t.requester_id IN (SELECT r.id FROM requesters r WHERE r.id::text = ${exact}::text OR r.email = ${exact}::text
            OR r.email LIKE ${like}::text OR triage_unaccent(lower(r.name)) LIKE triage_unaccent(${like}::text)
            OR triage_unaccent(lower(r.name)) % triage_unaccent(${exact}::text) OR r.email % ${exact}::text)`;
        }),
      );
    case 'organization':
      return any([
        ...(c.none ? ['t.requester_id IN (SELECT r.id FROM requesters r WHERE r.organization_id IS NULL)'] : []),
        ...(c.names.length
          ? [`t.requester_id IN (SELECT r.id FROM requesters r JOIN organizations o ON o.id = r.organization_id WHERE lower(o.name) = ANY(${p(c.names)}::text[]))`]
          : []),
      ]);
    case 'tier':
      return `t.requester_id IN (SELECT r.id FROM requesters r LEFT JOIN organizations o ON o.id = r.organization_id
                WHERE coalesce(r.tier, o.tier, 'standard') = ANY(${p(c.values)}::text[]))`;
    case 'tag':
      return `t.tags && ${p(c.values)}::text[]`;
    case 'category':
      return `lower(t.category) = ANY(${p(c.values)}::text[])`;
    case 'channel': {
      const v = p(c.values);
      return `(t.source = ANY(${v}::text[]) OR lower(t.channel) = ANY(${v}::text[]))`;
    }
    case 'time': {
      const col = TIME_COLUMNS[c.field];
      const parts: string[] = [];
      if (c.from) parts.push(`${col} ${c.fromInclusive ? '>=' : '>'} ${p(c.from)}::timestamptz`);
      if (c.to) parts.push(`${col} ${c.toInclusive ? '<=' : '<'} ${p(c.to)}::timestamptz`);
      return parts.length ? `(${parts.join(' AND ')})` : `${col} IS NOT NULL`;
    }
    case 'sla': {
      // the same rule as the ticket's `sla` object: a passed deadline is breached even before its job ran
      const now = `${p(scope.now)}::timestamptz`;
      const breached = `(s.state = 'breached' OR s.next_due_at <= ${now})`;
      const atRisk = `(NOT ${breached} AND (s.state = 'at_risk' OR s.next_check_at <= ${now}))`;
      const conds = c.values.map((st) => (st === 'breached' ? breached : st === 'at_risk' ? atRisk : `(NOT ${breached} AND NOT ${atRisk})`));
      return `EXISTS (SELECT 1 FROM ticket_sla s WHERE s.ticket_id = t.id AND (${conds.join(' OR ')}))`;
    }
    case 'has':
      return scope.audience === 'agent'
        ? 'EXISTS (SELECT 1 FROM attachments at WHERE at.ticket_id = t.id)'
        : `EXISTS (SELECT 1 FROM attachments at LEFT JOIN ticket_comments ac ON ac.id = at.comment_id
                    WHERE at.ticket_id = t.id AND (ac.id IS NULL OR NOT ac.is_internal))`;
  }
}

export type SearchSortBy = SortBy | 'relevance';

/** Raw highlight snippets: \u0001 and \u0002 around matches (HTML-escaped and turned into <mark> by the domain). */
export interface SearchRow extends TicketViewRow {
  sort_key: string;
  hl_subject: string | null;
  hl_description: string | null;
  hl_comments: string[] | null;
}

export const MARK_START = '\u0001';
export const MARK_END = '\u0002';
const HEADLINE_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
const SUBJECT_OPTIONS = `StartSel=${MARK_START}, StopSel=${MARK_END}, HighlightAll=true`;
const CAP = 10_000;
/**
 * Every search statement is planned with its values: how many tickets a word or a filter
 * matches decides the plan, and a generic plan (PostgreSQL's choice after five runs of a
 * prepared statement) walked a million documents for a queue's handful of tickets — seconds.
 */
const CUSTOM: QueryOptions = { customPlan: true };
/** How many of the newest matches a relevance search ranks (see searchTickets). */
export const RANKED_CANDIDATES = 500;
/**
 * Beyond this many expected matches the count is not run: the planner's estimate is the
 * answer. Counting to 10,001 only to learn that there are more than 10,000 cost 60–280 ms for
 * words in 2–5% of a million tickets (bench:search); the planner's estimate of a text match
 * (PostgreSQL's statistics of the documents' words) was within 15% of the truth for them, so
 * twice the cap leaves room for its error.
 */
const ESTIMATE_ONLY_ABOVE = 2 * CAP;

/**
 * How long an exact count may take (PostgreSQL server only: PGlite has no statement timeout).
 * Filters combined with a word of middling frequency can match a few thousand of a million
 * tickets that only a probe of every filtered ticket's document (or a lookup of every text
 * match's ticket) finds — seconds (bench:search); past this the estimate answers instead.
 */
export const COUNT_BUDGET_MS = 100;

/** Runs a count under a statement timeout; undefined when the timeout cut it. */
async function countWithin(db: Db, sql: string, params: unknown[], budgetMs: number): Promise<number | undefined> {
  if (db.kind !== 'postgres') return (await db.query<{ n: number }>(sql, params, CUSTOM)).rows[0].n;
  try {
    return await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(budgetMs))}`);
      return (await tx.query<{ n: number }>(sql, params, CUSTOM)).rows[0].n;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '57014') return undefined; // query_canceled
    throw err;
  }
}

/** What the planner expects of `sql` (EXPLAIN, nothing run): the rows it returns and its total cost. */
async function plannerEstimate(db: Db, sql: string, params: unknown[]): Promise<{ rows: number; cost: number }> {
  const plan = (await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params, CUSTOM)).rows[0]['QUERY PLAN'];
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: { 'Plan Rows': number; 'Total Cost': number } }[];
  return { rows: Math.round(parsed[0].Plan['Plan Rows']), cost: parsed[0].Plan['Total Cost'] };
}
const plannerRows = async (db: Db, sql: string, params: unknown[]) => (await plannerEstimate(db, sql, params)).rows;

/**
 * Below this planner cost a count runs without a time budget: it is cheap however busy the
 * server is, and a budget would only turn an exact small total into an estimate under load
 * (a search over a few hundred tickets costs ~25–65). Counts over a million tickets cost
 * 8,000–120,000 (bench:search data).
 */
const BUDGET_ABOVE_COST = 1_000;

/**
 * Filters with free text: when the planner expects at least this many matches, the newest ones
 * are found by walking the documents newest first (they come early); below it every match is
 * found first and the newest taken. A walk stops only after RANKED_CANDIDATES matches, so with
 * fewer matches than that — a queue's few open tickets with a word — it read every document of
 * the install (seconds at a million tickets, bench:search).
 */
const WALK_ABOVE = 20 * RANKED_CANDIDATES;

/** A relevance cursor key: ts_rank_cd's float4 as PostgreSQL prints it (shortest exact). */
const RANK_RE = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

export function isValidSearchSortKey(sortBy: SearchSortBy, key: string): boolean {
  return sortBy === 'relevance' ? RANK_RE.test(key) && key.length < 40 : SORT_KEYS[sortBy].valid(key);
}

/**
 * One page of a search: keyset-paged in the given order (relevance = ts_rank_cd
 * of the ticket's document among the newest 500 matches, newest first
 * without free text), with highlight snippets computed for the page's rows only.
 */
export async function searchTickets(
  db: Db,
  q: SearchQuery,
  scope: SearchScope,
  o: { sortBy: SearchSortBy; sortOrder: 'asc' | 'desc'; limit: number; after?: KeysetPosition },
): Promise<{ rows: SearchRow[]; last?: KeysetPosition }> {
  const params: unknown[] = [];
  const sortBy: SearchSortBy = o.sortBy === 'relevance' && !q.text ? 'createdAt' : o.sortBy;
  const byRelevance = sortBy === 'relevance';
  // the text is matched on the document (joined, or the candidates' own table by relevance)
  const compiled = compileSearch(q, scope, params, { textAlias: q.text ? 'ts' : undefined });
  let from = `FROM tickets t${q.text ? ' JOIN ticket_search ts ON ts.ticket_id = t.id' : ''}`;
  let candidates = '';
  if (byRelevance) {
    // Ranking every match costs a document read per match (seconds for a common word in a
    // million tickets): rank the newest RANKED_CANDIDATES matches only. The documents carry
    // their ticket's creation (migration 0012), so the planner finds the newest matches in
    // ticket_search alone — walking its creation index for common words, from the GIN index for
    // rare ones — and visits a ticket only when there are filters to check.
    const textOnly = compiled.where.length === 1;
    const matches = `SELECT ts.ticket_id AS id, ts.created_at FROM ticket_search ts${textOnly ? '' : ' JOIN tickets t ON t.id = ts.ticket_id'}
       WHERE ${compiled.where.join(' AND ')}`;
    // With filters, the planner takes the newest-first walk for any ORDER BY … LIMIT, not knowing
    // that the filters' tickets may be few or far back (closed ones are old): it walks only when it
    // expects many matches; otherwise OFFSET 0 makes it find every match first (from whichever
    // side, filters or words, is smaller) and the newest are sorted out of those.
    const walk = textOnly || (await plannerRows(db, matches, params)) >= WALK_ABOVE;
    candidates = `candidates AS MATERIALIZED (
      SELECT m.id FROM (${matches}${walk ? '' : ' OFFSET 0'}) m
       ORDER BY m.created_at DESC, m.id DESC LIMIT ${RANKED_CANDIDATES}),`;
    // named t: the ordering and the keyset below name t.id, and nothing else of the ticket is needed to rank
    from = 'FROM candidates t JOIN ticket_search ts ON ts.ticket_id = t.id';
  }
  let expr: string;
  let text: string;
  let cast: string;
  if (sortBy === 'relevance') {
    expr = `ts_rank_cd(ts.${compiled.vector}, ${compiled.tsquery})`;
    text = `${expr}::text`;
    cast = 'real';
  } else {
    ({ expr, text, cast } = SORT_KEYS[sortBy]);
    // newest or oldest matches first: in the documents' own creation order (the same instant as the ticket's)
    if (q.text && sortBy === 'createdAt') [expr, text] = [expr.replaceAll('t.created_at', 'ts.created_at'), text.replaceAll('t.created_at', 'ts.created_at')];
  }
  // relevance desc: best first; priority and SLA due desc: most urgent first (as /tickets)
  const ascending = (o.sortOrder === 'asc') !== (sortBy === 'priority' || sortBy === 'slaDue');
  const dir = ascending ? 'ASC' : 'DESC';
  const where = byRelevance ? [] : [...compiled.where];
  if (o.after) {
    where.push(`(${expr}, t.id) ${ascending ? '>' : '<'} ($${params.push(o.after.key)}::${cast}, $${params.push(o.after.id)}::uuid)`);
  }
  const tsq = compiled.tsquery ?? 'NULL::tsquery';
  const hl = (col: string, opts: string) =>
    compiled.tsquery ? `ts_headline(${TS_CONFIG}, translate(${col}, E'\\x01\\x02', ''), ${tsq}, $${params.push(opts)})` : 'NULL';
  const internal = scope.audience === 'agent' ? 'true' : 'NOT c.is_internal';
  const limit = `$${params.push(o.limit)}`;
  const sql = `
    WITH ${candidates} page AS (
      SELECT t.id, ${expr} AS sort_value, ${text} AS sort_key
      ${from}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${expr} ${dir}, t.id ${dir}
      LIMIT ${limit})
    SELECT ${VIEW_COLUMNS}, p.sort_key,
      ${hl('t.subject', SUBJECT_OPTIONS)} AS hl_subject,
      ${hl('t.description', HEADLINE_OPTIONS)} AS hl_description,
      ${compiled.tsquery
        ? `(SELECT array_agg(x.h ORDER BY x.seq) FROM (
             SELECT c.seq, ts_headline(${TS_CONFIG}, translate(c.content, E'\\x01\\x02', ''), ${tsq}, $${params.push(HEADLINE_OPTIONS)}) AS h
               FROM ticket_comments c
              WHERE c.ticket_id = t.id AND ${internal} AND triage_comment_doc(c.content) @@ ${tsq}
              ORDER BY c.seq LIMIT 3) x)`
        : 'NULL'} AS hl_comments
    FROM page p JOIN tickets t ON t.id = p.id
    ${VIEW_FROM.replace(/^\s*FROM tickets t\s*/, '')}
    ORDER BY p.sort_value ${dir}, p.id ${dir}`;
  const rows = (await db.query<SearchRow>(sql, params, CUSTOM)).rows;
  const lastRow = rows[rows.length - 1];
  return { rows, last: lastRow ? { key: lastRow.sort_key, id: lastRow.id } : undefined };
}

/**
 * How many tickets match: exact up to 10,000 (a count that stops at 10,001
 * rows), beyond that the planner's estimate (never below 10,001), flagged.
 * When the planner expects more than 20,000 matches the count is not run at
 * all and its estimate is the (flagged) answer; on a PostgreSQL server a count
 * that runs past its time budget is abandoned the same way.
 */
export async function countMatches(
  db: Db, q: SearchQuery, scope: SearchScope, cap = CAP, budgetMs = COUNT_BUDGET_MS,
): Promise<{ total: number; isEstimate: boolean }> {
  const params: unknown[] = [];
  const { where, tsquery, vector } = compileSearch(q, scope, params);
  // free text alone: count the documents (one per ticket) without visiting the tickets
  const body = tsquery && where.length === 1
    ? `SELECT 1 FROM ticket_search s WHERE s.${vector} @@ ${tsquery}`
    : `SELECT 1 FROM tickets t${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  // counting 10,001 rows of a query the planner expects to match far more costs 10,001 row
  // visits and tells nothing the estimate does not: answer with the estimate straight away
  const count = `SELECT count(*)::int AS n FROM (${body} LIMIT ${cap + 1}) x`;
  const { rows: expected, cost } = await plannerEstimate(db, body, params);
  if (expected > ESTIMATE_ONLY_ABOVE) return { total: expected, isEstimate: true };
  // (the cost of finding every match: at most what the count, which stops at cap + 1, costs)
  const n = cost > BUDGET_ABOVE_COST ? await countWithin(db, count, params, budgetMs) : (await db.query<{ n: number }>(count, params, CUSTOM)).rows[0].n;
  // over its time budget the count is abandoned: the planner's estimate answers, flagged
  if (n === undefined) return { total: expected, isEstimate: true };
  if (n <= cap) return { total: n, isEstimate: false };
  return { total: Math.max(cap + 1, expected), isEstimate: true };
}

export interface StatsRow {
  dim: 'status' | 'priority' | 'category' | 'assignee' | 'group' | 'total';
  key: string | null;
  label: string | null;
  n: number;
}

/** Counts of the matching tickets by status, priority, category, assignee and group, in one statement (GROUPING SETS). */
export async function ticketStats(db: Db, q: SearchQuery, scope: SearchScope): Promise<StatsRow[]> {
  const params: unknown[] = [];
  const { where } = compileSearch(q, scope, params);
  const r = await db.query<StatsRow>(
    `WITH m AS (SELECT t.status, t.priority, t.category, t.assignee_id, t.assignee_group_id FROM tickets t
                 ${where.length ? `WHERE ${where.join(' AND ')}` : ''}),
          g AS (SELECT status, priority, category, assignee_id, assignee_group_id, count(*)::int AS n,
                       GROUPING(status) AS gs, GROUPING(priority) AS gp, GROUPING(category) AS gc,
                       GROUPING(assignee_id) AS ga, GROUPING(assignee_group_id) AS gg
                  FROM m GROUP BY GROUPING SETS ((status), (priority), (category), (assignee_id), (assignee_group_id), ()))
     SELECT CASE WHEN g.gs = 0 THEN 'status' WHEN g.gp = 0 THEN 'priority' WHEN g.gc = 0 THEN 'category'
                 WHEN g.ga = 0 THEN 'assignee' WHEN g.gg = 0 THEN 'group' ELSE 'total' END AS dim,
            coalesce(g.status, g.priority, g.category, g.assignee_id::text, g.assignee_group_id::text) AS key,
            coalesce(a.name, gr.slug) AS label, g.n
       FROM g LEFT JOIN agents a ON a.id = g.assignee_id LEFT JOIN groups gr ON gr.id = g.assignee_group_id`,
    params, CUSTOM,
  );
  return r.rows;
}

/**
 * Switches the install's text search configuration to a stemmer (`simple`,
 * `english`, `german` …; unaccent stays in front) and rebuilds every document,
 * in one transaction. Returns how many tickets were re-indexed.
 */
export async function setSearchLanguage(db: Db, dictionary: string): Promise<number> {
  if (!/^[a-z_]{1,40}$/.test(dictionary)) throw new Error(`not a dictionary name: ${dictionary}`);
  return db.transaction(async (tx) => {
    await tx.exec(`ALTER TEXT SEARCH CONFIGURATION triage_search
      ALTER MAPPING FOR asciiword, word, hword, hword_part, asciihword, hword_asciipart, numword, numhword
      WITH unaccent, ${dictionary}`);
    await tx.query(`INSERT INTO settings (key, value, updated_at) VALUES ('search', jsonb_build_object('language', regexp_replace($1::text, '_stem$', ''), 'dictionary', $1::text), now())
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, [dictionary]);
    // a CTE with a volatile function runs it for every row
    const r = await tx.query<{ n: number }>('WITH x AS (SELECT triage_reindex_ticket(t.id) FROM tickets t) SELECT count(*)::int AS n FROM x');
    return r.rows[0].n;
  });
}

/** The dictionaries a language may name: the snowball stemmers installed, plus `simple`. */
export async function listSearchDictionaries(db: Db): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT d.dictname AS name FROM pg_ts_dict d JOIN pg_ts_template tp ON tp.oid = d.dicttemplate
      WHERE tp.tmplname IN ('snowball', 'simple') AND d.dictname <> 'unaccent' ORDER BY 1`,
  );
  return r.rows.map((x) => x.name);
}
