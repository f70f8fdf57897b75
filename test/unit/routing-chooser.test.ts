import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eligibility, explain, markCandidates, MAX_RECORDED_CANDIDATES, matchesRule, planFor, rankCandidates, RECORDED_RUNNERS_UP, recordCandidates,
  type Candidate, type Plan, type PoolAgent, type Reason, type Rule, type RuleConditions, type TicketFacts,
} from '../../src/domain/routing/chooser.ts';

const uuid = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
const ORG = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

const facts = (over: Partial<TicketFacts> = {}): TicketFacts => ({
  category: 'billing',
  subcategory: 'refunds',
  priority: 'high',
  tier: 'premium',
  organization: { id: ORG, name: 'Acme Corp' },
  source: 'email',
  channel: 'support-inbox',
  tags: ['vip', 'invoice'],
  subject: 'Refund for invoice 1234',
  description: 'I was charged twice, please refund.',
  ...over,
});

const agent = (n: number, over: Partial<PoolAgent> = {}): PoolAgent => ({
  id: uuid(n),
  name: `Agent ${n}`,
  status: 'online',
  active: true,
  capacity: 10,
  load: 0,
  skills: [],
  inGroup: true,
  lastAssignedAt: null,
  ...over,
});

const plan = (over: Partial<Plan> = {}): Plan => ({
  ruleId: null, ruleName: null, method: 'round_robin', group: null, agentId: null, skills: [], autoAssign: true, ...over,
});

const rule = (n: number, position: number, conditions: RuleConditions, action: Rule['action'], name = `Rule ${n}`): Rule => ({
  id: uuid(1000 + n), name, position, conditions, action,
});

const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

describe('matchesRule', () => {
  it('an empty condition object matches every ticket', () => {
    expect(matchesRule({}, facts())).toBe(true);
    expect(matchesRule({}, facts({ organization: null, subcategory: null, channel: null, tags: [] }))).toBe(true);
  });

  it('empty lists are ignored', () => {
    const c: RuleConditions = { categories: [], subcategories: [], priorities: [], tiers: [], organizations: [], sources: [], tags: [], keywords: [] };
    expect(matchesRule(c, facts({ organization: null, subcategory: null, channel: null, tags: [] }))).toBe(true);
  });

  it.each<[string, RuleConditions, Partial<TicketFacts>, boolean]>([
    // categories, case-insensitive
    ['category listed', { categories: ['technical', 'billing'] }, {}, true],
    ['category in other case', { categories: ['BILLING'] }, {}, true],
    ['category of ticket in other case', { categories: ['billing'] }, { category: 'Billing' }, true],
    ['category not listed', { categories: ['technical'] }, {}, false],
    // subcategories
    ['subcategory listed', { subcategories: ['Refunds'] }, {}, true],
    ['subcategory not listed', { subcategories: ['chargebacks'] }, {}, false],
    ['ticket without subcategory', { subcategories: ['refunds'] }, { subcategory: null }, false],
    // priorities
    ['priority listed', { priorities: ['critical', 'high'] }, {}, true],
    ['priority not listed', { priorities: ['low', 'normal'] }, {}, false],
    // tiers
    ['tier listed', { tiers: ['premium', 'enterprise'] }, {}, true],
    ['tier not listed', { tiers: ['free'] }, {}, false],
    // organizations by name (case-insensitive) or id
    ['organization by name', { organizations: ['Acme Corp'] }, {}, true],
    ['organization by name in other case', { organizations: ['ACME CORP'] }, {}, true],
    ['organization by id', { organizations: [ORG] }, {}, true],
    ['organization by other name', { organizations: ['Globex'] }, {}, false],
    ['organization by other id', { organizations: [uuid(77)] }, {}, false],
    ['organization name is not a substring match', { organizations: ['Acme'] }, {}, false],
    ['ticket without organization', { organizations: ['Acme Corp'] }, { organization: null }, false],
    // sources: source or channel
    ['source listed', { sources: ['chat', 'email'] }, {}, true],
    ['source in other case', { sources: ['EMAIL'] }, {}, true],
    ['channel listed', { sources: ['support-inbox'] }, { source: 'web' }, true],
    ['channel in other case', { sources: ['support-inbox'] }, { source: 'web', channel: 'Support-Inbox' }, true],
    ['neither source nor channel', { sources: ['chat', 'sales-inbox'] }, {}, false],
    ['no channel, other source', { sources: ['support-inbox'] }, { channel: null }, false],
    // tags: any of
    ['one tag of several', { tags: ['urgent', 'invoice'] }, {}, true],
    ['tag in other case', { tags: ['VIP'] }, {}, true],
    ['no tag in common', { tags: ['urgent'] }, {}, false],
    ['ticket without tags', { tags: ['vip'] }, { tags: [] }, false],
    // keywords: whole words in subject or description
    ['keyword in subject', { keywords: ['invoice'] }, {}, true],
    ['keyword in description, other case', { keywords: ['CHARGED TWICE'] }, {}, true],
    ['any keyword', { keywords: ['outage', 'refund'] }, {}, true],
    ['keyword only as part of a word', { keywords: ['fund'] }, {}, false],
    ['keyword absent', { keywords: ['outage', 'password'] }, {}, false],
    ['keyword phrase across whitespace', { keywords: ['charged twice'] }, { description: 'charged\n  twice' }, true],
  ])('%s → %s', (_label, conditions, over, expected) => {
    expect(matchesRule(conditions, facts(over))).toBe(expected);
  });

  it('all given lists must match (AND)', () => {
    const all: RuleConditions = {
      categories: ['billing'], subcategories: ['refunds'], priorities: ['high'], tiers: ['premium'], organizations: ['acme corp'],
      sources: ['email'], tags: ['vip'], keywords: ['refund'],
    };
    expect(matchesRule(all, facts())).toBe(true);
    const breakers: [keyof RuleConditions, Partial<TicketFacts>][] = [
      ['categories', { category: 'technical' }],
      ['subcategories', { subcategory: 'other' }],
      ['priorities', { priority: 'low' }],
      ['tiers', { tier: 'free' }],
      ['organizations', { organization: { id: uuid(5), name: 'Globex' } }],
      ['sources', { source: 'chat', channel: null }],
      ['tags', { tags: ['other'] }],
      ['keywords', { subject: 'Hello', description: 'Nothing here' }],
    ];
    for (const [, over] of breakers) expect(matchesRule(all, facts(over))).toBe(false);
  });
});

