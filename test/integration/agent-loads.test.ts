/**
 * Agent load as the database keeps it (agent_loads, migration 0015): the
 * counts must equal a count of the tickets after any mix of concurrent changes
 * through the API, after rollbacks and after plain SQL; routing must read them;
 * the maintenance run must find and repair a count changed behind the triggers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/jobs/maintenance.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { burst } from '../helpers/concurrency.ts';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND, loadDrift } from '../helpers/db.ts';

/** A small deterministic generator, so a failing mix can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe(`agent loads kept by the database (${DB_KIND})`, () => {
  let t: TestApp;
  let base: string;
  let agents: TestAgent[];

  beforeEach(async () => {
    t = await createTestApp();
    base = await t.listen();
    await t.request('POST', '/api/v1/groups', { body: { name: 'desk' } });
    agents = await Promise.all(
      Array.from({ length: 5 }, (_, i) => t.makeAgent({ name: `Desk ${i}`, groups: ['desk'], maxConcurrentTickets: 1000, status: 'online' })),
    );
    await t.request('POST', '/api/v1/assignment-rules', { body: { name: 'desk', action: { type: 'group_least_busy', group: 'desk' } } });
  });
  afterEach(async () => t?.close());

  const q = async <T>(sql: string, params: unknown[] = []) => (await t.db.query<T>(sql, params)).rows;
  const stored = async (id: string) =>
    (await q<{ open_count: number; pending_count: number }>('SELECT open_count, pending_count FROM agent_loads WHERE agent_id = $1', [id]))[0];
  const send = async (method: string, path: string, body?: unknown, token = t.admin.token) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text };
  };
  const createTickets = async (n: number) => {
    const made = await burst(n, 16, () => send('POST', '/tickets', ticketBody()));
    expect(made.map((m) => m.status)).toEqual(Array(n).fill(201));
    return made.map((m) => JSON.parse(m.body).id as string);
  };

  it('equal a count of the tickets after 400 concurrent changes of status and assignee over HTTP', async () => {
    const ids = await createTickets(60);
    const next = rng(20261129);
    const ops = Array.from({ length: 400 }, () => {
      const id = ids[next(ids.length)];
      const agent = agents[next(agents.length)];
      switch (next(9)) {
        case 0: return () => send('PATCH', `/tickets/${id}`, { status: 'pending' });
        case 1: return () => send('PATCH', `/tickets/${id}`, { status: 'in_progress' });
        case 2: return () => send('PATCH', `/tickets/${id}`, { status: 'open' });
        case 3: return () => send('POST', `/tickets/${id}/resolve`, {});
        case 4: return () => send('POST', `/tickets/${id}/reopen`, {});
        case 5: return () => send('PATCH', `/tickets/${id}`, { assigneeId: agent.id });
        case 6: return () => send('PATCH', `/tickets/${id}`, { assigneeId: null });
        case 7: return () => send('POST', `/tickets/${id}/assign`, { agentId: agent.id });
        default: return next(4) === 0 ? () => send('DELETE', `/tickets/${id}`) : () => send('POST', `/tickets/${id}/close`, {});
      }
    });
    const results = await burst(ops.length, 16, (i) => ops[i]());
    // a refused move (resolve a closed ticket …) is a 409; nothing fails
    expect(results.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(200);
    expect(await loadDrift(t.db)).toEqual([]);
    // what the agents API reports is the same count (open and pending)
    const items = (JSON.parse((await send('GET', '/agents?limit=100')).body) as { agents: { id: string; currentTickets: number }[] }).agents;
    for (const a of agents) {
      const [{ n }] = await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM tickets WHERE assignee_id = $1 AND status IN ('new','open','in_progress','pending')`,
        [a.id],
      );
      expect(items.find((x) => x.id === a.id)?.currentTickets).toBe(n);
    }
  });

  it('two agents swapping forty tickets at once: no deadlock fails a request, counts stay exact', async () => {
    const ids = await createTickets(40);
    const [a, b] = agents;
    await burst(40, 8, (i) => send('PATCH', `/tickets/${ids[i]}`, { assigneeId: i % 2 ? a.id : b.id }));
    const before = await q<{ id: string; assignee_id: string }>('SELECT id, assignee_id FROM tickets WHERE id = ANY($1::uuid[])', [ids]);
    const swaps = await burst(before.length, 16, (i) =>
      send('PATCH', `/tickets/${before[i].id}`, { assigneeId: before[i].assignee_id === a.id ? b.id : a.id }),
    );
    expect(swaps.map((s) => s.status)).toEqual(Array(40).fill(200));
    expect(await stored(a.id)).toEqual({ open_count: 20, pending_count: 0 });
    expect(await stored(b.id)).toEqual({ open_count: 20, pending_count: 0 });
    expect(await loadDrift(t.db)).toEqual([]);
  });

  it('a rolled-back change leaves them as they were; plain SQL moves them like the application does', async () => {
    const ids = await createTickets(10);
    const [a, b] = agents;
    await q(`UPDATE tickets SET assignee_id = $1, status = 'open' WHERE id = ANY($2::uuid[])`, [a.id, ids]);
    expect(await stored(a.id)).toEqual({ open_count: 10, pending_count: 0 });
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(`UPDATE tickets SET assignee_id = $1 WHERE id = $2`, [b.id, ids[0]]);
        await tx.query(`UPDATE tickets SET status = 'pending' WHERE id = $1`, [ids[1]]);
        expect((await tx.query<{ open_count: number }>('SELECT open_count FROM agent_loads WHERE agent_id = $1', [a.id])).rows[0].open_count).toBe(8);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await stored(a.id)).toEqual({ open_count: 10, pending_count: 0 });
    expect(await stored(b.id)).toEqual({ open_count: 0, pending_count: 0 });

    await q(`UPDATE tickets SET status = 'pending' WHERE id = ANY($1::uuid[])`, [ids.slice(0, 3)]);
    await q(`UPDATE tickets SET assignee_id = $1 WHERE id = ANY($2::uuid[])`, [b.id, ids.slice(2, 6)]);
    await q(`UPDATE tickets SET status = 'closed' WHERE id = $1`, [ids[9]]);
    await q(`DELETE FROM tickets WHERE id = $1`, [ids[8]]);
    // a keeps 0 and 1 (pending), 6 and 7 (open: 9 closed, 8 deleted); b has 2 (pending) and 3, 4, 5 (open)
    expect(await stored(a.id)).toEqual({ open_count: 2, pending_count: 2 });
    expect(await stored(b.id)).toEqual({ open_count: 3, pending_count: 1 });
    expect(await loadDrift(t.db)).toEqual([]);
  });

  it('keep when each agent was last given a ticket — by routing or by hand, not by a status change', async () => {
    const [a, b] = agents;
    const given = async (id: string) =>
      (await q<{ at: Date | null }>('SELECT last_assigned_at AS at FROM agent_loads WHERE agent_id = $1', [id]))[0].at;
    await q('UPDATE agent_loads SET last_assigned_at = NULL');
    const [id] = await createTickets(1);
    const routed = (await q<{ assignee_id: string }>('SELECT assignee_id FROM tickets WHERE id = $1', [id]))[0].assignee_id;
    expect(await given(routed)).not.toBeNull();
    const other = routed === a.id ? b : a;
    expect(await given(other.id)).toBeNull();
    expect((await send('PATCH', `/tickets/${id}`, { assigneeId: other.id })).status).toBe(200);
    const handed = await given(other.id);
    expect(handed).not.toBeNull();
    await q('UPDATE agent_loads SET last_assigned_at = $2 WHERE agent_id = $1', [other.id, new Date('2020-01-01T00:00:00Z')]);
    expect((await send('PATCH', `/tickets/${id}`, { status: 'pending' })).status).toBe(200);
    expect((await send('PATCH', `/tickets/${id}`, { status: 'open' })).status).toBe(200);
    expect(await given(other.id)).toEqual(new Date('2020-01-01T00:00:00Z'));
  });

  it('routing reads them: pending counts as load only when the setting says so', async () => {
    await t.request('PATCH', `/api/v1/agents/${agents[0].id}`, { body: { maxConcurrentTickets: 1 } });
    for (const other of agents.slice(1)) await t.request('PATCH', `/api/v1/agents/${other.id}`, { body: { status: 'offline' } });
    const [first] = await createTickets(1);
    expect((await q<{ assignee_id: string }>('SELECT assignee_id FROM tickets WHERE id = $1', [first]))[0].assignee_id).toBe(agents[0].id);
    expect((await send('PATCH', `/tickets/${first}`, { status: 'pending' })).status).toBe(200);
    // pending does not count (the default): the agent has a free slot
    const [second] = await createTickets(1);
    expect((await q<{ assignee_id: string | null }>('SELECT assignee_id FROM tickets WHERE id = $1', [second]))[0].assignee_id).toBe(agents[0].id);
    expect((await send('POST', `/tickets/${second}/resolve`, {})).status).toBe(200);
    expect((await t.request('PUT', '/api/v1/settings/routing', { body: { pendingCountsAsLoad: true } })).statusCode).toBe(200);
    const [third] = await createTickets(1);
    expect((await q<{ assignee_id: string | null }>('SELECT assignee_id FROM tickets WHERE id = $1', [third]))[0].assignee_id).toBeNull();
    const sim = await t.request('POST', '/api/v1/routing/simulate', { body: ticketBody() });
    expect(sim.json().candidates.find((c: { agentId: string }) => c.agentId === agents[0].id)).toMatchObject({ reason: 'at_capacity', load: 1 });
  });

  it('the maintenance run finds counts changed behind the triggers, recounts them, and then finds nothing', async () => {
    const ids = await createTickets(12);
    const [a, b] = agents;
    await q(`UPDATE tickets SET assignee_id = $1 WHERE id = ANY($2::uuid[])`, [a.id, ids.slice(0, 7)]);
    await q(`UPDATE tickets SET assignee_id = $1 WHERE id = ANY($2::uuid[])`, [b.id, ids.slice(7)]);
    await q(`UPDATE tickets SET status = 'pending' WHERE id = $1`, [ids[0]]);
    await q('UPDATE agent_loads SET open_count = open_count + 3 WHERE agent_id = $1', [a.id]);
    await q('DELETE FROM agent_loads WHERE agent_id = $1', [b.id]);
    expect((await loadDrift(t.db)).map((d) => d.agent_id).sort()).toEqual([a.id, b.id].sort());

    const first = await runMaintenance(t.db, systemClock);
    expect(first.loadMismatches.map((m) => ({ id: m.agent_id, open: m.open, pending: m.pending, was: m.stored_open })).sort((x, y) => (x.id < y.id ? -1 : 1)))
      .toEqual([{ id: a.id, open: 6, pending: 1, was: 9 }, { id: b.id, open: 5, pending: 0, was: null }].sort((x, y) => (x.id < y.id ? -1 : 1)));
    expect(await loadDrift(t.db)).toEqual([]);
    expect(await stored(a.id)).toEqual({ open_count: 6, pending_count: 1 });
    expect((await runMaintenance(t.db, systemClock)).loadMismatches).toEqual([]);
  });
});
