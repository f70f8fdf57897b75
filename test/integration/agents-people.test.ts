import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem } from '../helpers/problems.ts';

const UUID = '00000000-0000-4000-8000-000000000000';


const paths = (res: LightMyRequestResponse) => (res.json().errors ?? []).map((e: { path: string }) => e.path);

describe(`agents, groups, requesters, organizations (${DB_KIND})`, () => {
  let t: TestApp;
  let supervisor: TestAgent;
  let agent: TestAgent;
  beforeAll(async () => {
    t = await createTestApp({ config: { loginRateLimit: 1000 } });
    for (const slug of ['support', 'billing', 'tier-2']) {
      const res = await t.request('POST', '/api/v1/groups', { body: { slug, name: slug.toUpperCase() } });
      expect(res.statusCode, res.body).toBe(201);
    }
    supervisor = await t.makeAgent({ role: 'supervisor', groups: ['support'] });
    agent = await t.makeAgent({ role: 'agent', groups: ['support'], skills: ['english'] });
  });
  afterAll(async () => t.close());

  describe('POST /agents', () => {
    it('an admin creates an agent (201) with groups, skills, capacity and no password echoed', async () => {
      const res = await t.request('POST', '/api/v1/agents', {
        body: { name: 'Bea Billing', email: 'Bea@Example.COM', groups: ['billing', 'support'], skills: [' German ', 'german', 'refunds'], maxConcurrentTickets: 8, password: 'long-enough-pw' },
      });
      expect(res.statusCode, res.body).toBe(201);
      const a = res.json();
      expect(a).toMatchObject({
        name: 'Bea Billing', email: 'bea@example.com', role: 'agent', groups: ['billing', 'support'], skills: ['german', 'refunds'],
        maxConcurrentTickets: 8, currentTickets: 0, status: 'offline',
      });
      expect(res.body).not.toContain('long-enough-pw');
      const login = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: 'bea@example.com', password: 'long-enough-pw' } });
      expect(login.statusCode).toBe(200);
      const got = await t.request('GET', `/api/v1/agents/${a.id}`);
      expect(got.json()).toMatchObject({ id: a.id, groups: ['billing', 'support'] });
    });

    it('agents and supervisors may not create agents (403), and nothing is created', async () => {
      for (const who of [agent, supervisor]) {
        const res = await t.request('POST', '/api/v1/agents', { as: who, body: { name: 'Sneaky', email: `sneaky-${who.role}@example.com`, role: 'admin' } });
        expectProblem(res, 403, 'auth.forbidden');
      }
      const list = (await t.request('GET', '/api/v1/agents?limit=200')).json().agents as { email: string }[];
      expect(list.some((a) => a.email.startsWith('sneaky'))).toBe(false);
    });

    it('a duplicate e-mail, in any case, is 409', async () => {
      const first = await t.request('POST', '/api/v1/agents', { body: { name: 'Dup', email: 'dup@example.com' } });
      expect(first.statusCode).toBe(201);
      for (const email of ['dup@example.com', 'DUP@Example.com']) {
        const p = expectProblem(await t.request('POST', '/api/v1/agents', { body: { name: 'Dup 2', email } }), 409, 'agent.email_taken');
        expect(p.errors).toEqual([{ path: 'email', message: expect.any(String) }]);
      }
    });

    it('an unknown group slug is 400 naming groups.<index>', async () => {
      const res = await t.request('POST', '/api/v1/agents', { body: { name: 'Gus', email: 'gus@example.com', groups: ['nope'] } });
      const p = expectProblem(res, 400, 'request.invalid');
      expect(p.errors).toEqual([{ path: 'groups.0', message: expect.stringContaining('nope') }]);
      // the index is the position in the request, duplicates and all
      const res2 = await t.request('POST', '/api/v1/agents', { body: { name: 'Gus', email: 'gus@example.com', groups: ['support', 'support', 'missing'] } });
      expect(paths(res2)).toEqual(['groups.2']);
      expect((await t.request('GET', '/api/v1/agents?limit=200')).json().agents.some((a: { email: string }) => a.email === 'gus@example.com')).toBe(false);
    });

    it('validates the body: unknown fields, bad e-mail, bad role, short password', async () => {
      const res = await t.request('POST', '/api/v1/agents', { body: { name: 'X', email: 'not-an-email', role: 'king', password: 'short', colour: 'red' } });
      expectProblem(res, 400, 'request.invalid');
      expect(paths(res)).toEqual(expect.arrayContaining(['email', 'role', 'password', 'colour']));
    });
  });

  describe('GET /agents', () => {
    it('lists agents with filters and paging; GET /agents/:id; 404 for an unknown id', async () => {
      const all = await t.request('GET', '/api/v1/agents?limit=200');
      expect(all.statusCode).toBe(200);
      expect(all.json().total).toBeGreaterThanOrEqual(3);
      const supers = (await t.request('GET', '/api/v1/agents?role=supervisor', { as: agent })).json().agents as { role: string }[];
      expect(supers.length).toBeGreaterThan(0);
      expect(supers.every((a) => a.role === 'supervisor')).toBe(true);
      const billing = (await t.request('GET', '/api/v1/agents?group=billing')).json().agents as { groups: string[] }[];
      expect(billing.every((a) => a.groups.includes('billing'))).toBe(true);
      const page = (await t.request('GET', '/api/v1/agents?limit=1&page=2')).json();
      expect(page.agents).toHaveLength(1);
      expect(page.page).toBe(2);
      expect(page.totalPages).toBe(page.total);
      expectProblem(await t.request('GET', '/api/v1/agents?role=king'), 400, 'request.invalid');
      expectProblem(await t.request('GET', `/api/v1/agents/${UUID}`), 404, 'agent.not_found');
      expectProblem(await t.request('GET', '/api/v1/agents/not-a-uuid'), 400, 'request.invalid');
    });
  });

  describe('PATCH /agents/:id policy', () => {
    it('an agent changes their own name, status and password', async () => {
      const me = await t.makeAgent();
      const res = await t.request('PATCH', `/api/v1/agents/${me.id}`, { as: me, body: { name: 'New Name', status: 'online', password: 'brand-new-password' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ name: 'New Name', status: 'online', lastActiveAt: expect.any(String) });
      const oldPw = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: me.email, password: me.password } });
      expect(oldPw.statusCode).toBe(401);
      const newPw = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: me.email, password: 'brand-new-password' } });
      expect(newPw.statusCode).toBe(200);
    });

    it('an agent may not change their own role, groups, skills, capacity or e-mail (403, nothing changes)', async () => {
      const me = await t.makeAgent({ groups: ['support'] });
      for (const body of [{ role: 'admin' }, { groups: ['billing'] }, { skills: ['x'] }, { maxConcurrentTickets: 99 }, { email: 'other@example.com' }, { name: 'Ok', role: 'admin' }]) {
        expectProblem(await t.request('PATCH', `/api/v1/agents/${me.id}`, { as: me, body }), 403, 'auth.forbidden');
      }
      const after = (await t.request('GET', `/api/v1/agents/${me.id}`)).json();
      expect(after).toMatchObject({ role: 'agent', groups: ['support'], skills: [], maxConcurrentTickets: 5, email: me.email, name: me.name });
    });

    it('an agent may not change another agent', async () => {
      const me = await t.makeAgent();
      const other = await t.makeAgent();
      for (const body of [{ name: 'Hacked' }, { status: 'offline' }, { password: 'takeover-password' }]) {
        expectProblem(await t.request('PATCH', `/api/v1/agents/${other.id}`, { as: me, body }), 403, 'auth.forbidden');
      }
      expect((await t.request('GET', `/api/v1/agents/${other.id}`)).json().name).toBe(other.name);
    });

    it('a supervisor changes an agent’s groups, skills and capacity, but not the role or password', async () => {
      const target = await t.makeAgent({ groups: ['support'] });
      const res = await t.request('PATCH', `/api/v1/agents/${target.id}`, {
        as: supervisor, body: { groups: ['billing', 'tier-2'], skills: ['French'], maxConcurrentTickets: 12, status: 'away' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ groups: ['billing', 'tier-2'], skills: ['french'], maxConcurrentTickets: 12, status: 'away' });
      expectProblem(await t.request('PATCH', `/api/v1/agents/${target.id}`, { as: supervisor, body: { role: 'supervisor' } }), 403, 'auth.forbidden');
      expectProblem(await t.request('PATCH', `/api/v1/agents/${target.id}`, { as: supervisor, body: { password: 'set-by-super1' } }), 403, 'auth.forbidden');
      expect((await t.request('GET', `/api/v1/agents/${target.id}`)).json().role).toBe('agent');
      // groups: [] removes every membership
      const cleared = await t.request('PATCH', `/api/v1/agents/${target.id}`, { as: supervisor, body: { groups: [] } });
      expect(cleared.json().groups).toEqual([]);
    });

    it('a supervisor may not change admins or other supervisors', async () => {
      const otherSupervisor = await t.makeAgent({ role: 'supervisor' });
      expectProblem(await t.request('PATCH', `/api/v1/agents/${otherSupervisor.id}`, { as: supervisor, body: { maxConcurrentTickets: 1 } }), 403);
      expectProblem(await t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { as: supervisor, body: { groups: ['billing'] } }), 403);
    });

    it('an admin changes roles and e-mails; a taken e-mail is 409; unknown group 400; unknown agent 404', async () => {
      const target = await t.makeAgent();
      const res = await t.request('PATCH', `/api/v1/agents/${target.id}`, { body: { role: 'supervisor', email: 'Promoted@Example.com' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ role: 'supervisor', email: 'promoted@example.com' });
      expectProblem(await t.request('PATCH', `/api/v1/agents/${target.id}`, { body: { email: agent.email.toUpperCase() } }), 409, 'agent.email_taken');
      const bad = await t.request('PATCH', `/api/v1/agents/${target.id}`, { body: { groups: ['support', 'ghost'] } });
      expectProblem(bad, 400, 'request.invalid');
      expect(paths(bad)).toEqual(['groups.1']);
      expectProblem(await t.request('PATCH', `/api/v1/agents/${UUID}`, { body: { name: 'Nobody' } }), 404, 'agent.not_found');
    });

    it('the last admin cannot be demoted (409), another admin can be', async () => {
      const admins = (await t.request('GET', '/api/v1/agents?role=admin&limit=200')).json().agents as { id: string }[];
      expect(admins).toHaveLength(1);
      expectProblem(await t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { body: { role: 'agent' } }), 409, 'agent.last_admin');
      expect((await t.request('GET', '/api/v1/me')).json().role).toBe('admin');
      const second = await t.makeAgent({ role: 'admin' });
      const demoted = await t.request('PATCH', `/api/v1/agents/${second.id}`, { body: { role: 'agent' } });
      expect(demoted.statusCode).toBe(200);
      expect(demoted.json().role).toBe('agent');
    });

    it('concurrent changes of two agents to one e-mail: one wins, the other gets 409', async () => {
      const a = await t.makeAgent();
      const b = await t.makeAgent();
      const results = await Promise.all([a, b].map((x) => t.request('PATCH', `/api/v1/agents/${x.id}`, { body: { email: 'contested@example.com' } })));
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      for (const r of results) expect(r.statusCode, r.body).toBeLessThan(500);
    });

    it('two admins demoting each other at once: one stays admin', async () => {
      const other = await t.makeAgent({ role: 'admin' });
      const admins = async () => (await t.request('GET', '/api/v1/agents?role=admin&limit=200', { as: other })).json().agents.map((a: { id: string }) => a.id).sort();
      // the earlier test demoted its extra admin: exactly these two are admins now
      expect(await admins()).toEqual([t.admin.id, other.id].sort());
      const [first, second] = await Promise.all([
        t.request('PATCH', `/api/v1/agents/${other.id}`, { body: { role: 'agent' } }),
        t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { as: other, body: { role: 'agent' } }),
      ]);
      expect([first.statusCode, second.statusCode].sort()).toEqual([200, 409]);
      const left = await admins();
      expect(left).toHaveLength(1);
      // put the test admin back if it was the one demoted
      if (left[0] !== t.admin.id) {
        expect((await t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { as: other, body: { role: 'admin' } })).statusCode).toBe(200);
      }
    });

    it('PATCH /me/status sets the caller’s presence', async () => {
      const me = await t.makeAgent();
      const res = await t.request('PATCH', '/api/v1/me/status', { as: me, body: { status: 'busy' } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: me.id, status: 'busy', lastActiveAt: expect.any(String) });
      expect((await t.request('GET', `/api/v1/agents/${me.id}`)).json().status).toBe('busy');
      const bad = await t.request('PATCH', '/api/v1/me/status', { as: me, body: { status: 'sleeping' } });
      expectProblem(bad, 400, 'request.invalid');
      expect(paths(bad)).toEqual(['status']);
    });
  });

  describe('currentTickets', () => {
    it('is the live count of open tickets assigned to the agent', async () => {
      const worker = await t.makeAgent({ groups: ['support'] });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ticket = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json();
        const assigned = await t.request('POST', `/api/v1/tickets/${ticket.id}/assign`, { body: { agentId: worker.id } });
        expect(assigned.statusCode, assigned.body).toBe(200);
        ids.push(ticket.id);
      }
      const count = async () => (await t.request('GET', `/api/v1/agents/${worker.id}`)).json().currentTickets;
      expect(await count()).toBe(3);
      expect((await t.request('GET', '/api/v1/me', { as: worker })).json().currentTickets).toBe(3);
      expect((await t.request('POST', `/api/v1/tickets/${ids[0]}/resolve`)).statusCode).toBe(200);
      expect(await count()).toBe(2);
      expect((await t.request('DELETE', `/api/v1/tickets/${ids[1]}`)).statusCode).toBe(200);
      expect(await count()).toBe(1);
      expect((await t.request('POST', `/api/v1/tickets/${ids[0]}/reopen`)).statusCode).toBe(200);
      expect(await count()).toBe(2);
      expect((await t.request('PATCH', `/api/v1/tickets/${ids[2]}`, { body: { assigneeId: null } })).statusCode).toBe(200);
      expect(await count()).toBe(1);
      const listed = (await t.request('GET', '/api/v1/agents?limit=200')).json().agents.find((a: { id: string }) => a.id === worker.id);
      expect(listed.currentTickets).toBe(1);
    });
  });

  describe('groups', () => {
    it('creates, lists, reads and changes groups; member counts follow memberships', async () => {
      const res = await t.request('POST', '/api/v1/groups', { body: { slug: 'vip_desk', name: 'VIP desk', description: 'Premium customers' } });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ slug: 'vip_desk', name: 'VIP desk', description: 'Premium customers', memberCount: 0 });
      await t.makeAgent({ groups: ['vip_desk'] });
      expect((await t.request('GET', '/api/v1/groups/vip_desk')).json().memberCount).toBe(1);
      const list = (await t.request('GET', '/api/v1/groups', { as: agent })).json().groups as { slug: string }[];
      expect(list.map((g) => g.slug)).toEqual(expect.arrayContaining(['support', 'billing', 'tier-2', 'vip_desk']));
      const patched = await t.request('PATCH', '/api/v1/groups/vip_desk', { as: supervisor, body: { name: 'VIP', description: null } });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ slug: 'vip_desk', name: 'VIP', description: null });
      expectProblem(await t.request('GET', '/api/v1/groups/ghost'), 404, 'group.not_found');
      expectProblem(await t.request('PATCH', '/api/v1/groups/ghost', { body: { name: 'Ghost' } }), 404, 'group.not_found');
    });

    it('validates slugs (400 naming slug) and refuses a duplicate slug (409)', async () => {
      for (const slug of ['Has Caps', 'UPPER', '-leading', 'sp ace', 'a/b', '', 'x'.repeat(101)]) {
        const res = await t.request('POST', '/api/v1/groups', { body: { slug, name: 'Bad' } });
        expectProblem(res, 400, 'request.invalid');
        expect(paths(res)).toEqual(['slug']);
      }
      const p = expectProblem(await t.request('POST', '/api/v1/groups', { body: { slug: 'support', name: 'Again' } }), 409, 'group.slug_taken');
      expect(p.errors).toEqual([{ path: 'slug', message: expect.any(String) }]);
    });

    it('only admins create groups; agents may not change them', async () => {
      expectProblem(await t.request('POST', '/api/v1/groups', { as: supervisor, body: { slug: 'sup-made', name: 'S' } }), 403);
      expectProblem(await t.request('PATCH', '/api/v1/groups/support', { as: agent, body: { name: 'Mine' } }), 403);
      expect((await t.request('GET', '/api/v1/groups/support')).json().name).toBe('SUPPORT');
    });
  });

  describe('requesters', () => {
    let requesterId: string;
    beforeAll(async () => {
      const ticket = (await t.request('POST', '/api/v1/tickets', {
        body: ticketBody({ requester: { name: 'Rita Requester', email: 'Rita.Requester@Example.com', phone: '+1 555 0100' } }),
      })).json();
      requesterId = ticket.requester.id;
    });

    it('lists requesters with paging', async () => {
      const res = await t.request('GET', '/api/v1/requesters?limit=200', { as: agent });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.total).toBeGreaterThanOrEqual(1);
      expect(body.requesters.map((r: { id: string }) => r.id)).toContain(requesterId);
      expect(body).toMatchObject({ page: 1, totalPages: expect.any(Number) });
    });

    it('finds a requester by e-mail case-insensitively (?email= and /lookup)', async () => {
      const list = (await t.request('GET', '/api/v1/requesters?email=RITA.requester@example.COM')).json();
      expect(list.total).toBe(1);
      expect(list.requesters[0]).toMatchObject({ id: requesterId, email: 'rita.requester@example.com', name: 'Rita Requester', phone: '+1 555 0100' });
      const none = (await t.request('GET', '/api/v1/requesters?email=nobody@example.com')).json();
      expect(none).toMatchObject({ total: 0, requesters: [] });
      const lookup = await t.request('GET', '/api/v1/requesters/lookup?email=Rita.REQUESTER@example.com');
      expect(lookup.statusCode).toBe(200);
      expect(lookup.json().id).toBe(requesterId);
      expectProblem(await t.request('GET', '/api/v1/requesters/lookup?email=nobody@example.com'), 404, 'requester.not_found');
      expectProblem(await t.request('GET', '/api/v1/requesters/lookup'), 400, 'request.invalid');
    });

    it('searches requesters by ?q= (name or e-mail substring, wildcards literal)', async () => {
      const hits = (await t.request('GET', '/api/v1/requesters?q=rita')).json().requesters as { id: string }[];
      expect(hits.map((r) => r.id)).toContain(requesterId);
      expect((await t.request('GET', '/api/v1/requesters?q=%25')).json().total).toBe(0);
    });

    it('GET /requesters/:id and 404 for an unknown one', async () => {
      expect((await t.request('GET', `/api/v1/requesters/${requesterId}`)).json()).toMatchObject({ id: requesterId, tier: 'standard', ownTier: null, organization: null });
      expectProblem(await t.request('GET', `/api/v1/requesters/${UUID}`), 404, 'requester.not_found');
      expectProblem(await t.request('PATCH', `/api/v1/requesters/${UUID}`, { body: { name: 'Nobody' } }), 404, 'requester.not_found');
    });

    it('PATCH changes name and phone, and an organization given by name is created once (case-insensitive)', async () => {
      const res = await t.request('PATCH', `/api/v1/requesters/${requesterId}`, { as: agent, body: { name: 'Rita R.', phone: null, organization: 'Globex Corp' } });
      expect(res.statusCode, res.body).toBe(200);
      const r = res.json();
      expect(r).toMatchObject({ name: 'Rita R.', phone: null, organization: 'Globex Corp', organizationId: expect.any(String), tier: 'standard' });
      const again = (await t.request('PATCH', `/api/v1/requesters/${requesterId}`, { body: { organization: 'GLOBEX corp' } })).json();
      expect(again.organizationId).toBe(r.organizationId);
      const orgs = (await t.request('GET', '/api/v1/organizations?limit=200')).json().organizations as { name: string }[];
      expect(orgs.filter((o) => o.name.toLowerCase() === 'globex corp')).toHaveLength(1);
      const detached = (await t.request('PATCH', `/api/v1/requesters/${requesterId}`, { body: { organization: null } })).json();
      expect(detached).toMatchObject({ organization: null, organizationId: null });
    });

    it('PATCH validates: unknown fields and bad tiers are 400; e-mail is not changeable here', async () => {
      const res = await t.request('PATCH', `/api/v1/requesters/${requesterId}`, { body: { tier: 'gold', email: 'x@example.com' } });
      expectProblem(res, 400, 'request.invalid');
      expect(paths(res)).toEqual(expect.arrayContaining(['tier', 'email']));
    });
  });

  describe('organizations and tiers', () => {
    it('creates (201, tier defaults to standard), lists, reads and patches organizations', async () => {
      const res = await t.request('POST', '/api/v1/organizations', { as: supervisor, body: { name: 'Initech', tier: 'premium' } });
      expect(res.statusCode, res.body).toBe(201);
      const org = res.json();
      expect(org).toMatchObject({ name: 'Initech', tier: 'premium' });
      const plain = (await t.request('POST', '/api/v1/organizations', { body: { name: 'Plain Co' } })).json();
      expect(plain.tier).toBe('standard');
      const list = (await t.request('GET', '/api/v1/organizations?limit=200', { as: agent })).json();
      expect(list.organizations.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([org.id, plain.id]));
      expect(list.total).toBe(list.organizations.length);
      expect((await t.request('GET', `/api/v1/organizations/${org.id}`)).json()).toMatchObject({ id: org.id, name: 'Initech' });
      const patched = await t.request('PATCH', `/api/v1/organizations/${org.id}`, { body: { name: 'Initech LLC', tier: 'enterprise' } });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ name: 'Initech LLC', tier: 'enterprise' });
      expectProblem(await t.request('GET', `/api/v1/organizations/${UUID}`), 404, 'organization.not_found');
      expectProblem(await t.request('PATCH', `/api/v1/organizations/${UUID}`, { body: { tier: 'free' } }), 404, 'organization.not_found');
      expectProblem(await t.request('POST', '/api/v1/organizations', { body: { name: 'Bad Tier', tier: 'gold' } }), 400, 'request.invalid');
    });

    it('concurrent creates of one name give one organization', async () => {
      const results = await Promise.all(['Soylent', 'SOYLENT', 'soylent', 'Soylent'].map((name) => t.request('POST', '/api/v1/organizations', { body: { name } })));
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    });

    it('concurrent requester changes naming one new organization create it once', async () => {
      const ids = await Promise.all([1, 2, 3, 4].map(async (i) =>
        (await t.request('POST', '/api/v1/tickets', { body: ticketBody({ requester: { name: `R${i}`, email: `r${i}-${Date.now()}@tyrell.example` } }) })).json().requester.id));
      const results = await Promise.all(ids.map((id, i) => t.request('PATCH', `/api/v1/requesters/${id}`, { body: { organization: i % 2 ? 'Tyrell Corp' : 'TYRELL CORP' } })));
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
      expect(new Set(results.map((r) => r.json().organizationId)).size).toBe(1);
    });

    it('refuses a duplicate name, in any case, on create and on rename (409)', async () => {
      const a = (await t.request('POST', '/api/v1/organizations', { body: { name: 'Acme' } })).json();
      expectProblem(await t.request('POST', '/api/v1/organizations', { body: { name: 'ACME' } }), 409, 'organization.name_taken');
      const b = (await t.request('POST', '/api/v1/organizations', { body: { name: 'Umbrella' } })).json();
      expectProblem(await t.request('PATCH', `/api/v1/organizations/${b.id}`, { body: { name: 'acme' } }), 409, 'organization.name_taken');
      expect((await t.request('GET', `/api/v1/organizations/${b.id}`)).json().name).toBe('Umbrella');
      // renaming to a different case of its own name is fine
      expect((await t.request('PATCH', `/api/v1/organizations/${a.id}`, { body: { name: 'ACME' } })).statusCode).toBe(200);
    });

    it('agents may read but not create or change organizations', async () => {
      expectProblem(await t.request('POST', '/api/v1/organizations', { as: agent, body: { name: 'By Agent' } }), 403);
      const org = (await t.request('POST', '/api/v1/organizations', { body: { name: 'Hooli' } })).json();
      expectProblem(await t.request('PATCH', `/api/v1/organizations/${org.id}`, { as: agent, body: { tier: 'free' } }), 403);
    });

    it('a requester’s effective tier: own tier, else the organization’s, else standard', async () => {
      const org = (await t.request('POST', '/api/v1/organizations', { body: { name: 'Wayne Enterprises', tier: 'enterprise' } })).json();
      const ticket = (await t.request('POST', '/api/v1/tickets', {
        body: ticketBody({ requester: { name: 'Bruce', email: 'bruce@wayne.example', organization: 'wayne enterprises' } }),
      })).json();
      expect(ticket.requester).toMatchObject({ organizationId: org.id, tier: 'enterprise' });
      const id = ticket.requester.id;
      expect((await t.request('GET', `/api/v1/requesters/${id}`)).json()).toMatchObject({ tier: 'enterprise', ownTier: null, organization: 'Wayne Enterprises' });
      // own tier overrides
      const own = (await t.request('PATCH', `/api/v1/requesters/${id}`, { body: { tier: 'free' } })).json();
      expect(own).toMatchObject({ tier: 'free', ownTier: 'free' });
      // the organization's tier changes do not override the requester's own tier
      await t.request('PATCH', `/api/v1/organizations/${org.id}`, { body: { tier: 'premium' } });
      expect((await t.request('GET', `/api/v1/requesters/${id}`)).json().tier).toBe('free');
      // clearing the own tier inherits the organization's again
      const inherit = (await t.request('PATCH', `/api/v1/requesters/${id}`, { body: { tier: null } })).json();
      expect(inherit).toMatchObject({ tier: 'premium', ownTier: null });
      // tickets show the effective tier too
      expect((await t.request('GET', `/api/v1/tickets/${ticket.id}`)).json().requester.tier).toBe('premium');
    });
  });
});

