/**
 * SLA policy matching and targets as pure functions: which policy applies to a
 * ticket (the first active one by position whose given condition lists all
 * match) and its minutes for the ticket's priority.
 */
import { describe, expect, it } from 'vitest';
import { matchPolicy, policyMatches, targetsFor, type SlaConditions, type SlaFacts, type SlaPolicy } from '../../src/domain/sla/policy.ts';

const ORG = { id: '7d0c6c44-1b9e-4a55-9a8e-3f1f0f4f2a10', name: 'Acme Corp' };

/** A ticket that every condition below can be checked against. */
const facts = (over: Partial<SlaFacts> = {}): SlaFacts => ({
  priority: 'high',
  category: 'billing',
  tier: 'premium',
  organization: ORG,
  group: 'billing-team',
  source: 'email',
  channel: 'support-inbox',
  tags: ['vip', 'invoice'],
  ...over,
});

let n = 0;
const policy = (over: Partial<SlaPolicy> = {}): SlaPolicy => ({
  id: `p${++n}`,
  name: `Policy ${n}`,
  position: n,
  isActive: true,
  conditions: {},
  calendarId: null,
  firstResponseMinutes: 60,
  nextResponseMinutes: 240,
  resolutionMinutes: 1440,
  targetsByPriority: {},
  warnAtPercent: 80,
  escalation: {},
  ...over,
});

describe('policyMatches', () => {
  it('{} matches every ticket, and so do empty lists', () => {
    expect(policyMatches({}, facts())).toBe(true);
    expect(policyMatches({}, facts({ organization: null, group: null, channel: null, tags: [] }))).toBe(true);
    const empty: SlaConditions = { priorities: [], categories: [], tiers: [], organizations: [], groups: [], sources: [], tags: [] };
    expect(policyMatches(empty, facts({ organization: null, group: null, tags: [] }))).toBe(true);
  });

  it.each<[keyof SlaConditions, string[], string[]]>([
    ['priorities', ['critical', 'high'], ['critical', 'low']],
    ['categories', ['billing'], ['technical', 'account']],
    ['tiers', ['premium', 'enterprise'], ['free', 'standard']],
    ['groups', ['billing-team'], ['tier-2']],
  ])('%s: matches when the ticket’s value is listed, not otherwise', (key, hit, miss) => {
    expect(policyMatches({ [key]: hit }, facts())).toBe(true);
    expect(policyMatches({ [key]: miss }, facts())).toBe(false);
  });

  it('compares case-insensitively, both ways', () => {
    expect(policyMatches({ priorities: ['HIGH'], categories: ['Billing'], tiers: ['PREMIUM'], groups: ['Billing-Team'] }, facts())).toBe(true);
    expect(policyMatches({ categories: ['billing'] }, facts({ category: 'BILLING' }))).toBe(true);
    expect(policyMatches({ sources: ['EMAIL'] }, facts())).toBe(true);
    expect(policyMatches({ tags: ['VIP'] }, facts())).toBe(true);
    expect(policyMatches({ organizations: ['acme corp'] }, facts())).toBe(true);
  });

  it('organizations: by id or by name; a ticket without an organization never matches', () => {
    expect(policyMatches({ organizations: [ORG.id] }, facts())).toBe(true);
    expect(policyMatches({ organizations: [ORG.id.toUpperCase()] }, facts())).toBe(true);
    expect(policyMatches({ organizations: ['Acme Corp'] }, facts())).toBe(true);
    expect(policyMatches({ organizations: ['Globex', ORG.name] }, facts())).toBe(true);
    expect(policyMatches({ organizations: ['Globex', '00000000-0000-4000-8000-000000000000'] }, facts())).toBe(false);
    expect(policyMatches({ organizations: ['Acme Corp'] }, facts({ organization: null }))).toBe(false);
  });

  it('groups: a ticket in no group never matches a group list', () => {
    expect(policyMatches({ groups: ['billing-team'] }, facts({ group: null }))).toBe(false);
  });

  it('sources: the ticket’s source or its channel', () => {
    expect(policyMatches({ sources: ['email'] }, facts())).toBe(true);
    expect(policyMatches({ sources: ['support-inbox'] }, facts())).toBe(true);
    expect(policyMatches({ sources: ['Support-Inbox'] }, facts({ source: 'api' }))).toBe(true);
    expect(policyMatches({ sources: ['chat', 'phone'] }, facts())).toBe(false);
    expect(policyMatches({ sources: ['support-inbox'] }, facts({ channel: null }))).toBe(false);
  });

  it('tags: any of the listed tags is enough; a ticket without tags never matches', () => {
    expect(policyMatches({ tags: ['invoice'] }, facts())).toBe(true);
    expect(policyMatches({ tags: ['outage', 'vip'] }, facts())).toBe(true);
    expect(policyMatches({ tags: ['outage', 'refund'] }, facts())).toBe(false);
    expect(policyMatches({ tags: ['vip'] }, facts({ tags: [] }))).toBe(false);
  });

  it('all given lists must match (AND across lists, OR within one)', () => {
    const c: SlaConditions = { priorities: ['high', 'critical'], tiers: ['premium'], sources: ['email'], tags: ['vip'] };
    expect(policyMatches(c, facts())).toBe(true);
    expect(policyMatches(c, facts({ priority: 'normal' }))).toBe(false);
    expect(policyMatches(c, facts({ tier: 'free' }))).toBe(false);
    expect(policyMatches(c, facts({ source: 'web', channel: null }))).toBe(false);
    expect(policyMatches(c, facts({ tags: ['invoice'] }))).toBe(false);
    // every single list matching on its own is not enough when one fails
    expect(policyMatches({ ...c, categories: ['technical'] }, facts())).toBe(false);
  });
});

