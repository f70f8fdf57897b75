import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem, getTicket, historyOf, openTicket, patch, ticketIn, type TicketJson } from '../helpers/tickets.ts';

const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

interface BulkResultJson {
  id: string;
  outcome: 'updated' | 'conflict' | 'not_found' | 'invalid';
  status: number;
  version?: number;
  error?: { code: string; detail: string };
}

describe(`POST /tickets/bulk (${DB_KIND})`, () => {
  let t: TestApp;
  let agent: TestAgent;

  beforeAll(async () => {
    // Routing is tested in routing-*.test.ts; here it is off so history holds only the ticket's own changes.
    t = await createTestApp({ routing: false });
    agent = await t.makeAgent({ role: 'agent', name: 'Pat Agent' });
    expect((await t.request('POST', '/api/v1/groups', { body: { slug: 'billing', name: 'Billing' } })).statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  async function bulk(body: unknown, as?: TestAgent | null) {
    return t.request('POST', '/api/v1/tickets/bulk', { body, as });
  }

  async function bulkOk(body: unknown, as?: TestAgent): Promise<{ results: BulkResultJson[]; updated: number; conflicts: number }> {
    const res = await bulk(body, as);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  const some = (n: number, over: Record<string, unknown> = {}) => Promise.all(Array.from({ length: n }, () => openTicket(t, over)));

  it('sets status, priority, assignee and tags on several tickets, each with its own history rows by the caller', async () => {
    const tickets = await some(3, { tags: ['keep', 'old'] });
    const out = await bulkOk({
      tickets: tickets.map((x) => ({ id: x.id, version: x.version })),
      changes: { status: 'pending', priority: 'high', assigneeId: agent.id, addTags: ['VIP', 'keep'], removeTags: ['old'] },
    }, agent);
    expect(out.updated).toBe(3);
    expect(out.conflicts).toBe(0);
    expect(out.results).toEqual(tickets.map((x) => ({ id: x.id, outcome: 'updated', status: 200, version: x.version + 1 })));
    for (const before of tickets) {
      const after = await getTicket(t, before.id);
      expect(after).toMatchObject({ status: 'pending', priority: 'high', tags: ['keep', 'vip'], version: before.version + 1 });
      expect(after.assignee?.id).toBe(agent.id);
      const history = await historyOf(t, before.id);
      expect(history.map((h) => [h.changeType, h.field])).toEqual([
        ['created', null], ['updated', 'priority'], ['updated', 'tags'], ['assigned', 'assignee'], ['status_changed', 'status'],
      ]);
      const [, priority, tags, assigned, status] = history;
      for (const h of history.slice(1)) expect([h.changedBy, h.changedByName, h.actorType]).toEqual([agent.id, 'Pat Agent', 'agent']);
      expect([priority.changedFrom, priority.changedTo]).toEqual([{ priority: 'normal' }, { priority: 'high' }]);
      expect([tags.changedFrom, tags.changedTo]).toEqual([{ tags: ['keep', 'old'] }, { tags: ['keep', 'vip'] }]);
      expect(assigned.changedTo).toMatchObject({ assigneeId: agent.id, method: 'manual' });
      // the status was given: the assignment does not open the ticket on the way (one move, new → pending)
      expect([status.changedFrom, status.changedTo]).toEqual([{ status: 'new' }, { status: 'pending' }]);
    }
  });

  it('moves tickets to a group and unassigns them, as a single assign would', async () => {
    const tickets = await some(2);
    for (const x of tickets) await patch(t, x.id, { assigneeId: agent.id });
    const out = await bulkOk({ tickets: tickets.map((x) => ({ id: x.id })), changes: { group: 'billing', assigneeId: null } });
    expect(out.updated).toBe(2);
    for (const x of tickets) {
      const after = await getTicket(t, x.id);
      expect([after.assigneeGroup, after.assignee]).toEqual(['billing', null]);
      const last = (await historyOf(t, x.id)).at(-1)!;
      expect(last).toMatchObject({ changeType: 'assigned', changedFrom: { assigneeId: agent.id, groupId: null } });
      expect(last.changedTo).toMatchObject({ assigneeId: null, group: 'billing', method: 'manual' });
    }
  });

  it('a ticket changed since its version is a conflict and left as it is; the others are updated', async () => {
    const [stale, fresh] = await some(2);
    const moved = await patch(t, stale.id, { subject: 'Someone else was here' });
    const historyBefore = await historyOf(t, stale.id);
    const out = await bulkOk({
      tickets: [{ id: stale.id, version: stale.version }, { id: fresh.id, version: fresh.version }],
      changes: { priority: 'low', addTags: ['bulk'] },
    });
    expect(out).toMatchObject({ updated: 1, conflicts: 1 });
    expect(out.results[0]).toEqual({
      id: stale.id, outcome: 'conflict', status: 412, version: moved.version, error: { code: 'ticket.version_stale', detail: expect.any(String) },
    });
    expect(out.results[1]).toMatchObject({ id: fresh.id, outcome: 'updated', version: fresh.version + 1 });
    const kept = await getTicket(t, stale.id);
    expect(kept).toMatchObject({ priority: 'normal', tags: [], version: moved.version, subject: 'Someone else was here' });
    expect(await historyOf(t, stale.id)).toEqual(historyBefore);
    expect(await getTicket(t, fresh.id)).toMatchObject({ priority: 'low', tags: ['bulk'] });
  });

  it('a ticket that does not exist is not_found, one refusing the change is invalid, and the others still update', async () => {
    const [a, b] = await some(2);
    const closed = await ticketIn(t, 'closed');
    const out = await bulkOk({ tickets: [{ id: a.id }, { id: MISSING_UUID }, { id: closed.id }, { id: b.id }], changes: { status: 'open' } });
    expect(out.results.map((r) => [r.id, r.outcome, r.status])).toEqual([
      [a.id, 'updated', 200], [MISSING_UUID, 'not_found', 404], [closed.id, 'invalid', 409], [b.id, 'updated', 200],
    ]);
    expect(out.results[1].error?.code).toBe('ticket.not_found');
    expect(out.results[2].error?.code).toBe('ticket.final');
    expect(out).toMatchObject({ updated: 2, conflicts: 0 });
    for (const x of [a, b]) expect((await getTicket(t, x.id)).status).toBe('open');
    expect(await getTicket(t, closed.id)).toMatchObject({ status: 'closed', version: closed.version });
  });

  it('an impossible status move is invalid for that ticket only (the lifecycle of a single PATCH)', async () => {
    const resolved = await ticketIn(t, 'resolved');
    const open = await ticketIn(t, 'open');
    const out = await bulkOk({ tickets: [{ id: resolved.id }, { id: open.id }], changes: { status: 'pending', priority: 'critical' } });
    expect(out.results.map((r) => [r.outcome, r.error?.code])).toEqual([['invalid', 'ticket.transition_invalid'], ['updated', undefined]]);
    // nothing of the refused ticket's change was written, not even the priority
    expect(await getTicket(t, resolved.id)).toMatchObject({ status: 'resolved', priority: 'normal', version: resolved.version });
    expect(await getTicket(t, open.id)).toMatchObject({ status: 'pending', priority: 'critical' });
  });

  describe('invalid requests are 400 problems naming the field, and change nothing', () => {
    let ticket: TicketJson;
    beforeAll(async () => {
      ticket = await openTicket(t);
    });
    const unchanged = async () => expect((await getTicket(t, ticket.id)).version).toBe(ticket.version);

    it('101 tickets', async () => {
      const tickets = Array.from({ length: 101 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
      const p = expectProblem(await bulk({ tickets, changes: { priority: 'high' } }), 400, 'request.invalid');
      expect(p.errors).toContainEqual({ path: 'tickets', message: 'At most 100 tickets at once' });
    });

    it('an unknown status', async () => {
      const p = expectProblem(await bulk({ tickets: [{ id: ticket.id }], changes: { status: 'done' } }), 400, 'request.invalid');
      expect(p.errors.map((e: { path: string }) => e.path)).toEqual(['changes.status']);
      await unchanged();
    });

    it('no tickets, no changes, a ticket listed twice, a tag both added and removed, an unknown field', async () => {
      const cases: [unknown, string][] = [
        [{ tickets: [], changes: { priority: 'high' } }, 'tickets'],
        [{ tickets: [{ id: ticket.id }], changes: {} }, 'changes'],
        [{ tickets: [{ id: ticket.id }, { id: ticket.id.toUpperCase() }], changes: { priority: 'high' } }, 'tickets.1.id'],
        [{ tickets: [{ id: ticket.id }], changes: { addTags: ['a'], removeTags: ['A'] } }, 'changes.removeTags'],
        [{ tickets: [{ id: ticket.id }], changes: { subject: 'x' } }, 'changes.subject'],
        [{ tickets: [{ id: 'not-a-uuid' }], changes: { priority: 'high' } }, 'tickets.0.id'],
        [{ tickets: [{ id: ticket.id, version: 'one' }], changes: { priority: 'high' } }, 'tickets.0.version'],
      ];
      for (const [body, path] of cases) {
        const p = expectProblem(await bulk(body), 400, 'request.invalid');
        expect(p.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
      }
      await unchanged();
    });

    it('an unknown agent or group is refused before any ticket is touched', async () => {
      let p = expectProblem(await bulk({ tickets: [{ id: ticket.id }], changes: { priority: 'high', assigneeId: MISSING_UUID } }), 400);
      expect(p.errors).toEqual([{ path: 'changes.assigneeId', message: expect.stringContaining(MISSING_UUID) }]);
      p = expectProblem(await bulk({ tickets: [{ id: ticket.id }], changes: { priority: 'high', group: 'nope' } }), 400);
      expect(p.errors).toEqual([{ path: 'changes.group', message: 'No group nope' }]);
      await unchanged();
    });

    it('without credentials: 401', async () => {
      expectProblem(await bulk({ tickets: [{ id: ticket.id }], changes: { priority: 'high' } }, null), 401);
      await unchanged();
    });
  });
});

describe(`POST /tickets/bulk under concurrency, over real HTTP (${DB_KIND})`, () => {
  let t: TestApp;
  let base: string;
  let alice: TestAgent;
  let bob: TestAgent;

  beforeAll(async () => {
    t = await createTestApp({ routing: false });
    alice = await t.makeAgent({ name: 'Alice Agent' });
    bob = await t.makeAgent({ name: 'Bob Agent' });
    base = await t.listen();
  });
  afterAll(async () => t?.close());

  const post = async (body: unknown, as: TestAgent) => {
    const res = await fetch(`${base}/api/v1/tickets/bulk`, {
      method: 'POST', headers: { authorization: `Bearer ${as.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { updated: number; conflicts: number } };
  };

  it('two bulk requests over the same 50 tickets at once leave every ticket with both changes, its history in step, no tag lost', async () => {
    const tickets: TicketJson[] = [];
    for (let i = 0; i < 50; i++) tickets.push(await openTicket(t, { tags: ['base'] }));
    const ids = tickets.map((x) => ({ id: x.id }));
    const [a, b] = await Promise.all([
      post({ tickets: ids, changes: { priority: 'high', addTags: ['alpha'] } }, alice),
      // the same order: the two requests reach each ticket at about the same time
      post({ tickets: ids, changes: { status: 'open', addTags: ['beta'], removeTags: ['base'] } }, bob),
    ]);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    expect([a.body.updated, b.body.updated]).toEqual([50, 50]);

    const { rows } = await t.db.query<{ id: string; tags: string[]; priority: string; status: string; version: number; n: number }>(
      `SELECT t.id, t.tags, t.priority, t.status, t.version, (SELECT count(*)::int FROM ticket_history h WHERE h.ticket_id = t.id) AS n
         FROM tickets t WHERE t.id = ANY($1::uuid[])`,
      [tickets.map((x) => x.id)],
    );
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      const before = tickets.find((x) => x.id === row.id)!;
      expect(row).toMatchObject({ tags: ['alpha', 'beta'], priority: 'high', status: 'open', version: before.version + 2 });
      // created + priority + tags (Alice) + tags + status (Bob)
      expect(row.n).toBe(5);
    }
    // each ticket's two tag rows, in the order they were written (seq), chain: the second starts
    // from what the first wrote — and were stamped in that order (the clock is read once the row lock
    // is held, so a change that waited is never dated before the one it follows)
    const tagRows = await t.db.query<{ ticket_id: string; changed_from: unknown; changed_to: unknown; created_at: Date }>(
      `SELECT ticket_id, changed_from, changed_to, created_at FROM ticket_history WHERE field = 'tags' AND ticket_id = ANY($1::uuid[]) ORDER BY seq`,
      [tickets.map((x) => x.id)],
    );
    for (const x of tickets) {
      const [first, second, ...more] = tagRows.rows.filter((h) => h.ticket_id === x.id);
      expect(more).toEqual([]);
      expect(second.created_at.getTime()).toBeGreaterThanOrEqual(first.created_at.getTime());
      expect(first.changed_from).toEqual({ tags: ['base'] });
      expect(second.changed_from).toEqual(first.changed_to);
      expect(second.changed_to).toEqual({ tags: ['alpha', 'beta'] });
    }
  });
});
