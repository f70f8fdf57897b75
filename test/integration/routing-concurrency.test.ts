/**
 * Routing invariants under real concurrency: bursts of tickets created at once
 * over real HTTP, invariants asserted from the database afterwards. On
 * PostgreSQL also with several Triage processes on one database.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { createAgent, createGroup } from '../../src/domain/people/commands.ts';
import { createApiToken } from '../../src/domain/auth/commands.ts';
import { createRule } from '../../src/domain/routing/commands.ts';
import { SYSTEM_ACTOR } from '../../src/domain/context.ts';
import { burst } from '../helpers/concurrency.ts';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, DB_KIND, loadDrift, TEST_DATABASE_URL } from '../helpers/db.ts';
import { killAllTriage, startTriage } from '../helpers/triage-process.ts';

function poster(base: string, token: string) {
  return async (body: unknown) => {
    const res = await fetch(`${base}/api/v1/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  };
}

describe(`routing under concurrency (${DB_KIND})`, () => {
  let t: TestApp;
  let base: string;

  beforeEach(async () => {
    t = await createTestApp();
    base = await t.listen();
  });
  afterEach(async () => {
    // whatever the burst did, the load the database keeps is the count of the tickets
    try {
      if (t) expect(await loadDrift(t.db)).toEqual([]);
    } finally {
      await t?.close();
    }
  });

  const q = async <T>(sql: string, params: unknown[] = []) => (await t.db.query<T>(sql, params)).rows;
  const loads = async (ids: string[]) =>
    q<{ id: string; n: number }>(
      `SELECT a.id, (SELECT count(*)::int FROM tickets t WHERE t.assignee_id = a.id) AS n FROM agents a WHERE a.id = ANY($1::uuid[])`,
      [ids],
    );

  for (const strategy of ['group_least_busy', 'group_round_robin', 'skill_based'] as const) {
    it(`${strategy}: 200 tickets at once, 10 agents of capacity 5 — nobody over capacity, 150 wait in the group's queue`, async () => {
      await t.request('POST', '/api/v1/groups', { body: { name: 'support' } });
      const agents = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t.makeAgent({ name: `Agent ${i}`, groups: ['support'], skills: ['english'], maxConcurrentTickets: 5, status: 'online' }),
        ),
      );
      const rule = await t.request('POST', '/api/v1/assignment-rules', {
        body: { name: 'Everything to support', conditions: {}, action: { type: strategy, group: 'support', ...(strategy === 'skill_based' ? { skills: ['english'] } : {}) } },
      });
      expect(rule.statusCode, rule.body).toBe(201);
      const post = poster(base, t.admin.token);
      const statuses = await burst(200, 200, () => post(ticketBody()));
      expect(statuses.every((s) => s === 201)).toBe(true);

      const perAgent = await loads(agents.map((a) => a.id));
      expect(perAgent.map((r) => r.n)).toEqual(Array(10).fill(5));
      const [{ assigned, waiting, queued }] = await q<{ assigned: number; waiting: number; queued: number }>(
        `SELECT count(*) FILTER (WHERE assignee_id IS NOT NULL)::int AS assigned,
                count(*) FILTER (WHERE assignee_id IS NULL AND assignee_group_id = (SELECT id FROM groups WHERE slug = 'support'))::int AS waiting,
                count(*) FILTER (WHERE queued_at IS NOT NULL AND assignee_id IS NULL)::int AS queued
           FROM tickets`,
      );
      expect({ assigned, waiting, queued }).toEqual({ assigned: 50, waiting: 150, queued: 150 });
      // exactly one routing decision recorded per ticket, naming the rule
      const decisions = await q<{ n: number; rules: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE changed_to->>'ruleId' = $1)::int AS rules
           FROM ticket_history WHERE change_type = 'assigned'`,
        [rule.json().id],
      );
      expect(decisions[0]).toEqual({ n: 200, rules: 200 });

      // the group reports the same live picture
      const group = (await t.request('GET', '/api/v1/groups/support')).json();
      expect(group).toMatchObject({ load: 50, capacity: 50, waiting: 150 });
    });
  }

  it('the queue drains as agents free up, oldest most urgent first, never over capacity, under concurrent resolves', async () => {
    await t.request('POST', '/api/v1/groups', { body: { name: 'desk' } });
    const agents = await Promise.all(
      Array.from({ length: 4 }, (_, i) => t.makeAgent({ name: `Desk ${i}`, groups: ['desk'], maxConcurrentTickets: 2, status: 'online' })),
    );
    await t.request('POST', '/api/v1/assignment-rules', { body: { name: 'desk', action: { type: 'group_least_busy', group: 'desk' } } });
    const post = poster(base, t.admin.token);
    await burst(40, 10, () => post(ticketBody()));
    const assigned = await q<{ id: string; assignee_id: string }>('SELECT id, assignee_id FROM tickets WHERE assignee_id IS NOT NULL');
    expect(assigned).toHaveLength(8);
    const waitingBefore = await q<{ id: string }>(
      'SELECT id FROM tickets WHERE assignee_id IS NULL ORDER BY priority_rank, created_at, id',
    );
    // every agent resolves all their tickets at once; each resolve drains the queue
    const statuses = await burst(8, 8, async (i) => {
      const who = agents.find((a) => a.id === assigned[i].assignee_id)!;
      const res = await fetch(`${base}/api/v1/tickets/${assigned[i].id}/resolve`, { method: 'POST', headers: { authorization: `Bearer ${who.token}` } });
      await res.arrayBuffer();
      return res.status;
    });
    expect(statuses.every((s) => s === 200)).toBe(true);
    const open = await q<{ assignee_id: string; n: number }>(
      `SELECT assignee_id, count(*)::int AS n FROM tickets WHERE status IN ('new','open','in_progress') AND assignee_id IS NOT NULL GROUP BY assignee_id`,
    );
    expect(open.map((r) => r.n)).toEqual([2, 2, 2, 2]);
    const [{ waiting }] = await q<{ waiting: number }>(`SELECT count(*)::int AS waiting FROM tickets WHERE assignee_id IS NULL`);
    expect(waiting).toBe(40 - 8 - 8);
    // the drained tickets are the oldest waiting ones (all tickets are normal priority here)
    const drained = await q<{ id: string }>(`SELECT id FROM tickets WHERE assignment->>'method' = 'queue_drain'`);
    expect(drained.map((d) => d.id).sort()).toEqual(waitingBefore.slice(0, 8).map((w) => w.id).sort());
  });

  it('round robin over 1,000 assignments is fair, under concurrency and across a restart', async () => {
    const N = 7;
    await t.request('POST', '/api/v1/groups', { body: { name: 'rr' } });
    const agents = await Promise.all(
      Array.from({ length: N }, (_, i) => t.makeAgent({ name: `RR ${i}`, groups: ['rr'], maxConcurrentTickets: 1000, status: 'online' })),
    );
    await t.request('POST', '/api/v1/assignment-rules', { body: { name: 'rr', action: { type: 'group_round_robin', group: 'rr' } } });
    const post = poster(base, t.admin.token);
    const first = await burst(600, 16, () => post(ticketBody()));
    expect(first.every((s) => s === 201)).toBe(true);

    // "restart": a new app on the same database continues the same rotation
    const config = { ...t.config };
    await t.app.close();
    const second = await buildApp({ db: t.db, clock: systemClock, config, logger: false });
    const secondBase = await second.listen({ port: 0, host: '127.0.0.1' });
    try {
      const rest = await burst(400, 16, () => poster(secondBase, t.admin.token)(ticketBody()));
      expect(rest.every((s) => s === 201)).toBe(true);
    } finally {
      await second.close();
    }
    const counts = (await loads(agents.map((a) => a.id))).map((r) => r.n);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
    for (const c of counts) expect([Math.floor(1000 / N), Math.ceil(1000 / N)]).toContain(c);
  });
});

// Several processes share only a PostgreSQL server (PGlite is one process's database), so this block exists on that run only.
if (TEST_DATABASE_URL) describe('routing with several Triage processes on one PostgreSQL', () => {
  afterAll(async () => killAllTriage());

  it('three processes creating at once: round robin stays fair and capacity holds', async () => {
    const { db, url, drop } = await createTestDatabase();
    const ctx = { db, clock: systemClock, actor: SYSTEM_ACTOR };
    try {
      await createGroup(ctx, { name: 'fair' });
      await createGroup(ctx, { name: 'tight' });
      const fair = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          createAgent(ctx, { name: `Fair ${i}`, email: `fair${i}@triage.test`, groups: ['fair'], maxConcurrentTickets: 1000, status: 'online' }),
        ),
      );
      const tight = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          createAgent(ctx, { name: `Tight ${i}`, email: `tight${i}@triage.test`, groups: ['tight'], maxConcurrentTickets: 3, status: 'online' }),
        ),
      );
      await createRule(ctx, { name: 'tight', conditions: { categories: ['billing'] }, action: { type: 'group_least_busy', group: 'tight' } });
      await createRule(ctx, { name: 'fair', action: { type: 'group_round_robin', group: 'fair' } });
      const admin = await createAgent(ctx, { name: 'Admin', email: 'admin@triage.test', role: 'admin' });
      const { token } = await createApiToken({ ...ctx, actor: { type: 'agent', id: admin.id, name: admin.name, role: 'admin' } }, 'procs');

      const env = { DATABASE_URL: url!, ROUTING_SWEEP_SECONDS: '0' };
      const procs = await Promise.all([startTriage(env), startTriage(env), startTriage(env)]);
      const posts = procs.map((p) => poster(p.url, token));
      const statuses = await burst(1000 + 59, 24, (i) =>
        posts[i % 3](ticketBody(i % 18 === 0 ? { category: 'billing' } : {})),
      );
      expect(statuses.filter((s) => s !== 201)).toEqual([]);
      await Promise.all(procs.map((p) => p.stop()));
      expect(await loadDrift(db)).toEqual([]);

      const count = async (ids: string[]) =>
        (
          await db.query<{ n: number }>(
            `SELECT (SELECT count(*)::int FROM tickets t WHERE t.assignee_id = a.id) AS n FROM agents a WHERE a.id = ANY($1::uuid[])`,
            [ids],
          )
        ).rows.map((r) => r.n);
      const fairCounts = await count(fair.map((a) => a.id));
      expect(fairCounts.reduce((a, b) => a + b, 0)).toBe(1000);
      for (const c of fairCounts) expect([Math.floor(1000 / 6), Math.ceil(1000 / 6)]).toContain(c);
      expect(await count(tight.map((a) => a.id))).toEqual([3, 3, 3, 3, 3]);
      const waiting = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets WHERE category = 'billing' AND assignee_id IS NULL`)).rows[0].n;
      expect(waiting).toBe(59 - 15); // 59 billing tickets (every 18th), 5 agents × 3 slots
    } finally {
      await drop();
    }
  }, 120_000);
});