describe('planFor', () => {
  it('the first matching rule by position wins, whatever the array order', () => {
    const rules = [
      rule(3, 30, {}, { type: 'group_least_busy', group: 'general' }, 'Catch all'),
      rule(1, 10, { categories: ['technical'] }, { type: 'group_round_robin', group: 'tech' }, 'Tech'),
      rule(2, 20, { categories: ['billing'] }, { type: 'group_round_robin', group: 'billing' }, 'Billing'),
    ];
    const before = ids(rules);
    const p = planFor(rules, facts(), []);
    expect(p).toEqual({
      ruleId: uuid(1002), ruleName: 'Billing', method: 'round_robin', group: 'billing', agentId: null, skills: [], autoAssign: true,
    });
    expect(ids(rules)).toEqual(before); // the input is not reordered
    expect(planFor(rules, facts({ category: 'technical' }), []).ruleName).toBe('Tech');
    expect(planFor(rules, facts({ category: 'account' }), []).ruleName).toBe('Catch all');
  });

  it('a lower position wins over a later array entry even when both match', () => {
    const rules = [rule(1, 5, {}, { type: 'group', group: 'b' }, 'B'), rule(2, -3, {}, { type: 'group', group: 'a' }, 'A')];
    expect(planFor(rules, facts(), []).ruleName).toBe('A');
  });

  it('no matching rule → round robin over everyone, no rule id', () => {
    const rules = [rule(1, 1, { categories: ['technical'] }, { type: 'group_least_busy', group: 'tech' })];
    for (const rs of [rules, []]) {
      expect(planFor(rs, facts(), ['billing'])).toEqual({
        ruleId: null, ruleName: null, method: 'round_robin', group: null, agentId: null, skills: [], autoAssign: true,
      });
    }
  });

  it.each<[Rule['action'], Partial<Plan>]>([
    [{ type: 'group_round_robin', group: 'billing' }, { method: 'round_robin', group: 'billing', autoAssign: true, agentId: null, skills: [] }],
    [{ type: 'group_least_busy', group: 'billing' }, { method: 'least_busy', group: 'billing', autoAssign: true, agentId: null, skills: [] }],
    [{ type: 'group', group: 'billing' }, { method: 'group', group: 'billing', autoAssign: false, agentId: null, skills: [] }],
    [{ type: 'specific_agent', agentId: uuid(9) }, { method: 'specific_agent', agentId: uuid(9), group: null, autoAssign: true, skills: [] }],
    [{ type: 'specific_agent' }, { method: 'specific_agent', agentId: null, autoAssign: true }],
    [{ type: 'group_round_robin' }, { method: 'round_robin', group: null }],
    [{ type: 'skill_based', skills: ['Billing', 'VAT'] }, { method: 'skill_based', skills: ['billing', 'vat'], autoAssign: true, agentId: null }],
    [{ type: 'skill_based', skills: [] }, { method: 'skill_based', skills: ['payments', 'german'] }],
    [{ type: 'skill_based' }, { method: 'skill_based', skills: ['payments', 'german'] }],
    [{ type: 'skill_based', group: 'emea' }, { method: 'skill_based', group: 'emea', skills: ['payments', 'german'] }],
  ])('action %j → %j', (action, expected) => {
    const p = planFor([rule(1, 1, {}, action, 'The rule')], facts(), ['Payments', 'German']);
    expect(p).toMatchObject({ ruleId: uuid(1001), ruleName: 'The rule', ...expected });
  });
});

