import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseQuery, QuerySyntaxError } from '../../src/domain/search/parser.ts';
import { compileQuery, resolveQuery } from '../../src/domain/search/query.ts';
import { AppError } from '../../src/domain/errors.ts';
import { csvCell, parseCsv, toCsv } from '../../src/domain/search/csv.ts';

const now = new Date('2026-03-10T12:00:00Z');
const resolve = (q: string, timezone?: string) => resolveQuery(parseQuery(q), { now, timezone });

function syntaxError(q: string): QuerySyntaxError {
  try {
    resolve(q);
  } catch (err) {
    if (err instanceof QuerySyntaxError) return err;
    throw err;
  }
  throw new Error(`no error for ${q}`);
}

describe('search language: parser', () => {
  it('reads fields, operators, lists, negation, phrases and words with their positions', () => {
    expect(parseQuery('status:open,pending -tag:spam "card declined" refund')).toEqual([
      { kind: 'field', field: 'status', op: ':', negated: false, position: 0, values: [{ text: 'open', position: 7 }, { text: 'pending', position: 12 }] },
      { kind: 'field', field: 'tag', op: ':', negated: true, position: 20, values: [{ text: 'spam', position: 25 }] },
      { kind: 'text', text: 'card declined', phrase: true, negated: false, position: 30 },
      { kind: 'text', text: 'refund', phrase: false, negated: false, position: 46 },
    ]);
    expect(parseQuery('priority>=high')[0]).toMatchObject({ field: 'priority', op: '>=' });
    expect(parseQuery('sla:breached|at_risk')[0]).toMatchObject({ values: [{ text: 'breached' }, { text: 'at_risk' }] });
    expect(parseQuery('organization:"Acme Corp"')[0]).toMatchObject({ values: [{ text: 'Acme Corp', position: 13 }] });
    expect(parseQuery('via:email')[0]).toMatchObject({ field: 'channel' });
  });

  it.each([
    ['"open quote', 0, "closing '\"'"],
    ['status:', 7, 'status value'],
    ['status:open,', 12, 'status value'],
    ['tag:"vip"x', 9, "',', '|'"],
    ['colour:red', 0, 'one of status'],
    ['status:bogus', 7, 'one of new, open'],
    ['priority>high,low', 14, 'white space'],
    ['tier:gold', 5, 'one of free'],
    ['created>2026-02-30', 8, 'a date YYYY-MM-DD'],
    ['created>yesterday', 8, 'relative time'],
    ['tag>vip', 0, "'tag:'"],
    ['has:cats', 4, 'one of attachment'],
  ])('%s → error at %i expecting %s', (q, position, expected) => {
    const err = syntaxError(q);
    expect(err.position).toBe(position);
    expect(err.expected).toContain(expected);
  });

  it('turns errors into the 400 problem with path, message and position', () => {
    try {
      compileQuery('refund status:bogus', { now });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      const e = err as AppError;
      expect(e.status).toBe(400);
      expect(e.errors).toEqual([{ path: 'query', message: expect.stringContaining('position 14'), position: 14, expected: expect.any(String) }]);
    }
  });
});

describe('search language: meaning', () => {
  it('orders statuses and priorities (status<solved is the unresolved ones; critical is the top)', () => {
    expect(resolve('status<solved').clauses[0]).toEqual({ kind: 'status', values: ['new', 'open', 'in_progress', 'pending'], negated: false });
    expect(resolve('status>=solved').clauses[0]).toMatchObject({ values: ['resolved', 'closed', 'cancelled'] });
    expect(resolve('priority>=high').clauses[0]).toMatchObject({ values: ['critical', 'high'] });
    expect(resolve('priority:urgent').clauses[0]).toMatchObject({ values: ['critical'] });
  });

  it('reads dates as whole days in the caller’s zone and relative times against the clock', () => {
    expect(resolve('created>2026-01-01').clauses[0]).toMatchObject({ from: new Date('2026-01-02T00:00:00Z'), fromInclusive: true });
    expect(resolve('created<2026-01-01', 'Europe/Paris').clauses[0]).toMatchObject({ to: new Date('2025-12-31T23:00:00Z'), toInclusive: false });
    expect(resolve('created:2026-01-01').clauses[0]).toMatchObject({ from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-02T00:00:00Z') });
    expect(resolve('updated<7d').clauses[0]).toMatchObject({ to: new Date('2026-03-03T12:00:00Z'), toInclusive: false });
    expect(resolve('sla_due<+1h').clauses[0]).toMatchObject({ field: 'sla_due', to: new Date('2026-03-10T13:00:00Z') });
    expect(resolve('created>4hours').clauses[0]).toMatchObject({ from: new Date('2026-03-10T08:00:00Z') });
    expect(resolve('updated>=2026-03-01T10:00:00+02:00').clauses[0]).toMatchObject({ from: new Date('2026-03-01T08:00:00Z') });
  });

  it('keeps free text for websearch_to_tsquery, and drops text without letters or digits', () => {
    expect(resolve('refund "card declined" -paypal or stripe status:open').text).toBe('refund "card declined" -paypal or stripe');
    expect(resolve('!!! ---').text).toBeNull();
    expect(resolve('assignee:me').text).toBeNull();
  });

  it('never throws anything but QuerySyntaxError, whatever the input (property)', () => {
    const alphabet = fc.constantFrom(...'abc status:tag-"<>=,|open ptiy 7d+2026-01-01 :\\\'é\u0000\u0001'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: alphabet, maxLength: 60 })), (q) => {
        try {
          const r = resolve(q);
          expect(Array.isArray(r.clauses)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(QuerySyntaxError);
          const e = err as QuerySyntaxError;
          expect(e.position).toBeGreaterThanOrEqual(0);
          expect(e.position).toBeLessThanOrEqual(q.length);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('CSV', () => {
  it('round-trips commas, quotes, line breaks and accents; defuses formulas', () => {
    const rows = [['a,b', 'say "hi"', 'two\r\nlines', 'Zoë'], [1, null, ['x', 'y'], '=HYPERLINK("x")']];
    const back = parseCsv(toCsv(['h1', 'h2', 'h3', 'h4'], rows));
    expect(back).toEqual([['h1', 'h2', 'h3', 'h4'], ['a,b', 'say "hi"', 'two\r\nlines', 'Zoë'], ['1', '', 'x;y', `'=HYPERLINK("x")`]]);
    expect(csvCell('-5')).toBe('-5');
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});
