import { z } from 'zod';

const Slug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'A group slug: lower-case letters, digits, - and _').max(100);
const Host = z.string().trim().min(1).max(255);
const Port = z.number().int().min(1).max(65535);

// an IMAP mailbox name: no control characters, no LIST wildcards
const FolderName = z.string().trim().min(1).max(255).regex(/^[^\u0000-\u001f\u007f*%]+$/, 'A folder name without control characters, * or %');

const SmtpInbound = z.strictObject({ type: z.literal('smtp') });
const ImapInbound = z.strictObject({
  type: z.literal('imap'),
  host: Host,
  port: Port,
  secure: z.boolean(),
  user: z.string().min(1).max(320),
  password: z.string().min(1).max(1000).optional().describe('Write-only: never returned (hasPassword says whether one is stored)'),
  folder: z.string().min(1).max(255).optional(),
  processedFolder: FolderName.nullable().optional().describe('After a message is committed it is moved here (created when missing) instead of only being marked seen'),
});
const OutboundSmtp = z.strictObject({
  host: Host,
  port: Port,
  secure: z.boolean(),
  user: z.string().min(1).max(320).optional(),
  password: z.string().min(1).max(1000).optional().describe('Write-only: never returned'),
});

export const CreateMailboxBody = z.strictObject({
  address: z.email().max(320).transform((s) => s.toLowerCase()),
  name: z.string().trim().min(1).max(255),
  group: Slug.nullable().optional(),
  category: z.string().trim().min(1).max(100).nullable().optional(),
  inbound: z.discriminatedUnion('type', [SmtpInbound, ImapInbound]).optional(),
  outbound: OutboundSmtp.nullable().optional().describe('Absent: SMTP_OUTBOUND_URL is the relay'),
  autoAcknowledge: z.boolean().optional(),
  isActive: z.boolean().optional(),
});
export const UpdateMailboxBody = CreateMailboxBody.partial();

export const Mailbox = z.object({
  id: z.uuid(),
  address: z.string(),
  name: z.string(),
  group: z.string().nullable(),
  category: z.string().nullable(),
  inbound: z.union([
    z.object({ type: z.literal('smtp') }),
    z.object({ type: z.literal('imap'), host: z.string(), port: z.number(), secure: z.boolean(), user: z.string(), folder: z.string(), processedFolder: z.string().nullable(), hasPassword: z.boolean() }),
  ]),
  outbound: z.object({ host: z.string(), port: z.number(), secure: z.boolean(), user: z.string().nullable(), hasPassword: z.boolean() }).nullable(),
  autoAcknowledge: z.boolean(),
  isActive: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const CreateAutoResponseBody = z.strictObject({
  name: z.string().trim().min(1).max(255),
  mailbox: z.uuid().nullable().optional().describe('Only for this mailbox (absent: any)'),
  category: z.string().trim().min(1).max(100).nullable().optional().describe('Only for tickets of this category (absent: any)'),
  subject: z.string().min(1).max(500).describe('Liquid template'),
  body: z.string().min(1).max(50_000).describe('Liquid template: ticket.{number,subject,status,priority,category,url}, requester.{name,email}, sla.{responseDue,resolutionDue}'),
  isActive: z.boolean().optional(),
  position: z.number().int().min(0).max(1_000_000).optional(),
});
export const UpdateAutoResponseBody = CreateAutoResponseBody.partial();

export const AutoResponse = z.object({
  id: z.uuid(),
  name: z.string(),
  mailbox: z.string().nullable(),
  category: z.string().nullable(),
  subject: z.string(),
  body: z.string(),
  isActive: z.boolean(),
  position: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const IngestOutcomeSchema = z.object({
  outcome: z.enum(['ticket_created', 'comment_added', 'suppressed', 'suspended', 'failed']),
  reason: z.string().optional(),
  ticketId: z.string().optional(),
  commentId: z.string().nullable().optional(),
  threadedBy: z.string().optional(),
  suspendedId: z.string().optional(),
  failureId: z.string().optional(),
  error: z.string().optional(),
  logId: z.string(),
});

export const InboundLogEntry = z.object({
  id: z.uuid(),
  receivedAt: z.string(),
  mailbox: z.string().nullable(),
  transport: z.string(),
  messageId: z.string().nullable(),
  from: z.string().nullable(),
  subject: z.string().nullable(),
  outcome: z.string(),
  reason: z.string().nullable(),
  ticketId: z.string().nullable(),
  commentId: z.string().nullable(),
});

export const InboundFailure = z.object({
  id: z.uuid(),
  mailboxId: z.string().nullable(),
  transport: z.string(),
  error: z.string(),
  attempts: z.number(),
  size: z.number(),
  createdAt: z.string(),
  lastAttemptAt: z.string(),
  resolvedAt: z.string().nullable(),
});

export const SuspendedMessage = z.object({
  id: z.uuid(),
  mailboxId: z.string().nullable(),
  messageId: z.string().nullable(),
  from: z.string().nullable(),
  subject: z.string().nullable(),
  reason: z.string(),
  spamScore: z.number().nullable(),
  spamThreshold: z.number().nullable(),
  createdAt: z.string(),
});

export const LimitQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });
