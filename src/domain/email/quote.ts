/**
 * Separates what the customer wrote now from the history their mail program
 * quoted below (or above) it. Both are kept; agents read the new text first.
 *
 * Recognised: `>` quoting; attribution lines "On … wrote:" in English, German,
 * French, Spanish, Dutch, Swedish, Norwegian/Danish, Italian, Portuguese,
 * Polish (also folded over two lines); Outlook's "-----Original Message-----"
 * and its From:/Sent:/To:/Subject: header block (English, German, French,
 * Spanish, Dutch); Lotus Notes' "… wrote on …" / "To … cc … Subject" blocks;
 * forwarded-message separators. A reply written below the quote (bottom
 * posting) keeps its text as the new part.
 */

const ATTRIBUTION = [
  /^-*\s*on\b.{0,200}\b(wrote|writes|said)\s*:?\s*$/i,
  /^-*\s*am\b.{0,200}\bschrieb\b.{0,100}:?\s*$/i,
  /^-*\s*le\b.{0,200}\ba [ée]crit\s*:?\s*$/i,
  /^-*\s*el\b.{0,200}\bescribi[óo]\s*:?\s*$/i,
  /^-*\s*op\b.{0,200}\bschreef\b.{0,100}:?\s*$/i,
  /^-*\s*(den|on|p[åa])\b.{0,200}\bskrev\b.{0,100}:?\s*$/i,
  /^-*\s*il\b.{0,200}\bha scritto\s*:?\s*$/i,
  /^-*\s*(em|no dia)\b.{0,200}\bescreveu\s*:?\s*$/i,
  /^-*\s*w dniu\b.{0,200}\bnapisa[łl]\w*\s*:?\s*$/i,
  /^.{1,200}\b(wrote|schrieb|a écrit|escribió|schreef|skrev|ha scritto|escreveu)\s*:\s*$/i,
  /^.{1,120}\bwrote on\b.{0,120}:?\s*$/i,
  // verbs \b cannot see (Cyrillic, Greek, CJK …)
  /(написал|написала|написав|napisał|kirjoitti|έγραψε|yazdı|írta|napsal|a scris|씀|작성|写道|寫道|のメッセージ|さんは書きました)\S*\s*:?\s*$/i,
];
const SEPARATOR = [
  /^\s*-{2,}\s*(original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht|ursprungligt meddelande|messaggio originale|mensagem original)\s*-{2,}\s*$/i,
  /^\s*-{2,}\s*(forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|mensaje reenviado)\s*-{2,}\s*$/i,
  /^\s*_{20,}\s*$/,
  /^\s*begin forwarded message\s*:?\s*$/i,
];
/** Outlook's quoted header block: From:, then Sent:/Date: and To:/Subject: within a few lines. */
const HEADER_FROM = /^\s*\**\s*(from|von|de|van|från|fra|da)\s*:\**\s*\S/i;
const HEADER_NEXT = /^\s*\**\s*(sent|date|gesendet|datum|envoy[ée]|enviado|fecha|verzonden|skickat|to|an|à|para|aan|till|subject|betreff|objet|asunto|onderwerp|ämne|cc)\s*:/i;

function isAttribution(lines: string[], i: number): number {
  const line = lines[i].trim();
  if (!line) return 0;
  if (ATTRIBUTION.some((r) => r.test(line))) return 1;
  // an attribution folded over two lines ("On Tue, 3 Mar 2020 at 10:00, Ann <ann@x.com>\nwrote:")
  const next = (lines[i + 1] ?? '').trim();
  if (next && /:\s*$/.test(next) && !ATTRIBUTION.some((r) => r.test(next)) && ATTRIBUTION.some((r) => r.test(`${line} ${next}`))) return 2;
  // "02.04.2012 14:20 пользователь "bob@x" <\nbob@x> написал:" — the first line holds a date or an address
  if (next && !/^>/.test(line) && !/^>/.test(next) && /[\d@]/.test(line) && /:\s*$/.test(next) && ATTRIBUTION.some((r) => r.test(next))) return 2;
  return 0;
}

/** Lotus Notes: "Name <address>", a date, then "To" and "Subject" each alone on a line. */
function isNotesBlock(lines: string[], i: number): boolean {
  if (!/<[^\s<>]+@[^\s<>]+>/.test(lines[i])) return false;
  const window = lines.slice(i + 1, i + 14).map((l) => l.trim());
  return window.includes('To') && window.includes('Subject');
}

function isHeaderBlock(lines: string[], i: number): boolean {
  if (!HEADER_FROM.test(lines[i])) return false;
  let seen = 0;
  for (let k = i + 1; k < Math.min(lines.length, i + 6); k++) if (HEADER_NEXT.test(lines[k])) seen++;
  return seen >= 2;
}

/** The index of the first line of quoted history in `lines`, or -1. */
function quoteStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (SEPARATOR.some((r) => r.test(line))) return i;
    if (isAttribution(lines, i)) {
      // an attribution counts when quoted text or a header block follows (or nothing but quotes)
      return i;
    }
    if (isHeaderBlock(lines, i) || isNotesBlock(lines, i)) return i;
    if (/^\s*>/.test(line)) {
      // a block of `>` lines; a few interleaved answers below it make this bottom/inline posting
      let j = i;
      while (j < lines.length && (/^\s*>/.test(lines[j]) || !lines[j].trim())) j++;
      const after = lines.slice(j).filter((l) => l.trim() && !/^\s*>/.test(l));
      if (after.length === 0 || i > 0) return i;
    }
  }
  return -1;
}

function trimBlank(s: string): string {
  return s.replace(/^\s*\n/, '').replace(/\s+$/, '');
}

export function splitQuoted(text: string, _html?: string): { newText: string; quotedText: string } {
  const normalized = (text ?? '').replace(/\r\n?/g, '\n');
  const lines = normalized.split('\n');
  const start = quoteStart(lines);
  if (start < 0) return { newText: trimBlank(normalized), quotedText: '' };
  const before = trimBlank(lines.slice(0, start).join('\n'));
  if (before) return { newText: before, quotedText: trimBlank(lines.slice(start).join('\n')) };
  // the quote comes first (bottom posting): what follows the quoted block is the new text
  let end = start;
  const attributionLines = isAttribution(lines, start);
  if (attributionLines) end += attributionLines;
  while (end < lines.length && (/^\s*>/.test(lines[end]) || !lines[end].trim())) end++;
  const after = trimBlank(lines.slice(end).join('\n'));
  if (after && end > start) return { newText: after, quotedText: trimBlank(lines.slice(start, end).join('\n')) };
  return { newText: trimBlank(normalized), quotedText: '' };
}
