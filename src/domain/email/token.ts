/**
 * The signed reply address: `support+<token>@example.com`. The token names the
 * ticket and carries an HMAC of it under the install's secret key, so a reply
 * that lost its headers still threads, and nobody can forge a token for
 * another customer's ticket. Lower-case base32, safe in any mail local part.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const MAC_CHARS = 12; // 60 bits

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function mac(ticketNumber: number, key: Buffer): string {
  return base32(createHmac('sha256', key).update(`triage-reply:${ticketNumber}`).digest()).slice(0, MAC_CHARS);
}

export function replyToken(ticketNumber: number, key: Buffer): string {
  return `t${ticketNumber.toString(36)}${mac(ticketNumber, key)}`;
}

/** The ticket number a token names, when its signature holds; undefined otherwise. */
export function verifyReplyToken(token: string, key: Buffer): number | undefined {
  const m = /^t([0-9a-z]{1,12})([a-z2-7]{12})$/.exec((token ?? '').toLowerCase());
  if (!m) return undefined;
  const n = parseInt(m[1], 36);
  if (!Number.isSafeInteger(n) || n <= 0 || n.toString(36) !== m[1]) return undefined;
  const expected = Buffer.from(mac(n, key));
  const given = Buffer.from(m[2]);
  return given.length === expected.length && timingSafeEqual(given, expected) ? n : undefined;
}

/** `support@x.com` + token → `support+token@x.com` */
export function replyAddress(mailboxAddress: string, token: string): string {
  const at = mailboxAddress.lastIndexOf('@');
  const local = mailboxAddress.slice(0, at).replace(/\+.*$/, '');
  return `${local}+${token}@${mailboxAddress.slice(at + 1)}`;
}

/** The part after the first `+` in the local part; undefined when there is none. */
export function tokenFromAddress(address: string): string | undefined {
  const at = (address ?? '').lastIndexOf('@');
  if (at < 0) return undefined;
  const local = address.slice(0, at);
  const plus = local.indexOf('+');
  return plus >= 0 && plus < local.length - 1 ? local.slice(plus + 1).toLowerCase() : undefined;
}
