/**
 * Raw bytes → ParsedEmail, tolerant of everything real mail does: an mbox
 * "From " line, missing or broken headers, unknown charsets, bad transfer
 * encodings, TNEF (winmail.dat) containers. mailparser does the MIME work;
 * when it gives up, a minimal header/body split keeps the message readable.
 * Never throws.
 */
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { isTnef as isTnefBytes, tnefAttachments } from './tnef.ts';
import type { Address, ParsedAttachment, ParsedEmail } from './types.ts';

const MBOX_FROM = /^From [^\r\n]*\r?\n/;

/** `<a@b>` → `a@b`; blank → undefined */
export function cleanMessageId(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = v.trim().match(/<([^<>\s]+)>/);
  const id = (m ? m[1] : v.trim().split(/\s+/)[0] ?? '').replace(/^<|>$/g, '');
  return id ? id : undefined;
}

function idList(v: unknown): string[] {
  const parts = Array.isArray(v) ? v : typeof v === 'string' ? v.match(/<[^<>]+>|[^\s<>,]+@[^\s<>,]+/g) ?? [] : [];
  const out: string[] = [];
  for (const p of parts) {
    const id = cleanMessageId(String(p));
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

function addresses(v: AddressObject | AddressObject[] | undefined): Address[] {
  const list = Array.isArray(v) ? v : v ? [v] : [];
  const out: Address[] = [];
  const walk = (items: { address?: string; name?: string; group?: { address?: string; name?: string }[] }[]) => {
    for (const a of items) {
      if (a.group) walk(a.group);
      else if (a.address || a.name) out.push({ address: (a.address ?? '').trim().toLowerCase(), name: (a.name ?? '').trim() });
    }
  };
  for (const o of list) walk(o.value ?? []);
  return out;
}

/** Header lines → name (lower case) → unfolded raw values, in order. */
function headerMap(lines: readonly { key: string; line: string }[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    const value = (colon >= 0 ? line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim();
    const k = key.toLowerCase();
    map.set(k, [...(map.get(k) ?? []), value]);
  }
  return map;
}

/** Encoded words in charsets mailparser leaves alone (UTF-7, as Exchange and old Outlooks send). */
function decodeOddWords(raw: string): string | undefined {
  if (!/=\?utf-?7\?/i.test(raw)) return undefined;
  return raw
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_m, charset: string, enc: string, data: string) => {
      const bytes = enc.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64')
        : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      const cs = charset.toLowerCase().replace(/^utf-7$/, 'utf7');
      return iconv.encodingExists(cs) ? iconv.decode(bytes, cs) : bytes.toString('utf8');
    });
}

/**
 * A Subject written as raw 8-bit bytes that are not UTF-8 (old spam tools,
 * Outlook Express): decoded with the charset the message declares, or, with
 * none usable, as windows-1251 when most letters are 8-bit (Cyrillic) and as
 * windows-1252 otherwise. undefined when the header is ASCII or valid UTF-8.
 */
function decodeRawSubject(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 64_000).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const m = (end >= 0 ? head.slice(0, end) : head).match(/^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im);
  if (!m || !/[\x80-\xff]/.test(m[1]) || m[1].includes('=?')) return undefined;
  const raw = Buffer.from(m[1].replace(/\r?\n(?=[ \t])/g, ''), 'latin1');
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(raw);
    return undefined;
  } catch {
    // not UTF-8: guess below
  }
  const declared = bytes.subarray(0, 200_000).toString('latin1').match(/charset\s*=\s*"?([A-Za-z0-9_.:-]+)/i)?.[1]?.toLowerCase();
  const singleByteLatin = !declared || /^(us-ascii|ascii|iso-8859-1|latin1|windows-1252|cp1252)$/.test(declared);
  let charset = declared && !singleByteLatin && iconv.encodingExists(declared) ? declared : undefined;
  if (!charset) {
    const high = raw.filter((b) => b >= 0xc0).length;
    const letters = raw.filter((b) => b >= 0xc0 || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a)).length;
    charset = letters > 0 && high / letters > 0.5 ? 'windows-1251' : 'windows-1252';
  }
  return iconv.decode(raw, charset).trim();
}

