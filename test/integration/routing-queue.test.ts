/**
 * The waiting queue: every trigger that drains it (an agent coming online,
 * finishing or giving away a ticket, getting capacity, a group or a skill, a
 * new agent created online), what must not be drained, pending as load,
 * going offline (keep, or return with `returnTicketsOnOffline`), the periodic
 * sweep, re-dispatch after a manual unassign or a group move, the escalation
 * hook, and routing switched off.
 *
 * Drains happen inside the request, before its response: every assertion is
 * made right after the response, without waiting.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monotonicClock } from '../helpers/clock.ts';
import { SYSTEM_ACTOR } from '../../src/domain/context.ts';
import { escalateTicket } from '../../src/domain/tickets/commands.ts';
import { sweepRouting } from '../../src/jobs/routing-sweep.ts';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { historyOf, type HistoryJson, type TicketJson } from '../helpers/tickets.ts';

const API = '/api/v1';

interface Candidate {
  agentId: string;
  reason: string;
  load: number | null;
  capacity: number;
}
type Ticket = TicketJson & {
  assignment: { method: string; ruleId: string | null; agentId: string | null; group: string | null; queued: boolean; candidates: Candidate[] } | null;
};

describe(`routing queue (${DB_KIND})`, () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ clock: monotonicClock() });
  });
  afterEach(async () => t?.close());

  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await t.db.query<T>(sql, params)).rows;
  const system = () => ({ db: t.db, clock: t.clock, actor: SYSTEM_ACTOR });

  async function group(name: string) {
    const res = await t.request('POST', `${API}/groups`, { body: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; slug: string };
  }

  async function rule(body: Record<string, unknown>) {
    const res = await t.request('POST', `${API}/assignment-rules`, { body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  }

  async function create(over: Record<string, unknown> = {}): Promise<Ticket> {
    const res = await t.request('POST', `${API}/tickets`, { body: ticketBody(over) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  async function call(method: string, url: string, body?: unknown, as?: TestAgent) {
    const res = await t.request(method, `${API}${url}`, { body, as });
    expect(res.statusCode, `${method} ${url} → ${res.body}`).toBeLessThan(300);
    return res.statusCode === 204 ? null : res.json();
  }

  const setStatus = (who: TestAgent, status: string) => call('PATCH', '/me/status', { status }, who);
  const settings = (key: 'routing' | 'priority', body: Record<string, unknown>) => call('PUT', `/settings/${key}`, body);

  /** The database's view of a ticket's routing state. */
  async function row(id: string) {
    const [r] = await q<{ assignee_id: string | null; group_slug: string | null; queued_at: Date | null; status: string; priority: string; method: string | null }>(
      `SELECT t.assignee_id, g.slug AS group_slug, t.queued_at, t.status, t.priority, t.assignment->>'method' AS method
         FROM tickets t LEFT JOIN groups g ON g.id = t.assignee_group_id WHERE t.id = $1`,
      [id],
    );
    return r;
  }
  const assigneeOf = async (id: string) => (await row(id)).assignee_id;
  const assignedRows = async (id: string): Promise<HistoryJson[]> => (await historyOf(t, id)).filter((h) => h.changeType === 'assigned');
  const loadOf = async (agentId: string) =>
    (await q<{ n: number }>(`SELECT count(*)::int AS n FROM tickets WHERE assignee_id = $1 AND status IN ('new','open','in_progress')`, [agentId]))[0].n;

  /** A 'desk' group whose tickets go to the least busy member. */
  async function desk() {
    await group('Desk');
    await rule({ name: 'Desk', action: { type: 'group_least_busy', group: 'desk' } });
  }

  /** Asserts the ticket was given to `agentId` by a queue drain, with its history row. */
  async function expectDrainedTo(ticketId: string, agentId: string) {
    const r = await row(ticketId);
    expect(r, ticketId).toMatchObject({ assignee_id: agentId, queued_at: null, method: 'queue_drain' });
    const last = (await assignedRows(ticketId)).at(-1)!;
    expect(last).toMatchObject({ actorType: 'system', changedBy: null });
    expect(last.changedTo).toMatchObject({ assigneeId: agentId, method: 'queue_drain', ruleId: null, queued: false });
    expect(last.comment).toMatch(/^Queue drain/);
  }

  // --- coming online ------------------------------------------------------------------------

  describe('an agent coming online takes waiting tickets at once', () => {
    it('PATCH /me/status: the most urgent first (a newer critical before an older normal), then the oldest', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], maxConcurrentTickets: 2 });
      const n1 = await create({ priority: 'normal' });
      const low = await create({ priority: 'low' });
      const n2 = await create({ priority: 'normal' });
      const crit = await create({ priority: 'critical' });
      for (const x of [n1, low, n2, crit]) {
        expect(x.assignee).toBeNull();
        expect(x.assignment).toMatchObject({ queued: true });
        expect(x.assignment!.candidates.find((c) => c.agentId === a.id)?.reason).toBe('offline');
      }
      const me = await setStatus(a, 'online');
      expect(me).toMatchObject({ status: 'online', currentTickets: 2 });
      await expectDrainedTo(crit.id, a.id);
      await expectDrainedTo(n1.id, a.id);
      expect(await row(n2.id)).toMatchObject({ assignee_id: null, queued_at: expect.any(Date) });
      expect(await row(low.id)).toMatchObject({ assignee_id: null, queued_at: expect.any(Date) });
      const got = (await t.request('GET', `${API}/tickets/${crit.id}`)).json();
      expect(got.assignment).toMatchObject({ method: 'queue_drain', agentId: a.id, queued: false, ruleId: null });
      expect(got.assignee).toMatchObject({ id: a.id });
    });

    it('PATCH /agents/:id {status: online} by a supervisor: up to capacity, critical, high, then normal', async () => {
      await desk();
      const supervisor = await t.makeAgent({ role: 'supervisor' });
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], maxConcurrentTickets: 3 });
      const low = await create({ priority: 'low' });
      const normal = await create({ priority: 'normal' });
      const high = await create({ priority: 'high' });
      const low2 = await create({ priority: 'low' });
      const crit = await create({ priority: 'critical' });
      const res = await call('PATCH', `/agents/${a.id}`, { status: 'online' }, supervisor);
      expect(res).toMatchObject({ status: 'online', currentTickets: 3 });
      for (const x of [crit, high, normal]) await expectDrainedTo(x.id, a.id);
      for (const x of [low, low2]) expect(await assigneeOf(x.id)).toBeNull();
      // away and back: still full, nothing more
      await call('PATCH', `/agents/${a.id}`, { status: 'away' }, supervisor);
      await call('PATCH', `/agents/${a.id}`, { status: 'online' }, supervisor);
      expect(await loadOf(a.id)).toBe(3);
      expect(await assigneeOf(low.id)).toBeNull();
    });
  });

  // --- a freed slot ------------------------------------------------------------------------------

  describe('a freed slot is filled at once from the queue', () => {
    /** A (desk, capacity 1) holds `held`; `waiting` waits for A; B (no group) is online. */
    async function full() {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], maxConcurrentTickets: 1, status: 'online' });
      const b = await t.makeAgent({ name: 'B', status: 'online' });
      const held = await create();
      expect(held.assignee?.id).toBe(a.id);
      const waiting = await create();
      expect(waiting.assignee).toBeNull();
      expect(waiting.assignment!.candidates.find((c) => c.agentId === a.id)).toMatchObject({ reason: 'at_capacity', load: 1, capacity: 1 });
      return { a, b, held, waiting };
    }

    const triggers: [string, (x: { a: TestAgent; b: TestAgent; held: Ticket }) => Promise<unknown>][] = [
      ['resolve', ({ a, held }) => call('POST', `/tickets/${held.id}/resolve`, {}, a)],
      ['cancel (DELETE)', ({ a, held }) => call('DELETE', `/tickets/${held.id}`, undefined, a)],
      ['reassign to another agent (PATCH assigneeId)', ({ a, b, held }) => call('PATCH', `/tickets/${held.id}`, { assigneeId: b.id }, a)],
      ['reassign to another agent (POST assign)', ({ a, b, held }) => call('POST', `/tickets/${held.id}/assign`, { agentId: b.id }, a)],
      ['move to pending (pending not counted)', ({ a, held }) => call('PATCH', `/tickets/${held.id}`, { status: 'pending' }, a)],
    ];
    for (const [name, trigger] of triggers) {
      it(name, async () => {
        const s = await full();
        await trigger(s);
        await expectDrainedTo(s.waiting.id, s.a.id);
        expect(await loadOf(s.a.id)).toBe(1);
      });
    }

    it('close (a resolved ticket closed while its agent has a free slot and a ticket waits)', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], maxConcurrentTickets: 1, status: 'online' });
      const held = await create();
      await call('POST', `/tickets/${held.id}/resolve`, {}, a);
      // A away while a ticket arrives (it waits), then back online behind routing's back (no drain ran)
      await setStatus(a, 'away');
      const waiting = await create();
      expect(waiting.assignee).toBeNull();
      await q(`UPDATE agents SET status = 'online' WHERE id = $1`, [a.id]);
      expect(await assigneeOf(waiting.id)).toBeNull();
      await call('POST', `/tickets/${held.id}/close`, {}, a);
      await expectDrainedTo(waiting.id, a.id);
    });

    it('more capacity (PATCH maxConcurrentTickets) takes as many as the new slots', async () => {
      const s = await full();
      const third = await create();
      const fourth = await create();
      const res = await call('PATCH', `/agents/${s.a.id}`, { maxConcurrentTickets: 3 });
      expect(res).toMatchObject({ maxConcurrentTickets: 3, currentTickets: 3 });
      await expectDrainedTo(s.waiting.id, s.a.id);
      await expectDrainedTo(third.id, s.a.id);
      expect(await row(fourth.id)).toMatchObject({ assignee_id: null, queued_at: expect.any(Date) });
      // less capacity takes nothing back, more of nothing drains nothing
      await call('PATCH', `/agents/${s.a.id}`, { maxConcurrentTickets: 2 });
      expect(await loadOf(s.a.id)).toBe(3);
      expect(await assigneeOf(fourth.id)).toBeNull();
    });

    it('with pendingCountsAsLoad true, pending still counts: nothing is drained, and loads say so', async () => {
      const s = await full();
      await settings('routing', { pendingCountsAsLoad: true });
      await call('PATCH', `/tickets/${s.held.id}`, { status: 'pending' }, s.a);
      expect(await row(s.waiting.id)).toMatchObject({ assignee_id: null, queued_at: expect.any(Date) });
      const g = (await t.request('GET', `${API}/groups/desk`)).json();
      expect(g).toMatchObject({ load: 1, capacity: 1, waiting: 1 });
      expect(g.members).toEqual([expect.objectContaining({ id: s.a.id, load: 1 })]);
      // a new ticket sees A at capacity with the pending ticket counted
      const next = await create();
      expect(next.assignee).toBeNull();
      expect(next.assignment!.candidates.find((c) => c.agentId === s.a.id)).toMatchObject({ reason: 'at_capacity', load: 1 });
      // the setting off again: pending no longer counts (the sweep fills the slot)
      await settings('routing', { pendingCountsAsLoad: false });
      expect((await t.request('GET', `${API}/groups/desk`)).json()).toMatchObject({ load: 0, waiting: 2 });
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 1, returned: 0 });
      await expectDrainedTo(s.waiting.id, s.a.id);
    });
  });

  // --- new groups, skills, agents --------------------------------------------------------------

  it('an agent added to a group takes that group’s waiting tickets', async () => {
    await desk();
    await group('VIP');
    await rule({ name: 'VIP billing', position: 0, conditions: { categories: ['billing'] }, action: { type: 'group_round_robin', group: 'vip' } });
    const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
    const vip = await create({ category: 'billing' });
    expect(vip).toMatchObject({ assignee: null, assigneeGroup: 'vip', assignment: { queued: true } });
    const res = await call('PATCH', `/agents/${a.id}`, { groups: ['desk', 'vip'] });
    expect(res).toMatchObject({ groups: ['desk', 'vip'], currentTickets: 1 });
    await expectDrainedTo(vip.id, a.id);
    expect((await row(vip.id)).group_slug).toBe('vip');
  });

  it('a drained ticket’s decision names its own group', async () => {
    await desk();
    const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'away' });
    const waiting = await create();
    expect(waiting.assignment).toMatchObject({ queued: true, group: 'desk' });
    await setStatus(a, 'online');
    await expectDrainedTo(waiting.id, a.id);
    const ticket = (await t.request('GET', `${API}/tickets/${waiting.id}`)).json();
    expect(ticket.assignment).toMatchObject({ method: 'queue_drain', agentId: a.id, group: 'desk' });
  });

  it('a specific_agent ticket whose agent is away waits for that agent only (no group named)', async () => {
    const sam = await t.makeAgent({ name: 'Sam', status: 'away' });
    const other = await t.makeAgent({ name: 'Other', status: 'away' });
    await rule({ name: 'VIP to Sam', conditions: { tags: ['vip'] }, action: { type: 'specific_agent', agentId: sam.id } });
    const vip = await create({ tags: ['vip'] });
    const plain = await create();
    expect(vip).toMatchObject({ assignee: null, assignment: { method: 'specific_agent', queued: true } });
    await setStatus(other, 'online');
    expect(await assigneeOf(vip.id)).toBeNull();
    expect(await assigneeOf(plain.id)).toBe(other.id);
    await setStatus(sam, 'online');
    await expectDrainedTo(vip.id, sam.id);
  });

  it('a specific_agent rule naming a group falls back to that group’s queue when the agent is away', async () => {
    await group('Desk');
    const sam = await t.makeAgent({ name: 'Sam', groups: ['desk'], status: 'away' });
    const b = await t.makeAgent({ name: 'B', groups: ['desk'], status: 'away' });
    await rule({ name: 'To Sam', action: { type: 'specific_agent', agentId: sam.id, group: 'desk' } });
    const ticket = await create();
    expect(ticket).toMatchObject({ assignee: null, assigneeGroup: 'desk', assignment: { queued: true } });
    await setStatus(b, 'online');
    await expectDrainedTo(ticket.id, b.id);
  });

  it('an agent given a skill takes the waiting tickets needing it', async () => {
    await rule({ name: 'French', conditions: { tags: ['fr'] }, action: { type: 'skill_based', skills: ['French'] } });
    const a = await t.makeAgent({ name: 'A', skills: ['english'], status: 'online' });
    const fr = await create({ tags: ['fr'] });
    expect(fr.assignee).toBeNull();
    expect(fr.assignment!.candidates.find((c) => c.agentId === a.id)?.reason).toBe('missing_skill');
    const supervisor = await t.makeAgent({ role: 'supervisor' });
    const res = await call('PATCH', `/agents/${a.id}`, { skills: ['english', 'FRENCH'] }, supervisor);
    expect(res).toMatchObject({ skills: ['english', 'french'], currentTickets: 1 });
    await expectDrainedTo(fr.id, a.id);
  });

  it('a new agent created online (POST /agents) takes waiting tickets; one created offline takes none', async () => {
    await desk();
    const first = await create();
    const second = await create();
    const third = await create();
    const off = await call('POST', '/agents', { name: 'Off', email: 'off@triage.test', groups: ['desk'] });
    expect(off).toMatchObject({ status: 'offline', currentTickets: 0 });
    const res = await t.request('POST', `${API}/agents`, { body: { name: 'Newbie', email: 'newbie@triage.test', groups: ['desk'], status: 'online', maxConcurrentTickets: 2 } });
    expect(res.statusCode, res.body).toBe(201);
    const newbie = res.json();
    expect(newbie).toMatchObject({ status: 'online', currentTickets: 2 });
    await expectDrainedTo(first.id, newbie.id);
    await expectDrainedTo(second.id, newbie.id);
    expect(await assigneeOf(third.id)).toBeNull();
  });

  it('tickets of another group, or needing a skill the agent lacks, are not drained to them', async () => {
    await desk();
    await group('VIP');
    await rule({ name: 'VIP', position: -2, conditions: { categories: ['billing'] }, action: { type: 'group_least_busy', group: 'vip' } });
    await rule({ name: 'French', position: -1, conditions: { tags: ['fr'] }, action: { type: 'skill_based', skills: ['french'] } });
    const a = await t.makeAgent({ name: 'A', groups: ['desk'], skills: ['english'], maxConcurrentTickets: 10 });
    const vip = await create({ category: 'billing', priority: 'critical' });
    const fr = await create({ tags: ['fr'], priority: 'critical' });
    const mine = await create({ priority: 'low' });
    await setStatus(a, 'online');
    await expectDrainedTo(mine.id, a.id);
    expect(await row(vip.id)).toMatchObject({ assignee_id: null, group_slug: 'vip', queued_at: expect.any(Date) });
    expect(await row(fr.id)).toMatchObject({ assignee_id: null, queued_at: expect.any(Date) });
    // neither does the sweep give them to A
    expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 0, returned: 0 });
    expect(await assigneeOf(vip.id)).toBeNull();
    expect(await assigneeOf(fr.id)).toBeNull();
    expect(await loadOf(a.id)).toBe(1);
  });

  // --- going offline --------------------------------------------------------------------------------

  it('going offline keeps the agent’s tickets by default', async () => {
    await desk();
    const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
    const b = await t.makeAgent({ name: 'B', groups: ['desk'] });
    const x = await create();
    const y = await create();
    expect([x.assignee?.id, y.assignee?.id]).toEqual([a.id, a.id]);
    await setStatus(b, 'online');
    await setStatus(a, 'offline');
    expect(await assigneeOf(x.id)).toBe(a.id);
    expect(await assigneeOf(y.id)).toBe(a.id);
    expect(await loadOf(b.id)).toBe(0);
    expect(await assignedRows(x.id)).toHaveLength(1);
  });

  it('with returnTicketsOnOffline, the tickets return to the queue and go at once to another online agent of their group', async () => {
    await desk();
    await group('VIP');
    await rule({ name: 'VIP', position: 0, conditions: { categories: ['billing'] }, action: { type: 'group_least_busy', group: 'vip' } });
    const a = await t.makeAgent({ name: 'A', groups: ['desk', 'vip'], status: 'online' });
    const b = await t.makeAgent({ name: 'B', groups: ['desk'] });
    const c = await t.makeAgent({ name: 'C', groups: ['vip'] });
    const x = await create();
    const y = await create();
    const v = await create({ category: 'billing' });
    const pending = await create();
    for (const tk of [x, y, v, pending]) expect(tk.assignee?.id).toBe(a.id);
    await call('PATCH', `/tickets/${pending.id}`, { status: 'pending' }, a);
    await setStatus(b, 'online');
    await settings('routing', { returnTicketsOnOffline: true });

    const res = await setStatus(a, 'offline');
    expect(res).toMatchObject({ status: 'offline' });
    // desk tickets: to B at once; the VIP ticket: nobody else online in VIP, it waits in its group
    expect(await assigneeOf(x.id)).toBe(b.id);
    expect(await assigneeOf(y.id)).toBe(b.id);
    expect(await row(v.id)).toMatchObject({ assignee_id: null, group_slug: 'vip', queued_at: expect.any(Date) });
    // a pending ticket waits on the customer: it stays with A
    expect(await assigneeOf(pending.id)).toBe(a.id);
    const h = (await assignedRows(x.id)).at(-1)!;
    expect(h.comment).toMatch(/offline/i);
    expect(h.changedFrom).toMatchObject({ assigneeId: a.id });
    expect(h.changedTo).toMatchObject({ assigneeId: b.id, group: 'desk' });
    expect((h.changedTo!.candidates as Candidate[]).find((cd) => cd.agentId === a.id)?.reason).toMatch(/offline|excluded/);
    expect((await assignedRows(v.id)).at(-1)!.comment).toMatch(/offline/i);
    // C comes online and takes the waiting VIP ticket
    await setStatus(c, 'online');
    await expectDrainedTo(v.id, c.id);
  });

  // --- the sweep -------------------------------------------------------------------------------------

  describe('sweepRouting', () => {
    it('assigns waiting tickets to an online agent with a free slot when no command triggered it', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], maxConcurrentTickets: 2 });
      const x = await create({ priority: 'low' });
      const y = await create({ priority: 'high' });
      const z = await create({ priority: 'normal' });
      // online behind routing's back: no command drained anything
      await q(`UPDATE agents SET status = 'online' WHERE id = $1`, [a.id]);
      expect(await loadOf(a.id)).toBe(0);
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 2, returned: 0 });
      await expectDrainedTo(y.id, a.id);
      await expectDrainedTo(z.id, a.id);
      expect(await assigneeOf(x.id)).toBeNull();
      // nothing more to do
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 0, returned: 0 });
      expect(await assigneeOf(x.id)).toBeNull();
    });

    it('returns tickets of offline agents only when returnTicketsOnOffline is on', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
      const x = await create();
      const y = await create();
      const b = await t.makeAgent({ name: 'B', groups: ['desk'], status: 'online' });
      await q(`UPDATE agents SET status = 'offline' WHERE id = $1`, [a.id]);
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 0, returned: 0 });
      expect([await assigneeOf(x.id), await assigneeOf(y.id)]).toEqual([a.id, a.id]);
      await settings('routing', { returnTicketsOnOffline: true });
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 0, returned: 2 });
      expect([await assigneeOf(x.id), await assigneeOf(y.id)]).toEqual([b.id, b.id]);
      const h = (await assignedRows(x.id)).at(-1)!;
      expect(h.comment).toMatch(/offline/i);
      expect(h).toMatchObject({ actorType: 'system' });
    });

    it('does nothing while routing is disabled', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'] });
      const x = await create();
      await settings('routing', { enabled: false });
      await q(`UPDATE agents SET status = 'online' WHERE id = $1`, [a.id]);
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 0, returned: 0 });
      expect(await assigneeOf(x.id)).toBeNull();
    });
  });

  // --- re-dispatch ---------------------------------------------------------------------------------

  describe('re-dispatch of a ticket that lost its agent', () => {
    it('a manual unassign routes the ticket at once to another eligible agent of its group', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
      const x = await create();
      expect(x.assignee?.id).toBe(a.id);
      const b = await t.makeAgent({ name: 'B', groups: ['desk'], status: 'online' });
      const res = await call('PATCH', `/tickets/${x.id}`, { assigneeId: null }, a);
      expect(res.assignee).toMatchObject({ id: b.id });
      expect(res.assigneeGroup).toBe('desk');
      const rows = await assignedRows(x.id);
      expect(rows.at(-2)).toMatchObject({ changedBy: a.id, changedTo: { assigneeId: null, method: 'manual' } });
      const routed = rows.at(-1)!;
      expect(routed.changedTo).toMatchObject({ assigneeId: b.id, method: 'round_robin', group: 'desk' });
      expect((routed.changedTo!.candidates as Candidate[]).find((c) => c.agentId === a.id)?.reason).toBe('excluded');
      expect(await assigneeOf(x.id)).toBe(b.id);
    });

    it('the re-dispatch’s history comment describes a round robin within the ticket’s group, not a fallback over all agents', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
      const x = await create();
      const b = await t.makeAgent({ name: 'B', groups: ['desk'], status: 'online' });
      await call('PATCH', `/tickets/${x.id}`, { assigneeId: null }, a);
      expect(await assigneeOf(x.id)).toBe(b.id);
      const routed = (await assignedRows(x.id)).at(-1)!;
      expect(routed.changedTo).toMatchObject({ method: 'round_robin', group: 'desk', ruleId: null });
      // only desk members were candidates, so the explanation must not claim "no rule matched … over all agents"
      expect(routed.comment).toContain('desk');
      expect(routed.comment).not.toMatch(/over all agents/);
    });

    it('a manual unassign never gives the ticket back to the agent who gave it up, even when nobody else is free', async () => {
      await desk();
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
      const b = await t.makeAgent({ name: 'B', groups: ['desk'], status: 'away' });
      const x = await create();
      expect(x.assignee?.id).toBe(a.id);
      const res = await call('PATCH', `/tickets/${x.id}`, { assigneeId: null }, a);
      expect(res.assignee).toBeNull();
      // not back to A — neither by the re-dispatch nor by the drain of the slot A just freed
      expect(await assigneeOf(x.id)).not.toBe(a.id);
      expect(await row(x.id)).toMatchObject({ assignee_id: null, queued_at: expect.any(Date) });
      // B comes online and takes it
      await setStatus(b, 'online');
      await expectDrainedTo(x.id, b.id);
    });

    it('a ticket of a pick-by-hand group queue, taken and then released, goes back to that queue (not auto-assigned)', async () => {
      await group('Sales');
      await rule({ name: 'Sales', action: { type: 'group', group: 'sales' } });
      const a = await t.makeAgent({ name: 'A', groups: ['sales'], status: 'online' });
      const b = await t.makeAgent({ name: 'B', groups: ['sales'], status: 'online' });
      const x = await create();
      expect(x).toMatchObject({ assignee: null, assigneeGroup: 'sales', assignment: { method: 'group', queued: false } });
      await call('POST', `/tickets/${x.id}/assign`, { agentId: a.id }, a);
      const res = await call('PATCH', `/tickets/${x.id}`, { assigneeId: null }, a);
      expect(res.assignee).toBeNull();
      expect(await row(x.id)).toMatchObject({ assignee_id: null, group_slug: 'sales', queued_at: null });
      expect(await loadOf(b.id)).toBe(0);
    });

    it('POST /tickets/:id/assign {group} moves the ticket and routes it within that group', async () => {
      await desk();
      await group('Tier 2');
      const a = await t.makeAgent({ name: 'A', groups: ['desk'], maxConcurrentTickets: 1, status: 'online' });
      const e1 = await t.makeAgent({ name: 'E1', groups: ['tier-2'], status: 'online' });
      const e2 = await t.makeAgent({ name: 'E2', groups: ['tier-2'], status: 'online' });
      const x = await create();
      const waiting = await create();
      expect(x.assignee?.id).toBe(a.id);
      expect(waiting.assignee).toBeNull();
      const res = await call('POST', `/tickets/${x.id}/assign`, { group: 'tier-2' }, a);
      const first = [e1.id, e2.id].sort()[0];
      expect(res).toMatchObject({ assigneeGroup: 'tier-2', assignee: { id: first } });
      expect(res.assignment).toMatchObject({ method: 'round_robin', group: 'tier-2', agentId: first });
      const rows = await assignedRows(x.id);
      expect(rows.at(-2)!.changedTo).toMatchObject({ assigneeId: null, group: 'tier-2', method: 'manual' });
      expect(rows.at(-1)!.changedTo).toMatchObject({ assigneeId: first, group: 'tier-2', method: 'round_robin' });
      const cands = rows.at(-1)!.changedTo!.candidates as Candidate[];
      expect(cands.map((c) => c.agentId).sort()).toEqual([e1.id, e2.id].sort());
      // A's freed slot took the desk ticket that waited
      await expectDrainedTo(waiting.id, a.id);

      // nobody of the group online: the ticket waits in that group, and its first member online takes it
      await group('Tier 3');
      const f = await t.makeAgent({ name: 'F', groups: ['tier-3'] });
      const moved = await call('POST', `/tickets/${waiting.id}/assign`, { group: 'tier-3' }, a);
      expect(moved).toMatchObject({ assignee: null, assigneeGroup: 'tier-3' });
      expect(await row(waiting.id)).toMatchObject({ assignee_id: null, group_slug: 'tier-3', queued_at: expect.any(Date) });
      await setStatus(f, 'online');
      await expectDrainedTo(waiting.id, f.id);
    });
  });

  // --- escalation ----------------------------------------------------------------------------------

  it('escalateTicket raises the priority one level (critical stays critical) and moves the group, the reason in history', async () => {
    await desk();
    await group('Tier 2');
    const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
    const e = await t.makeAgent({ name: 'E', groups: ['tier-2'], status: 'online' });
    const x = await create({ priority: 'low' });
    expect(x.assignee?.id).toBe(a.id);

    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const v = await escalateTicket(system(), x.id, { raisePriority: true, reason: `SLA breach ${i}` });
      seen.push(v.priority);
    }
    expect(seen).toEqual(['normal', 'high', 'critical', 'critical']);
    const prio = (await historyOf(t, x.id)).filter((h) => h.field === 'priority');
    expect(prio.map((h) => [h.changedFrom, h.changedTo, h.comment])).toEqual([
      [{ priority: 'low' }, { priority: 'normal' }, 'SLA breach 0'],
      [{ priority: 'normal' }, { priority: 'high' }, 'SLA breach 1'],
      [{ priority: 'high' }, { priority: 'critical' }, 'SLA breach 2'],
    ]);
    expect(prio.every((h) => h.actorType === 'system')).toBe(true);
    expect(await assigneeOf(x.id)).toBe(a.id);

    const moved = await escalateTicket(system(), String(x.number), { group: 'tier-2', reason: 'Needs tier 2' });
    expect(moved.assignee_id).toBe(e.id);
    expect(await row(x.id)).toMatchObject({ assignee_id: e.id, group_slug: 'tier-2', priority: 'critical' });
    const rows = await assignedRows(x.id);
    expect(rows.at(-2)).toMatchObject({ comment: 'Needs tier 2', changedTo: { assigneeId: null, group: 'tier-2' } });
    expect(rows.at(-1)!.changedTo).toMatchObject({ assigneeId: e.id, group: 'tier-2', method: 'round_robin' });

    // both at once on a new ticket
    const y = await create({ priority: 'normal' });
    await escalateTicket(system(), y.id, { raisePriority: true, group: 'tier-2', reason: 'Both' });
    expect(await row(y.id)).toMatchObject({ priority: 'high', group_slug: 'tier-2', assignee_id: e.id });
    const reasons = (await historyOf(t, y.id)).filter((h) => h.comment === 'Both').map((h) => h.field);
    expect(reasons.sort()).toEqual(['assignee', 'priority']);
  });

  // --- routing off --------------------------------------------------------------------------------------

  it('routing disabled: new tickets stay unassigned, with no assigned history row and no queue', async () => {
    await desk();
    const a = await t.makeAgent({ name: 'A', groups: ['desk'], status: 'online' });
    await settings('routing', { enabled: false });
    const x = await create();
    expect(x).toMatchObject({ assignee: null, assigneeGroup: null, assignment: null });
    expect(await row(x.id)).toMatchObject({ assignee_id: null, queued_at: null });
    expect((await historyOf(t, x.id)).map((h) => h.changeType)).toEqual(['created']);
    // the priority is still scored
    expect((x as Record<string, unknown>).priorityScore).toMatchObject({ score: 40, calculated: 'normal' });
    // nothing waits, so nothing is drained either
    await setStatus(a, 'offline');
    await setStatus(a, 'online');
    expect(await assigneeOf(x.id)).toBeNull();
    // on again: new tickets are routed
    await settings('routing', { enabled: true });
    expect((await create()).assignee?.id).toBe(a.id);
  });

  it('routing disabled: tickets that were already waiting are not drained to an agent coming online', async () => {
    await desk();
    const a = await t.makeAgent({ name: 'A', groups: ['desk'] });
    const x = await create();
    expect(await row(x.id)).toMatchObject({ assignee_id: null, queued_at: expect.any(Date) });
    await settings('routing', { enabled: false });
    await setStatus(a, 'online');
    // as the sweep does: with routing off, nothing is assigned automatically
    expect(await assigneeOf(x.id)).toBeNull();
  });
});
