import { z } from 'zod';

export const Uuid = z.uuid();

/** True when the string's YYYY-MM-DD names a real calendar day (no 30 February). */
function realCalendarDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** Years 1–9999 in UTC: what both databases and JSON round-trip without surprises. */
function storableInstant(d: Date): boolean {
  const y = d.getUTCFullYear();
  return !Number.isNaN(d.getTime()) && y >= 1 && y <= 9999;
}

/** An ISO 8601 date-time with offset (or Z), given as a Date to the handler. */
export const DateTime = z.iso
  .datetime({ offset: true })
  .refine(realCalendarDay, 'Not a calendar date')
  .transform((s) => new Date(s))
  .refine(storableInstant, 'Must lie between the years 1 and 9999');
/** Query-string date: ISO date or date-time. */
export const QueryDate = z
  .string()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && realCalendarDay(s) && !Number.isNaN(Date.parse(s)),
    'Expected an ISO 8601 date or date-time',
  )
  .transform((s) => new Date(s))
  .refine(storableInstant, 'Must lie between the years 1 and 9999');

/** `a,b,c` or repeated parameters → array, each checked by `item`. */
export function csv<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : Array.isArray(v) ? v.flatMap((x) => String(x).split(',')) : v),
    z.array(item).max(100),
  );
}

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem document');

/** Standard error responses, for the OpenAPI document. */
export function problems(...codes: number[]) {
  return Object.fromEntries(codes.map((c) => [c, Problem]));
}

export const Pagination = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(20),
};

export const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
export const UuidParams = z.strictObject({ id: Uuid });
