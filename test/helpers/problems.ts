import { expect } from 'vitest';

/** Text that only a leaked stack trace would contain. */
export const STACK_TRACE = /\bat .+:\d+:\d+|node_modules|\.ts:\d+|\bstack\b/i;

interface ResponseLike {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Asserts an RFC 9457 problem response with this status (and stable `code`,
 * when given) that leaks neither a stack trace nor SQL; returns the document.
 */
export function expectProblem(res: ResponseLike, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = res.json();
  expect(p).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(p.type).toMatch(/^https?:\/\/|^about:blank$/);
  if (code) expect(p.code).toBe(code);
  expect(res.body).not.toMatch(STACK_TRACE);
  expect(res.body).not.toMatch(/SELECT|INSERT|UPDATE .* SET|violates|relation "/);
  return p;
}
