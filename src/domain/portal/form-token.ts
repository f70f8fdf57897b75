/**
 * The web form's spam guard, part one: a signed timestamp. `GET /portal/form-token` hands out
 * `<issued ms>.<HMAC>`; a submission must bring one that this server signed, at least
 * MIN_FILL_MS old (people take longer than that to type a request; scripts do not) and at
 * most MAX_AGE_MS old. Part two is the honeypot field, part three the per-IP rate limit.
 */
import { createHmac } from 'node:crypto';
import { safeEqual } from '../auth/secrets.ts';

export const MIN_FILL_MS = 3_000;
export const MAX_AGE_MS = 24 * 3600_000;

function sign(issuedMs: number, key: Buffer): string {
  return createHmac('sha256', key).update(`portal-form:${issuedMs}`).digest('base64url');
}

/** A form token issued at `now`. */
export function issueFormToken(now: Date, key: Buffer): string {
  const issued = now.getTime();
  return `${issued}.${sign(issued, key)}`;
}

/** Why a form token is refused, or null when it is good. */
export function checkFormToken(token: string, now: Date, key: Buffer): string | null {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m || !safeEqual(m[2], sign(Number(m[1]), key))) return 'Not a form token issued by this server; reload the form';
  const age = now.getTime() - Number(m[1]);
  if (age < MIN_FILL_MS) return 'The form was sent too fast; wait a moment and send it again';
  if (age > MAX_AGE_MS) return 'The form has expired; reload it';
  return null;
}