/** The first value of a header, trimmed; undefined when absent. */
export function headerValue(p: Pick<ParsedEmail, 'headers'>, name: string): string | undefined {
  return p.headers.get(name.toLowerCase())?.[0];
}

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|tr|li|h[1-6]|blockquote)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The text of a message whose MIME structure mailparser could not follow (a
 * boundary lost to a broken header fold): the raw body without boundary lines
 * and part headers. Base64 and binary parts are left out.
 */
function rawBodyText(raw: Buffer): string {
  const s = raw.toString('utf8');
  const start = s.search(/\r?\n\r?\n/);
  if (start < 0) return '';
  const out: string[] = [];
  let inHeaders = false;
  let skipping = false;
  for (const line of s.slice(start).split(/\r?\n/)) {
    if (/^--\S+$/.test(line.trim()) && line.trim().length > 8) {
      inHeaders = true;
      skipping = false;
      continue;
    }
    if (inHeaders) {
      if (line.trim() === '') inHeaders = false;
      else if (/^content-transfer-encoding:\s*base64/i.test(line) || /^content-type:\s*(image|application|audio|video)\//i.test(line)) skipping = true;
      continue;
    }
    if (!skipping) out.push(line);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const isTnef = (a: { contentType?: string; filename?: string }) =>
  a.contentType?.toLowerCase() === 'application/ms-tnef' || a.filename?.toLowerCase() === 'winmail.dat';

/** The files inside a TNEF container; undefined when it holds none we can read. */
function tnefFiles(content: Buffer): ParsedAttachment[] | undefined {
  if (!isTnefBytes(content)) return undefined;
  const files = tnefAttachments(content).map((f) => ({
    filename: f.name, contentType: 'application/octet-stream', content: f.content, inline: false, fromTnef: true,
  }));
  return files.length ? files : undefined;
}

function attachmentsOf(mail: ParsedMail, warnings: string[]): ParsedAttachment[] {
  const out: ParsedAttachment[] = [];
  for (const a of mail.attachments ?? []) {
    const content = Buffer.isBuffer(a.content) ? a.content : Buffer.from(a.content ?? '');
    if (isTnef(a)) {
      const files = tnefFiles(content);
      if (files) {
        out.push(...files);
        continue;
      }
      warnings.push('a TNEF (winmail.dat) part could not be read; kept as is');
    }
    const contentId = a.contentId ? a.contentId.replace(/^<|>$/g, '') : a.cid;
    out.push({
      filename: a.filename || (a.contentType === 'message/rfc822' ? 'message.eml' : 'attachment'),
      contentType: (a.contentType || 'application/octet-stream').toLowerCase(),
      content,
      contentId: contentId || undefined,
      inline: a.contentDisposition === 'inline' && !!contentId,
    });
  }
  return out;
}

/** A message mailparser could not read: headers split by hand, the body kept as text. */
function fallback(raw: Buffer, err: unknown): ParsedEmail {
  const text = raw.toString('utf8');
  const split = text.search(/\r?\n\r?\n/);
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split).trim() : '';
  const lines: { key: string; line: string }[] = [];
  for (const line of head.split(/\r?\n(?![ \t])/)) {
    const m = line.match(/^([!-9;-~]+):/);
    if (m) lines.push({ key: m[1].toLowerCase(), line });
  }
  const headers = headerMap(lines);
  const first = (n: string) => headers.get(n)?.[0];
  const addr = (v?: string): Address | undefined => {
    if (!v) return undefined;
    const m = v.match(/<([^<>@\s]+@[^<>\s]+)>/) ?? v.match(/([^\s<>"]+@[^\s<>"]+)/);
    return { address: (m?.[1] ?? '').toLowerCase(), name: v.replace(/<[^>]*>/, '').replace(/"/g, '').trim() };
  };
  return {
    messageId: cleanMessageId(first('message-id')),
    inReplyTo: cleanMessageId(first('in-reply-to')),
    references: idList(first('references')),
    from: addr(first('from')),
    replyTo: addr(first('reply-to')),
    returnPath: first('return-path')?.replace(/[<>\s]/g, ''),
    to: (first('to') ?? '').split(',').map((x) => addr(x)).filter((a): a is Address => !!a?.address),
    cc: (first('cc') ?? '').split(',').map((x) => addr(x)).filter((a): a is Address => !!a?.address),
    subject: first('subject') ?? '',
    headers,
    text: body,
    attachments: [],
    contentType: (first('content-type') ?? 'text/plain').split(';')[0].trim().toLowerCase(),
    warnings: [`the message could not be parsed as MIME (${err instanceof Error ? err.message : String(err)}); kept as plain text`],
    contentHash: createHash('sha256').update(raw).digest('hex'),
  };
}

export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  const contentHash = createHash('sha256').update(raw).digest('hex');
  let bytes = MBOX_FROM.test(raw.subarray(0, 1000).toString('latin1')) ? raw.subarray(raw.indexOf(0x0a) + 1) : raw;
  // blank lines before the headers (a transport's artefact) would make every header body text
  const lead = bytes.subarray(0, 200).toString('latin1').match(/^(?:[ \t]*\r?\n)+(?=[!-9;-~]+:)/);
  if (lead) bytes = bytes.subarray(lead[0].length);
  let mail: ParsedMail;
  try {
    mail = await simpleParser(bytes, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, keepCidLinks: true });
  } catch (err) {
    return { ...fallback(bytes, err), contentHash };
  }
  const warnings: string[] = [];
  const headers = headerMap(mail.headerLines ?? []);
  const first = (n: string) => headers.get(n)?.[0];
  const from = addresses(mail.from)[0];
  const html = typeof mail.html === 'string' && mail.html.trim() ? mail.html : undefined;
  let text = (mail.text ?? '').trim() || (html ? htmlToText(html) : '');
  if (!text && !html) {
    text = rawBodyText(bytes);
    if (text) warnings.push('no readable text part (broken MIME structure); the text is taken from the raw body');
  }
  const date = mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : undefined;
  const returnPath = first('return-path');
  const ct = mail.headers.get('content-type') as { value?: string } | string | undefined;
  return {
    messageId: cleanMessageId(mail.messageId),
    inReplyTo: cleanMessageId(mail.inReplyTo),
    references: idList(mail.references),
    from,
    replyTo: addresses(mail.replyTo)[0],
    returnPath: returnPath === undefined ? undefined : returnPath.replace(/[<>\s]/g, '').toLowerCase(),
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    subject: (decodeOddWords(first('subject') ?? '') ?? decodeRawSubject(bytes) ?? mail.subject ?? '').replace(/[\r\n]+/g, ' ').trim(),
    date,
    headers,
    text,
    html,
    attachments: attachmentsOf(mail, warnings),
    contentType: (typeof ct === 'string' ? ct : ct?.value ?? 'text/plain').toLowerCase(),
    warnings,
    deliveryStatus: deliveryStatusLines(bytes),
    contentHash,
  };
}

/** RFC 3464 fields wherever they are in the message (mailparser does not surface message/delivery-status parts). */
function deliveryStatusLines(raw: Buffer): string | undefined {
  const text = raw.subarray(0, 200_000).toString('latin1');
  if (!/message\/(global-)?delivery-status/i.test(text)) return undefined;
  const lines = text.match(/^(final-recipient|original-recipient|action|status|diagnostic-code|remote-mta|reporting-mta)\s*:.*$/gim);
  return lines?.join('\n');
}