describe('eligibility', () => {
  const skills = { skills: ['billing', 'german'] };

  it.each<[string, Partial<PoolAgent>, Set<string>, Reason]>([
    ['inactive beats everything', { active: false, inGroup: false, status: 'offline', skills: [], load: null }, new Set([uuid(1)]), 'inactive'],
    ['not in group beats excluded, presence, skills, capacity', { inGroup: false, status: 'away', skills: [], load: null }, new Set([uuid(1)]), 'not_in_group'],
    ['excluded beats presence, skills, capacity', { status: 'busy', skills: [], load: null }, new Set([uuid(1)]), 'excluded'],
    ['away beats skills and capacity', { status: 'away', skills: [], load: null }, new Set(), 'away'],
    ['busy', { status: 'busy', skills: ['billing', 'german'] }, new Set(), 'busy'],
    ['offline', { status: 'offline', skills: ['billing', 'german'] }, new Set(), 'offline'],
    ['missing one skill beats capacity', { skills: ['billing'], load: 99 }, new Set(), 'missing_skill'],
    ['skills are case-sensitive here (normalized upstream)', { skills: ['Billing', 'German'] }, new Set(), 'missing_skill'],
    ['at capacity', { skills: ['billing', 'german', 'french'], capacity: 3, load: 3 }, new Set(), 'at_capacity'],
    ['over capacity', { skills: ['billing', 'german'], capacity: 3, load: 4 }, new Set(), 'at_capacity'],
    ['capacity 0', { skills: ['billing', 'german'], capacity: 0, load: 0 }, new Set(), 'at_capacity'],
    ['load not counted', { skills: ['billing', 'german'], capacity: 5, load: null }, new Set(), 'at_capacity'],
    ['one below capacity', { skills: ['german', 'billing'], capacity: 3, load: 2 }, new Set(), 'eligible'],
    ['another agent excluded', { skills: ['billing', 'german'] }, new Set([uuid(2)]), 'eligible'],
  ])('%s', (_label, over, exclude, reason) => {
    expect(eligibility(agent(1, over), skills, exclude)).toBe(reason);
  });

  it('no required skills and the default exclude set', () => {
    expect(eligibility(agent(1, { skills: [] }), { skills: [] })).toBe('eligible');
    expect(eligibility(agent(1, { load: 10, capacity: 10 }), { skills: [] })).toBe('at_capacity');
  });
});