describe(`password change ends other sessions (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  async function signIn(email: string, password: string) {
    const res = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email, password } });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = String(res.headers['set-cookie']).split(';')[0];
    return { cookie, csrf: res.json().csrfToken as string };
  }
  const me = (cookie: string) => t.request('GET', '/api/v1/me', { as: null, headers: { cookie } });

  it('keeps the session that changed the password and ends the others', async () => {
    const agent = await t.makeAgent();
    const laptop = await signIn(agent.email, agent.password);
    const phone = await signIn(agent.email, agent.password);
    const res = await t.request('PATCH', `/api/v1/agents/${agent.id}`, {
      as: null, headers: { cookie: laptop.cookie, 'x-csrf-token': laptop.csrf }, body: { password: 'a brand new password' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await me(laptop.cookie)).statusCode).toBe(200);
    expect((await me(phone.cookie)).statusCode).toBe(401);
    // API tokens are separate credentials and keep working
    expect((await t.request('GET', '/api/v1/me', { as: agent })).statusCode).toBe(200);
  });

  it('an admin resetting a password ends all of that agent’s sessions', async () => {
    const agent = await t.makeAgent();
    const session = await signIn(agent.email, agent.password);
    expect((await t.request('PATCH', `/api/v1/agents/${agent.id}`, { body: { password: 'reset by the admin' } })).statusCode).toBe(200);
    expect((await me(session.cookie)).statusCode).toBe(401);
    await signIn(agent.email, 'reset by the admin');
  });
});

describe(`deactivating an agent (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('signs them out, refuses their token, returns their open tickets to the queue for others, and only admins do it', async () => {
    expect((await t.request('POST', '/api/v1/groups', { body: { slug: 'support', name: 'Support' } })).statusCode).toBe(201);
    const leaver = await t.makeAgent({ groups: ['support'], status: 'online', maxConcurrentTickets: 5 });
    const created = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody() });
      expect(res.statusCode, res.body).toBe(201);
      created.push(res.json());
    }
    expect(created.map((x) => x.assignee?.id)).toEqual([leaver.id, leaver.id]);
    const login = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: leaver.email, password: leaver.password } });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const colleague = await t.makeAgent({ groups: ['support'], status: 'online', maxConcurrentTickets: 5 });
    const supervisor = await t.makeAgent({ role: 'supervisor' });

    const bySupervisor = await t.request('PATCH', `/api/v1/agents/${leaver.id}`, { as: supervisor, body: { active: false } });
    expect(bySupervisor.statusCode).toBe(403);
    const res = await t.request('PATCH', `/api/v1/agents/${leaver.id}`, { body: { active: false } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ active: false, status: 'offline' });

    expect((await t.request('GET', '/api/v1/me', { as: leaver })).statusCode).toBe(401);
    expect((await t.request('GET', '/api/v1/me', { as: null, headers: { cookie } })).statusCode).toBe(401);
    expect((await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: leaver.email, password: leaver.password } })).statusCode).toBe(401);
    for (const ticket of created) {
      const now = (await t.request('GET', `/api/v1/tickets/${ticket.id}`)).json();
      expect(now.assignee?.id).toBe(colleague.id);
    }
    const listed = (await t.request('GET', '/api/v1/agents?limit=100')).json().agents.map((a: { id: string }) => a.id);
    expect(listed).not.toContain(leaver.id);
    const all = (await t.request('GET', '/api/v1/agents?limit=100&includeInactive=true')).json().agents;
    expect(all.find((a: { id: string }) => a.id === leaver.id)).toMatchObject({ active: false });

    // reactivated: they can sign in again, and come back offline
    const back = await t.request('PATCH', `/api/v1/agents/${leaver.id}`, { body: { active: true } });
    expect(back.json()).toMatchObject({ active: true, status: 'offline' });
    expect((await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: leaver.email, password: leaver.password } })).statusCode).toBe(200);
  });

  it('refuses to deactivate the last active admin, naming the field', async () => {
    const res = await t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { body: { active: false } });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors).toEqual([{ path: 'active', message: 'last admin' }]);
    expect((await t.request('GET', '/api/v1/me')).statusCode).toBe(200);
  });
});
