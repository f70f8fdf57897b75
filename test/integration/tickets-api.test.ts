import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem, getTicket, historyOf, openTicket, patch, ticketIn, type TicketJson } from '../helpers/tickets.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

describe(`tickets API (${DB_KIND})`, () => {
  let t: TestApp;
  let agent: TestAgent;

  beforeAll(async () => {
    // Routing is tested in routing-*.test.ts; here it is off so history holds only the ticket's own changes.
    t = await createTestApp({ routing: false });
    agent = await t.makeAgent({ role: 'agent', name: 'Pat Agent' });
  });
  afterAll(async () => t?.close());

  describe('POST /tickets', () => {
    it('answers 201 with the full ticket', async () => {
      const body = ticketBody({ requester: { name: 'Carla Customer', email: 'Carla.Customer@Example.COM', phone: '+44 20 7946 0000' } });
      const res = await t.request('POST', '/api/v1/tickets', { body, as: agent });
      expect(res.statusCode, res.body).toBe(201);
      const ticket = res.json();
      expect(ticket).toEqual({
        id: expect.stringMatching(UUID),
        number: expect.any(Number),
        externalId: null,
        subject: body.subject,
        description: body.description,
        status: 'new',
        priority: 'normal',
        category: 'account',
        subcategory: null,
        requester: {
          id: expect.stringMatching(UUID),
          name: 'Carla Customer',
          email: 'carla.customer@example.com',
          phone: '+44 20 7946 0000',
          organization: null,
          organizationId: null,
          tier: 'standard',
        },
        assignee: null,
        assigneeGroup: null,
        tags: [],
        customFields: {},
        source: 'web',
        channel: null,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        dueDate: null,
        resolvedAt: null,
        closedAt: null,
        followUpOf: null,
        sla: null,
        // routing is off in this file (see beforeAll): no decision; the score is the seed's calculator
        assignment: null,
        priorityScore: {
          score: 40,
          calculated: 'normal',
          source: 'calculated',
          factors: [
            { factor: 'tier', detail: 'standard', points: 10 },
            { factor: 'category', detail: 'account', points: 30 },
          ],
        },
        version: 1,
      });
      expect(ticket.updatedAt).toBe(ticket.createdAt);
      expect(Number.isInteger(ticket.number) && ticket.number > 0).toBe(true);
      expect(res.headers.etag).toBe('"1"');
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    });

    it('keeps every optional field it was given', async () => {
      const ticket = await openTicket(t, {
        subcategory: 'password', priority: 'critical', channel: 'portal', tags: ['VIP', ' login ', 'vip'],
        customFields: { plan: 'pro', seats: 12, flags: { beta: true } }, source: 'email',
      });
      expect(ticket).toMatchObject({
        subcategory: 'password', priority: 'critical', channel: 'portal', tags: ['login', 'vip'],
        customFields: { plan: 'pro', seats: 12, flags: { beta: true } }, source: 'email',
      });
    });

    it('gives consecutive tickets increasing numbers', async () => {
      const a = await openTicket(t);
      const b = await openTicket(t);
      expect(b.number).toBeGreaterThan(a.number);
      expect(b.id).not.toBe(a.id);
    });

    it('finds the requester by e-mail case-insensitively, or creates one', async () => {
      const first = await openTicket(t, { requester: { name: 'Dora Doe', email: 'dora.doe@example.org' } });
      const second = await openTicket(t, { requester: { name: 'D. Doe', email: 'DORA.Doe@EXAMPLE.org' } });
      const other = await openTicket(t, { requester: { name: 'Dora Doe', email: 'dora.doe2@example.org' } });
      const r1 = first.requester as { id: string; email: string; name: string };
      const r2 = second.requester as { id: string; email: string; name: string };
      expect(r2.id).toBe(r1.id);
      expect(r2).toMatchObject({ email: 'dora.doe@example.org', name: 'Dora Doe' });
      expect((other.requester as { id: string }).id).not.toBe(r1.id);
      const found = (await t.request('GET', '/api/v1/requesters?email=Dora.Doe@Example.org')).json();
      expect(found.total).toBe(1);
      expect(found.requesters[0]).toMatchObject({ id: r1.id, email: 'dora.doe@example.org' });
    });

    it('creates the organization named by requester.organization, once', async () => {
      const a = await openTicket(t, { requester: { name: 'Olga', email: 'olga@acme.test', organization: 'Acme Widgets' } });
      const b = await openTicket(t, { requester: { name: 'Otto', email: 'otto@acme.test', organization: 'ACME widgets' } });
      const ra = a.requester as { organization: string; organizationId: string; tier: string };
      const rb = b.requester as { organization: string; organizationId: string };
      expect(ra).toMatchObject({ organization: 'Acme Widgets', organizationId: expect.stringMatching(UUID), tier: 'standard' });
      expect(rb.organizationId).toBe(ra.organizationId);
      expect(rb.organization).toBe('Acme Widgets');
      const org = await t.request('GET', `/api/v1/organizations/${ra.organizationId}`);
      expect(org.statusCode, org.body).toBe(200);
      expect(org.json()).toMatchObject({ id: ra.organizationId, name: 'Acme Widgets' });
    });

    it('links a follow-up to a closed ticket (by UUID or number); an unknown one is 404', async () => {
      const closed = await ticketIn(t, 'closed');
      const byId = await openTicket(t, { followUpOf: closed.id }, agent);
      const byNumber = await openTicket(t, { followUpOf: String(closed.number) });
      expect(byId).toMatchObject({ followUpOf: closed.id, status: 'new' });
      expect(byNumber.followUpOf).toBe(closed.id);
      expect((await historyOf(t, byId.id))[0].changedTo).toMatchObject({ followUpOf: closed.id });
      expect(await getTicket(t, closed.id)).toMatchObject({ status: 'closed', version: closed.version });
      const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows[0].n;
      expectProblem(await t.request('POST', '/api/v1/tickets', { body: ticketBody({ followUpOf: MISSING_UUID }) }), 404, 'ticket.not_found');
      expectProblem(await t.request('POST', '/api/v1/tickets', { body: ticketBody({ followUpOf: 'nonsense' }) }), 404, 'ticket.not_found');
      expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows[0].n).toBe(before);
    });

    it('writes the created history row by the acting agent', async () => {
      const ticket = await openTicket(t, {}, agent);
      const [row, ...rest] = await historyOf(t, ticket.id);
      expect(rest).toEqual([]);
      expect(row).toMatchObject({ changeType: 'created', changedBy: agent.id, changedByName: 'Pat Agent', changedFrom: null });
    });
  });

  describe('GET /tickets/:id', () => {
    let ticket: TicketJson;
    let publicId: string;
    let internalId: string;

    beforeAll(async () => {
      ticket = await openTicket(t);
      const pub = await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: 'Have you tried resetting it?' }, as: agent });
      const note = await t.request('POST', `/api/v1/tickets/${ticket.number}/comments`, { body: { content: 'Customer is a VIP', isInternal: true } });
      expect(pub.statusCode, pub.body).toBe(201);
      expect(note.statusCode, note.body).toBe(201);
      publicId = pub.json().id;
      internalId = note.json().id;
    });

    it('finds a ticket by UUID and by number, with its comments and internal notes', async () => {
      const byId = await t.request('GET', `/api/v1/tickets/${ticket.id}`);
      const byNumber = await t.request('GET', `/api/v1/tickets/${ticket.number}`);
      expect(byId.statusCode).toBe(200);
      expect(byNumber.statusCode).toBe(200);
      expect(byNumber.json()).toEqual(byId.json());
      const detail = byId.json();
      expect(byId.headers.etag).toBe(`"${detail.version}"`);
      expect(detail).toMatchObject({ id: ticket.id, number: ticket.number, status: 'open', requester: ticket.requester, attachments: [] });
      expect(detail.comments).toEqual([
        {
          id: publicId, ticketId: ticket.id, author: { id: agent.id, type: 'agent', name: 'Pat Agent' },
          content: 'Have you tried resetting it?', isInternal: false, isPublic: true, attachments: [], createdAt: expect.stringMatching(ISO),
        },
        {
          id: internalId, ticketId: ticket.id, author: { id: t.admin.id, type: 'agent', name: 'Ada Admin' },
          content: 'Customer is a VIP', isInternal: true, isPublic: false, attachments: [], createdAt: expect.stringMatching(ISO),
        },
      ]);
    });

    it.each([
      ['an unknown UUID', MISSING_UUID],
      ['an unknown number', '987654321'],
      ['a garbage id', 'not-a-ticket'],
      ['a number with junk', `${1000}x`],
      ['a negative number', '-1000'],
      ['a huge number', '9'.repeat(40)],
    ])('answers 404 for %s', async (_label, ref) => {
      expectProblem(await t.request('GET', `/api/v1/tickets/${ref}`), 404, 'ticket.not_found');
    });

    it('history is found by number too', async () => {
      const res = await t.request('GET', `/api/v1/tickets/${ticket.number}/history`);
      expect(res.statusCode).toBe(200);
      expect(res.json().history.map((h: { changeType: string }) => h.changeType)).toEqual(['created', 'commented', 'status_changed', 'commented']);
      expectProblem(await t.request('GET', '/api/v1/tickets/987654321/history'), 404, 'ticket.not_found');
    });
  });

  describe('POST /tickets/:id/comments', () => {
    it('adds a public reply and answers 201 with the comment', async () => {
      const ticket = await openTicket(t);
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: 'Hello **there**' }, as: agent });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toEqual({
        id: expect.stringMatching(UUID), ticketId: ticket.id, author: { id: agent.id, type: 'agent', name: 'Pat Agent' },
        content: 'Hello **there**', isInternal: false, isPublic: true, attachments: [], createdAt: expect.stringMatching(ISO),
        ticketVersion: ticket.version + 1,
      });
      const after = await getTicket(t, ticket.id);
      expect(after.version).toBe(ticket.version + 1);
      expect(res.headers.etag).toBe(`"${after.version}"`);
    });

    it('adds an internal note', async () => {
      const ticket = await ticketIn(t, 'pending');
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: 'Escalate?', isInternal: true }, as: agent });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ isInternal: true, isPublic: false });
      const after = await getTicket(t, ticket.id);
      expect(after.status).toBe('pending');
      expect(after.comments.map((c) => c.content)).toEqual(['Escalate?']);
    });

    it('answers 404 for an unknown ticket and 409 for a closed one', async () => {
      expectProblem(await t.request('POST', `/api/v1/tickets/${MISSING_UUID}/comments`, { body: { content: 'x' } }), 404, 'ticket.not_found');
      const closed = await ticketIn(t, 'closed');
      expectProblem(await t.request('POST', `/api/v1/tickets/${closed.id}/comments`, { body: { content: 'x' } }), 409, 'ticket.final');
      expect((await getTicket(t, closed.id)).comments).toEqual([]);
    });

    it('refuses an empty comment with 400', async () => {
      const ticket = await openTicket(t);
      const p = expectProblem(await t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { body: { content: '' } }), 400, 'request.invalid');
      expect(p.errors.map((e: { path: string }) => e.path)).toContain('content');
    });
  });

  describe('POST /tickets/:id/assign', () => {
    let billing: TestAgent;

    beforeAll(async () => {
      for (const g of [{ slug: 'billing', name: 'Billing' }, { slug: 'tier-2', name: 'Tier 2' }]) {
        const res = await t.request('POST', '/api/v1/groups', { body: g });
        expect(res.statusCode, res.body).toBe(201);
      }
      billing = await t.makeAgent({ name: 'Bea Billing', groups: ['billing'] });
    });

    it('assigns an agent, embedding them in the ticket', async () => {
      const ticket = await ticketIn(t, 'open');
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { agentId: billing.id }, as: agent });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().assignee).toEqual({ id: billing.id, name: 'Bea Billing', email: billing.email, role: 'agent', status: 'offline' });
      expect(res.headers.etag).toBe(`"${ticket.version + 1}"`);
      const row = (await historyOf(t, ticket.id)).at(-1)!;
      expect(row).toMatchObject({
        changeType: 'assigned', changedBy: agent.id,
        changedFrom: { assigneeId: null, groupId: null }, changedTo: { assigneeId: billing.id, assigneeName: 'Bea Billing' },
      });
    });

    it('assigns a group by slug', async () => {
      const ticket = await ticketIn(t, 'open');
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { group: 'tier-2' }, as: agent });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ assigneeGroup: 'tier-2', assignee: null });
      expect((await historyOf(t, ticket.id)).at(-1)).toMatchObject({ changeType: 'assigned', changedTo: { group: 'tier-2' } });
    });

    it('moving to a group keeps the assignee only if they belong to it', async () => {
      const ticket = await ticketIn(t, 'open');
      await patch(t, ticket.id, { assigneeId: billing.id });
      let res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { group: 'billing' } });
      expect(res.json()).toMatchObject({ assigneeGroup: 'billing', assignee: { id: billing.id } });
      res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { group: 'tier-2' } });
      expect(res.json()).toMatchObject({ assigneeGroup: 'tier-2', assignee: null });
    });

    it('assigns agent and group at once, and unassigns with null', async () => {
      const ticket = await ticketIn(t, 'open');
      let res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { agentId: billing.id, group: 'billing' } });
      expect(res.json()).toMatchObject({ assigneeGroup: 'billing', assignee: { id: billing.id } });
      res = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { agentId: null, group: null } });
      expect(res.json()).toMatchObject({ assigneeGroup: null, assignee: null });
    });

    it('answers 404 for an unknown group, agent or ticket, and 400 for an empty body', async () => {
      const ticket = await ticketIn(t, 'open');
      expectProblem(await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { group: 'no-such-group' } }), 404, 'group.not_found');
      expectProblem(await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { agentId: MISSING_UUID } }), 404, 'agent.not_found');
      expectProblem(await t.request('POST', `/api/v1/tickets/${MISSING_UUID}/assign`, { body: { agentId: agent.id } }), 404, 'ticket.not_found');
      expectProblem(await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: {} }), 400, 'request.invalid');
      const after = await getTicket(t, ticket.id);
      expect(after).toMatchObject({ version: ticket.version, assignee: null, assigneeGroup: null });
    });

    it('PATCH assigneeId to an unknown agent is 404 and changes nothing', async () => {
      const ticket = await openTicket(t);
      const res = await t.request('PATCH', `/api/v1/tickets/${ticket.id}`, { body: { assigneeId: MISSING_UUID, subject: 'changed' } });
      expectProblem(res, 404, 'agent.not_found');
      expect(await getTicket(t, ticket.id)).toMatchObject({ subject: ticket.subject, version: 1, status: 'new' });
    });
  });
});