describe('rankCandidates — round robin', () => {
  const pool = [agent(3), agent(1), agent(4), agent(2)];

  it.each<[string, string | null, number[]]>([
    ['cursor null starts at the lowest id', null, [1, 2, 3, 4]],
    ['starts after the cursor and wraps', uuid(2), [3, 4, 1, 2]],
    ['cursor on the last agent wraps to the first', uuid(4), [1, 2, 3, 4]],
    ['cursor below all ids starts at the lowest', uuid(0), [1, 2, 3, 4]],
    ['cursor greater than all ids wraps to the first', uuid(999), [1, 2, 3, 4]],
  ])('%s', (_label, cursor, expected) => {
    expect(ids(rankCandidates(plan(), pool, cursor).order)).toEqual(expected.map(uuid));
  });

  it('a cursor of an agent no longer in the pool starts at the next id', () => {
    const sparse = [agent(10), agent(30), agent(20)];
    expect(ids(rankCandidates(plan(), sparse, uuid(15)).order)).toEqual([uuid(20), uuid(30), uuid(10)]);
    expect(ids(rankCandidates(plan(), sparse, uuid(25)).order)).toEqual([uuid(30), uuid(10), uuid(20)]);
  });

  it('compares ids as strings', () => {
    const a = { ...agent(1), id: '9f000000-0000-4000-8000-000000000000' };
    const b = { ...agent(2), id: 'a0000000-0000-4000-8000-000000000000' };
    const c = { ...agent(3), id: '10000000-0000-4000-8000-ffffffffffff' };
    expect(ids(rankCandidates(plan(), [a, b, c], null).order)).toEqual([c.id, a.id, b.id]);
    expect(ids(rankCandidates(plan(), [a, b, c], a.id).order)).toEqual([b.id, c.id, a.id]);
    expect(ids(rankCandidates(plan(), [a, b, c], '9f000000-0000-4000-8000-000000000001').order)).toEqual([b.id, c.id, a.id]);
  });

  it('ineligible agents are never in the order, but are in the candidates with their reason', () => {
    const mixed = [
      agent(1, { status: 'away' }),
      agent(2),
      agent(3, { load: 10 }),
      agent(4, { active: false }),
      agent(5),
      agent(6, { inGroup: false }),
      agent(7, { status: 'offline', load: null }),
      agent(8),
    ];
    const { order, candidates } = rankCandidates(plan(), mixed, uuid(5), new Set([uuid(8)]));
    expect(ids(order)).toEqual([uuid(2), uuid(5)]);
    expect(candidates.map((c) => [c.agentId, c.reason, c.eligible])).toEqual([
      [uuid(1), 'away', false],
      [uuid(2), 'eligible', true],
      [uuid(3), 'at_capacity', false],
      [uuid(4), 'inactive', false],
      [uuid(5), 'eligible', true],
      [uuid(6), 'not_in_group', false],
      [uuid(7), 'offline', false],
      [uuid(8), 'excluded', false],
    ]);
    expect(candidates[2]).toEqual({ agentId: uuid(3), name: 'Agent 3', eligible: false, reason: 'at_capacity', load: 10, capacity: 10 });
    expect(candidates[6]).toEqual({ agentId: uuid(7), name: 'Agent 7', eligible: false, reason: 'offline', load: null, capacity: 10 });
  });

  it('an empty pool gives nothing', () => {
    expect(rankCandidates(plan(), [], uuid(1))).toEqual({ order: [], candidates: [] });
  });

  it('with required skills only agents holding all of them are tried', () => {
    const withSkills = [agent(1, { skills: ['billing'] }), agent(2, { skills: ['billing', 'german'] }), agent(3, { skills: ['german'] })];
    const r = rankCandidates(plan({ skills: ['billing', 'german'] }), withSkills, null);
    expect(ids(r.order)).toEqual([uuid(2)]);
    expect(r.candidates.map((c) => c.reason)).toEqual(['missing_skill', 'eligible', 'missing_skill']);
  });

  it('fairness: N equal agents share 1000 tickets evenly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.shuffledSubarray([...Array(12).keys()].map((i) => i + 1), { minLength: 12, maxLength: 12 }), (n, shuffled) => {
        const pool = shuffled.slice(0, n).map((i) => agent(i * 7));
        const counts = new Map<string, number>();
        let cursor: string | null = null;
        for (let i = 0; i < 1000; i++) {
          const { order } = rankCandidates(plan(), pool, cursor);
          expect(order).toHaveLength(n);
          const chosen = order[0]!.id;
          counts.set(chosen, (counts.get(chosen) ?? 0) + 1);
          cursor = chosen;
        }
        expect(counts.size).toBe(n);
        for (const c of counts.values()) expect([Math.floor(1000 / n), Math.ceil(1000 / n)]).toContain(c);
        expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(1000);
      }),
      { numRuns: 50 },
    );
  });
});

