/**
 * The search language's meaning: terms from the parser become typed
 * conditions (statuses from an order, dates resolved to instants in the
 * caller's time zone, relative times against the injected clock). Pure; the
 * repository compiles conditions to SQL with every value bound as a parameter.
 */
import { DateTime } from 'luxon';
import { AppError } from '../errors.ts';
import { TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../tickets/lifecycle.ts';
import { parseQuery, QuerySyntaxError, type Field, type FieldTerm, type Op, type Term } from './parser.ts';

export { QuerySyntaxError } from './parser.ts';

export const TIERS = ['free', 'standard', 'premium', 'enterprise'] as const;
export const SLA_STATES = ['breached', 'at_risk', 'ok'] as const;
export type SlaStateFilter = (typeof SLA_STATES)[number];

/** The order `status<solved` and `status>=pending` follow (cancelled ends like closed). */
const STATUS_ORDER: Record<TicketStatus, number> = { new: 0, open: 1, in_progress: 2, pending: 3, resolved: 4, closed: 5, cancelled: 5 };
const STATUS_ALIASES: Record<string, TicketStatus> = { solved: 'resolved', hold: 'pending', 'on-hold': 'pending', inprogress: 'in_progress', 'in-progress': 'in_progress' };
/** low < normal < high < critical, so `priority>=high` is high and critical. */
const PRIORITY_ORDER: Record<TicketPriority, number> = { low: 0, normal: 1, high: 2, critical: 3 };
const PRIORITY_ALIASES: Record<string, TicketPriority> = { urgent: 'critical' };

export type TimeField = 'created' | 'updated' | 'due' | 'solved' | 'sla_due';

export type Condition =
  | { kind: 'status'; values: TicketStatus[] }
  | { kind: 'priority'; values: TicketPriority[] }
  | { kind: 'assignee'; me: boolean; none: boolean; refs: string[] }
  | { kind: 'group'; mine: boolean; none: boolean; slugs: string[] }
  | { kind: 'requester'; values: string[] }
  | { kind: 'organization'; none: boolean; names: string[] }
  | { kind: 'tier'; values: string[] }
  | { kind: 'tag'; values: string[] }
  | { kind: 'category'; values: string[] }
  | { kind: 'channel'; values: string[] }
  | { kind: 'time'; field: TimeField; from?: Date; fromInclusive: boolean; to?: Date; toInclusive: boolean }
  | { kind: 'sla'; values: SlaStateFilter[] }
  | { kind: 'has'; what: 'attachment' };

/** A condition and whether it was negated (`-tag:spam`). */
export type Clause = Condition & { negated: boolean };

export interface SearchQuery {
  clauses: Clause[];
  /** the free text in websearch_to_tsquery syntax (phrases quoted, exclusions with '-', `or`), or null */
  text: string | null;
}

export interface QueryEnv {
  now: Date;
  /** IANA zone in which dates like 2026-01-01 are days (default UTC) */
  timezone?: string;
}

/** The 400 problem of a query the language cannot read: `errors: [{path: 'query', message, position}]`. */
export function queryError(err: QuerySyntaxError): AppError {
  const errors = [{ path: 'query', message: `${err.message} at position ${err.position}: expected ${err.expected}`, position: err.position, expected: err.expected }];
  return new AppError(400, 'search.query_invalid', 'Invalid search query', `${err.message} (position ${err.position}).`, errors);
}

/** Parses and resolves a query; a malformed one throws the 400 problem. */
export function compileQuery(input: string, env: QueryEnv): SearchQuery {
  try {
    return resolveQuery(parseQuery(input), env);
  } catch (err) {
    if (err instanceof QuerySyntaxError) throw queryError(err);
    throw err;
  }
}

/** Gives the parser's terms their meaning. Throws QuerySyntaxError (with the value's position) for values that mean nothing. */
export function resolveQuery(terms: Term[], env: QueryEnv): SearchQuery {
  const clauses: Clause[] = [];
  const text: string[] = [];
  for (const t of terms) {
    if (t.kind === 'text') {
      // quotes cannot occur inside (the parser ends words and phrases at them)
      const piece = t.phrase ? `"${t.text}"` : t.text;
      text.push(t.negated ? `-${piece}` : piece);
      continue;
    }
    clauses.push({ ...resolveField(t, env), negated: t.negated });
  }
  const joined = text.join(' ');
  // words without a letter or digit give PostgreSQL an empty tsquery, which matches nothing: drop them
  return { clauses, text: /[\p{L}\p{N}]/u.test(joined) ? joined : null };
}

function fail(message: string, position: number, expected: string): never {
  throw new QuerySyntaxError(message, position, expected);
}

function onlyColon(t: FieldTerm): void {
  if (t.op !== ':') fail(`${t.field} takes ':' only`, t.position, `'${t.field}:'`);
}

function lower(t: FieldTerm): string[] {
  return t.values.map((v) => v.text.trim().toLowerCase());
}

function resolveField(t: FieldTerm, env: QueryEnv): Condition {
  switch (t.field) {
    case 'status':
      return { kind: 'status', values: ordered(t, TICKET_STATUSES, STATUS_ORDER, STATUS_ALIASES) };
    case 'priority':
      return { kind: 'priority', values: ordered(t, TICKET_PRIORITIES, PRIORITY_ORDER, PRIORITY_ALIASES) };
    case 'assignee': {
      onlyColon(t);
      const vs = lower(t);
      return { kind: 'assignee', me: vs.includes('me'), none: vs.includes('none'), refs: vs.filter((v) => v !== 'me' && v !== 'none') };
    }
    case 'group': {
      onlyColon(t);
      const vs = lower(t);
      return { kind: 'group', mine: vs.includes('mine'), none: vs.includes('none'), slugs: vs.filter((v) => v !== 'mine' && v !== 'none') };
    }
    case 'requester':
      onlyColon(t);
      return { kind: 'requester', values: lower(t) };
    case 'organization': {
      onlyColon(t);
      const vs = lower(t);
      return { kind: 'organization', none: vs.includes('none'), names: vs.filter((v) => v !== 'none') };
    }
    case 'tier':
      onlyColon(t);
      return { kind: 'tier', values: oneOf(t, TIERS) };
    case 'tag':
      onlyColon(t);
      return { kind: 'tag', values: lower(t) };
    case 'category':
      onlyColon(t);
      return { kind: 'category', values: lower(t) };
    case 'channel':
      onlyColon(t);
      return { kind: 'channel', values: lower(t) };
    case 'sla':
      onlyColon(t);
      return { kind: 'sla', values: oneOf(t, SLA_STATES, { 'at-risk': 'at_risk', atrisk: 'at_risk' }) };
    case 'has':
      onlyColon(t);
      oneOf(t, ['attachment'] as const, { attachments: 'attachment' });
      return { kind: 'has', what: 'attachment' };
    case 'created':
    case 'updated':
    case 'due':
    case 'solved':
    case 'sla_due':
      return resolveTime(t, t.field, env);
  }
}

/** Values from a closed list (aliases allowed); anything else names the value's position and the list. */
function oneOf<T extends string>(t: FieldTerm, allowed: readonly T[], aliases: Record<string, T> = {}): T[] {
  return t.values.map((v) => {
    const key = v.text.trim().toLowerCase();
    const value = (allowed as readonly string[]).includes(key) ? (key as T) : aliases[key];
    if (!value) fail(`Unknown ${t.field} '${v.text}'`, v.position, `one of ${allowed.join(', ')}`);
    return value;
  });
}

/** status / priority: ':' lists values; '<', '<=', '>', '>=' take one value and compare by the field's order. */
function ordered<T extends string>(t: FieldTerm, all: readonly T[], order: Record<T, number>, aliases: Record<string, T>): T[] {
  const values = oneOf(t, all, aliases);
  if (t.op === ':') return [...new Set(values)];
  if (values.length !== 1) fail(`'${t.op}' compares with one ${t.field}`, t.values[1].position, 'white space');
  const pivot = order[values[0]];
  const keep: Record<Exclude<Op, ':'>, (x: number) => boolean> = {
    '<': (x) => x < pivot, '<=': (x) => x <= pivot, '>': (x) => x > pivot, '>=': (x) => x >= pivot,
  };
  return all.filter((v) => keep[t.op as Exclude<Op, ':'>](order[v]));
}

const RELATIVE = /^([+-]?)(\d{1,6})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?|mo|months?|y|years?)$/i;
const UNIT: Record<string, 'minutes' | 'hours' | 'days' | 'weeks' | 'months' | 'years'> = {
  m: 'minutes', min: 'minutes', h: 'hours', d: 'days', w: 'weeks', mo: 'months', y: 'years',
};

