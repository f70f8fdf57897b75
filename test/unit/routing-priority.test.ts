import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  containsPhrase, DEFAULT_PRIORITY_SETTINGS, PrioritySettings, scorePriority, type PriorityInput, type PrioritySettings as Settings,
} from '../../src/domain/routing/priority.ts';
import type { TicketPriority } from '../../src/domain/tickets/lifecycle.ts';

const NOW = new Date('2024-06-01T12:00:00.000Z');
const HOUR = 3600_000;

/** A ticket that scores nothing but its category (free tier, no keywords, no history). */
const input = (over: Partial<PriorityInput> = {}): PriorityInput => ({
  tier: 'free',
  category: 'general',
  subject: 'Question about my plan',
  description: 'Hello, I would like to know more.',
  attachments: 0,
  recentTickets: 0,
  lastTicketAt: null,
  now: NOW,
  ...over,
});

const settings = (over: Partial<Settings> = {}): Settings => ({ ...structuredClone(DEFAULT_PRIORITY_SETTINGS), ...over });

/** Settings where only the category counts, so the score is exactly `points`. */
const onlyCategory = (points: number, over: Partial<Settings> = {}): Settings =>
  settings({ tiers: { free: 0, standard: 0, premium: 0, enterprise: 0 }, categories: { exact: points }, otherCategory: 0, ...over });

const sum = (r: { factors: { points: number }[] }) => r.factors.reduce((s, f) => s + f.points, 0);

const levelFor = (score: number, t: Settings['thresholds']): TicketPriority =>
  score >= t.critical ? 'critical' : score >= t.high ? 'high' : score >= t.normal ? 'normal' : 'low';

describe('DEFAULT_PRIORITY_SETTINGS', () => {
  it('are valid settings for the schema', () => {
    expect(PrioritySettings.safeParse(DEFAULT_PRIORITY_SETTINGS).success).toBe(true);
  });

  it('reject thresholds that are not strictly decreasing', () => {
    const bad = settings({ thresholds: { critical: 60, high: 60, normal: 40 } });
    expect(PrioritySettings.safeParse(bad).success).toBe(false);
  });
});