describe('rankCandidates — least busy and skill based', () => {
  const t = (iso: string) => new Date(iso);

  it.each(['least_busy', 'skill_based'] as const)('%s orders by load, then oldest assignment (never first), then id', (method) => {
    const pool = [
      agent(1, { load: 2, lastAssignedAt: t('2024-01-01T00:00:00Z') }),
      agent(2, { load: 1, lastAssignedAt: t('2024-01-03T00:00:00Z') }),
      agent(3, { load: 1, lastAssignedAt: t('2024-01-02T00:00:00Z') }),
      agent(4, { load: 1, lastAssignedAt: null }),
      agent(5, { load: 0, lastAssignedAt: t('2024-01-05T00:00:00Z') }),
      agent(6, { load: 1, lastAssignedAt: null }),
      agent(7, { load: 1, lastAssignedAt: t('2024-01-02T00:00:00Z') }),
      agent(8, { load: 0, lastAssignedAt: t('2024-01-05T00:00:00Z'), status: 'busy' }),
    ];
    const { order } = rankCandidates(plan({ method }), [...pool].reverse(), uuid(1));
    expect(ids(order)).toEqual([5, 4, 6, 3, 7, 2, 1].map(uuid));
  });

  it('ignores the cursor', () => {
    const pool = [agent(1, { load: 0 }), agent(2, { load: 0 }), agent(3, { load: 0 })];
    expect(ids(rankCandidates(plan({ method: 'least_busy' }), pool, uuid(1)).order)).toEqual([1, 2, 3].map(uuid));
  });

  it('leaves out agents at capacity', () => {
    const pool = [agent(1, { load: 5, capacity: 5 }), agent(2, { load: 4, capacity: 5 })];
    expect(ids(rankCandidates(plan({ method: 'least_busy' }), pool, null).order)).toEqual([uuid(2)]);
  });
});

describe('rankCandidates — specific agent and group', () => {
  it('specific agent tries only that agent', () => {
    const pool = [agent(1), agent(2, { load: 0 }), agent(3)];
    const r = rankCandidates(plan({ method: 'specific_agent', agentId: uuid(2) }), pool, null);
    expect(ids(r.order)).toEqual([uuid(2)]);
    expect(r.candidates).toHaveLength(3);
  });

  it('specific agent who is not eligible gives an empty order', () => {
    const pool = [agent(1), agent(2, { status: 'away' })];
    const r = rankCandidates(plan({ method: 'specific_agent', agentId: uuid(2) }), pool, null);
    expect(r.order).toEqual([]);
    expect(r.candidates.find((c) => c.agentId === uuid(2))?.reason).toBe('away');
    expect(rankCandidates(plan({ method: 'specific_agent', agentId: null }), pool, null).order).toEqual([]);
    expect(rankCandidates(plan({ method: 'specific_agent', agentId: uuid(9) }), pool, null).order).toEqual([]);
  });

  it('group (no auto-assignment) gives an empty order but lists candidates with reasons', () => {
    const pool = [agent(2), agent(1, { status: 'offline' }), agent(3, { load: 10 })];
    const r = rankCandidates(plan({ method: 'group', group: 'billing', autoAssign: false }), pool, null);
    expect(r.order).toEqual([]);
    expect(r.candidates.map((c) => [c.agentId, c.reason])).toEqual([
      [uuid(1), 'offline'],
      [uuid(2), 'eligible'],
      [uuid(3), 'at_capacity'],
    ]);
  });
});

