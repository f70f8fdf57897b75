/**
 * The search language's syntax: a hand-written tokenizer/parser that turns the
 * search box's text into terms, each with the position it started at, or
 * throws a QuerySyntaxError naming the position and what was expected there.
 * Pure: no clock, no database. Meaning (which statuses exist, what a date is)
 * is checked by `resolveQuery` (query.ts).
 *
 *   query  := term*                       (terms separated by white space, all must hold)
 *   term   := '-'? ( field op values | '"' phrase '"' | word )
 *   op     := ':' | '<' | '<=' | '>' | '>='
 *   values := value ((',' | '|') value)*  (any of them)
 *   value  := '"' text '"' | run of characters other than space , | "
 */

export type Op = ':' | '<' | '<=' | '>' | '>=';

export const FIELDS = [
  'status', 'priority', 'assignee', 'group', 'requester', 'organization', 'tier', 'tag', 'category', 'channel',
  'created', 'updated', 'due', 'solved', 'sla_due', 'sla', 'has',
] as const;
export type Field = (typeof FIELDS)[number];

/** Other names users type for a field (Zendesk's among them). */
const ALIASES: Record<string, Field> = {
  org: 'organization', tags: 'tag', via: 'channel', source: 'channel', type: 'category', resolved: 'solved', sladue: 'sla_due',
};

export interface FieldTerm {
  kind: 'field';
  field: Field;
  op: Op;
  values: { text: string; position: number }[];
  negated: boolean;
  position: number;
}

export interface TextTerm {
  kind: 'text';
  text: string;
  phrase: boolean;
  negated: boolean;
  position: number;
}

export type Term = FieldTerm | TextTerm;

/** A query the parser cannot read: where (0-based character offset) and what it expected there. */
export class QuerySyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly expected: string,
  ) {
    super(message);
    this.name = 'QuerySyntaxError';
  }
}

export const MAX_QUERY_LENGTH = 1_000;
const MAX_TERMS = 50;

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
const VALUE_STOP = /[\s,|"]/;

/** Parses the search language into terms. Throws QuerySyntaxError on malformed input, nothing else. */
export function parseQuery(input: string): Term[] {
  if (input.length > MAX_QUERY_LENGTH) {
    throw new QuerySyntaxError(`A query may be at most ${MAX_QUERY_LENGTH} characters long`, MAX_QUERY_LENGTH, 'end of query');
  }
  const terms: Term[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    if (isSpace(input[i])) {
      i++;
      continue;
    }
    if (terms.length >= MAX_TERMS) throw new QuerySyntaxError(`A query may have at most ${MAX_TERMS} terms`, i, 'end of query');
    const start = i;
    let negated = false;
    if (input[i] === '-' && i + 1 < n && !isSpace(input[i + 1])) {
      negated = true;
      i++;
    }
    if (input[i] === '"') {
      const { text, end } = readQuoted(input, i);
      terms.push({ kind: 'text', text, phrase: true, negated, position: start });
      i = end;
      continue;
    }
    const ident = /^[A-Za-z_]+/.exec(input.slice(i, i + 40))?.[0];
    const opMatch = ident ? /^(<=|>=|:|<|>)/.exec(input.slice(i + ident.length)) : null;
    if (ident && opMatch) {
      const name = ident.toLowerCase();
      const field = (FIELDS as readonly string[]).includes(name) ? (name as Field) : ALIASES[name];
      if (!field) {
        throw new QuerySyntaxError(`Unknown field '${ident}'`, i, `one of ${FIELDS.join(', ')} (or quote the text)`);
      }
      const op = opMatch[1] as Op;
      i += ident.length + op.length;
      const { values, end } = readValues(input, i, field);
      terms.push({ kind: 'field', field, op, values, negated, position: start });
      i = end;
      continue;
    }
    // a free word: up to white space or a quote
    let end = i;
    while (end < n && !isSpace(input[end]) && input[end] !== '"') end++;
    if (end === i) {
      // only reachable as '-"…' handled above, or a '-' before a quote-less stop: keep the dash as text
      end = i + 1;
    }
    terms.push({ kind: 'text', text: input.slice(i, end), phrase: false, negated, position: start });
    i = end;
  }
  return terms;
}

/** Reads `"…"` starting at the opening quote; returns the text and the index after the closing quote. */
function readQuoted(input: string, at: number): { text: string; end: number } {
  const close = input.indexOf('"', at + 1);
  if (close < 0) throw new QuerySyntaxError('Unterminated quote', at, "a closing '\"'");
  return { text: input.slice(at + 1, close), end: close + 1 };
}

/** Reads a value list after an operator. */
function readValues(input: string, at: number, field: Field): { values: FieldTerm['values']; end: number } {
  const values: FieldTerm['values'] = [];
  let i = at;
  for (;;) {
    if (i >= input.length || isSpace(input[i]) || input[i] === ',' || input[i] === '|') {
      throw new QuerySyntaxError(
        values.length === 0 ? `Missing value for ${field}` : `Missing value after '${input[i - 1]}'`,
        i,
        `a ${field} value`,
      );
    }
    if (input[i] === '"') {
      const { text, end } = readQuoted(input, i);
      if (text.trim() === '') throw new QuerySyntaxError(`Empty value for ${field}`, i, `a ${field} value`);
      values.push({ text, position: i });
      i = end;
    } else {
      let end = i;
      while (end < input.length && !VALUE_STOP.test(input[end])) end++;
      values.push({ text: input.slice(i, end), position: i });
      i = end;
    }
    if (values.length > 100) throw new QuerySyntaxError(`At most 100 values for ${field}`, i, 'white space');
    if (input[i] === ',' || input[i] === '|') {
      i++;
      continue;
    }
    if (i < input.length && !isSpace(input[i])) {
      throw new QuerySyntaxError(`Unexpected '${input[i]}' after a ${field} value`, i, "',', '|' or white space");
    }
    return { values, end: i };
  }
}
