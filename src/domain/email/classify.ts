/**
 * The ordered filters of the inbound pipeline (docs/ARCHITECTURE.md "E-mail").
 * Each only annotates: loop → bounce → auto-reply → list/bulk → upstream spam
 * verdict → subject tags. Ingest decides what the annotations mean. The rules
 * read headers and structure only (RFC 3834, RFC 3464, RFC 2369/2919, the
 * markers Exchange, Outlook and the big mail services set), never a particular
 * sender, so they hold for mail we have not seen.
 */
import { headerValue } from './parse.ts';
import { splitQuoted } from './quote.ts';
import type { BounceInfo, Classification, ParsedEmail, SuppressReason } from './types.ts';

/** Set on every message Triage sends; a message carrying it came from a Triage (us, or another desk). */
export const LOOP_HEADER = 'X-Triage-Loop';

const PRIORITY_TAGS: Record<string, 'low' | 'normal' | 'high' | 'critical'> = {
  urgent: 'critical', critical: 'critical', emergency: 'critical', high: 'high', important: 'high', low: 'low',
};
const CATEGORY_TAGS = ['billing', 'technical', 'account', 'general'];

const DAEMON_LOCAL = /^(mailer[-_.]?daemon|postmaster|post[-_]master|mail[-_.]?delivery[-_.]?(subsystem|system)?|mdaemon|mail[-_]?admin)$/i;
const BOUNCE_SUBJECT = new RegExp(
  [
    'undeliver(able|ed)', 'delivery (status )?notification', 'delivery (has )?failed', 'mail delivery (failed|failure|system|subsystem)',
    'returned mail', 'failure notice', 'delivery failure', 'non[- ]?delivery', 'mail system error', 'could not be delivered',
    'delivery problem', 'message not delivered', 'warning: message .* delayed', 'delayed mail', 'unzustellbar', 'nicht zustellbar',
    'non remis', 'no se puede entregar',
  ].join('|'),
  'i',
);
const AUTO_SUBJECT = new RegExp(
  [
    'out of (the )?office', 'automatic (reply|response|antwort)', 'auto(matic)?[- ]?(reply|response|respond|antwort)', 'autoreply',
    'abwesenheit', 'automatische antwort', 'r[ée]ponse automatique', 'absence du bureau', 'respuesta autom[áa]tica',
    'fuera de la oficina', 'risposta automatica', 'fuori sede', 'automatisch antwoord', 'afwezig', 'autosvar', 'frånvaro',
    'poza biurem', 'automaattinen vastaus', 'on vacation', 'vacation reply', 'away from (my|the) (office|desk)',
    '自動応答', '自动回复', '不在',
  ].join('|'),
  'i',
);
const BOUNCE_BODY = /(\b5[0-5]\d[ -]|\b[45]\.\d\.\d{1,3}\b|no such user|user unknown|unknown user|mailbox (is )?(unavailable|not found|full)|recipient address rejected|\brcpt to:|could not be delivered|delivery to the following recipients? failed)/i;
const BULK_BODY = /(do not reply to this (e-?mail|message)|this is an automated (message|e-?mail|notification)|(this|the) mailbox is not monitored|to unsubscribe|unsubscribe (here|from|at)|click here to (unsubscribe|be removed)|to (stop|opt out of) receiving|you are receiving this (e-?mail|message|newsletter) because|manage your (e-?mail )?(preferences|subscriptions))/i;
const BULK_LOCAL = /^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|noreply[-_.].*|e?news(letters?)?|mailer|bounces?|marketing|promo(tions?)?|offers?|campaigns?|mailings?|notifications?|updates?)$/i;
const BULK_MAILER = /(mailchimp|sendgrid|constant ?contact|campaign ?monitor|mailgun|sendinblue|brevo|exacttarget|responsys|listmanager|lyris|phplist|mailman|sympa|listserv|majordomo|ezmlm|mass ?mail|bulk ?mail)/i;

const lower = (v: string | undefined) => (v ?? '').toLowerCase();
const has = (p: ParsedEmail, name: string) => p.headers.has(name.toLowerCase());
const localPart = (address: string) => address.split('@')[0]?.replace(/\+.*$/, '') ?? '';
const domainOf = (address: string) => address.split('@')[1] ?? '';

/** `support+abc@x.com` and `SUPPORT@x.com` are the same mailbox. */
function sameMailbox(a: string, b: string): boolean {
  return !!a && !!b && localPart(a).toLowerCase() === localPart(b).toLowerCase() && domainOf(a).toLowerCase() === domainOf(b).toLowerCase();
}

function loopFilter(p: ParsedEmail, own: string[]): string | undefined {
  if (has(p, LOOP_HEADER)) return `carries ${LOOP_HEADER}: ${headerValue(p, LOOP_HEADER)}`;
  const from = p.from?.address ?? '';
  const mine = own.find((o) => sameMailbox(o, from));
  if (mine) return `sent from our own address ${mine}`;
  return undefined;
}