describe('recordCandidates', () => {
  const cand = (n: number, reason: Reason, over: Partial<Candidate> = {}): Candidate => ({
    agentId: uuid(n), name: `Agent ${n}`, eligible: reason === 'eligible', reason, load: 0, capacity: 10, ...over,
  });

  it('marks the chosen agent and puts it first, then at capacity, eligible, other reasons', () => {
    const input = [cand(1, 'away'), cand(2, 'eligible'), cand(3, 'at_capacity'), cand(4, 'eligible'), cand(5, 'offline'), cand(6, 'at_capacity')];
    const snapshot = structuredClone(input);
    const r = recordCandidates(input, uuid(4));
    expect(r.candidates.map((c) => [c.agentId, c.reason])).toEqual([
      [uuid(4), 'chosen'],
      [uuid(3), 'at_capacity'],
      [uuid(6), 'at_capacity'],
      [uuid(2), 'eligible'],
      [uuid(1), 'away'],
      [uuid(5), 'offline'],
    ]);
    expect(r.unlisted).toBe(0);
    expect(r.candidates[0]).toEqual({ ...cand(4, 'eligible'), reason: 'chosen' });
    expect(input).toEqual(snapshot); // the input is left alone
  });

  it('with nobody chosen marks nobody', () => {
    const r = recordCandidates([cand(1, 'eligible'), cand(2, 'busy')], null);
    expect(r.candidates.map((c) => c.reason)).toEqual(['eligible', 'busy']);
  });

  it(`keeps every agent passed over with its reason, and only the ${RECORDED_RUNNERS_UP} eligible ones next in the order after the chosen`, () => {
    expect(RECORDED_RUNNERS_UP).toBe(3);
    // ten eligible agents tried in the order 5, 6, … 10, 1, … 4 (a round robin past agent 4); 11 and 12 offline, 13 full
    const input = [...Array.from({ length: 10 }, (_, i) => cand(i + 1, 'eligible')), cand(11, 'offline'), cand(12, 'away'), cand(13, 'at_capacity')];
    const order = [5, 6, 7, 8, 9, 10, 1, 2, 3, 4].map(uuid);
    const r = recordCandidates(input, uuid(9), order);
    expect(r.candidates.map((c) => [c.agentId, c.reason])).toEqual([
      [uuid(9), 'chosen'],
      [uuid(13), 'at_capacity'],
      [uuid(10), 'eligible'],
      [uuid(1), 'eligible'],
      [uuid(2), 'eligible'],
      [uuid(11), 'offline'],
      [uuid(12), 'away'],
    ]);
    expect(r.unlisted).toBe(6);
    // nobody chosen (all busy when claimed): the first in the order are the ones kept
    const none = recordCandidates(input, null, order);
    expect(none.candidates.filter((c) => c.eligible).map((c) => c.agentId)).toEqual([5, 6, 7].map(uuid));
    expect(none.unlisted).toBe(7);
  });

  it('markCandidates lists them all in the same order (what the simulator shows)', () => {
    const input = Array.from({ length: 6 }, (_, i) => cand(i + 1, i === 5 ? 'busy' : 'eligible'));
    const all = markCandidates(input, uuid(3), [1, 2, 3, 4, 5].map(uuid));
    expect(all.map((c) => [c.agentId, c.reason])).toEqual([
      [uuid(3), 'chosen'], [uuid(4), 'eligible'], [uuid(5), 'eligible'], [uuid(1), 'eligible'], [uuid(2), 'eligible'], [uuid(6), 'busy'],
    ]);
  });

  it(`caps at ${MAX_RECORDED_CANDIDATES}, keeping the chosen even when it came last`, () => {
    expect(MAX_RECORDED_CANDIDATES).toBe(50);
    const many = Array.from({ length: 120 }, (_, i) => cand(i + 1, i % 2 ? 'offline' : 'eligible'));
    const r = recordCandidates(many, uuid(120));
    expect(r.candidates).toHaveLength(MAX_RECORDED_CANDIDATES);
    expect(r.candidates[0]).toMatchObject({ agentId: uuid(120), reason: 'chosen' });
    expect(r.candidates.slice(1, 4).every((c) => c.reason === 'eligible')).toBe(true);
    expect(r.candidates.slice(4).every((c) => c.reason === 'offline')).toBe(true);
    expect(r.unlisted).toBe(70);
    expect(recordCandidates(many.slice(0, 3), null).candidates).toHaveLength(3);
  });
});

