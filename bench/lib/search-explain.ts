/**
 * bench:search's diagnostics: the statements each measurement sends, recorded
 * by running the same domain/repository code in-process through a Db wrapper,
 * then each one EXPLAIN (ANALYZE, BUFFERS)ed with its parameters. The plans go
 * to bench/out/search-explain-<name>.txt; the summary names the costliest
 * statement of each measurement.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, QueryResult } from '../../src/db/client.ts';
import { runSearch } from '../../src/domain/search/service.ts';
import type { SearchScope } from '../../src/db/repositories/search.ts';
import { SORT_KEYS } from '../../src/db/repositories/tickets.ts';
import { reportDaily, reportGroups } from '../../src/db/repositories/reports.ts';
import { OUT_DIR } from './server.ts';

interface Recorded {
  sql: string;
  params: unknown[];
}

export interface ExplainItem {
  kind: string;
  statements: number;
  totalMs: number;
  costliest: string;
  costliestMs: number;
}

export interface ExplainSummary {
  file: string;
  items: ExplainItem[];
}

/** A Db that remembers every statement sent through it (transactions join the same list); the rest passes through. */
function recording(db: Db, into: Recorded[]): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return <T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> => {
          into.push({ sql, params });
          return target.query<T>(sql, params);
        };
      }
      if (prop === 'transaction') return <T>(fn: (tx: Db) => Promise<T>) => target.transaction((tx) => fn(recording(tx, into)));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A short name for a statement of the search, view and report code. */
function label(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  if (s.startsWith('WITH page AS')) return 'search page (ids in order, then rows + highlights)';
  if (s.startsWith('WITH candidates AS')) return 'relevance page (newest 500 matches ranked, then rows + highlights)';
  if (s.startsWith('SELECT count(*)::int AS n FROM (')) return 'capped count (≤ 10,001)';
  if (s.startsWith('WITH base AS')) return 'report aggregates (GROUPING SETS)';
  if (s.startsWith('SELECT d.date')) return 'report daily counts';
  if (s.startsWith('SELECT ((SELECT count(*)')) return 'report backlog at start';
  return s.slice(0, 60);
}

const ROLLBACK = new Error('rollback');

const scope = (now: Date): SearchScope => ({ audience: 'agent', actorId: null, now });

/**
 * Runs each measurement's code once with a representative query, then
 * EXPLAIN ANALYZEs what it sent. `queries` maps the search measurements to
 * their query text.
 */
export async function explainSearches(
  db: Db,
  o: { name: string; now: Date; viewLimit: number; queries: Record<string, string> },
): Promise<ExplainSummary> {
  const jobs: [string, (rec: Db) => Promise<unknown>][] = [];
  for (const [kind, query] of Object.entries(o.queries)) {
    jobs.push([`${kind}: ${query}`, (rec) => runSearch(rec, scope(o.now), { query, sortBy: 'relevance', sortOrder: 'desc', limit: 20 })]);
  }
  jobs.push(['view page 1', (rec) => runSearch(rec, scope(o.now), { query: '', sortBy: 'createdAt', sortOrder: 'desc', limit: o.viewLimit })]);
  const deep = (
    await db.query<{ id: string; key: string }>(
      `SELECT t.id, ${SORT_KEYS.createdAt.text} AS key FROM tickets t ORDER BY t.created_at DESC, t.id DESC OFFSET $1 LIMIT 1`,
      [999 * o.viewLimit - 1],
    )
  ).rows[0];
  if (deep) {
    jobs.push(['view page 1,000', (rec) => runSearch(rec, scope(o.now), { query: '', sortBy: 'createdAt', sortOrder: 'desc', limit: o.viewLimit, after: { key: deep.key, id: deep.id } })]);
  }
  const startDay = new Date(Date.UTC(o.now.getUTCFullYear(), o.now.getUTCMonth(), o.now.getUTCDate() - 89));
  const days = Array.from({ length: 90 }, (_, i) => {
    const start = new Date(startDay.getTime() + i * 86400_000);
    return { date: start.toISOString().slice(0, 10), start, end: new Date(start.getTime() + 86400_000) };
  });
  const filter = { start: days[0].start, end: days[89].end, excludePending: true };
  jobs.push(['90-day report', async (rec) => Promise.all([reportGroups(rec, filter), reportDaily(rec, filter, days)])]);

  const out: string[] = [];
  const items: ExplainItem[] = [];
  for (const [kind, run] of jobs) {
    const rec: Recorded[] = [];
    await run(recording(db, rec));
    const item: ExplainItem = { kind, statements: 0, totalMs: 0, costliest: '', costliestMs: -1 };
    // one transaction per measurement, rolled back: a `SET LOCAL` the code sent (jit = off for the
    // report) applies to the statements after it, as it did when the code ran
    await db
      .transaction(async (tx) => {
        for (const st of rec) {
          if (/^\s*SET\s/i.test(st.sql)) {
            await tx.query(st.sql, st.params);
            out.push(`=== ${kind} — ${st.sql.trim()}`, '');
            continue;
          }
          if (!/^\s*(SELECT|WITH)\s/i.test(st.sql)) continue;
          const plan = (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${st.sql}`, st.params)).rows.map((r) => r['QUERY PLAN']).join('\n');
          const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
          item.statements++;
          item.totalMs += ms;
          if (ms > item.costliestMs) {
            item.costliestMs = ms;
            item.costliest = label(st.sql);
          }
          out.push(`=== ${kind} — ${label(st.sql)} (${ms} ms)`, st.sql.trim(), `-- params: ${JSON.stringify(st.params)}`, plan, '');
        }
        throw ROLLBACK;
      })
      .catch((err) => {
        if (err !== ROLLBACK) throw err;
      });
    items.push(item);
  }
  const file = join(OUT_DIR, `search-explain-${o.name}.txt`);
  writeFileSync(file, `${out.join('\n')}\n`);
  return { file, items };
}