/** One ticket of the listing fixture: what it is created with, and what it becomes. */
interface Fixture {
  subject: string;
  description?: string;
  priority: 'critical' | 'high' | 'normal' | 'low';
  category: string;
  status: 'new' | 'open' | 'in_progress' | 'pending' | 'resolved' | 'closed' | 'cancelled';
  assignee?: 0 | 1;
  requester: 0 | 1;
  tags: string[];
  dueDays?: number;
}

const FIXTURES: Fixture[] = [
  { subject: 'Refund 100% please', priority: 'critical', category: 'billing', status: 'new', requester: 0, tags: ['vip'], dueDays: 1 },
  { subject: 'Invoice wrong', priority: 'high', category: 'billing', status: 'open', assignee: 0, requester: 1, tags: ['vip', 'refund'], dueDays: 2 },
  { subject: 'Cannot log in', priority: 'normal', category: 'account', status: 'pending', assignee: 1, requester: 0, tags: [] },
  { subject: 'SSO_broken', priority: 'low', category: 'account', status: 'resolved', assignee: 0, requester: 1, tags: ['sso'], dueDays: 3 },
  { subject: 'Parcel lost', description: 'The courier says DELIVERED but nothing came', priority: 'normal', category: 'shipping', status: 'in_progress', assignee: 1, requester: 0, tags: ['refund'], dueDays: 5 },
  { subject: 'Where is my order', priority: 'high', category: 'shipping', status: 'closed', requester: 1, tags: [] },
  { subject: 'Account hacked', priority: 'critical', category: 'account', status: 'cancelled', requester: 0, tags: ['vip'], dueDays: 4 },
  { subject: '100 percent charge', priority: 'normal', category: 'billing', status: 'new', requester: 1, tags: [], dueDays: 1 },
  { subject: 'SSOXbroken lookalike', priority: 'low', category: 'account', status: 'open', assignee: 1, requester: 0, tags: ['sso'] },
];