function unitOf(u: string) {
  const k = u.toLowerCase();
  if (UNIT[k]) return UNIT[k];
  for (const [prefix, unit] of [['min', 'minutes'], ['mo', 'months'], ['h', 'hours'], ['d', 'days'], ['w', 'weeks'], ['y', 'years']] as const) {
    if (k.startsWith(prefix)) return unit;
  }
  return 'days';
}

/**
 * Time fields. A relative value is an instant: `7d` seven days ago, `+1h` an
 * hour from now (`updated<7d`: not updated for a week; `sla_due<+1h`: due within
 * the hour). A date is a whole day in the caller's zone (`created>2026-01-01`:
 * from 2 January on; `created:2026-01-01`: during that day). A date-time with
 * an offset is that instant.
 */
function resolveTime(t: FieldTerm, field: TimeField, env: QueryEnv): Condition {
  if (t.values.length !== 1) fail(`${t.field} takes one value`, t.values[1].position, 'white space');
  const v = t.values[0];
  const zone = env.timezone ?? 'UTC';
  let start: Date;
  let end: Date;
  const rel = RELATIVE.exec(v.text.trim());
  if (rel) {
    const amount = Number(rel[2]) * (rel[1] === '+' ? 1 : -1);
    const at = DateTime.fromJSDate(env.now).plus({ [unitOf(rel[3])]: amount }).toJSDate();
    start = at;
    end = at;
    // `created:7d` reads "within the last 7 days"
    if (t.op === ':') return rel[1] === '+' ? { kind: 'time', field, to: at, toInclusive: true, from: env.now, fromInclusive: true } : { kind: 'time', field, from: at, fromInclusive: true, toInclusive: false };
  } else if (/^\d{4}-\d{2}-\d{2}$/.test(v.text)) {
    const day = DateTime.fromISO(v.text, { zone });
    if (!day.isValid || day.year < 1 || day.year > 9999) fail(`Not a calendar date: '${v.text}'`, v.position, 'a date YYYY-MM-DD');
    start = day.startOf('day').toJSDate();
    end = day.plus({ days: 1 }).startOf('day').toJSDate();
    if (t.op === ':') return { kind: 'time', field, from: start, fromInclusive: true, to: end, toInclusive: false };
    // a day is the interval [start, end): > means after the day, <= up to its end
    if (t.op === '>') return { kind: 'time', field, from: end, fromInclusive: true, toInclusive: false };
    if (t.op === '>=') return { kind: 'time', field, from: start, fromInclusive: true, toInclusive: false };
    if (t.op === '<') return { kind: 'time', field, to: start, toInclusive: false, fromInclusive: false };
    return { kind: 'time', field, to: end, toInclusive: false, fromInclusive: false };
  } else {
    const at = /^\d{4}-\d{2}-\d{2}T/.test(v.text) ? DateTime.fromISO(v.text, { setZone: true }) : null;
    if (!at || !at.isValid || !/(Z|[+-]\d{2}:?\d{2})$/.test(v.text) || at.year < 1 || at.year > 9999) {
      fail(`Not a time: '${v.text}'`, v.position, 'a date (2026-01-31), a date-time with offset, or a relative time (7d, 4h, +1h)');
    }
    start = at.toJSDate();
    end = start;
    if (t.op === ':') return { kind: 'time', field, from: start, fromInclusive: true, to: end, toInclusive: true };
  }
  switch (t.op) {
    case '>': return { kind: 'time', field, from: start, fromInclusive: false, toInclusive: false };
    case '>=': return { kind: 'time', field, from: start, fromInclusive: true, toInclusive: false };
    case '<': return { kind: 'time', field, to: end, toInclusive: false, fromInclusive: false };
    default: return { kind: 'time', field, to: end, toInclusive: true, fromInclusive: false };
  }
}

/** The field names (for error messages and documentation). */
export type { Field };