/** The parts of a delivery report: failed recipients, status, and the Message-ID of the bounced message. */
function bounceDetails(p: ParsedEmail): BounceInfo {
  const recipients = new Set<string>();
  for (const v of p.headers.get('x-failed-recipients') ?? []) for (const a of v.split(/[,\s]+/)) if (a.includes('@')) recipients.add(a.toLowerCase().replace(/[<>]/g, ''));
  let status: string | undefined;
  let originalMessageId: string | undefined;
  const reports = p.attachments
    .filter((a) => /^(message\/(delivery-status|global-delivery-status|rfc822|global)|text\/rfc822-headers)$/.test(a.contentType))
    .map((a) => ({ type: a.contentType, text: a.content.toString('utf8') }));
  // reports inlined in the text (bounces without MIME structure) are read from the body too
  const texts = [...reports.map((r) => r.text), p.deliveryStatus ?? '', p.text];
  for (const t of texts) {
    for (const m of t.matchAll(/^(?:final|original)-recipient:\s*(?:rfc822;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?/gim)) recipients.add(m[1].toLowerCase());
    const s = t.match(/^status:\s*([245]\.\d{1,3}\.\d{1,3})/im);
    if (s && !status) status = s[1];
  }
  for (const r of reports) {
    if (r.type === 'message/delivery-status' || r.type === 'message/global-delivery-status') continue;
    const m = r.text.match(/^message-id:\s*<([^<>\s]+)>/im);
    if (m) {
      originalMessageId = m[1];
      break;
    }
  }
  if (!originalMessageId) {
    // the returned headers pasted into the body ("------ This is a copy of the message, including all the headers")
    const m = p.text.match(/^message-id:\s*<([^<>\s]+)>/im);
    if (m && m[1] !== p.messageId) originalMessageId = m[1];
  }
  if (recipients.size === 0) {
    // classic text bounces: "<someone@example.com>: host … said: 550 …" or "  someone@example.com"
    for (const m of p.text.matchAll(/<([^\s<>@]+@[^\s<>]+)>\s*:?\s*(?:\r?\n)?[^\n]*(?:550|551|552|553|554|5\.\d\.\d|user unknown|does not exist|no such user|mailbox)/gi)) recipients.add(m[1].toLowerCase());
  }
  return {
    recipients: [...recipients],
    originalMessageId,
    status,
    permanent: status ? status.startsWith('5') : undefined,
  };
}

function bounceFilter(p: ParsedEmail): string | undefined {
  const ct = p.contentType;
  const ctHeader = lower(headerValue(p, 'content-type'));
  if (ct === 'multipart/report' && /report-type\s*=\s*"?(delivery-status|disposition-notification)/.test(ctHeader)) return 'multipart/report delivery status';
  if (ct === 'multipart/report' && /report-type\s*=\s*"?feedback-report/.test(ctHeader)) return 'abuse feedback report (ARF)';
  if (has(p, 'x-failed-recipients')) return 'X-Failed-Recipients';
  const from = p.from?.address ?? '';
  const daemon = DAEMON_LOCAL.test(localPart(from)) || /mailer[-_ ]?daemon|mail delivery (subsystem|system)/i.test(p.from?.name ?? '');
  const nullSender = p.returnPath === '' || /^<?>?$/.test(p.returnPath ?? 'x') || /^mailer-daemon@/i.test(p.returnPath ?? '');
  const subject = BOUNCE_SUBJECT.test(p.subject);
  const deliveryPart = p.attachments.some((a) => /^(message\/(delivery-status|global-delivery-status)|text\/rfc822-headers)$/.test(a.contentType));
  if (deliveryPart) return 'a delivery-status part';
  if (daemon && (subject || nullSender)) return `from ${from || p.from?.name} with a delivery-failure subject or null sender`;
  if (subject && nullSender) return 'a delivery-failure subject from the null sender';
  if (subject && (daemon || !from)) return 'a delivery-failure subject without a human sender';
  if (daemon && BOUNCE_BODY.test(p.text.slice(0, 3000))) return `from ${from} with an SMTP error in the text`;
  return undefined;
}

function autoReplyFilter(p: ParsedEmail): string | undefined {
  const auto = lower(headerValue(p, 'auto-submitted'));
  if (auto && !auto.startsWith('no')) return `Auto-Submitted: ${auto}`;
  for (const h of ['x-autoreply', 'x-autorespond', 'x-autogenerated', 'x-auto-reply', 'x-autoresponder']) {
    const v = lower(headerValue(p, h));
    if (has(p, h) && v !== 'no' && v !== 'false') return `${h}: ${v || '(present)'}`;
  }
  const precedence = lower(headerValue(p, 'precedence'));
  if (/^(auto[-_]reply|junk)/.test(precedence)) return `Precedence: ${precedence}`;
  const suppress = lower(headerValue(p, 'x-auto-response-suppress'));
  if (suppress && /(all|oof|autoreply|dr|rn|nrn)/.test(suppress)) return `X-Auto-Response-Suppress: ${suppress}`;
  for (const h of ['x-ms-exchange-inbox-rules-loop', 'x-ms-exchange-organization-autoreplytype', 'x-ms-exchange-generated-message-source']) {
    if (has(p, h)) return `${h}`;
  }
  const messageClass = [headerValue(p, 'x-ms-exchange-organization-messageclass'), headerValue(p, 'x-messageclass'), headerValue(p, 'content-class'), headerValue(p, 'x-message-class'), headerValue(p, 'x-post-messageclass')]
    .map(lower)
    .find((v) => /oof|autoreply|auto[-_]?respon(se|der)|ipm\.note\.rules/.test(v));
  if (messageClass) return `message class ${messageClass}`;
  if (AUTO_SUBJECT.test(p.subject)) return `subject "${p.subject.slice(0, 80)}"`;
  return undefined;
}

function listFilter(p: ParsedEmail): string | undefined {
  for (const h of ['list-id', 'list-post', 'list-unsubscribe', 'mailing-list', 'x-mailing-list', 'x-mailman-version', 'list-help', 'x-campaign', 'x-campaignid', 'x-mc-user', 'feedback-id', 'x-listmember', 'x-list']) {
    if (has(p, h)) return `${h} header`;
  }
  const precedence = lower(headerValue(p, 'precedence'));
  // Precedence: bulk alone on a reply is what some forwarding relays stamp on everything they pass on
  if (precedence.startsWith('list') || (precedence.startsWith('bulk') && !p.inReplyTo)) return `Precedence: ${precedence}`;
  const mailer = headerValue(p, 'x-mailer') ?? '';
  if (BULK_MAILER.test(mailer)) return `X-Mailer: ${mailer}`;
  const senders = [p.from?.address, headerValue(p, 'sender'), p.returnPath, headerValue(p, 'errors-to')]
    .map((a) => lower(a).replace(/^.*<([^>]+)>.*$/, '$1').trim())
    // SRS addresses are a forwarding relay's envelope, not the sender
    .filter((a) => a.includes('@') && !/^srs[01][=+-]/.test(a));
  const bulkSender = senders.find((a) => BULK_LOCAL.test(localPart(a)) || /^(bounce|bounces|mailer-\w+|return|bulk)[-_.+=]/.test(localPart(a)));
  if (bulkSender) return `bulk sender ${bulkSender}`;
  // only what the sender wrote now: a human reply may quote a newsletter's footer
  const own = splitQuoted(p.text).newText;
  const text = own.length > 6000 ? `${own.slice(0, 3000)}\n${own.slice(-3000)}` : own;
  // a reply may quote a notification's footer: only a message that starts a conversation is judged by its text
  const startsConversation = !p.inReplyTo && p.references.length === 0 && !/^\s*(re|aw|sv|antw)\s*:/i.test(p.subject);
  const bulkText = startsConversation ? text.match(BULK_BODY) : null;
  if (bulkText) return `bulk mail text: "${bulkText[0]}"`;
  return undefined;
}

function spamFilter(p: ParsedEmail): Classification['spam'] {
  const flag = lower(headerValue(p, 'x-spam-flag'));
  if (flag.startsWith('yes') || flag === 'true') return { source: 'header', detail: `X-Spam-Flag: ${flag}` };
  const status = lower(headerValue(p, 'x-spam-status'));
  if (status.startsWith('yes')) return { source: 'header', detail: `X-Spam-Status: ${status.slice(0, 60)}` };
  const verdict = lower(headerValue(p, 'x-spam'));
  if (verdict === 'yes' || verdict === 'spam') return { source: 'header', detail: `X-Spam: ${verdict}` };
  return undefined;
}

/** The seed's subject tags: `[urgent]`, `[critical]` … for priority, `[billing]` … for the category. */
export function subjectTags(subject: string): Classification['tags'] {
  const tags = [...subject.matchAll(/\[([a-z][\w-]{0,30})\]/gi)].map((m) => m[1].toLowerCase());
  const out: Classification['tags'] = { tags: [] };
  for (const t of tags) {
    if (!out.priority && PRIORITY_TAGS[t]) out.priority = PRIORITY_TAGS[t];
    else if (!out.category && CATEGORY_TAGS.includes(t)) out.category = t;
    else if (!PRIORITY_TAGS[t] && !CATEGORY_TAGS.includes(t)) continue;
    out.tags.push(t);
  }
  return out;
}

export function classifyEmail(p: ParsedEmail, opts: { ownAddresses: string[] }): Classification {
  let suppress: { reason: SuppressReason; detail: string } | undefined;
  let bounce: BounceInfo | undefined;
  const loop = loopFilter(p, opts.ownAddresses);
  if (loop) suppress = { reason: 'loop', detail: loop };
  const bounced = bounceFilter(p);
  if (bounced) {
    bounce = bounceDetails(p);
    suppress ??= { reason: 'bounce', detail: bounced };
  }
  const autoReply = bounced ? undefined : autoReplyFilter(p);
  if (autoReply) suppress ??= { reason: 'auto_reply', detail: autoReply };
  const list = listFilter(p);
  if (list) suppress ??= { reason: 'list', detail: list };
  return {
    suppress,
    automated: !!(bounced || autoReply || list || loop),
    bounce,
    spam: spamFilter(p),
    tags: subjectTags(p.subject),
  };
}