const RANK = { critical: 0, high: 1, normal: 2, low: 3 } as const;
type SortBy = 'createdAt' | 'updatedAt' | 'priority' | 'dueDate';

/** The order the API promises, computed independently: by the key, then by id, in one direction. */
function expectedOrder(tickets: TicketJson[], sortBy: SortBy, sortOrder: 'asc' | 'desc'): string[] {
  const key = (x: TicketJson): number => {
    if (sortBy === 'priority') return RANK[x.priority as keyof typeof RANK];
    if (sortBy === 'dueDate') return x.dueDate ? Date.parse(x.dueDate as string) : Number.POSITIVE_INFINITY;
    return Date.parse(x[sortBy]);
  };
  // priority "desc" means most urgent first
  const ascending = (sortOrder === 'asc') !== (sortBy === 'priority');
  const sorted = [...tickets].sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return (ascending ? sorted : sorted.reverse()).map((x) => x.id);
}

describe(`GET /tickets (${DB_KIND})`, () => {
  let t: TestApp;
  const clock = new FakeClock(new Date('2026-01-05T09:00:00.000Z'));
  const start = clock.now().getTime();
  const minute = 60_000;
  const day = 86_400_000;
  let agents: TestAgent[];
  let tickets: TicketJson[];
  let requesterIds: string[];

  const list = async (query: string) => {
    const res = await t.request('GET', `/api/v1/tickets${query ? `?${query}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { tickets: TicketJson[]; total: number; page: number; totalPages: number; nextCursor: string | null };
  };
  const idsOf = (pred: (f: Fixture, x: TicketJson) => boolean) =>
    tickets.filter((x, i) => pred(FIXTURES[i], x)).map((x) => x.id).sort();
  const listIds = async (query: string) => (await list(`${query}&limit=200`)).tickets.map((x) => x.id).sort();

  beforeAll(async () => {
    t = await createTestApp({ clock });
    agents = [await t.makeAgent({ name: 'Ann' }), await t.makeAgent({ name: 'Ben' })];
    const emails = ['rita@list.test', 'ray@list.test'];
    const created: TicketJson[] = [];
    // created one minute apart, in fixture order
    for (const [i, f] of FIXTURES.entries()) {
      clock.set(new Date(start + i * minute));
      created.push(await openTicket(t, {
        subject: f.subject, ...(f.description ? { description: f.description } : {}), priority: f.priority, category: f.category,
        tags: f.tags, requester: { name: `Requester ${f.requester}`, email: emails[f.requester] },
        ...(f.dueDays ? { dueDate: new Date(start + f.dueDays * day).toISOString() } : {}),
      }));
    }
    // then moved to their status (and assignee), later and in reverse order, so updatedAt differs from createdAt order
    for (const [i, f] of [...FIXTURES.entries()].reverse()) {
      clock.set(new Date(start + day + (FIXTURES.length - i) * minute));
      const id = created[i].id;
      if (f.assignee !== undefined) await patch(t, id, { assigneeId: agents[f.assignee].id, status: f.status === 'new' ? undefined : 'open' });
      if (f.status === 'closed') await patch(t, id, { status: 'resolved' });
      if (f.status !== 'new' && f.status !== 'open') await patch(t, id, { status: f.status === 'closed' ? 'closed' : f.status });
      else if (f.status === 'open') await patch(t, id, { status: 'open' });
    }
    tickets = [];
    for (const c of created) tickets.push(await getTicket(t, c.id));
    requesterIds = [0, 1].map((r) => (tickets[FIXTURES.findIndex((f) => f.requester === r)].requester as { id: string }).id);
    expect(tickets.map((x) => x.status)).toEqual(FIXTURES.map((f) => f.status));
  });
  afterAll(async () => t?.close());

  it('lists everything, newest first, with totals', async () => {
    const body = await list('');
    expect(body.total).toBe(FIXTURES.length);
    expect(body.page).toBe(1);
    expect(body.totalPages).toBe(1);
    expect(body.tickets.map((x) => x.id)).toEqual(tickets.map((x) => x.id).reverse());
    // list items are the ticket without its conversation
    const { comments: _c, attachments: _a, ...newest } = tickets.at(-1) as TicketJson & { comments: unknown; attachments: unknown };
    expect(body.tickets[0]).toEqual(newest);
  });

  describe('filters', () => {
    it.each([
      ['status=open', (f: Fixture) => f.status === 'open'],
      ['status=new,pending', (f: Fixture) => f.status === 'new' || f.status === 'pending'],
      ['status=resolved&status=closed', (f: Fixture) => f.status === 'resolved' || f.status === 'closed'],
      ['priority=critical', (f: Fixture) => f.priority === 'critical'],
      ['priority=high,low', (f: Fixture) => f.priority === 'high' || f.priority === 'low'],
      ['category=billing', (f: Fixture) => f.category === 'billing'],
      ['category=shipping,account', (f: Fixture) => f.category !== 'billing'],
      ['tags=vip', (f: Fixture) => f.tags.includes('vip')],
      ['tags=SSO,refund', (f: Fixture) => f.tags.includes('sso') || f.tags.includes('refund')],
      ['status=new,open&category=billing&priority=high', (f: Fixture) => ['new', 'open'].includes(f.status) && f.category === 'billing' && f.priority === 'high'],
    ])('%s', async (query, pred) => {
      const expected = idsOf(pred);
      expect(expected.length).toBeGreaterThan(0);
      expect(await listIds(query)).toEqual(expected);
    });

    it('assigneeId and requesterId, single and as lists', async () => {
      const [a0, a1] = agents.map((a) => a.id);
      expect(await listIds(`assigneeId=${a0}`)).toEqual(idsOf((f) => f.assignee === 0));
      expect(await listIds(`assigneeId=${a0},${a1}`)).toEqual(idsOf((f) => f.assignee !== undefined));
      expect(await listIds(`requesterId=${requesterIds[1]}`)).toEqual(idsOf((f) => f.requester === 1));
      expect(await listIds(`requesterId=${requesterIds[0]},${requesterIds[1]}`)).toEqual(idsOf(() => true));
      expect(await listIds(`assigneeId=${agents[0].id}&requesterId=${requesterIds[0]}`)).toEqual([]);
    });

    it('createdAfter / createdBefore (inclusive)', async () => {
      const at = (i: number) => new Date(start + i * minute).toISOString();
      expect(await listIds(`createdAfter=${at(3)}`)).toEqual(idsOf((_f, x) => Date.parse(x.createdAt) >= start + 3 * minute));
      expect(await listIds(`createdBefore=${at(2)}`)).toEqual(idsOf((_f, x) => Date.parse(x.createdAt) <= start + 2 * minute));
      expect(await listIds(`createdAfter=${at(2)}&createdBefore=${at(4)}`)).toHaveLength(3);
      expect(await listIds('createdAfter=2026-01-06')).toEqual([]);
      expect(await listIds('createdBefore=2026-01-05')).toEqual([]);
    });

    it('dueAfter / dueBefore (tickets without a due date never match)', async () => {
      const at = (days: number) => new Date(start + days * day).toISOString();
      expect(await listIds(`dueAfter=${at(3)}`)).toEqual(idsOf((f) => (f.dueDays ?? 0) >= 3));
      expect(await listIds(`dueBefore=${at(2)}`)).toEqual(idsOf((f) => f.dueDays !== undefined && f.dueDays <= 2));
      expect(await listIds(`dueAfter=${at(2)}&dueBefore=${at(4)}`)).toEqual(idsOf((f) => f.dueDays !== undefined && f.dueDays >= 2 && f.dueDays <= 4));
    });

    it('q matches subject or description, case-insensitively, with % and _ taken literally', async () => {
      const bySubject = (s: string) => idsOf((f) => f.subject === s);
      expect(await listIds('q=invoice')).toEqual(bySubject('Invoice wrong'));
      expect(await listIds(`q=${encodeURIComponent('100%')}`)).toEqual(bySubject('Refund 100% please'));
      expect(await listIds(`q=${encodeURIComponent('%')}`)).toEqual(bySubject('Refund 100% please'));
      expect(await listIds('q=SSO_')).toEqual(bySubject('SSO_broken'));
      expect(await listIds('q=sso')).toEqual(idsOf((f) => f.subject.startsWith('SSO')));
      expect(await listIds('q=delivered')).toEqual(bySubject('Parcel lost'));
      expect(await listIds(`q=${encodeURIComponent('\\')}`)).toEqual([]);
      expect(await listIds('q=nothing-like-this')).toEqual([]);
    });

    it.each([
      'status=bogus', 'priority=urgent', 'assigneeId=not-a-uuid', 'requesterId=123', 'createdAfter=yesterday',
      'dueBefore=2026-13-45', 'sortBy=subject', 'sortOrder=up', 'limit=0', 'limit=201', 'page=0', 'page=abc', 'unknown=1',
    ])('?%s → 400', async (query) => {
      const p = expectProblem(await t.request('GET', `/api/v1/tickets?${query}`), 400, 'request.invalid');
      expect(p.errors.length).toBeGreaterThan(0);
    });
  });

  describe('paging and sorting', () => {
    it('page, limit and totalPages', async () => {
      const all = (await list('sortOrder=asc')).tickets.map((x) => x.id);
      const pages = [];
      for (let page = 1; page <= 4; page++) {
        const body = await list(`sortOrder=asc&limit=4&page=${page}`);
        expect(body).toMatchObject({ total: FIXTURES.length, page, totalPages: 3 });
        pages.push(...body.tickets.map((x) => x.id));
        if (page === 4) expect(body.tickets).toEqual([]);
      }
      expect(pages).toEqual(all);
      expect((await list('limit=200')).tickets).toHaveLength(FIXTURES.length);
      expect((await list('status=open&limit=1')).totalPages).toBe(FIXTURES.filter((f) => f.status === 'open').length);
    });

    const sorts = (['createdAt', 'updatedAt', 'priority', 'dueDate'] as const).flatMap((sortBy) =>
      (['asc', 'desc'] as const).map((sortOrder) => ({ sortBy, sortOrder })));

    it.each(sorts)('sortBy=$sortBy&sortOrder=$sortOrder', async ({ sortBy, sortOrder }) => {
      const got = (await list(`sortBy=${sortBy}&sortOrder=${sortOrder}`)).tickets.map((x) => x.id);
      expect(got).toEqual(expectedOrder(tickets, sortBy, sortOrder));
    });

    it('priority desc puts critical first; dueDate asc puts tickets without a due date last', async () => {
      const byPriority = (await list('sortBy=priority&sortOrder=desc')).tickets.map((x) => x.priority);
      expect(byPriority.slice(0, 2)).toEqual(['critical', 'critical']);
      expect(byPriority.at(-1)).toBe('low');
      expect((await list('sortBy=priority')).tickets[0].priority).toBe('critical');
      const byDue = (await list('sortBy=dueDate&sortOrder=asc')).tickets.map((x) => x.dueDate);
      expect(byDue.slice(-3)).toEqual([null, null, null]);
      expect(byDue[0]).toBe(new Date(start + day).toISOString());
    });

    it.each(sorts)('cursor walks every row once with sortBy=$sortBy&sortOrder=$sortOrder', async ({ sortBy, sortOrder }) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 20; guard++) {
        const body = await list(`sortBy=${sortBy}&sortOrder=${sortOrder}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(body.total).toBe(FIXTURES.length);
        seen.push(...body.tickets.map((x) => x.id));
        cursor = body.nextCursor;
        if (!cursor) break;
      }
      expect(cursor).toBeNull();
      expect(seen).toEqual(expectedOrder(tickets, sortBy, sortOrder));
    });

    it('cursor keeps the filters it is used with', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const body = await list(`category=account&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...body.tickets.map((x) => x.id));
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(idsOf((f) => f.category === 'account'));
    });

    it.each([
      ['garbage', 'not a cursor!'],
      ['base64 of something else', Buffer.from('hello').toString('base64url')],
      ['a JSON array with a bad id', Buffer.from(JSON.stringify(['2026-01-05T09:00:00.000Z', 'x'])).toString('base64url')],
      ['an over-long value', 'a'.repeat(501)],
    ])('a bad cursor (%s) → 400', async (_label, cursor) => {
      expectProblem(await t.request('GET', `/api/v1/tickets?cursor=${encodeURIComponent(cursor)}`), 400, 'request.invalid');
    });

    it('a cursor from another sort order, or tampered with, → 400 (never 500)', async () => {
      const byPriority = (await list('sortBy=priority&limit=2')).nextCursor!;
      const byCreated = (await list('sortBy=createdAt&limit=2')).nextCursor!;
      expect(byPriority).toEqual(expect.any(String));
      expectProblem(await t.request('GET', `/api/v1/tickets?sortBy=createdAt&cursor=${byPriority}`), 400, 'request.invalid');
      expectProblem(await t.request('GET', `/api/v1/tickets?sortBy=dueDate&cursor=${byCreated}`), 400, 'request.invalid');
      expectProblem(await t.request('GET', `/api/v1/tickets?sortBy=createdAt&sortOrder=asc&cursor=${byCreated}`), 400, 'request.invalid');
      const decoded = JSON.parse(Buffer.from(byCreated, 'base64url').toString());
      for (const bad of ['2026-02-30T00:00:00.000000Z', 'tomorrow', 12, null, { a: 1 }]) {
        const forged = Buffer.from(JSON.stringify(replaceSortValue(decoded, bad))).toString('base64url');
        expectProblem(await t.request('GET', `/api/v1/tickets?sortBy=createdAt&cursor=${forged}`), 400, 'request.invalid');
      }
    });
  });

  describe('keyset paging at database precision', () => {
    // Rows written by SQL (imports, demo data) carry microseconds and exact ties that a
    // millisecond cursor cannot tell apart; the walk must still see every row exactly once.
    it.each(['createdAt', 'updatedAt', 'dueDate', 'priority'] as const)('sortBy=%s', async (sortBy) => {
      const category = `precision-${sortBy}`;
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await openTicket(t, { category, priority: i % 2 ? 'high' : 'low' })).id);
      // 7 rows within one millisecond: µs offsets 100..400 with ties at 200 and 300
      const offsets = [100, 200, 200, 300, 300, 300, 400];
      for (const [i, id] of ids.entries()) {
        await t.db.query(
          `UPDATE tickets SET created_at = $2::timestamptz + make_interval(secs => $3::float8 / 1e6),
                              updated_at = $2::timestamptz + make_interval(secs => $3::float8 / 1e6),
                              due_date   = $2::timestamptz + make_interval(secs => $3::float8 / 1e6) WHERE id = $1`,
          [id, '2026-01-05T12:00:00.123Z', offsets[i]],
        );
      }
      for (const sortOrder of ['asc', 'desc']) {
        const full = (await list(`category=${category}&sortBy=${sortBy}&sortOrder=${sortOrder}&limit=200`)).tickets.map((x) => x.id);
        expect([...full].sort()).toEqual([...ids].sort());
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let guard = 0; guard < 10; guard++) {
          const body = await list(`category=${category}&sortBy=${sortBy}&sortOrder=${sortOrder}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          seen.push(...body.tickets.map((x) => x.id));
          cursor = body.nextCursor;
          if (!cursor) break;
        }
        expect(seen).toEqual(full);
      }
    });
  });
});

/** Puts `value` where a cursor keeps its sort value (whatever the cursor's shape). */
function replaceSortValue(decoded: unknown, value: unknown): unknown {
  if (Array.isArray(decoded)) return [value, ...decoded.slice(1)];
  return { ...(decoded as Record<string, unknown>), k: value };
}
