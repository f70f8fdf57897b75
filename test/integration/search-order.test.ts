import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { countMatches, RANKED_CANDIDATES } from '../../src/db/repositories/search.ts';
import { compileQuery } from '../../src/domain/search/query.ts';
import { SYSTEM_ACTOR } from '../../src/domain/context.ts';
import { agentScope, runSearch } from '../../src/domain/search/service.ts';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND, TEST_DATABASE_URL } from '../helpers/db.ts';

/**
 * Relevance ranks the newest RANKED_CANDIDATES matches, found in the documents' own creation
 * order (ticket_search.created_at, migration 0012); a search sorted by date pages through the
 * matches in that order. One minute apart: the oldest ticket is the best match of all, and falls
 * outside the ranked window once more than RANKED_CANDIDATES newer tickets match.
 */
describe(`search order by the documents' creation (${DB_KIND})`, () => {
  let t: TestApp;
  let clock: FakeClock;
  const ids: string[] = [];

  beforeAll(async () => {
    clock = new FakeClock(new Date('2026-03-02T09:00:00Z'));
    t = await createTestApp({ clock, routing: false });
    const create = async (i: number, subject: string, description: string) => {
      clock.set(new Date(Date.parse('2026-03-02T09:00:00Z') + i * 60_000));
      const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody({ subject, description }) });
      expect(res.statusCode, res.body).toBe(201);
      ids[i] = res.json().id;
    };
    // ticket 0: the best match (the word in its subject three times), and the oldest
    await create(0, 'quokka quokka quokka', 'quokka everywhere');
    for (let i = 1; i <= RANKED_CANDIDATES + 1; i++) await create(i, `Order ${i}`, i === RANKED_CANDIDATES + 1 ? 'a quokka in the subject? no: in the description' : `the quokka of order ${i}`);
  }, 240_000);
  afterAll(async () => t?.close());

  const search = async (qs: string) => {
    const res = await t.request('GET', `/api/v1/search?${qs}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { tickets: { id: string }[]; nextCursor: string | null; total: number };
  };

  it('ranks the newest matches only: the oldest, best match is outside the window', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(`query=quokka&sortBy=relevance&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      all.push(...page.tickets.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(RANKED_CANDIDATES);
    expect(new Set(all).size).toBe(RANKED_CANDIDATES);
    expect(all).not.toContain(ids[0]);
    expect(all).not.toContain(ids[1]);
    expect(all).toContain(ids[RANKED_CANDIDATES + 1]);
    // every match is counted, ranked or not
    expect((await search('query=quokka&limit=1')).total).toBe(RANKED_CANDIDATES + 2);
  });

  it('with a filter, the window is the newest matches that pass it', async () => {
    await t.request('PATCH', `/api/v1/tickets/${ids[0]}`, { body: { priority: 'critical' } });
    const page = await search('query=' + encodeURIComponent('quokka priority:critical') + '&sortBy=relevance');
    expect(page.tickets.map((x) => x.id)).toEqual([ids[0]]);
  });

  it('sorted by date, pages through the matches newest or oldest first', async () => {
    const newest = await search('query=quokka&sortBy=createdAt&sortOrder=desc&limit=3');
    expect(newest.tickets.map((x) => x.id)).toEqual([ids[RANKED_CANDIDATES + 1], ids[RANKED_CANDIDATES], ids[RANKED_CANDIDATES - 1]]);
    const oldest = await search('query=quokka&sortBy=createdAt&sortOrder=asc&limit=2');
    expect(oldest.tickets.map((x) => x.id)).toEqual([ids[0], ids[1]]);
    const next = await search(`query=quokka&sortBy=createdAt&sortOrder=asc&limit=2&cursor=${encodeURIComponent(oldest.nextCursor!)}`);
    expect(next.tickets.map((x) => x.id)).toEqual([ids[2], ids[3]]);
  });

  it('a document rebuilt from nothing takes its ticket creation instant', async () => {
    await t.db.query('DELETE FROM ticket_search WHERE ticket_id = $1', [ids[5]]);
    await t.db.query('SELECT triage_reindex_ticket($1)', [ids[5]]);
    const r = await t.db.query<{ same: boolean }>(
      'SELECT s.created_at = t.created_at AS same FROM ticket_search s JOIN tickets t ON t.id = s.ticket_id WHERE s.ticket_id = $1', [ids[5]]);
    expect(r.rows).toEqual([{ same: true }]);
  });

  it('counts matches exactly within the time budget', async () => {
    const now = clock.now();
    const q = compileQuery('quokka requester:ann', { now });
    expect(await countMatches(t.db, q, agentScope(SYSTEM_ACTOR, now), 10_000, 60_000)).toEqual({ total: RANKED_CANDIDATES + 2, isEstimate: false });
  });

  if (TEST_DATABASE_URL) {
    it('plans search statements with their values: none is kept prepared, unlike other statements (PostgreSQL)', async () => {
      // a prepared statement settles on a generic plan after five runs, blind to how many tickets
      // a word or a filter matches (seconds instead of milliseconds at a million tickets)
      const now = clock.now();
      const prepared = await t.db.transaction(async (tx) => {
        await tx.query('SELECT id FROM tickets WHERE id = $1', [ids[1]]);
        for (const query of ['quokka', 'quokka status:new,open', 'status:new']) {
          await runSearch(tx, agentScope(SYSTEM_ACTOR, now), { query, sortBy: 'relevance', sortOrder: 'desc', limit: 5 });
        }
        const has = async (text: string) => (await tx.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_prepared_statements WHERE position($1 in statement) > 0', [text])).rows[0].n;
        return {
          lookup: await has('SELECT id FROM tickets WHERE id = $1'),
          // the relevance page, any page (highlights), the planner's estimates and the count
          search: await has('candidates AS MATERIALIZED') + await has('hl_subject') + await has('EXPLAIN') + await has('count(*)::int AS n FROM (SELECT 1'),
        };
      });
      expect(prepared).toEqual({ lookup: 1, search: 0 });
    });

    it('abandons an exact count past its time budget and answers with the planner estimate, flagged (PostgreSQL)', async () => {
      const now = clock.now();
      // 15,000 more matching tickets (copies of one; documents and facts by the triggers), fewer than
      // the 20,000 expected matches beyond which no count runs: counting them, each probed for the
      // filter, takes far longer than 1 ms
      await t.db.query(
        `INSERT INTO tickets (subject, description, category, requester_id, source, created_at, updated_at)
         SELECT t.subject, t.description, t.category, t.requester_id, t.source, t.created_at, t.updated_at
           FROM tickets t, generate_series(1, 15000) WHERE t.id = $1`, [ids[3]]);
      await t.db.query('ANALYZE tickets, ticket_search');
      const q = compileQuery('quokka status:new,open', { now });
      const scope = agentScope(SYSTEM_ACTOR, now);
      const r = await countMatches(t.db, q, scope, 30_000, 1); // under the cap: only the timeout makes it an estimate
      expect(r.isEstimate).toBe(true);
      expect(r.total).toBeGreaterThan(0);
      // the connection is usable afterwards (the timeout was local to the count's transaction)
      expect((await t.db.query<{ n: number }>('SELECT 1 AS n')).rows[0].n).toBe(1);
      // with time enough, the same count runs to its cap
      expect(await countMatches(t.db, q, scope, 10_000, 60_000)).toMatchObject({ isEstimate: true });
      expect((await countMatches(t.db, q, scope, 30_000, 60_000)).total).toBe(RANKED_CANDIDATES + 2 + 15_000);
      // with this many expected matches the newest are found by walking the documents newest first
      // (below it, every match is found first): both ways give the newest matches that pass the filter
      const page = await search(`query=${encodeURIComponent('quokka status:new,open')}&sortBy=relevance&limit=100`);
      expect(page.tickets).toHaveLength(100);
      const rows = await t.db.query<{ status: string }>('SELECT status FROM tickets WHERE id = ANY($1::uuid[])', [page.tickets.map((x) => x.id)]);
      expect(rows.rows.every((r) => ['new', 'open'].includes(r.status))).toBe(true);
      expect(page.tickets.map((x) => x.id)).not.toContain(ids[0]);
    });
  }
});
