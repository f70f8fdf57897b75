/**
 * Routing through the HTTP API: groups with live load, assignment rules,
 * category skills, the priority and routing settings, every action type end
 * to end through POST /tickets (the ticket's `assignment` and its 'assigned'
 * history row), priority scoring on create, and the simulator — whose answer
 * must be what a real POST /tickets then does, without changing anything.
 *
 * Every test gets a fresh database, so that no agent or rule of another test
 * takes part in a decision.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { monotonicClock } from '../helpers/clock.ts';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem } from '../helpers/problems.ts';
import { historyOf, type HistoryJson, type TicketJson } from '../helpers/tickets.ts';
import { sweepRouting } from '../../src/jobs/routing-sweep.ts';

const API = '/api/v1';
const MISSING = '00000000-0000-4000-8000-000000000000';

/** The seed's PriorityCalculator weights, written out independently of the code under test. */
const SEED_PRIORITY = {
  tiers: { free: 0, standard: 10, premium: 20, enterprise: 30 },
  categories: { billing: 50, technical: 40, account: 30, feature_request: 20, general: 10 },
  otherCategory: 10,
  urgentKeywords: ['urgent', 'emergency', 'critical', 'asap', 'immediate', 'broken', 'down', 'error', 'cannot access', 'not working'],
  keywordPoints: 15,
  attachmentPoints: 5,
  frequentRequesterTickets: 5,
  recentWindowDays: 30,
  frequentRequesterPoints: 10,
  repeatWithinHours: 24,
  repeatPoints: 5,
  thresholds: { critical: 80, high: 60, normal: 40 },
  explicitPriorityWins: true,
};

interface Candidate {
  agentId: string;
  name: string;
  eligible: boolean;
  reason: string;
  load: number | null;
  capacity: number;
}
interface Assignment {
  method: string;
  ruleId: string | null;
  ruleName: string | null;
  decidedAt: string;
  agentId: string | null;
  group: string | null;
  queued: boolean;
  candidates: Candidate[];
}
type Ticket = TicketJson & {
  assignment: Assignment | null;
  priorityScore: { score: number; calculated: string; source: string; factors: { factor: string; detail: string; points: number }[] } | null;
};

const paths = (res: LightMyRequestResponse): string[] => (res.json().errors ?? []).map((e: { path: string }) => e.path);

