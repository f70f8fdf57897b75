import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { runSearch, searchStats } from '../../src/domain/search/service.ts';
import { AppError } from '../../src/domain/errors.ts';

/** Terms from the language's grammar, valid and not, glued with random text: what users and attackers type. */
const value = fc.oneof(
  fc.constantFrom('open', 'pending', 'solved', 'high', 'critical', 'me', 'none', 'mine', 'billing', 'vip', 'email', 'enterprise',
    'breached', 'at_risk', 'attachment', '2026-01-01', '7d', '+1h', '2026-02-30', "o'brien", 'a%b_c', '\\', "'; DROP TABLE tickets; --"),
  fc.string({ maxLength: 12 }),
);
const field = fc.constantFrom('status', 'priority', 'assignee', 'group', 'requester', 'organization', 'tier', 'tag', 'category',
  'channel', 'created', 'updated', 'due', 'solved', 'sla_due', 'sla', 'has', 'bogus');
const op = fc.constantFrom(':', '<', '<=', '>', '>=');
const term = fc.oneof(
  fc.tuple(fc.boolean(), field, op, fc.array(value, { minLength: 1, maxLength: 3 }), fc.boolean()).map(
    ([neg, f, o, vs, quote]) => `${neg ? '-' : ''}${f}${o}${vs.map((v) => (quote ? `"${v}"` : v)).join(',')}`,
  ),
  fc.string({ maxLength: 15 }),
  fc.constantFrom('refund', '"card declined"', '-spam', 'or', 'café', '&', '!', '<->', '"', ':', '(', ')'),
);
const query = fc.array(term, { maxLength: 6 }).map((ts) => ts.join(' '));

describe(`search language against the database (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ routing: false });
    await t.request('POST', '/api/v1/tickets', { body: ticketBody({ subject: 'Refund please', tags: ['vip'] }) });
    await t.request('POST', '/api/v1/tickets', { body: ticketBody({ subject: 'Card declined', category: 'billing' }) });
  });
  afterAll(async () => t?.close());

  it('every generated query either runs or is refused as a 400 — PostgreSQL never rejects the SQL', async () => {
    let ran = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('relevance', 'createdAt', 'priority', 'slaDue', 'dueDate') as fc.Arbitrary<'relevance'>, async (q, sortBy) => {
        const scope = { audience: 'agent' as const, actorId: t.admin.id, now: t.clock.now() };
        try {
          const r = await runSearch(t.db, scope, { query: q, sortBy, sortOrder: 'desc', limit: 5 });
          expect(r.total).toBeGreaterThanOrEqual(r.tickets.length);
          const stats = await searchStats(t.db, { ...scope, audience: 'requester', requesterId: '00000000-0000-4000-8000-000000000000' }, q);
          expect(stats.total).toBe(0);
          ran++;
        } catch (err) {
          if (!(err instanceof AppError) || err.status !== 400) throw err;
          refused++;
        }
      }),
      { numRuns: DB_KIND === 'postgres' ? 400 : 200 },
    );
    // the generator reaches both sides
    expect(ran).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});