describe('scorePriority — tier points', () => {
  it.each([
    ['enterprise', 30],
    ['premium', 20],
    ['standard', 10],
  ] as const)('%s adds %i points', (tier, points) => {
    const r = scorePriority(input({ tier }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.factors).toContainEqual({ factor: 'tier', detail: tier, points });
    expect(r.score).toBe(points + 10); // + general
  });

  it('free adds nothing and is not listed as a factor', () => {
    const r = scorePriority(input({ tier: 'free' }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.factors.find((f) => f.factor === 'tier')).toBeUndefined();
    expect(r.score).toBe(10);
  });
});

describe('scorePriority — category points', () => {
  it.each([
    ['billing', 50],
    ['technical', 40],
    ['account', 30],
    ['feature_request', 20],
    ['general', 10],
    ['shipping', 10], // unknown category
    ['toString', 10], // inherited object keys are not categories
    ['constructor', 10],
  ])('%s adds %i points', (category, points) => {
    const r = scorePriority(input({ category }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.factors).toEqual([{ factor: 'category', detail: category, points }]);
    expect(r.score).toBe(points);
  });
});

describe('scorePriority — urgent keywords', () => {
  const keywords = (r: ReturnType<typeof scorePriority>) => r.factors.filter((f) => f.factor === 'keyword').map((f) => f.detail);

  it.each(DEFAULT_PRIORITY_SETTINGS.urgentKeywords)('"%s" in the subject adds 15', (k) => {
    const r = scorePriority(input({ subject: `Help: ${k} here`, description: 'nothing else' }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.factors).toContainEqual({ factor: 'keyword', detail: k, points: 15 });
    expect(r.score).toBe(10 + 15);
  });

  it.each(DEFAULT_PRIORITY_SETTINGS.urgentKeywords)('"%s" in the description adds 15', (k) => {
    const r = scorePriority(input({ subject: 'Hello', description: `It is ${k.toUpperCase()}.` }), DEFAULT_PRIORITY_SETTINGS);
    expect(keywords(r)).toEqual([k]);
    expect(r.score).toBe(25);
  });

  it('counts each distinct keyword once, however often it appears', () => {
    const r = scorePriority(
      input({ subject: 'URGENT urgent Urgent', description: 'urgent! the server is down, down, DOWN' }),
      DEFAULT_PRIORITY_SETTINGS,
    );
    expect(keywords(r)).toEqual(['urgent', 'down']);
    expect(r.score).toBe(10 + 30);
  });

  it('adds 15 for every different keyword', () => {
    const r = scorePriority(
      input({ subject: 'Urgent: emergency', description: 'Critical error, site is down and broken. Need it ASAP, immediate fix.' }),
      DEFAULT_PRIORITY_SETTINGS,
    );
    expect(keywords(r).sort()).toEqual(['asap', 'broken', 'critical', 'down', 'emergency', 'error', 'immediate', 'urgent']);
    expect(r.score).toBe(10 + 8 * 15);
    expect(r.calculated).toBe('critical');
  });

  it('matches keywords split between subject and description independently', () => {
    const r = scorePriority(input({ subject: 'urgent', description: 'error' }), DEFAULT_PRIORITY_SETTINGS);
    expect(keywords(r)).toEqual(['urgent', 'error']);
  });

  it('does not find a phrase split between the end of the subject and the start of the description', () => {
    const r = scorePriority(input({ subject: 'I cannot', description: 'access' }), DEFAULT_PRIORITY_SETTINGS);
    expect(keywords(r)).toEqual([]);
    // but the subject and description are not glued into one word
    expect(keywords(scorePriority(input({ subject: 'down', description: 'load' }), DEFAULT_PRIORITY_SETTINGS))).toEqual(['down']);
    expect(keywords(scorePriority(input({ subject: 'err', description: 'or' }), DEFAULT_PRIORITY_SETTINGS))).toEqual([]);
  });

  it.each([
    ['download', 'down'],
    ['downtime', 'down'],
    ['errors', 'error'],
    ['terrorist', 'error'],
    ['errorá', 'error'],
    ['áerror', 'error'],
    ['error2', 'error'],
    ['error_code', 'error'],
    ['unbroken', 'broken'],
    ['urgently', 'urgent'],
    ['criticality', 'critical'],
    ['cannot accessed', 'cannot access'],
    ['cannotaccess', 'cannot access'],
    ['not workingday', 'not working'],
  ])('"%s" does not count as "%s"', (text, k) => {
    const r = scorePriority(input({ subject: text, description: '' }), DEFAULT_PRIORITY_SETTINGS);
    expect(keywords(r)).not.toContain(k);
    expect(r.score).toBe(10);
  });

  it.each([
    ['cannot   access', 'cannot access'],
    ['cannot\taccess', 'cannot access'],
    ['CANNOT\n\naccess', 'cannot access'],
    ['it is not\r\nworking', 'not working'],
    ['Not Working!', 'not working'],
    ['(down)', 'down'],
    ['shut-down', 'down'],
    ['error: 500', 'error'],
    ['«urgent»', 'urgent'],
  ])('"%s" counts as "%s"', (text, k) => {
    const r = scorePriority(input({ subject: '', description: text }), DEFAULT_PRIORITY_SETTINGS);
    expect(keywords(r)).toEqual([k]);
    expect(r.score).toBe(25);
  });

  it('lower-cases configured keywords and counts duplicates in the list once', () => {
    const s = settings({ urgentKeywords: ['Outage', 'OUTAGE', 'outage'], keywordPoints: 7 });
    const r = scorePriority(input({ subject: 'major outage' }), s);
    expect(r.factors).toEqual([
      { factor: 'category', detail: 'general', points: 10 },
      { factor: 'keyword', detail: 'outage', points: 7 },
    ]);
    expect(r.score).toBe(17);
  });

  it('treats regular-expression characters in keywords literally', () => {
    const s = settings({ urgentKeywords: ['p1 (sev)', 'a.b'] });
    expect(scorePriority(input({ subject: 'this is p1 (sev)' }), s).score).toBe(25);
    expect(scorePriority(input({ subject: 'this is p1 sev' }), s).score).toBe(10);
    expect(scorePriority(input({ subject: 'axb' }), s).score).toBe(10);
    expect(scorePriority(input({ subject: 'a.b' }), s).score).toBe(25);
  });
});

describe('scorePriority — attachments and requester history', () => {
  it.each([
    [0, 0],
    [1, 5],
    [7, 5],
  ])('%i attachments add %i', (attachments, points) => {
    const r = scorePriority(input({ attachments }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.score).toBe(10 + points);
    const f = r.factors.find((x) => x.factor === 'attachments');
    if (points) expect(f).toEqual({ factor: 'attachments', detail: String(attachments), points: 5 });
    else expect(f).toBeUndefined();
  });

  it.each([
    [0, 0],
    [5, 0],
    [6, 10],
    [40, 10],
  ])('%i recent tickets add %i', (recentTickets, points) => {
    const r = scorePriority(input({ recentTickets }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.score).toBe(10 + points);
    const f = r.factors.find((x) => x.factor === 'frequent_requester');
    if (points) expect(f).toEqual({ factor: 'frequent_requester', detail: `${recentTickets} tickets in 30 days`, points: 10 });
    else expect(f).toBeUndefined();
  });

  it.each([
    ['no previous ticket', null, 0],
    ['1 minute ago', new Date(NOW.getTime() - 60_000), 5],
    ['23h59m59.999s ago', new Date(NOW.getTime() - 24 * HOUR + 1), 5],
    ['exactly 24 h ago', new Date(NOW.getTime() - 24 * HOUR), 0],
    ['25 h ago', new Date(NOW.getTime() - 25 * HOUR), 0],
  ])('previous ticket %s adds the right points', (_label, lastTicketAt, points) => {
    const r = scorePriority(input({ lastTicketAt }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.score).toBe(10 + points);
    const f = r.factors.find((x) => x.factor === 'repeat_requester');
    if (points) expect(f).toEqual({ factor: 'repeat_requester', detail: `previous ticket ${lastTicketAt!.toISOString()}`, points: 5 });
    else expect(f).toBeUndefined();
  });

  it('uses the configured window and thresholds', () => {
    const s = settings({ frequentRequesterTickets: 1, recentWindowDays: 7, frequentRequesterPoints: 3, repeatWithinHours: 1, repeatPoints: 2 });
    const r = scorePriority(input({ recentTickets: 2, lastTicketAt: new Date(NOW.getTime() - 30 * 60_000) }), s);
    expect(r.factors).toEqual([
      { factor: 'category', detail: 'general', points: 10 },
      { factor: 'frequent_requester', detail: '2 tickets in 7 days', points: 3 },
      { factor: 'repeat_requester', detail: `previous ticket ${new Date(NOW.getTime() - 30 * 60_000).toISOString()}`, points: 2 },
    ]);
    expect(r.score).toBe(15);
    // two hours ago is outside a 1-hour repeat window
    expect(scorePriority(input({ lastTicketAt: new Date(NOW.getTime() - 2 * HOUR) }), s).score).toBe(10);
  });
});

describe('scorePriority — thresholds', () => {
  it.each([
    [79, 'high'],
    [80, 'critical'],
    [59, 'normal'],
    [60, 'high'],
    [39, 'low'],
    [40, 'normal'],
    [0, 'low'],
    [-5, 'low'],
    [1000, 'critical'],
  ] as const)('score %i is %s', (points, level) => {
    const r = scorePriority(input({ category: 'exact' }), onlyCategory(points));
    expect(r.score).toBe(points);
    expect(r.calculated).toBe(level);
    expect(r.priority).toBe(level);
    expect(r.source).toBe('calculated');
  });

  it.each([
    // default weights, tickets the seed describes
    ['enterprise billing, nothing else', input({ tier: 'enterprise', category: 'billing' }), 80, 'critical'],
    ['enterprise billing with an attachment', input({ tier: 'enterprise', category: 'billing', attachments: 1 }), 85, 'critical'],
    ['premium technical', input({ tier: 'premium', category: 'technical' }), 60, 'high'],
    ['standard billing', input({ tier: 'standard', category: 'billing' }), 60, 'high'],
    ['standard technical with attachment', input({ tier: 'standard', category: 'technical', attachments: 2 }), 55, 'normal'],
    ['free technical', input({ tier: 'free', category: 'technical' }), 40, 'normal'],
    ['free account', input({ tier: 'free', category: 'account' }), 30, 'low'],
    ['free feature request', input({ tier: 'free', category: 'feature_request' }), 20, 'low'],
    [
      'enterprise technical "URGENT: production server down" with a screenshot, frequent and repeat requester',
      input({
        tier: 'enterprise', category: 'technical', subject: 'URGENT: production server down', description: 'We cannot access anything.',
        attachments: 1, recentTickets: 6, lastTicketAt: new Date(NOW.getTime() - 2 * HOUR),
      }),
      30 + 40 + 15 * 3 + 5 + 10 + 5,
      'critical',
    ],
    [
      'premium account "password reset not working"',
      input({ tier: 'premium', category: 'account', subject: 'Password reset not working', description: 'I tried twice.' }),
      20 + 30 + 15,
      'high',
    ],
    [
      'free general "feature is broken"',
      input({ tier: 'free', category: 'general', subject: 'Feature is broken', description: 'See title' }),
      25,
      'low',
    ],
  ] as const)('%s → %i (%s)', (_label, i, score, level) => {
    const r = scorePriority(i, DEFAULT_PRIORITY_SETTINGS);
    expect(r.score).toBe(score);
    expect(r.calculated).toBe(level);
    expect(sum(r)).toBe(r.score);
  });

  it('79/80 with default weights and a custom attachment weight', () => {
    const s = settings({ attachmentPoints: -1 });
    expect(scorePriority(input({ tier: 'enterprise', category: 'billing', attachments: 1 }), s)).toMatchObject({ score: 79, calculated: 'high' });
    expect(scorePriority(input({ tier: 'enterprise', category: 'billing' }), s)).toMatchObject({ score: 80, calculated: 'critical' });
  });

  it('custom thresholds move the levels', () => {
    const s = settings({ thresholds: { critical: 100, high: 50, normal: 11 } });
    expect(scorePriority(input({ tier: 'enterprise', category: 'billing' }), s).calculated).toBe('high'); // 80
    expect(scorePriority(input({ category: 'general' }), s).calculated).toBe('low'); // 10
    expect(scorePriority(input({ category: 'general', attachments: 1 }), s).calculated).toBe('normal'); // 15
    expect(scorePriority(input({ tier: 'enterprise', category: 'billing', subject: 'urgent asap' }), s).calculated).toBe('critical'); // 110
  });
});

describe('scorePriority — explicit priority', () => {
  it.each(['critical', 'high', 'normal', 'low'] as const)('keeps an explicit %s when explicitPriorityWins', (explicit) => {
    const r = scorePriority(input({ tier: 'premium', category: 'technical', explicit }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.priority).toBe(explicit);
    expect(r.source).toBe('explicit');
    expect(r.calculated).toBe('high');
    expect(r.score).toBe(60);
  });

  it('replaces the explicit priority when explicitPriorityWins is false', () => {
    const s = settings({ explicitPriorityWins: false });
    const r = scorePriority(input({ tier: 'premium', category: 'technical', explicit: 'low' }), s);
    expect(r.priority).toBe('high');
    expect(r.calculated).toBe('high');
    expect(r.source).toBe('calculated');
  });

  it('without an explicit priority uses the calculated one, whatever the setting', () => {
    for (const explicitPriorityWins of [true, false]) {
      const r = scorePriority(input({ category: 'billing' }), settings({ explicitPriorityWins }));
      expect(r).toMatchObject({ priority: 'normal', calculated: 'normal', source: 'calculated', score: 50 });
    }
  });
});

describe('scorePriority — custom settings', () => {
  it('different category weights and an unknown-category default', () => {
    const s = settings({ categories: { billing: 5, security: 70 }, otherCategory: 1 });
    expect(scorePriority(input({ category: 'billing' }), s).score).toBe(5);
    expect(scorePriority(input({ category: 'security' }), s)).toMatchObject({ score: 70, calculated: 'high' });
    expect(scorePriority(input({ category: 'technical' }), s).score).toBe(1);
  });

  it('different tier weights', () => {
    const s = settings({ tiers: { free: 100, standard: 0, premium: 0, enterprise: -10 } });
    expect(scorePriority(input({ tier: 'free', category: 'general' }), s)).toMatchObject({ score: 110, calculated: 'critical' });
    const r = scorePriority(input({ tier: 'enterprise', category: 'general' }), s);
    expect(r.score).toBe(0);
    expect(r.factors).toEqual([
      { factor: 'tier', detail: 'enterprise', points: -10 },
      { factor: 'category', detail: 'general', points: 10 },
    ]);
  });

  it('zero-point factors are left out of the list', () => {
    const s = settings({ attachmentPoints: 0, keywordPoints: 0, otherCategory: 0 });
    const r = scorePriority(input({ category: 'other', subject: 'urgent', attachments: 3 }), s);
    expect(r.factors).toEqual([]);
    expect(r.score).toBe(0);
    expect(r.calculated).toBe('low');
  });

  it('no urgent keywords at all', () => {
    const r = scorePriority(input({ subject: 'urgent emergency' }), settings({ urgentKeywords: [] }));
    expect(r.score).toBe(10);
  });
});

describe('scorePriority — factors', () => {
  it('lists every contribution in order, and the score is their sum', () => {
    const last = new Date(NOW.getTime() - HOUR);
    const r = scorePriority(
      input({
        tier: 'premium', category: 'billing', subject: 'Emergency: payment error', description: 'Card declined, not working',
        attachments: 2, recentTickets: 9, lastTicketAt: last,
      }),
      DEFAULT_PRIORITY_SETTINGS,
    );
    expect(r.factors).toEqual([
      { factor: 'tier', detail: 'premium', points: 20 },
      { factor: 'category', detail: 'billing', points: 50 },
      { factor: 'keyword', detail: 'emergency', points: 15 },
      { factor: 'keyword', detail: 'error', points: 15 },
      { factor: 'keyword', detail: 'not working', points: 15 },
      { factor: 'attachments', detail: '2', points: 5 },
      { factor: 'frequent_requester', detail: '9 tickets in 30 days', points: 10 },
      { factor: 'repeat_requester', detail: `previous ticket ${last.toISOString()}`, points: 5 },
    ]);
    expect(r.score).toBe(135);
    expect(sum(r)).toBe(r.score);
    expect(r.calculated).toBe('critical');
  });
});

describe('containsPhrase', () => {
  it.each([
    ['The server is down', 'down', true],
    ['The server is DOWN', 'down', true],
    ['down', 'down', true],
    ['Download failed', 'down', false],
    ['sundown', 'down', false],
    ['down_time', 'down', false],
    ['down5', 'down', false],
    ['5down', 'down', false],
    ['errorá', 'error', false],
    ['éerror', 'error', false],
    ['ошибкаerror', 'error', false],
    ['error.', 'error', true],
    ['"error"', 'error', true],
    ['I cannot access my account', 'cannot access', true],
    ['I cannot  \t access', 'cannot access', true],
    ['I cannot\naccess', 'cannot access', true],
    ['I cannot access', '  cannot   access  ', true],
    ['I cannotaccess', 'cannot access', false],
    ['I cannot-access', 'cannot access', false],
    ['Straße kaputt', 'STRASSE', false],
    ['ÉCHEC total', 'échec', true],
    ['Ошибка сервера', 'ошибка', true],
    ['ошибкасервера', 'ошибка', false],
    ['price $5.00', '$5.00', true],
    ['price $5x00', '$5.00', false],
    ['', 'down', false],
  ])('containsPhrase(%j, %j) is %s', (text, phrase, expected) => {
    expect(containsPhrase(text, phrase)).toBe(expected);
  });
});

describe('scorePriority — properties', () => {
  const tier = fc.constantFrom('free', 'standard', 'premium', 'enterprise' as const);
  const category = fc.oneof(fc.constantFrom('billing', 'technical', 'account', 'feature_request', 'general'), fc.string());
  const text = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.array(fc.constantFrom(...DEFAULT_PRIORITY_SETTINGS.urgentKeywords, ' ', '\n', 'x', 'á', '_', '(', '[', '\\', '.', '*')).map((xs) => xs.join('')),
  );
  const anyInput = fc.record({
    tier,
    category,
    subject: text,
    description: text,
    attachments: fc.nat({ max: 20 }),
    recentTickets: fc.nat({ max: 50 }),
    lastTicketAt: fc.option(fc.integer({ min: -100 * HOUR, max: 100 * HOUR }).map((d) => new Date(NOW.getTime() - d)), { nil: null }),
    now: fc.constant(NOW),
    explicit: fc.option(fc.constantFrom('critical', 'high', 'normal', 'low' as const), { nil: undefined }),
  });

  it('never throws, the score is the sum of the factors and the priority follows the thresholds', () => {
    fc.assert(
      fc.property(anyInput, fc.boolean(), (i, explicitPriorityWins) => {
        const s = settings({ explicitPriorityWins });
        const r = scorePriority(i, s);
        expect(r.score).toBe(sum(r));
        expect(r.calculated).toBe(levelFor(r.score, s.thresholds));
        for (const f of r.factors) expect(f.points).not.toBe(0);
        const keywordFactors = r.factors.filter((f) => f.factor === 'keyword');
        expect(new Set(keywordFactors.map((f) => f.detail)).size).toBe(keywordFactors.length);
        if (i.explicit !== undefined && explicitPriorityWins) {
          expect(r.priority).toBe(i.explicit);
          expect(r.source).toBe('explicit');
        } else {
          expect(r.priority).toBe(r.calculated);
          expect(r.source).toBe('calculated');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws with arbitrary keywords in the settings', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, unit: 'binary' }).filter((k) => k.trim().length > 0), { maxLength: 10 }), text, (urgentKeywords, subject) => {
        const r = scorePriority(input({ subject, description: '' }), settings({ urgentKeywords }));
        expect(r.score).toBe(sum(r));
        // each found keyword is actually contained in the text
        for (const f of r.factors.filter((x) => x.factor === 'keyword')) expect(containsPhrase(`${subject}\n`, f.detail)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a keyword glued to letters on either side is never counted', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DEFAULT_PRIORITY_SETTINGS.urgentKeywords),
        fc.constantFrom('a', 'Z', 'é', 'ж', '7', '_'),
        fc.boolean(),
        (k, glue, before) => {
          const subject = before ? `${glue}${k}` : `${k}${glue}`;
          expect(scorePriority(input({ subject, description: '' }), DEFAULT_PRIORITY_SETTINGS).score).toBe(10);
        },
      ),
    );
  });
});

describe('scorePriority — review fixes', () => {
  it('scores the category case-insensitively (Billing = billing)', () => {
    const r = scorePriority(input({ category: 'Billing' }), DEFAULT_PRIORITY_SETTINGS);
    expect(r.factors.find((f) => f.factor === 'category')).toEqual({ factor: 'category', detail: 'Billing', points: 50 });
  });

  it('treats a combining mark as part of its word (decomposed é before "error" is not a word boundary)', () => {
    expect(containsPhrase('e\u0301error', 'error')).toBe(false);
    expect(containsPhrase('down\u0303', 'down')).toBe(false);
    expect(containsPhrase('caf\u00e9 error', 'error')).toBe(true);
  });
});
