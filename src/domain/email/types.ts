/**
 * The e-mail channel's shared shapes (docs/ARCHITECTURE.md "E-mail").
 *
 *   transport (SMTP listener | IMAP poller | replay)
 *     → ingestMessage(raw bytes, mailbox)            src/domain/email/ingest.ts
 *         parseEmail(raw)        → ParsedEmail       src/domain/email/parse.ts
 *         classifyEmail(parsed)  → Classification    src/domain/email/classify.ts (filters only annotate)
 *         threading, requester, content (quote split, sanitized HTML), one transaction
 *     → IngestOutcome (the SMTP listener answers 250 only once this resolved)
 *
 * Pure parts (parse, classify, quote, sanitize, subject, token) never touch the database.
 */

export interface Address {
  /** lower-cased, trimmed; '' when the header held no usable address */
  address: string;
  name: string;
}

export interface ParsedAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  /** Content-ID without angle brackets, for inline (cid:) images */
  contentId?: string;
  /** shown inline in the HTML (Content-Disposition inline with a Content-ID) */
  inline: boolean;
  /** extracted from a winmail.dat / TNEF part */
  fromTnef?: boolean;
}

export interface ParsedEmail {
  /** Message-ID without angle brackets; undefined when missing or empty */
  messageId?: string;
  inReplyTo?: string;
  /** Message-IDs without angle brackets, oldest first (always an array) */
  references: string[];
  from?: Address;
  /** Reply-To when present (the customer's intended address) */
  replyTo?: Address;
  /** Return-Path / envelope sender as written in the header; '' for the null sender `<>` */
  returnPath?: string;
  to: Address[];
  cc: Address[];
  subject: string;
  date?: Date;
  /** header name (lower case) → the raw values, in order */
  headers: Map<string, string[]>;
  /** the plain-text body (from text/plain, or derived from the HTML) */
  text: string;
  /** the HTML body exactly as received (unsanitized: never shown as is) */
  html?: string;
  attachments: ParsedAttachment[];
  /** the Content-Type of the top-level message, lower case without parameters */
  contentType: string;
  /** parse problems that were tolerated (bad charset, broken MIME …) */
  warnings: string[];
  /** the machine-readable lines of a delivery report (Final-Recipient, Status, Action …), when the message is one */
  deliveryStatus?: string;
  /** SHA-256 (hex) of the raw bytes: the dedupe key when Message-ID is missing */
  contentHash: string;
}

export type SuppressReason = 'auto_reply' | 'bounce' | 'list' | 'loop';

export interface BounceInfo {
  /** the addresses that failed (from the DSN's Final-Recipient, or the body) */
  recipients: string[];
  /** the Message-ID of our message that bounced, when the report carries it */
  originalMessageId?: string;
  /** permanent (5.x.x) or transient (4.x.x) when known */
  permanent?: boolean;
  status?: string;
}

/** What the ordered filters found. They only annotate; ingest decides. */
export interface Classification {
  /** why the message must neither open a ticket nor be acknowledged; undefined for ordinary mail */
  suppress?: { reason: SuppressReason; detail: string };
  /** RFC 3834 and friends: the message was sent automatically (never answer it) */
  automated: boolean;
  bounce?: BounceInfo;
  /** upstream spam verdict (X-Spam-Flag / X-Spam-Status), before spamd */
  spam?: { source: 'header'; detail: string };
  /** seed subject tags, e.g. [urgent] → priority, [billing] → category */
  tags: { priority?: 'low' | 'normal' | 'high' | 'critical'; category?: string; tags: string[] };
}

export type ThreadedBy = 'header' | 'token' | 'subject';

export type IngestOutcome =
  | { outcome: 'ticket_created'; ticketId: string; commentId: string | null; logId: string }
  | { outcome: 'comment_added'; ticketId: string; commentId: string; threadedBy: ThreadedBy; logId: string }
  | { outcome: 'suppressed'; reason: SuppressReason | 'duplicate'; ticketId?: string; commentId?: string; logId: string }
  | { outcome: 'suspended'; reason: 'spam'; suspendedId: string; logId: string }
  | { outcome: 'failed'; failureId: string; error: string; logId: string };

/** How a message reached us (kept on the inbound log). */
export type Transport = 'smtp' | 'imap' | 'api' | 'replay';