describe(`routing API (${DB_KIND})`, () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ clock: monotonicClock() });
  });
  afterEach(async () => t?.close());

  const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await t.db.query<T>(sql, params)).rows;

  async function group(name: string, extra: Record<string, unknown> = {}) {
    const res = await t.request('POST', `${API}/groups`, { body: { name, ...extra } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; slug: string; name: string; description: string | null };
  }

  async function rule(body: Record<string, unknown>) {
    const res = await t.request('POST', `${API}/assignment-rules`, { body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; name: string; position: number; isActive: boolean; conditions: Record<string, string[]>; action: Record<string, unknown> };
  }

  async function create(over: Record<string, unknown> = {}, as?: TestAgent): Promise<Ticket> {
    const res = await t.request('POST', `${API}/tickets`, { body: ticketBody(over), as });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  /** The database's view of a ticket's routing state. */
  async function row(id: string) {
    const [r] = await q<{ assignee_id: string | null; group_slug: string | null; queued_at: Date | null; routing_skills: string[]; priority: string }>(
      `SELECT t.assignee_id, g.slug AS group_slug, t.queued_at, t.routing_skills, t.priority
         FROM tickets t LEFT JOIN groups g ON g.id = t.assignee_group_id WHERE t.id = $1`,
      [id],
    );
    return r;
  }

  const assignedRows = async (id: string): Promise<HistoryJson[]> => (await historyOf(t, id)).filter((h) => h.changeType === 'assigned');
  const reasonOf = (a: { candidates: Candidate[] } | null | undefined, agentId: string) => a?.candidates.find((c) => c.agentId === agentId)?.reason;

  // --- groups ------------------------------------------------------------------------

  describe('groups', () => {
    it('POST /groups with a name only derives the slug; a second group with the same name is 409', async () => {
      const g = await group('Billing & Payments');
      expect(g).toMatchObject({ slug: 'billing-payments', name: 'Billing & Payments', description: null, memberCount: 0 });
      const d = await group('Tier 2', { description: 'Escalations' });
      expect(d).toMatchObject({ slug: 'tier-2', description: 'Escalations' });
      const dup = expectProblem(await t.request('POST', `${API}/groups`, { body: { name: 'billing & payments' } }), 409, 'group.slug_taken');
      expect(dup.errors).toEqual([{ path: 'name', message: expect.any(String) }]);
      const agent = await t.makeAgent();
      expectProblem(await t.request('POST', `${API}/groups`, { as: agent, body: { name: 'Sneaky' } }), 403, 'auth.forbidden');
      const slugs = (await t.request('GET', `${API}/groups`)).json().groups.map((x: { slug: string }) => x.slug).sort();
      expect(slugs).toEqual(['billing-payments', 'tier-2']);
    });

    it('GET /groups shows members with live load and capacity, the group load, capacity and waiting, matching the database', async () => {
      await group('Billing Team');
      await group('Empty Desk');
      const alice = await t.makeAgent({ name: 'Alice', groups: ['billing-team'], maxConcurrentTickets: 2, status: 'online' });
      const bob = await t.makeAgent({ name: 'Bob', groups: ['billing-team'], maxConcurrentTickets: 3, status: 'away' });
      await rule({ name: 'billing', action: { type: 'group_least_busy', group: 'billing-team' } });
      const tickets = [];
      for (let i = 0; i < 5; i++) tickets.push(await create());
      const alices = tickets.filter((x) => x.assignee?.id === alice.id);
      expect(alices).toHaveLength(2);
      // Alice puts one on pending (not load): the oldest waiting ticket fills the slot at once
      const pending = await t.request('PATCH', `${API}/tickets/${alices[0].id}`, { as: alice, body: { status: 'pending' } });
      expect(pending.statusCode, pending.body).toBe(200);

      const res = await t.request('GET', `${API}/groups`, { as: bob });
      expect(res.statusCode).toBe(200);
      const g = res.json().groups.find((x: { slug: string }) => x.slug === 'billing-team');
      const empty = res.json().groups.find((x: { slug: string }) => x.slug === 'empty-desk');
      expect(g).toMatchObject({
        memberCount: 2,
        members: [
          { id: alice.id, name: 'Alice', status: 'online', load: 2, capacity: 2 },
          { id: bob.id, name: 'Bob', status: 'away', load: 0, capacity: 3 },
        ],
        load: 2,
        capacity: 5,
        waiting: 2,
      });
      expect(empty).toMatchObject({ members: [], load: 0, capacity: 0, waiting: 0 });
      // the same numbers counted straight from the database
      const [db] = await q<{ load: number; waiting: number; pending: number }>(
        `SELECT count(*) FILTER (WHERE assignee_id = $1 AND status IN ('new','open','in_progress'))::int AS load,
                count(*) FILTER (WHERE assignee_id IS NULL AND status IN ('new','open','in_progress')
                                   AND assignee_group_id = (SELECT id FROM groups WHERE slug = 'billing-team'))::int AS waiting,
                count(*) FILTER (WHERE assignee_id = $1 AND status = 'pending')::int AS pending
           FROM tickets`,
        [alice.id],
      );
      expect(db).toEqual({ load: 2, waiting: 2, pending: 1 });
      const single = (await t.request('GET', `${API}/groups/billing-team`)).json();
      expect(single).toMatchObject({ load: 2, capacity: 5, waiting: 2 });
    });
  });

  // --- assignment rules -----------------------------------------------------------------

  describe('assignment rules', () => {
    it('create, list in position order, get, patch, delete', async () => {
      await group('Support');
      const r1 = await rule({ name: 'First', action: { type: 'group_round_robin', group: 'support' } });
      expect(r1).toEqual({
        id: expect.any(String), name: 'First', position: 1, isActive: true, conditions: {},
        action: { type: 'group_round_robin', group: 'support' }, createdAt: expect.any(String), updatedAt: expect.any(String),
      });
      const r2 = await rule({
        name: 'Second',
        conditions: { categories: [' Billing ', 'billing'], tags: ['VIP'], keywords: [], organizations: [' Acme Corp '] },
        action: { type: 'skill_based', skills: ['German', 'german'] },
      });
      expect(r2.position).toBe(2);
      // lists trimmed and lower-cased (organizations keep their case), duplicates and empty lists dropped
      expect(r2.conditions).toEqual({ categories: ['billing'], tags: ['vip'], organizations: ['Acme Corp'] });
      expect(r2.action).toEqual({ type: 'skill_based', skills: ['german'] });
      const r0 = await rule({ name: 'Zero', position: 0, isActive: false, action: { type: 'group', group: 'support' } });
      expect(r0).toMatchObject({ position: 0, isActive: false });

      const names = async () => (await t.request('GET', `${API}/assignment-rules`)).json().rules.map((r: { name: string }) => r.name);
      expect(await names()).toEqual(['Zero', 'First', 'Second']);

      const got = await t.request('GET', `${API}/assignment-rules/${r2.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual(r2);

      const patched = await t.request('PATCH', `${API}/assignment-rules/${r2.id}`, {
        body: { name: 'Now first', position: -1, conditions: { priorities: ['critical'] } },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ id: r2.id, name: 'Now first', position: -1, isActive: true, conditions: { priorities: ['critical'] }, action: r2.action });
      expect(await names()).toEqual(['Now first', 'Zero', 'First']);
      const toggled = await t.request('PATCH', `${API}/assignment-rules/${r0.id}`, { body: { isActive: true, action: { type: 'group_least_busy', group: 'support' } } });
      expect(toggled.json()).toMatchObject({ isActive: true, action: { type: 'group_least_busy', group: 'support' }, name: 'Zero', position: 0 });

      const del = await t.request('DELETE', `${API}/assignment-rules/${r1.id}`);
      expect(del.statusCode).toBe(204);
      expectProblem(await t.request('GET', `${API}/assignment-rules/${r1.id}`), 404, 'assignment_rule.not_found');
      expectProblem(await t.request('DELETE', `${API}/assignment-rules/${r1.id}`), 404, 'assignment_rule.not_found');
      expectProblem(await t.request('PATCH', `${API}/assignment-rules/${MISSING}`, { body: { name: 'x' } }), 404, 'assignment_rule.not_found');
      expectProblem(await t.request('GET', `${API}/assignment-rules/${MISSING}`), 404, 'assignment_rule.not_found');
      expectProblem(await t.request('GET', `${API}/assignment-rules/not-a-uuid`), 400, 'request.invalid');
      expect(await names()).toEqual(['Now first', 'Zero']);
    });

    it('writes are for admins only: a plain agent and a supervisor get 403 and nothing changes', async () => {
      await group('Support');
      const agent = await t.makeAgent({ role: 'agent' });
      const supervisor = await t.makeAgent({ role: 'supervisor' });
      const r = await rule({ name: 'Keep me', action: { type: 'group', group: 'support' } });
      for (const who of [agent, supervisor]) {
        expectProblem(
          await t.request('POST', `${API}/assignment-rules`, { as: who, body: { name: 'Mine', action: { type: 'group', group: 'support' } } }),
          403, 'auth.forbidden',
        );
        expectProblem(await t.request('PATCH', `${API}/assignment-rules/${r.id}`, { as: who, body: { name: 'Hijacked' } }), 403, 'auth.forbidden');
        expectProblem(await t.request('DELETE', `${API}/assignment-rules/${r.id}`, { as: who }), 403, 'auth.forbidden');
        expectProblem(await t.request('PUT', `${API}/category-skills/billing`, { as: who, body: { skills: ['x'] } }), 403, 'auth.forbidden');
      }
      // supervisors read the configuration
      const list = await t.request('GET', `${API}/assignment-rules`, { as: supervisor });
      expect(list.statusCode).toBe(200);
      expect(list.json().rules).toEqual([r]);
      expect((await t.request('GET', `${API}/category-skills`)).json().categorySkills).toEqual([]);
    });

    it('invalid rules are 400 problems naming the field, and nothing is created', async () => {
      await group('Support');
      const agent = await t.makeAgent({ status: 'online' });
      const ok = { type: 'group', group: 'support' };
      const cases: [Record<string, unknown>, string][] = [
        [{ name: 'r', action: { type: 'group_round_robin' } }, 'action.group'],
        [{ name: 'r', action: { type: 'group_least_busy' } }, 'action.group'],
        [{ name: 'r', action: { type: 'group' } }, 'action.group'],
        [{ name: 'r', action: { type: 'group', group: 'nope' } }, 'action.group'],
        [{ name: 'r', action: { type: 'specific_agent' } }, 'action.agentId'],
        [{ name: 'r', action: { type: 'specific_agent', agentId: MISSING } }, 'action.agentId'],
        [{ name: 'r', action: { type: 'specific_agent', agentId: 'not-a-uuid' } }, 'action.agentId'],
        [{ name: 'r', action: { type: 'group_round_robin', group: 'support', agentId: agent.id } }, 'action.agentId'],
        [{ name: 'r', action: { type: 'group_round_robin', group: 'support', skills: ['english'] } }, 'action.skills'],
        [{ name: 'r', action: { type: 'skill_based', skills: 'german' } }, 'action.skills'],
        [{ name: 'r', action: { type: 'randomly' } }, 'action.type'],
        [{ name: 'r', action: { ...ok, colour: 'red' } }, 'action.colour'],
        [{ name: 'r', conditions: { colour: ['red'] }, action: ok }, 'conditions.colour'],
        [{ name: 'r', conditions: { priorities: ['urgent'] }, action: ok }, 'conditions.priorities.0'],
        [{ name: 'r', conditions: { tiers: 'enterprise' }, action: ok }, 'conditions.tiers'],
        [{ name: 'r', conditions: { tags: [1] }, action: ok }, 'conditions.tags.0'],
        [{ name: 'r', position: 'first', action: ok }, 'position'],
        [{ name: 'r', isActive: 'yes', action: ok }, 'isActive'],
        [{ action: ok }, 'name'],
        [{ name: 'r' }, 'action'],
      ];
      for (const [body, path] of cases) {
        const res = await t.request('POST', `${API}/assignment-rules`, { body });
        const p = expectProblem(res, 400, 'request.invalid');
        expect(paths(res), JSON.stringify(body)).toContain(path);
        expect(p.errors.every((e: { message: unknown }) => typeof e.message === 'string' && e.message.length > 0)).toBe(true);
      }
      expect((await t.request('GET', `${API}/assignment-rules`)).json().rules).toEqual([]);

      // a PATCH is validated the same way, and a refused one changes nothing
      const r = await rule({ name: 'good', action: ok });
      const bad = await t.request('PATCH', `${API}/assignment-rules/${r.id}`, { body: { action: { type: 'group_round_robin', group: 'missing' } } });
      expectProblem(bad, 400, 'request.invalid');
      expect(paths(bad)).toEqual(['action.group']);
      const bad2 = await t.request('PATCH', `${API}/assignment-rules/${r.id}`, { body: { conditions: { sizes: ['xl'] } } });
      expect(paths(bad2)).toEqual(['conditions.sizes']);
      expect((await t.request('GET', `${API}/assignment-rules/${r.id}`)).json()).toEqual(r);
    });
  });

  // --- category skills -------------------------------------------------------------------

  describe('category skills', () => {
    it('PUT, GET and DELETE category skills (per category and per subcategory)', async () => {
      const put = await t.request('PUT', `${API}/category-skills/technical`, { body: { skills: ['Linux', ' networking ', 'linux'] } });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toMatchObject({ category: 'technical', subcategory: null, skills: ['linux', 'networking'] });
      const sub = await t.request('PUT', `${API}/category-skills/technical`, { body: { skills: ['VPN'], subcategory: 'vpn' } });
      expect(sub.json()).toMatchObject({ category: 'technical', subcategory: 'vpn', skills: ['vpn'] });
      // PUT replaces
      await t.request('PUT', `${API}/category-skills/technical`, { body: { skills: ['linux'] } });
      const supervisor = await t.makeAgent({ role: 'supervisor' });
      const list = await t.request('GET', `${API}/category-skills`, { as: supervisor });
      expect(list.json().categorySkills.map((c: Record<string, unknown>) => ({ category: c.category, subcategory: c.subcategory, skills: c.skills }))).toEqual([
        { category: 'technical', subcategory: null, skills: ['linux'] },
        { category: 'technical', subcategory: 'vpn', skills: ['vpn'] },
      ]);
      const badPut = await t.request('PUT', `${API}/category-skills/technical`, { body: { skills: 'linux' } });
      expectProblem(badPut, 400, 'request.invalid');
      expect(paths(badPut)).toContain('skills');

      expect((await t.request('DELETE', `${API}/category-skills/technical?subcategory=vpn`)).statusCode).toBe(204);
      expectProblem(await t.request('DELETE', `${API}/category-skills/technical?subcategory=vpn`), 404, 'category_skills.not_found');
      expectProblem(await t.request('DELETE', `${API}/category-skills/nothing`), 404, 'category_skills.not_found');
      expect((await t.request('GET', `${API}/category-skills`)).json().categorySkills).toHaveLength(1);
    });

    it('a skill_based rule without skills uses the category’s skills, the subcategory row before the category row', async () => {
      const lin = await t.makeAgent({ name: 'Lin', skills: ['linux'], status: 'online' });
      const vic = await t.makeAgent({ name: 'Vic', skills: ['vpn'], status: 'online' });
      await t.request('PUT', `${API}/category-skills/technical`, { body: { skills: ['linux'] } });
      await t.request('PUT', `${API}/category-skills/technical`, { body: { skills: ['vpn'], subcategory: 'vpn' } });
      const r = await rule({ name: 'By skill', action: { type: 'skill_based' } });

      const plain = await create({ category: 'technical' });
      expect(plain.assignee?.id).toBe(lin.id);
      expect(plain.assignment).toMatchObject({ method: 'skill_based', ruleId: r.id, agentId: lin.id });
      expect(reasonOf(plain.assignment, vic.id)).toBe('missing_skill');

      const vpn = await create({ category: 'technical', subcategory: 'vpn' });
      expect(vpn.assignee?.id).toBe(vic.id);
      expect(reasonOf(vpn.assignment, lin.id)).toBe('missing_skill');

      // another subcategory has no row of its own: the category's row applies
      const printers = await create({ category: 'technical', subcategory: 'printers' });
      expect(printers.assignee?.id).toBe(lin.id);

      // the subcategory row removed: the category row applies to it too
      await t.request('DELETE', `${API}/category-skills/technical?subcategory=vpn`);
      const vpn2 = await create({ category: 'technical', subcategory: 'vpn' });
      expect(vpn2.assignee?.id).toBe(lin.id);
      expect(reasonOf(vpn2.assignment, vic.id)).toBe('missing_skill');

      // nobody holds the skill: the ticket waits, remembering the skill it needs
      await t.request('PUT', `${API}/category-skills/technical`, { body: { skills: ['cobol'], subcategory: 'mainframe' } });
      const cobol = await create({ category: 'technical', subcategory: 'mainframe' });
      expect(cobol.assignee).toBeNull();
      expect(cobol.assignment).toMatchObject({ queued: true, method: 'skill_based' });
      expect(await row(cobol.id)).toMatchObject({ assignee_id: null, routing_skills: ['cobol'], queued_at: expect.any(Date) });
    });
  });

  // --- settings ---------------------------------------------------------------------------

  describe('settings', () => {
    it('GET defaults equal the seed’s weights and the documented routing options; agents may not read, supervisors may not write', async () => {
      const supervisor = await t.makeAgent({ role: 'supervisor' });
      const agent = await t.makeAgent();
      const p = await t.request('GET', `${API}/settings/priority`, { as: supervisor });
      expect(p.statusCode).toBe(200);
      expect(p.json()).toEqual(SEED_PRIORITY);
      const r = await t.request('GET', `${API}/settings/routing`, { as: supervisor });
      expect(r.json()).toEqual({ enabled: true, pendingCountsAsLoad: false, returnTicketsOnOffline: false });
      for (const key of ['priority', 'routing']) {
        expectProblem(await t.request('GET', `${API}/settings/${key}`, { as: agent }), 403, 'auth.forbidden');
        expectProblem(await t.request('PUT', `${API}/settings/${key}`, { as: agent, body: {} }), 403, 'auth.forbidden');
        expectProblem(await t.request('PUT', `${API}/settings/${key}`, { as: supervisor, body: {} }), 403, 'auth.forbidden');
      }
      expectProblem(await t.request('PUT', `${API}/settings/priority`, { as: supervisor, body: { keywordPoints: 99 } }), 403);
      expect((await t.request('GET', `${API}/settings/priority`)).json().keywordPoints).toBe(15);
    });

    it('PUT merges top-level fields and changes the scoring of the next ticket', async () => {
      const before = await create({ category: 'billing', subject: 'Invoice question', description: 'Please send a copy.' });
      expect(before.priorityScore).toEqual({
        score: 60, calculated: 'high', source: 'calculated',
        factors: [{ factor: 'tier', detail: 'standard', points: 10 }, { factor: 'category', detail: 'billing', points: 50 }],
      });
      expect(before.priority).toBe('high');

      const put = await t.request('PUT', `${API}/settings/priority`, { body: { categories: { billing: 70 }, thresholds: { critical: 75, high: 50, normal: 20 } } });
      expect(put.statusCode, put.body).toBe(200);
      // the given fields replace the current ones whole; the others are kept
      expect(put.json()).toEqual({ ...SEED_PRIORITY, categories: { billing: 70 }, thresholds: { critical: 75, high: 50, normal: 20 } });
      expect((await t.request('GET', `${API}/settings/priority`)).json()).toEqual(put.json());

      const after = await create({ category: 'billing', subject: 'Invoice question', description: 'Please send a copy.' });
      expect(after.priorityScore).toMatchObject({ score: 80, calculated: 'critical', source: 'calculated' });
      expect(after.priority).toBe('critical');
      // categories no longer listed now score otherCategory
      const tech = await create({ category: 'technical', subject: 'Question', description: 'How do I export?' });
      expect(tech.priorityScore).toMatchObject({ score: 20, calculated: 'normal' });
      expect(tech.priorityScore!.factors).toContainEqual({ factor: 'category', detail: 'technical', points: 10 });

      // explicitPriorityWins false: the calculated level replaces the caller's
      const kept = await create({ category: 'billing', priority: 'low' });
      expect(kept).toMatchObject({ priority: 'low', priorityScore: { source: 'explicit', calculated: 'critical' } });
      await t.request('PUT', `${API}/settings/priority`, { body: { explicitPriorityWins: false } });
      const overridden = await create({ category: 'billing', priority: 'low' });
      expect(overridden).toMatchObject({ priority: 'critical', priorityScore: { source: 'calculated', calculated: 'critical' } });
    });

    it('an invalid PUT is a 400 naming the field, and the settings stay as they were', async () => {
      const named = (res: LightMyRequestResponse, field: string) =>
        (res.json().errors as { path: string; message: string }[]).some((e) => e.path.split('.').includes(field));
      const cases: [string, Record<string, unknown>, string][] = [
        ['priority', { keywordPoints: 'ten' }, 'keywordPoints'],
        ['priority', { keywordPoints: 5000 }, 'keywordPoints'],
        ['priority', { thresholds: { critical: 10, high: 20, normal: 5 } }, 'thresholds'],
        ['priority', { tiers: { free: 0 } }, 'tiers'],
        ['priority', { urgentKeywords: ['  '] }, 'urgentKeywords'],
        ['priority', { recentWindowDays: 0 }, 'recentWindowDays'],
        ['priority', { explicitPriorityWins: 'no' }, 'explicitPriorityWins'],
        ['routing', { enabled: 'yes' }, 'enabled'],
        ['routing', { pendingCountsAsLoad: 1 }, 'pendingCountsAsLoad'],
      ];
      for (const [key, body, field] of cases) {
        const res = await t.request('PUT', `${API}/settings/${key}`, { body });
        expectProblem(res, 400, 'request.invalid');
        expect(named(res, field), `${key} ${JSON.stringify(body)} → ${res.body}`).toBe(true);
      }
      expect((await t.request('GET', `${API}/settings/priority`)).json()).toEqual(SEED_PRIORITY);
      expect((await t.request('GET', `${API}/settings/routing`)).json()).toEqual({ enabled: true, pendingCountsAsLoad: false, returnTicketsOnOffline: false });
    });

    it('an unknown settings field is a 400 whose error path names that field', async () => {
      const res = await t.request('PUT', `${API}/settings/routing`, { body: { enabeld: false } });
      expectProblem(res, 400, 'request.invalid');
      expect(paths(res).some((p) => p.split('.').includes('enabeld')), res.body).toBe(true);
      expect((await t.request('GET', `${API}/settings/routing`)).json().enabled).toBe(true);
    });
  });

  // --- each action type end to end -----------------------------------------------------------

  describe('action types through POST /tickets', () => {
    it('specific_agent: assigned when the agent is online; queued with reason offline when not', async () => {
      const sam = await t.makeAgent({ name: 'Sam', status: 'online' });
      const r = await rule({ name: 'To Sam', conditions: { categories: ['billing'] }, action: { type: 'specific_agent', agentId: sam.id } });
      const a = await create({ category: 'billing' });
      expect(a.assignee).toMatchObject({ id: sam.id, name: 'Sam' });
      expect(a.assignment).toMatchObject({ method: 'specific_agent', ruleId: r.id, ruleName: 'To Sam', agentId: sam.id, queued: false });
      expect(a.assignment!.candidates).toEqual([{ agentId: sam.id, name: 'Sam', eligible: true, reason: 'chosen', load: 0, capacity: 5 }]);
      expect(await row(a.id)).toMatchObject({ assignee_id: sam.id, queued_at: null });

      expect((await t.request('PATCH', `${API}/me/status`, { as: sam, body: { status: 'offline' } })).statusCode).toBe(200);
      const b = await create({ category: 'billing' });
      expect(b.assignee).toBeNull();
      expect(b.assignment).toMatchObject({ method: 'specific_agent', ruleId: r.id, agentId: null, queued: true });
      expect(reasonOf(b.assignment, sam.id)).toBe('offline');
      expect((await row(b.id)).queued_at).toBeInstanceOf(Date);
      const [h] = await assignedRows(b.id);
      expect(h.changedTo).toMatchObject({ assigneeId: null, method: 'specific_agent', ruleId: r.id, queued: true });
      expect(h.comment).toMatch(/offline/);
    });

    it('group: the ticket waits in the group with no agent, not queued (queued_at null), and no drain or sweep gives it away', async () => {
      await group('Sales');
      const sal = await t.makeAgent({ name: 'Sal', groups: ['sales'], status: 'online' });
      const r = await rule({ name: 'Sales queue', action: { type: 'group', group: 'sales' } });
      const x = await create();
      expect(x).toMatchObject({ assignee: null, assigneeGroup: 'sales' });
      expect(x.assignment).toMatchObject({ method: 'group', ruleId: r.id, group: 'sales', agentId: null, queued: false });
      expect(await row(x.id)).toMatchObject({ assignee_id: null, group_slug: 'sales', queued_at: null });
      expect((await assignedRows(x.id))[0].comment).toMatch(/queue/);
      // coming online again, more capacity, and the periodic sweep: none takes it
      await t.request('PATCH', `${API}/me/status`, { as: sal, body: { status: 'offline' } });
      await t.request('PATCH', `${API}/me/status`, { as: sal, body: { status: 'online' } });
      await t.request('PATCH', `${API}/agents/${sal.id}`, { body: { maxConcurrentTickets: 9 } });
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 0, returned: 0 });
      expect(await row(x.id)).toMatchObject({ assignee_id: null, group_slug: 'sales', queued_at: null });
      const g = (await t.request('GET', `${API}/groups/sales`)).json();
      expect(g).toMatchObject({ waiting: 1, load: 0 });
      // an agent picks it by hand
      const taken = await t.request('POST', `${API}/tickets/${x.id}/assign`, { as: sal, body: { agentId: sal.id } });
      expect(taken.json()).toMatchObject({ assignee: { id: sal.id }, assigneeGroup: 'sales', assignment: { method: 'manual' } });
    });

    it('group_round_robin: agents in turn (by id), the cursor kept per group', async () => {
      const g = await group('Support');
      const agents = await Promise.all([1, 2, 3].map((i) => t.makeAgent({ name: `RR ${i}`, groups: ['support'], status: 'online' })));
      const sorted = agents.map((a) => a.id).sort();
      const r = await rule({ name: 'RR', action: { type: 'group_round_robin', group: 'support' } });
      const got: string[] = [];
      for (let i = 0; i < 6; i++) {
        const x = await create();
        expect(x.assignment).toMatchObject({ method: 'round_robin', ruleId: r.id, group: 'support' });
        got.push(x.assignee!.id);
      }
      expect(got).toEqual([...sorted, ...sorted]);
      const cursors = await q<{ scope: string; last_agent_id: string }>('SELECT scope, last_agent_id FROM routing_cursors');
      expect(cursors).toEqual([{ scope: `group:${g.id}`, last_agent_id: sorted[2] }]);
      // an agent going away is skipped, the rotation goes on
      await t.request('PATCH', `${API}/agents/${sorted[0]}`, { body: { status: 'away' } });
      const next = await create();
      expect(next.assignee!.id).toBe(sorted[1]);
      expect(reasonOf(next.assignment, sorted[0])).toBe('away');
    });

    it('group_least_busy: the least loaded member gets the ticket', async () => {
      await group('Desk');
      const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((n) => t.makeAgent({ name: n, groups: ['desk'], status: 'offline' })));
      // loads 2, 1, 0 given by hand while everyone is offline, then everyone comes online (nothing waits)
      const pre = [];
      for (const who of [a, a, b]) {
        const x = await create();
        const res = await t.request('POST', `${API}/tickets/${x.id}/assign`, { body: { agentId: who.id } });
        expect(res.statusCode, res.body).toBe(200);
        pre.push(x);
      }
      for (const who of [a, b, c]) await t.request('PATCH', `${API}/me/status`, { as: who, body: { status: 'online' } });
      expect((await q<{ n: number }>('SELECT count(*)::int AS n FROM tickets WHERE assignee_id IS NULL'))[0].n).toBe(0);
      const r = await rule({ name: 'LB', action: { type: 'group_least_busy', group: 'desk' } });
      const x = await create();
      expect(x.assignee!.id).toBe(c.id);
      expect(x.assignment).toMatchObject({ method: 'least_busy', ruleId: r.id, group: 'desk' });
      const loads = Object.fromEntries(x.assignment!.candidates.map((cd) => [cd.agentId, cd.load]));
      expect(loads).toEqual({ [a.id]: 2, [b.id]: 1, [c.id]: 0 });
      // now B (1) and C (1) tie: the one given a ticket longest ago (B, never by routing) wins
      const y = await create();
      expect(y.assignee!.id).toBe(b.id);
      const z = await create();
      expect(z.assignee!.id).toBe(c.id);
      expect(pre).toHaveLength(3);
    });

    it('skill_based: agents lacking a skill are skipped with reason missing_skill', async () => {
      await group('Europe');
      const en = await t.makeAgent({ name: 'English only', groups: ['europe'], skills: ['english'], status: 'online' });
      const de = await t.makeAgent({ name: 'German', groups: ['europe'], skills: ['English', 'German'], status: 'online' });
      const r = await rule({ name: 'German speakers', conditions: { tags: ['de'] }, action: { type: 'skill_based', group: 'europe', skills: ['German'] } });
      const x = await create({ tags: ['DE'] });
      expect(x.assignee!.id).toBe(de.id);
      expect(x.assignment).toMatchObject({ method: 'skill_based', ruleId: r.id, group: 'europe' });
      expect(reasonOf(x.assignment, en.id)).toBe('missing_skill');
      expect(reasonOf(x.assignment, de.id)).toBe('chosen');
      expect((await row(x.id)).routing_skills).toEqual(['german']);
      // the only German speaker offline: it waits for one
      await t.request('PATCH', `${API}/me/status`, { as: de, body: { status: 'offline' } });
      const y = await create({ tags: ['de'] });
      expect(y.assignee).toBeNull();
      expect(y.assignment).toMatchObject({ queued: true });
      expect(reasonOf(y.assignment, en.id)).toBe('missing_skill');
      expect(reasonOf(y.assignment, de.id)).toBe('offline');
    });

    const conditionCases: { name: string; conditions: Record<string, unknown>; match: Record<string, unknown>; miss: Record<string, unknown>[] }[] = [
      { name: 'tier', conditions: { tiers: ['enterprise'] }, match: { requester: { name: 'E', email: 'e@bigco.example', organization: 'BigCo' } }, miss: [{}] },
      {
        name: 'organization (name, any case)', conditions: { organizations: ['acme corp'] },
        match: { requester: { name: 'A', email: 'a@acme.example', organization: 'Acme Corp' } },
        miss: [{ requester: { name: 'O', email: 'o@other.example', organization: 'Other Ltd' } }, {}],
      },
      { name: 'source', conditions: { sources: ['email'] }, match: { source: 'email' }, miss: [{ source: 'web' }] },
      { name: 'channel', conditions: { sources: ['whatsapp'] }, match: { source: 'chat', channel: 'WhatsApp' }, miss: [{ source: 'chat', channel: 'telegram' }, { source: 'chat' }] },
      { name: 'tags (any of)', conditions: { tags: ['vip', 'press'] }, match: { tags: ['Press', 'other'] }, miss: [{ tags: ['other'] }, {}] },
      {
        name: 'keywords (whole words)', conditions: { keywords: ['refund', 'charged twice'] },
        match: { subject: 'Hello', description: 'I was CHARGED   twice this month' },
        miss: [{ subject: 'Refunded already', description: 'Thanks, all good.' }, { subject: 'Charged', description: 'once' }],
      },
      { name: 'priority', conditions: { priorities: ['critical'] }, match: { priority: 'critical' }, miss: [{ priority: 'low' }, {}] },
      { name: 'category', conditions: { categories: ['billing'] }, match: { category: 'billing' }, miss: [{ category: 'account' }] },
      { name: 'subcategory', conditions: { subcategories: ['refunds'] }, match: { category: 'billing', subcategory: 'Refunds' }, miss: [{ category: 'billing', subcategory: 'invoices' }, { category: 'billing' }] },
      {
        name: 'all given lists at once', conditions: { categories: ['billing'], tags: ['vip'] }, match: { category: 'billing', tags: ['vip'] },
        miss: [{ category: 'billing' }, { category: 'technical', tags: ['vip'] }],
      },
    ];
    for (const c of conditionCases) {
      it(`rule condition on ${c.name} routes a matching ticket by the rule and not a non-matching one`, async () => {
        const res = await t.request('POST', `${API}/organizations`, { body: { name: 'BigCo', tier: 'enterprise' } });
        expect(res.statusCode, res.body).toBe(201);
        const target = await t.makeAgent({ name: 'Target', status: 'online' });
        const other = await t.makeAgent({ name: 'Other', status: 'online' });
        const r = await rule({ name: c.name, conditions: c.conditions, action: { type: 'specific_agent', agentId: target.id } });
        const hit = await create(c.match);
        expect(hit.assignment, JSON.stringify(hit)).toMatchObject({ method: 'specific_agent', ruleId: r.id });
        expect(hit.assignee!.id).toBe(target.id);
        for (const miss of c.miss) {
          const m = await create(miss);
          expect(m.assignment, JSON.stringify(miss)).toMatchObject({ method: 'round_robin', ruleId: null, ruleName: null });
          expect([target.id, other.id]).toContain(m.assignee!.id);
        }
      });
    }

    it('rules are tried in position order; an inactive rule is skipped', async () => {
      const a = await t.makeAgent({ name: 'A', status: 'online' });
      const b = await t.makeAgent({ name: 'B', status: 'online' });
      const c = await t.makeAgent({ name: 'C', status: 'online' });
      const later = await rule({ name: 'later', position: 20, conditions: { categories: ['billing'] }, action: { type: 'specific_agent', agentId: a.id } });
      const first = await rule({ name: 'first', position: 10, conditions: { categories: ['billing'] }, action: { type: 'specific_agent', agentId: b.id } });
      const off = await rule({ name: 'off', position: 5, isActive: false, action: { type: 'specific_agent', agentId: c.id } });
      const x = await create({ category: 'billing' });
      expect(x.assignment).toMatchObject({ ruleId: first.id });
      expect(x.assignee!.id).toBe(b.id);
      await t.request('PATCH', `${API}/assignment-rules/${first.id}`, { body: { position: 30 } });
      const y = await create({ category: 'billing' });
      expect(y.assignment).toMatchObject({ ruleId: later.id });
      await t.request('PATCH', `${API}/assignment-rules/${off.id}`, { body: { isActive: true } });
      const z = await create({ category: 'billing' });
      expect(z.assignment).toMatchObject({ ruleId: off.id });
      expect(z.assignee!.id).toBe(c.id);
    });

    it('no rule matches: round robin over all agents, ruleId null, cursor "all"', async () => {
      const x1 = await t.makeAgent({ name: 'X1', status: 'online' });
      const x2 = await t.makeAgent({ name: 'X2', status: 'online' });
      const busy = await t.makeAgent({ name: 'Busy', status: 'busy' });
      await rule({ name: 'only billing', conditions: { categories: ['billing'] }, action: { type: 'specific_agent', agentId: busy.id } });
      const order = [x1.id, x2.id].sort();
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const x = await create({ category: 'general' });
        expect(x.assignment).toMatchObject({ method: 'round_robin', ruleId: null, ruleName: null, group: null, queued: false });
        expect(x.assigneeGroup).toBeNull();
        expect(reasonOf(x.assignment, busy.id)).toBe('busy');
        expect(reasonOf(x.assignment, t.admin.id)).toBe('offline');
        got.push(x.assignee!.id);
      }
      expect(got).toEqual([...order, ...order]);
      expect(await q('SELECT scope, last_agent_id FROM routing_cursors')).toEqual([{ scope: 'all', last_agent_id: order[1] }]);
      const [h] = await assignedRows((await create({ category: 'general' })).id);
      expect(h.changedTo).toMatchObject({ method: 'round_robin', ruleId: null });
      expect(h.comment).toMatch(/No rule matched/);
    });
  });

  // --- the decision as recorded -----------------------------------------------------------------

  it('the ticket’s assignment and its assigned history row record method, rule and every candidate with a reason', async () => {
    await group('Ops');
    const full = await t.makeAgent({ name: 'Full', groups: ['ops'], maxConcurrentTickets: 1, status: 'online' });
    const off = await t.makeAgent({ name: 'Off', groups: ['ops'], status: 'offline' });
    const away = await t.makeAgent({ name: 'Away', groups: ['ops'], status: 'away' });
    const free = await t.makeAgent({ name: 'Free', groups: ['ops'], maxConcurrentTickets: 3, status: 'online' });
    const outsider = await t.makeAgent({ name: 'Outsider', status: 'online' });
    const first = await create();
    await t.request('POST', `${API}/tickets/${first.id}/assign`, { body: { agentId: full.id } });
    const r = await rule({ name: 'Ops least busy', action: { type: 'group_least_busy', group: 'ops' } });

    const x = await create();
    expect(x.assignee).toMatchObject({ id: free.id, name: 'Free' });
    expect(x.assignment).toEqual({
      method: 'least_busy', ruleId: r.id, ruleName: 'Ops least busy', decidedAt: expect.any(String), agentId: free.id, group: 'ops', queued: false,
      candidates: expect.any(Array), unlisted: 0,
    });
    const byAgent = Object.fromEntries(x.assignment!.candidates.map((c) => [c.agentId, c]));
    expect(byAgent[free.id]).toEqual({ agentId: free.id, name: 'Free', eligible: true, reason: 'chosen', load: 0, capacity: 3 });
    expect(byAgent[full.id]).toEqual({ agentId: full.id, name: 'Full', eligible: false, reason: 'at_capacity', load: 1, capacity: 1 });
    expect(byAgent[off.id]).toMatchObject({ reason: 'offline', eligible: false });
    expect(byAgent[away.id]).toMatchObject({ reason: 'away', eligible: false });
    expect(byAgent[outsider.id]).toBeUndefined(); // not a member: not a candidate of a group rule
    // the chosen one first, then the ones at capacity
    expect(x.assignment!.candidates.map((c) => c.reason).slice(0, 2)).toEqual(['chosen', 'at_capacity']);
    expect(new Date(x.assignment!.decidedAt).getTime()).toBe(new Date(x.createdAt).getTime());

    const history = await historyOf(t, x.id);
    expect(history.map((h) => h.changeType)).toEqual(['created', 'assigned']);
    const h = history[1];
    // routing decisions are Triage's own: written by the system, not by whoever created the ticket
    expect(h).toMatchObject({ field: 'assignee', actorType: 'system', changedBy: null, changedFrom: { assigneeId: null, groupId: null } });
    expect(h.changedTo).toMatchObject({ assigneeId: free.id, assigneeName: 'Free', group: 'ops', method: 'least_busy', ruleId: r.id, queued: false });
    expect((h.changedTo!.candidates as Candidate[]).map((c) => [c.agentId, c.reason]).sort()).toEqual(
      [[free.id, 'chosen'], [full.id, 'at_capacity'], [off.id, 'offline'], [away.id, 'away']].sort(),
    );
    expect(h.comment).toContain('Ops least busy');
    expect(h.comment).toContain('Free');
    // the same record as GET shows it
    expect((await t.request('GET', `${API}/tickets/${x.id}`)).json().assignment).toEqual(x.assignment);
  });

  // --- priority ---------------------------------------------------------------------------------

  describe('priority scoring on create', () => {
    it('an enterprise-organization requester with a billing ticket is critical (30 + 50)', async () => {
      await t.request('POST', `${API}/organizations`, { body: { name: 'Globex', tier: 'enterprise' } });
      const x = await create({ category: 'billing', subject: 'Invoice', description: 'Question about the invoice.', requester: { name: 'G', email: 'g@globex.example', organization: 'globex' } });
      expect(x.requester).toMatchObject({ organization: 'Globex', tier: 'enterprise' });
      expect(x.priority).toBe('critical');
      expect(x.priorityScore).toEqual({
        score: 80, calculated: 'critical', source: 'calculated',
        factors: [{ factor: 'tier', detail: 'enterprise', points: 30 }, { factor: 'category', detail: 'billing', points: 50 }],
      });
      // the same enterprise requester, a general question: 30 + 10 → low; again within 24 hours: + 5
      const y = await create({ category: 'general', subject: 'Hi', description: 'A question.', requester: { name: 'G', email: 'g@globex.example' } });
      expect(y.priorityScore).toMatchObject({ score: 45, calculated: 'normal' });
      expect(y.priorityScore!.factors).toContainEqual({ factor: 'repeat_requester', detail: expect.any(String), points: 5 });
    });

    it('urgent keywords add 15 each (whole words, any case); an explicit priority is kept with source explicit', async () => {
      const x = await create({ category: 'technical', subject: 'URGENT: the site is down', description: 'Everything returns an Error.' });
      expect(x.priorityScore).toEqual({
        score: 10 + 40 + 45, calculated: 'critical', source: 'calculated',
        factors: [
          { factor: 'tier', detail: 'standard', points: 10 },
          { factor: 'category', detail: 'technical', points: 40 },
          { factor: 'keyword', detail: 'urgent', points: 15 },
          { factor: 'keyword', detail: 'down', points: 15 },
          { factor: 'keyword', detail: 'error', points: 15 },
        ],
      });
      expect(x.priority).toBe('critical');
      // "downtime" and "errors" are not the words "down" and "error"
      const y = await create({ category: 'technical', subject: 'Planned downtime', description: 'Two errors in the docs.' });
      expect(y.priorityScore).toMatchObject({ score: 50, calculated: 'normal' });
      expect(y.priority).toBe('normal');
      const z = await create({ category: 'technical', priority: 'low', subject: 'Urgent: not working', description: 'Cannot access anything.' });
      expect(z.priority).toBe('low');
      expect(z.priorityScore).toMatchObject({ score: 95, calculated: 'critical', source: 'explicit' });
      expect((await t.request('GET', `${API}/tickets/${z.id}`)).json().priorityScore).toEqual(z.priorityScore);
      const [created] = await historyOf(t, z.id);
      expect(created.changedTo).toMatchObject({ priority: 'low', priorityScore: 95 });
    });
  });

  it('POST /tickets carries Server-Timing routing;dur= (assigned or waiting); none when routing is off', async () => {
    // nobody online: the ticket waits, the decision was still timed
    const waiting = await t.request('POST', `${API}/tickets`, { body: ticketBody() });
    expect(waiting.statusCode).toBe(201);
    expect(waiting.json().assignee).toBeNull();
    expect(String(waiting.headers['server-timing'])).toMatch(/^routing;dur=\d+\.\d{3}$/);
    await t.makeAgent({ status: 'online' });
    const res = await t.request('POST', `${API}/tickets`, { body: ticketBody() });
    expect(res.statusCode).toBe(201);
    expect(res.json().assignee).not.toBeNull();
    expect(String(res.headers['server-timing'])).toMatch(/^routing;dur=\d+\.\d{3}$/);
    const none = await createTestApp({ routing: false });
    try {
      const res2 = await none.request('POST', `${API}/tickets`, { body: ticketBody() });
      expect(res2.statusCode).toBe(201);
      expect(res2.headers['server-timing']).toBeUndefined();
    } finally {
      await none.close();
    }
  });

  // --- presence ---------------------------------------------------------------------------------

  it('PATCH /me/status and PATCH /agents/:id {status} change presence, and routing follows it', async () => {
    const pat = await t.makeAgent({ name: 'Pat' });
    const other = await t.makeAgent({ name: 'Other' });
    const supervisor = await t.makeAgent({ role: 'supervisor' });
    await rule({ name: 'Pat', action: { type: 'specific_agent', agentId: pat.id } });

    const res = await t.request('PATCH', `${API}/me/status`, { as: pat, body: { status: 'online' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: pat.id, status: 'online' });
    expect((await t.request('GET', `${API}/agents/${pat.id}`)).json().status).toBe('online');
    expect((await create()).assignee?.id).toBe(pat.id);

    const byBoss = await t.request('PATCH', `${API}/agents/${pat.id}`, { as: supervisor, body: { status: 'busy' } });
    expect(byBoss.json()).toMatchObject({ status: 'busy' });
    const queued = await create();
    expect(queued.assignee).toBeNull();
    expect(reasonOf(queued.assignment, pat.id)).toBe('busy');

    expectProblem(await t.request('PATCH', `${API}/me/status`, { as: pat, body: { status: 'invisible' } }), 400, 'request.invalid');
    expectProblem(await t.request('PATCH', `${API}/agents/${pat.id}`, { as: other, body: { status: 'offline' } }), 403, 'auth.forbidden');
    expect((await t.request('GET', `${API}/agents/${pat.id}`)).json().status).toBe('busy');
  });

  // --- simulator ---------------------------------------------------------------------------------

  describe('POST /routing/simulate', () => {
    async function world() {
      await group('Support');
      await group('Billing');
      await group('Sales');
      const s = await Promise.all([1, 2, 3].map((i) => t.makeAgent({ name: `Support ${i}`, groups: ['support'], skills: i === 1 ? ['linux'] : [], maxConcurrentTickets: 2, status: 'online' })));
      const b = await Promise.all([1, 2].map((i) => t.makeAgent({ name: `Billing ${i}`, groups: ['billing'], maxConcurrentTickets: 3, status: 'online' })));
      const vip = await t.makeAgent({ name: 'VIP desk', status: 'offline' });
      await t.request('POST', `${API}/organizations`, { body: { name: 'Initech', tier: 'enterprise' } });
      await rule({ name: 'VIP', conditions: { keywords: ['vip'] }, action: { type: 'specific_agent', agentId: vip.id } });
      await rule({ name: 'Billing', conditions: { categories: ['billing'] }, action: { type: 'group_least_busy', group: 'billing' } });
      await rule({ name: 'Linux', conditions: { categories: ['technical'] }, action: { type: 'skill_based', group: 'support', skills: ['linux'] } });
      await rule({ name: 'Sales', conditions: { categories: ['sales'] }, action: { type: 'group', group: 'sales' } });
      await rule({ name: 'Support', conditions: { categories: ['account'] }, action: { type: 'group_round_robin', group: 'support' } });
      return { s, b, vip };
    }

    const inputs = (): Record<string, unknown>[] => [
      { category: 'account' },
      { category: 'account' },
      { category: 'billing', requester: { name: 'I', email: 'i@initech.example', organization: 'Initech' } },
      { category: 'technical', subject: 'Server down', description: 'urgent' },
      { category: 'account', tags: ['x'] },
      { category: 'sales' },
      { category: 'general', subject: 'VIP request', description: 'hello' },
      { category: 'general' },
      { category: 'billing', priority: 'low' },
      { category: 'technical' },
      { category: 'technical' }, // Support 1 is full now: waits
      { category: 'account' },
      { category: 'account' },
      { category: 'account' }, // support is full: waits
      { category: 'general' },
    ];

    it('for each input the answer equals what POST /tickets with the same body then does', async () => {
      const { s } = await world();
      const methods = new Set<string>();
      for (const over of inputs()) {
        const body = ticketBody(over);
        const simRes = await t.request('POST', `${API}/routing/simulate`, { body, as: s[1] });
        expect(simRes.statusCode, simRes.body).toBe(200);
        const sim = simRes.json();
        const real = (await t.request('POST', `${API}/tickets`, { body })).json() as Ticket;
        const label = JSON.stringify(over);
        expect(sim.agentId, label).toBe(real.assignee?.id ?? null);
        expect(sim.agentName, label).toBe(real.assignee?.name ?? null);
        expect(sim.group, label).toBe(real.assigneeGroup);
        expect(sim.method, label).toBe(real.assignment!.method);
        expect(sim.ruleId, label).toBe(real.assignment!.ruleId);
        expect(sim.ruleName, label).toBe(real.assignment!.ruleName);
        expect(sim.queued, label).toBe(real.assignment!.queued);
        expect(sim.priority, label).toBe(real.priority);
        expect(sim.priorityScore, label).toEqual(real.priorityScore);
        expect(sim.candidates.map((c: Candidate) => [c.agentId, c.reason]), label).toEqual(real.assignment!.candidates.map((c) => [c.agentId, c.reason]));
        expect(typeof sim.explanation).toBe('string');
        methods.add(`${sim.method}${sim.queued ? ' queued' : ''}`);
      }
      // the inputs exercised every strategy, assigned and waiting
      expect([...methods].sort()).toEqual(
        ['group', 'least_busy', 'round_robin', 'round_robin queued', 'skill_based', 'skill_based queued', 'specific_agent queued'].sort(),
      );
    });

    it('changes nothing: no ticket, requester or organization, cursors, loads and history untouched', async () => {
      const { s } = await world();
      // some state first: cursors exist, agents carry load
      for (const over of inputs().slice(0, 5)) await create(over);
      const snapshot = async () => ({
        tickets: await q('SELECT id, assignee_id, queued_at, version FROM tickets ORDER BY id'),
        history: await q('SELECT count(*)::int AS n FROM ticket_history'),
        requesters: await q('SELECT count(*)::int AS n FROM requesters'),
        organizations: await q('SELECT count(*)::int AS n FROM organizations'),
        cursors: await q('SELECT scope, last_agent_id, updated_at FROM routing_cursors ORDER BY scope'),
        agents: await q(`SELECT a.id, l.last_assigned_at, l.open_count, l.pending_count, a.status,
                           (SELECT count(*)::int FROM tickets t WHERE t.assignee_id = a.id) AS load
                           FROM agents a JOIN agent_loads l ON l.agent_id = a.id ORDER BY a.id`),
        groups: (await t.request('GET', `${API}/groups`)).json().groups.map((g: Record<string, unknown>) => [g.slug, g.load, g.waiting, g.members]),
      });
      const before = await snapshot();
      expect(before.cursors.length).toBeGreaterThan(0);
      const answers = [];
      for (const over of [...inputs(), { category: 'general', requester: { name: 'New', email: 'new@newco.example', organization: 'NewCo' } }]) {
        const res = await t.request('POST', `${API}/routing/simulate`, { body: ticketBody(over), as: s[0] });
        expect(res.statusCode, res.body).toBe(200);
        answers.push(res.json());
      }
      // the same question twice gets the same answer: the cursor did not move
      const again = await t.request('POST', `${API}/routing/simulate`, { body: ticketBody({ category: 'account' }) });
      expect(again.json().agentId).toBe(answers[0].agentId);
      expect(answers[0].agentId).not.toBeNull();
      expect(await snapshot()).toEqual(before);
      expectProblem(await t.request('POST', `${API}/routing/simulate`, { body: { subject: 'x' } }), 400, 'request.invalid');
    });

    it('answers with an explanation, candidates and the priority score', async () => {
      await group('Desk');
      const full = await t.makeAgent({ name: 'Full', groups: ['desk'], maxConcurrentTickets: 0, status: 'online' });
      const ok = await t.makeAgent({ name: 'Okay', groups: ['desk'], status: 'online' });
      const r = await rule({ name: 'Desk', action: { type: 'group_least_busy', group: 'desk' } });
      const res = await t.request('POST', `${API}/routing/simulate`, { body: ticketBody({ category: 'billing', subject: 'Refund', description: 'Charged twice' }) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        agentId: ok.id, agentName: 'Okay', group: 'desk', method: 'least_busy', ruleId: r.id, ruleName: 'Desk', queued: false,
        explanation: expect.stringContaining('Okay'),
        candidates: [
          { agentId: ok.id, name: 'Okay', eligible: true, reason: 'chosen', load: 0, capacity: 5 },
          { agentId: full.id, name: 'Full', eligible: false, reason: 'at_capacity', load: 0, capacity: 0 },
        ],
        priority: 'high',
        priorityScore: { score: 60, calculated: 'high', source: 'calculated', factors: expect.any(Array) },
      });
      expect(res.json().explanation).toMatch(/Full \(at.capacity\)/);
    });
  });
});
