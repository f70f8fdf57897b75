/**
 * Subjects: reply/forward prefixes in the languages mail programs use, and the
 * ticket number Triage puts in its own subjects (`[#1234]`).
 */
const PREFIX = /^\s*(?:(?:re|r|aw|antw|antwort|sv|vs|vá|odp|ynt|res|rif|réf|ref|tr|wg|fw|fwd|fwd?|enc|doorst|i|rv|vb|回复|答复|轉寄|转发|回覆)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+/i;

/** "Re: AW: Fwd: Subject" → "Subject" (also "Re[2]:", full-width colons). */
export function stripReplyPrefixes(subject: string): string {
  let s = subject ?? '';
  for (let i = 0; i < 10; i++) {
    const next = s.replace(PREFIX, '');
    if (next === s) break;
    s = next;
  }
  return s.trim();
}

/** The ticket number in `[#1234]` (after any prefixes); undefined when none. */
export function ticketNumberFromSubject(subject: string): number | undefined {
  const m = stripReplyPrefixes(subject).match(/\[#(\d{1,12})\]/);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** "Re: [#1234] Subject" for our replies: one prefix, one tag, the customer's words kept. */
export function outboundSubject(ticketNumber: number, subject: string, isReply = true): string {
  let bare = subject ?? '';
  for (let i = 0; i < 5; i++) {
    const next = stripReplyPrefixes(bare).replace(/\s*\[#\d+\]\s*/g, ' ').replace(/\s+/g, ' ').trim();
    if (next === bare) break;
    bare = next;
  }
  return `${isReply ? 'Re: ' : ''}[#${ticketNumber}] ${bare}`.trim();
}
