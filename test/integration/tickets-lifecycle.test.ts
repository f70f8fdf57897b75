import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { TICKET_STATUSES, type TicketStatus } from '../../src/domain/tickets/lifecycle.ts';
import { createTestApp, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { ALLOWED, STATUS_PAIRS } from '../helpers/lifecycle.ts';
import { expectProblem, getTicket, historyOf, openTicket, patch, ticketIn, type TicketJson } from '../helpers/tickets.ts';

const FINAL: TicketStatus[] = ['closed', 'cancelled'];
const pairs = STATUS_PAIRS;
const allowedPairs = pairs.filter(({ from, to }) => ALLOWED[from].includes(to));
// a PATCH to the status the ticket already has is no change at all (tested below)
const forbiddenPairs = pairs.filter(({ from, to }) => from !== to && !ALLOWED[from].includes(to));

function expectedChangeType(from: TicketStatus, to: TicketStatus): string {
  if (to === 'resolved' || to === 'closed' || to === 'cancelled') return to;
  return from === 'resolved' ? 'reopened' : 'status_changed';
}

describe(`ticket lifecycle over HTTP (${DB_KIND})`, () => {
  let t: TestApp;
  let clock: FakeClock;
  let agent: TestAgent;
  let other: TestAgent;

  beforeAll(async () => {
    clock = new FakeClock(new Date('2026-02-02T08:00:00.000Z'));
    // Routing is tested in routing-*.test.ts; here it is off so history holds only the lifecycle's own rows.
    t = await createTestApp({ clock, routing: false });
    agent = await t.makeAgent({ role: 'agent', name: 'Pat Agent' });
    other = await t.makeAgent({ role: 'supervisor', name: 'Sam Supervisor' });
  });
  afterAll(async () => t?.close());

  const tick = () => {
    clock.advance(60_000);
    return clock.now().toISOString();
  };

  describe('PATCH {status}', () => {
    it.each(allowedPairs)('allows $from → $to, with its history row', async ({ from, to }) => {
      const before = await ticketIn(t, from);
      const historyBefore = await historyOf(t, before.id);
      const at = tick();
      const res = await t.request('PATCH', `/api/v1/tickets/${before.id}`, { body: { status: to }, as: agent });
      expect(res.statusCode, res.body).toBe(200);
      const after: TicketJson = res.json();
      expect(after.status).toBe(to);
      expect(after.version).toBe(before.version + 1);
      expect(res.headers.etag).toBe(`"${after.version}"`);
      expect(after.updatedAt).toBe(at);
      // resolve stamps resolvedAt, close stamps closedAt and keeps resolvedAt, any other move clears both
      expect(after.resolvedAt).toBe(to === 'resolved' ? at : to === 'closed' || to === 'cancelled' ? before.resolvedAt : null);
      expect(after.closedAt).toBe(to === 'closed' ? at : null);
      if (from === 'resolved') expect(before.resolvedAt).not.toBeNull();

      const history = await historyOf(t, before.id);
      expect(history).toHaveLength(historyBefore.length + 1);
      const row = history.at(-1)!;
      expect(row).toMatchObject({
        changeType: expectedChangeType(from, to),
        field: 'status',
        changedBy: agent.id,
        changedByName: 'Pat Agent',
        actorType: 'agent',
        createdAt: at,
      });
      expect(row.changedFrom?.status).toBe(from);
      expect(row.changedTo?.status).toBe(to);
    });

    it.each(forbiddenPairs)('refuses $from → $to with 409 and changes nothing', async ({ from, to }) => {
      const before = await ticketIn(t, from);
      const historyBefore = await historyOf(t, before.id);
      const res = await t.request('PATCH', `/api/v1/tickets/${before.id}`, { body: { status: to }, as: agent });
      // a closed or cancelled ticket refuses every change; other moves are impossible transitions
      const problem = expectProblem(res, 409, FINAL.includes(from) ? 'ticket.final' : 'ticket.transition_invalid');
      if (!FINAL.includes(from)) expect(problem).toMatchObject({ from, to });
      const after = await getTicket(t, before.id);
      expect(after.status).toBe(from);
      expect(after.version).toBe(before.version);
      expect(await historyOf(t, before.id)).toHaveLength(historyBefore.length);
    });

    it.each(TICKET_STATUSES.filter((s) => !FINAL.includes(s)))('PATCH to the current status %s is no change', async (status) => {
      const before = await ticketIn(t, status);
      const historyBefore = await historyOf(t, before.id);
      const after = await patch(t, before.id, { status }, agent);
      expect(after.status).toBe(status);
      expect(after.version).toBe(before.version);
      expect(await historyOf(t, before.id)).toHaveLength(historyBefore.length);
    });
  });

  describe('action endpoints', () => {
    const actions: Array<{ name: string; method: string; path: string; to: TicketStatus; from: TicketStatus[] }> = [
      { name: 'POST /resolve', method: 'POST', path: 'resolve', to: 'resolved', from: ['new', 'open', 'in_progress', 'pending'] },
      { name: 'POST /close', method: 'POST', path: 'close', to: 'closed', from: ['resolved'] },
      { name: 'POST /reopen', method: 'POST', path: 'reopen', to: 'open', from: ['resolved'] },
      { name: 'DELETE', method: 'DELETE', path: '', to: 'cancelled', from: ['new', 'open', 'in_progress', 'pending'] },
    ];
    const cases = actions.flatMap((a) => TICKET_STATUSES.map((from) => ({ ...a, start: from, ok: a.from.includes(from) })));
    const url = (id: string, path: string) => `/api/v1/tickets/${id}${path ? `/${path}` : ''}`;

    it.each(cases.filter((c) => c.ok))('$name moves $start → $to', async ({ method, path, start, to }) => {
      const before = await ticketIn(t, start);
      const at = tick();
      const res = await t.request(method, url(before.id, path), { as: agent });
      expect(res.statusCode, res.body).toBe(200);
      const after: TicketJson = res.json();
      expect(after.status).toBe(to);
      expect(after.version).toBe(before.version + 1);
      expect(res.headers.etag).toBe(`"${after.version}"`);
      const row = (await historyOf(t, before.id)).at(-1)!;
      expect(row).toMatchObject({ changeType: expectedChangeType(start, to), changedBy: agent.id, createdAt: at });
      expect(row.changedFrom?.status).toBe(start);
      expect(row.changedTo?.status).toBe(to);
    });

    it.each(cases.filter((c) => !c.ok))('$name refuses from $start with 409 ticket.transition_invalid', async ({ method, path, start }) => {
      const before = await ticketIn(t, start);
      const historyBefore = await historyOf(t, before.id);
      const res = await t.request(method, url(before.id, path), { as: agent });
      expectProblem(res, 409, 'ticket.transition_invalid');
      const after = await getTicket(t, before.id);
      expect(after.status).toBe(start);
      expect(after.version).toBe(before.version);
      expect(await historyOf(t, before.id)).toHaveLength(historyBefore.length);
    });

    it('keeps the reason given to an action in the history row', async () => {
      const ticket = await openTicket(t);
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/resolve`, { body: { comment: 'Password reset sent' }, as: agent });
      expect(res.statusCode, res.body).toBe(200);
      const row = (await historyOf(t, ticket.id)).at(-1)!;
      expect(row).toMatchObject({ changeType: 'resolved', comment: 'Password reset sent' });
    });

    it('answers 404 for an unknown ticket', async () => {
      for (const path of ['resolve', 'close', 'reopen']) {
        expectProblem(await t.request('POST', `/api/v1/tickets/00000000-0000-4000-8000-000000000000/${path}`), 404, 'ticket.not_found');
      }
      expectProblem(await t.request('DELETE', '/api/v1/tickets/999999999'), 404, 'ticket.not_found');
    });
  });

  describe('resolvedAt and closedAt', () => {
    it('are set on resolve and close, cleared on reopen, and recorded in history', async () => {
      const ticket = await openTicket(t);
      expect(ticket).toMatchObject({ resolvedAt: null, closedAt: null });

      const resolvedAt1 = tick();
      let res = await t.request('POST', `/api/v1/tickets/${ticket.id}/resolve`, { as: agent });
      expect(res.json()).toMatchObject({ status: 'resolved', resolvedAt: resolvedAt1, closedAt: null });

      tick();
      res = await t.request('POST', `/api/v1/tickets/${ticket.id}/reopen`, { as: agent });
      expect(res.json()).toMatchObject({ status: 'open', resolvedAt: null, closedAt: null });

      const resolvedAt2 = tick();
      res = await t.request('PATCH', `/api/v1/tickets/${ticket.id}`, { body: { status: 'resolved' }, as: agent });
      expect(res.json()).toMatchObject({ status: 'resolved', resolvedAt: resolvedAt2, closedAt: null });

      const closedAt = tick();
      res = await t.request('POST', `/api/v1/tickets/${ticket.id}/close`, { as: other });
      expect(res.json()).toMatchObject({ status: 'closed', resolvedAt: resolvedAt2, closedAt, updatedAt: closedAt });
      expect(await getTicket(t, ticket.id)).toMatchObject({ status: 'closed', resolvedAt: resolvedAt2, closedAt });

      const history = await historyOf(t, ticket.id);
      expect(history.map((h) => h.changeType)).toEqual(['created', 'resolved', 'reopened', 'resolved', 'closed']);
      expect(history[1].changedFrom).toEqual({ status: 'new', resolvedAt: null });
      expect(history[1].changedTo).toEqual({ status: 'resolved', resolvedAt: resolvedAt1 });
      expect(history[2].changedFrom).toEqual({ status: 'resolved', resolvedAt: resolvedAt1 });
      expect(history[2].changedTo).toEqual({ status: 'open', resolvedAt: null });
      expect(history[4].changedFrom).toEqual({ status: 'resolved', closedAt: null });
      expect(history[4].changedTo).toEqual({ status: 'closed', closedAt });
      expect(history[4].changedBy).toBe(other.id);
    });

    it('cancelling sets neither timestamp', async () => {
      const ticket = await ticketIn(t, 'pending');
      const res = await t.request('DELETE', `/api/v1/tickets/${ticket.id}`, { as: agent });
      expect(res.json()).toMatchObject({ status: 'cancelled', resolvedAt: null, closedAt: null });
    });
  });

  describe('closed and cancelled are final', () => {
    const changes: Array<Record<string, unknown>> = [
      {},
      { subject: 'New subject' },
      { description: 'More text' },
      { priority: 'high' },
      { category: 'billing' },
      { tags: ['x'] },
      { customFields: { a: 1 } },
      { dueDate: '2026-03-01T00:00:00.000Z' },
      { status: 'open' },
      { status: 'resolved' },
      { status: 'closed' },
      { status: 'cancelled' },
    ];

    it.each(FINAL)('a %s ticket refuses every PATCH, comment and assignment with 409', async (status) => {
      const ticket = await ticketIn(t, status);
      for (const body of [...changes, { assigneeId: agent.id }]) {
        const res = await t.request('PATCH', `/api/v1/tickets/${ticket.id}`, { body, as: agent });
        expectProblem(res, 409, 'ticket.final');
      }
      expectProblem(await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: 'hi' } }), 409, 'ticket.final');
      expectProblem(await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { agentId: agent.id } }), 409, 'ticket.final');
      const after = await getTicket(t, ticket.id);
      expect(after.status).toBe(status);
      expect(after.version).toBe(ticket.version);
    });
  });

  describe('assignment', () => {
    it('assigning an agent to a new ticket by PATCH opens it', async () => {
      const ticket = await openTicket(t);
      const at = tick();
      const after = await patch(t, ticket.id, { assigneeId: agent.id }, other);
      expect(after).toMatchObject({ status: 'open', assignee: { id: agent.id, name: 'Pat Agent' }, version: ticket.version + 1 });
      const [, assigned, opened] = await historyOf(t, ticket.id);
      expect(assigned).toMatchObject({
        changeType: 'assigned', field: 'assignee', changedBy: other.id, createdAt: at,
        changedFrom: { assigneeId: null, groupId: null },
        changedTo: { assigneeId: agent.id, groupId: null, assigneeName: 'Pat Agent' },
      });
      expect(opened).toMatchObject({
        changeType: 'status_changed', changedBy: other.id, changedFrom: { status: 'new' }, changedTo: { status: 'open' }, comment: 'assigned',
      });
    });

    it('assigning an agent to a new ticket by POST /assign opens it', async () => {
      const ticket = await openTicket(t);
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { agentId: other.id }, as: agent });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: 'open', assignee: { id: other.id } });
      expect((await historyOf(t, ticket.id)).map((h) => [h.changeType, h.changedBy])).toEqual([
        ['created', t.admin.id],
        ['assigned', agent.id],
        ['status_changed', agent.id],
      ]);
    });

    it('assigning with an explicit status keeps that status', async () => {
      const ticket = await openTicket(t);
      const after = await patch(t, ticket.id, { assigneeId: agent.id, status: 'in_progress' }, agent);
      expect(after.status).toBe('in_progress');
      const rows = (await historyOf(t, ticket.id)).slice(1);
      expect(rows.map((h) => [h.changeType, h.changedTo?.status])).toEqual([
        ['assigned', undefined],
        ['status_changed', 'in_progress'],
      ]);
    });

    it.each(['open', 'in_progress', 'pending', 'resolved'] as const)('assigning a %s ticket leaves its status', async (status) => {
      const ticket = await ticketIn(t, status);
      const after = await patch(t, ticket.id, { assigneeId: agent.id }, agent);
      expect(after.status).toBe(status);
      expect(after.assignee?.id).toBe(agent.id);
    });

    it('assigning only a group leaves a new ticket new', async () => {
      const g = await t.request('POST', '/api/v1/groups', { body: { slug: 'lifecycle-queue', name: 'Lifecycle queue' } });
      expect(g.statusCode, g.body).toBe(201);
      const ticket = await openTicket(t);
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { group: 'lifecycle-queue' }, as: agent });
      expect(res.json()).toMatchObject({ status: 'new', assignee: null, assigneeGroup: 'lifecycle-queue' });
    });
  });

  describe('history', () => {
    it('has a row for every change, by the acting agent, oldest first', async () => {
      const created = tick();
      const ticket = await openTicket(t, { priority: 'low', tags: ['Login'] }, agent);

      const patchedAt = tick();
      await patch(t, ticket.id, {
        subject: 'Cannot log in since Monday',
        description: 'Still broken.',
        priority: 'high',
        category: 'access',
        subcategory: 'sso',
        tags: ['login', 'SSO'],
        customFields: { plan: 'pro' },
        dueDate: '2026-03-01T10:00:00.000Z',
        status: 'in_progress',
      }, other);

      const commentedAt = tick();
      const c = await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: 'Looking into it', isInternal: true }, as: agent });
      expect(c.statusCode, c.body).toBe(201);

      const assignedAt = tick();
      await patch(t, ticket.id, { assigneeId: agent.id }, agent);
      tick();
      await t.request('POST', `/api/v1/tickets/${ticket.id}/resolve`, { as: agent });
      tick();
      await t.request('POST', `/api/v1/tickets/${ticket.id}/reopen`, { as: other });
      tick();
      await t.request('DELETE', `/api/v1/tickets/${ticket.id}`, { as: agent });

      const history = await historyOf(t, ticket.id);
      expect(history.map((h) => [h.changeType, h.field, h.changedBy])).toEqual([
        ['created', null, agent.id],
        ['updated', 'subject', other.id],
        ['updated', 'description', other.id],
        ['updated', 'priority', other.id],
        ['updated', 'category', other.id],
        ['updated', 'subcategory', other.id],
        ['updated', 'tags', other.id],
        ['updated', 'customFields', other.id],
        ['updated', 'dueDate', other.id],
        ['status_changed', 'status', other.id],
        ['commented', null, agent.id],
        ['assigned', 'assignee', agent.id],
        ['resolved', 'status', agent.id],
        ['reopened', 'status', other.id],
        ['cancelled', 'status', agent.id],
      ]);
      for (const h of history) {
        expect(h.actorType).toBe('agent');
        expect(h.changedByName).toBe(h.changedBy === agent.id ? 'Pat Agent' : 'Sam Supervisor');
      }

      const [createdRow, subject, description, priority, category, subcategory, tags, customFields, dueDate, status, commented, assigned] = history;
      expect(createdRow.createdAt).toBe(created);
      expect(createdRow.changedFrom).toBeNull();
      expect(createdRow.changedTo).toMatchObject({
        number: ticket.number, subject: ticket.subject, status: 'new', priority: 'low', category: 'account', source: 'web',
        tags: ['login'], requesterId: (ticket.requester as { id: string }).id,
      });
      expect(subject).toMatchObject({ createdAt: patchedAt, changedFrom: { subject: ticket.subject }, changedTo: { subject: 'Cannot log in since Monday' } });
      expect(description).toMatchObject({ changedFrom: { description: ticket.description }, changedTo: { description: 'Still broken.' } });
      expect(priority).toMatchObject({ changedFrom: { priority: 'low' }, changedTo: { priority: 'high' } });
      expect(category).toMatchObject({ changedFrom: { category: 'account' }, changedTo: { category: 'access' } });
      expect(subcategory).toMatchObject({ changedFrom: { subcategory: null }, changedTo: { subcategory: 'sso' } });
      expect(tags).toMatchObject({ changedFrom: { tags: ['login'] }, changedTo: { tags: ['login', 'sso'] } });
      expect(customFields).toMatchObject({ changedFrom: { customFields: {} }, changedTo: { customFields: { plan: 'pro' } } });
      expect(dueDate).toMatchObject({ changedFrom: { dueDate: null }, changedTo: { dueDate: '2026-03-01T10:00:00.000Z' } });
      expect(status).toMatchObject({ createdAt: patchedAt, changedFrom: { status: 'new' }, changedTo: { status: 'in_progress' } });
      expect(commented).toMatchObject({ createdAt: commentedAt, changedTo: { commentId: c.json().id, isInternal: true } });
      expect(assigned).toMatchObject({ createdAt: assignedAt, changedFrom: { assigneeId: null }, changedTo: { assigneeId: agent.id } });
    });

    it('changedBy is the signed-in user for a cookie session too', async () => {
      const login = await t.request('POST', '/api/v1/auth/login', { body: { email: other.email, password: other.password }, as: null });
      expect(login.statusCode, login.body).toBe(200);
      const cookie = String(login.headers['set-cookie']).split(';')[0];
      const headers = { cookie, 'x-csrf-token': login.json().csrfToken };
      const ticket = await openTicket(t);
      const res = await t.request('PATCH', `/api/v1/tickets/${ticket.id}`, { body: { priority: 'critical' }, as: null, headers });
      expect(res.statusCode, res.body).toBe(200);
      const resolved = await t.request('POST', `/api/v1/tickets/${ticket.id}/resolve`, { as: null, headers });
      expect(resolved.statusCode, resolved.body).toBe(200);
      expect((await historyOf(t, ticket.id)).map((h) => [h.changeType, h.changedBy])).toEqual([
        ['created', t.admin.id],
        ['updated', other.id],
        ['resolved', other.id],
      ]);
    });

    it('a PATCH that changes nothing writes no row and keeps the version', async () => {
      const ticket = await openTicket(t, { priority: 'high', tags: ['a', 'b'], customFields: { x: 1, y: [1, 2] } });
      const after = await patch(t, ticket.id, {
        subject: ticket.subject, priority: 'high', tags: ['B', 'a '], customFields: { y: [1, 2], x: 1 },
      }, agent);
      expect(after.version).toBe(ticket.version);
      expect(after.updatedAt).toBe(ticket.updatedAt);
      expect(await historyOf(t, ticket.id)).toHaveLength(1);
    });

    it('a public reply to a new ticket is commented, then opens it', async () => {
      const ticket = await openTicket(t);
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: 'We are on it' }, as: agent });
      expect(res.statusCode, res.body).toBe(201);
      expect((await getTicket(t, ticket.id)).status).toBe('open');
      const rows = (await historyOf(t, ticket.id)).slice(1);
      expect(rows.map((h) => [h.changeType, h.changedBy])).toEqual([
        ['commented', agent.id],
        ['status_changed', agent.id],
      ]);
      expect(rows[0].changedTo).toMatchObject({ commentId: res.json().id, isInternal: false });
      expect(rows[1]).toMatchObject({ changedFrom: { status: 'new' }, changedTo: { status: 'open' }, comment: 'first public reply' });
    });

    it('an internal note leaves a new ticket new', async () => {
      const ticket = await openTicket(t);
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: 'note', isInternal: true }, as: agent });
      expect(res.statusCode, res.body).toBe(201);
      expect((await getTicket(t, ticket.id)).status).toBe('new');
      expect((await historyOf(t, ticket.id)).map((h) => h.changeType)).toEqual(['created', 'commented']);
    });

    it('history answers 404 for an unknown ticket', async () => {
      expectProblem(await t.request('GET', '/api/v1/tickets/00000000-0000-4000-8000-000000000000/history'), 404, 'ticket.not_found');
    });
  });
});