describe('matchPolicy', () => {
  it('returns undefined when no policy is given or none matches', () => {
    expect(matchPolicy([], facts())).toBeUndefined();
    expect(matchPolicy([policy({ conditions: { tiers: ['free'] } })], facts())).toBeUndefined();
  });

  it('takes the first matching policy by position, whatever the array order', () => {
    const catchAll = policy({ name: 'catch-all', position: 100 });
    const vip = policy({ name: 'vip', position: 1, conditions: { tags: ['vip'] } });
    const premium = policy({ name: 'premium', position: 5, conditions: { tiers: ['premium'] } });
    for (const order of [[catchAll, vip, premium], [premium, catchAll, vip], [vip, premium, catchAll]]) {
      expect(matchPolicy(order, facts())?.name).toBe('vip');
      expect(matchPolicy(order, facts({ tags: [] }))?.name).toBe('premium');
      expect(matchPolicy(order, facts({ tags: [], tier: 'free' }))?.name).toBe('catch-all');
    }
  });

  it('handles negative positions and does not reorder the array it is given', () => {
    const late = policy({ name: 'late', position: 0 });
    const early = policy({ name: 'early', position: -10 });
    const list = [late, early];
    expect(matchPolicy(list, facts())?.name).toBe('early');
    expect(list.map((p) => p.name)).toEqual(['late', 'early']);
  });

  it('skips inactive policies, even when they come first and match', () => {
    const off = policy({ name: 'off', position: 0, isActive: false });
    const on = policy({ name: 'on', position: 10 });
    expect(matchPolicy([off, on], facts())?.name).toBe('on');
    expect(matchPolicy([off], facts())).toBeUndefined();
  });
});

describe('targetsFor', () => {
  const base = policy({
    firstResponseMinutes: 60,
    nextResponseMinutes: 240,
    resolutionMinutes: 1440,
    targetsByPriority: {
      critical: { firstResponseMinutes: 15, nextResponseMinutes: 30, resolutionMinutes: 240 },
      high: { firstResponseMinutes: 30 },
      low: { nextResponseMinutes: null },
    },
  });

  it('a priority without an override gets the defaults', () => {
    expect(targetsFor(base, 'normal')).toEqual({ firstResponseMinutes: 60, nextResponseMinutes: 240, resolutionMinutes: 1440 });
    expect(targetsFor(policy({ targetsByPriority: {} }), 'critical')).toEqual({ firstResponseMinutes: 60, nextResponseMinutes: 240, resolutionMinutes: 1440 });
  });

  it('a full override replaces every default', () => {
    expect(targetsFor(base, 'critical')).toEqual({ firstResponseMinutes: 15, nextResponseMinutes: 30, resolutionMinutes: 240 });
  });

  it('a partial override replaces only what it names', () => {
    expect(targetsFor(base, 'high')).toEqual({ firstResponseMinutes: 30, nextResponseMinutes: 240, resolutionMinutes: 1440 });
  });

  it('nextResponseMinutes: null in an override drops the target; undefined inherits it', () => {
    expect(targetsFor(base, 'low')).toEqual({ firstResponseMinutes: 60, nextResponseMinutes: null, resolutionMinutes: 1440 });
    const inherits = policy({ nextResponseMinutes: 120, targetsByPriority: { low: { nextResponseMinutes: undefined, resolutionMinutes: 10 } } });
    expect(targetsFor(inherits, 'low')).toEqual({ firstResponseMinutes: 60, nextResponseMinutes: 120, resolutionMinutes: 10 });
  });

  it('a policy without a next-response target keeps none unless a priority sets one', () => {
    const none = policy({ nextResponseMinutes: null, targetsByPriority: { critical: { nextResponseMinutes: 20 } } });
    expect(targetsFor(none, 'normal').nextResponseMinutes).toBeNull();
    expect(targetsFor(none, 'critical').nextResponseMinutes).toBe(20);
  });
});
