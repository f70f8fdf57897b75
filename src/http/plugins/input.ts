import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors, type FieldError } from '../../domain/errors.ts';

/**
 * JSON nested deeper than this is refused. Real bodies (a ticket's custom
 * fields included) are a few levels deep; thousands of levels make
 * JSON.stringify (and so zod refinements and the jsonb write) overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The first value PostgreSQL cannot store or we refuse to walk: a string or
 * key with a NUL character (text and jsonb cannot hold U+0000), or nesting
 * deeper than `maxDepth`. Iterative, so a hostile body cannot overflow the
 * stack here either. `prefix` starts the reported path ("query.", "").
 */
export function findUnstorableValue(value: unknown, prefix = '', maxDepth = MAX_JSON_DEPTH): FieldError | undefined {
  const stack: { v: unknown; path: string[] }[] = [{ v: value, path: [] }];
  const at = (path: string[]) => prefix + path.join('.') || prefix.replace(/\.$/, '') || '(body)';
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path: at(path), message: 'Must not contain NUL characters (\\u0000)' };
      continue;
    }
    if (v === null || typeof v !== 'object' || v instanceof Date) continue;
    if (path.length >= maxDepth) return { path: at(path), message: `Nested deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, String(i)] });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      if (k.includes('\u0000')) return { path: at([...path, k.replace(/\u0000/g, '\\u0000')]), message: 'Keys must not contain NUL characters (\\u0000)' };
      stack.push({ v: child, path: [...path, k] });
    }
  }
  return undefined;
}

/** Throws the 400 problem when `value` holds something unstorable (see findUnstorableValue). */
export function assertStorable(value: unknown, prefix = ''): void {
  const bad = findUnstorableValue(value, prefix);
  if (bad) throw Errors.validation([bad], 'The request holds a value Triage cannot store.');
}

function checkRequestParts(req: FastifyRequest): void {
  assertStorable(req.params, 'params.');
  assertStorable(req.query, 'query.');
}

/**
 * Input guards in front of every route: the JSON parser refuses bodies that
 * are too deep or hold NUL characters (400 naming the field, before any
 * validation or SQL), and path and query parameters get the same NUL check.
 * Multipart bodies are checked where they are assembled (multipart.ts).
 */
export function registerInputGuards(app: FastifyInstance): void {
  // Fastify's own parser (secure-json-parse: __proto__ and constructor.prototype refused), then our checks.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parseJson(req, body as string, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const bad = findUnstorableValue(value);
      if (bad) return done(Errors.validation([bad], 'The request holds a value Triage cannot store.'), undefined);
      done(null, value);
    });
  });
  // callback style: runs on every request, and needs no promise
  app.addHook('preValidation', (req, _reply, done) => {
    try {
      checkRequestParts(req);
    } catch (err) {
      return done(err as Error);
    }
    done();
  });
}