describe('explain', () => {
  const c = (n: number, reason: Reason): Candidate => ({
    agentId: uuid(n), name: `Agent ${n}`, eligible: reason === 'eligible', reason, load: 1, capacity: 5,
  });

  it('names the rule, method, group, skills and the chosen agent', () => {
    const p = plan({ ruleId: uuid(1001), ruleName: 'VIP billing', method: 'skill_based', group: 'billing', skills: ['billing', 'vat'] });
    expect(explain(p, { name: 'Dana' }, [c(1, 'eligible')])).toBe('Rule "VIP billing": skill based in billing (skills billing, vat): assigned to Dana');
  });

  it('mentions skipped agents with their reasons', () => {
    const p = plan({ ruleId: uuid(1001), ruleName: 'Tech', method: 'least_busy', group: 'tech' });
    const text = explain(p, { name: 'Agent 3' }, [c(1, 'at_capacity'), c(2, 'away'), c(3, 'chosen'), c(4, 'eligible'), c(5, 'missing_skill')]);
    expect(text).toBe('Rule "Tech": least busy in tech: assigned to Agent 3; skipped Agent 1 (at capacity), Agent 2 (away), Agent 5 (missing skill)');
  });

  it('mentions at most five skipped agents', () => {
    const all = Array.from({ length: 8 }, (_, i) => c(i + 1, 'offline'));
    const text = explain(plan(), null, all);
    expect(text).toContain('Agent 5 (offline)');
    expect(text).not.toContain('Agent 6');
  });

  it('without a matching rule says so', () => {
    expect(explain(plan(), { name: 'Sam' }, [])).toBe('No rule matched: round robin over all agents: assigned to Sam');
  });

  it('says the ticket waits in the queue when nobody is free', () => {
    const p = plan({ ruleId: uuid(1001), ruleName: 'Billing', method: 'round_robin', group: 'billing' });
    expect(explain(p, null, [c(1, 'busy'), c(2, 'offline')])).toBe(
      'Rule "Billing": round robin in billing: no agent free, waits in the queue; skipped Agent 1 (busy), Agent 2 (offline)',
    );
    expect(explain(p, null, [])).toBe('Rule "Billing": round robin in billing: no agent free, waits in the queue');
  });

  it('a group queue waits for an agent to take it', () => {
    const p = plan({ ruleId: uuid(1001), ruleName: 'Sales', method: 'group', group: 'sales', autoAssign: false });
    expect(explain(p, null, [c(1, 'eligible')])).toBe('Rule "Sales": group in sales: waits in the queue for an agent to take it');
  });

  it('names a specific agent plan', () => {
    const p = plan({ ruleId: uuid(1001), ruleName: 'Key account', method: 'specific_agent', agentId: uuid(7) });
    expect(explain(p, { name: 'Agent 7' }, [c(7, 'chosen')])).toBe('Rule "Key account": specific agent: assigned to Agent 7');
  });
});

describe('review fixes', () => {
  it('matches an organization id in a rule case-insensitively', () => {
    expect(matchesRule({ organizations: [ORG.toUpperCase()] }, facts({ organization: { id: ORG, name: 'Acme' } }))).toBe(true);
  });

  it('writes every underscore of a reason as a space', () => {
    const text = explain(plan(), null, [{ agentId: uuid(1), name: 'Bob', eligible: false, reason: 'not_in_group', load: null, capacity: 5 }]);
    expect(text).toContain('Bob (not in group)');
  });
});
