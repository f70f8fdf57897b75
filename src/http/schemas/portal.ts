import { z } from 'zod';
import { Status } from './tickets.ts';

const Email = z.email().max(320);

/** A portal page a sign-in link may lead back to: the list or one ticket (never another site). */
export const PORTAL_RETURN_PATH = /^\/portal(\/tickets\/\d{1,15})?$/;

export const SignInLinkBody = z.strictObject({
  email: Email,
  returnTo: z.string().regex(PORTAL_RETURN_PATH, 'A portal path: /portal or /portal/tickets/<number>').optional()
    .describe('the page to open once signed in (e.g. the ticket the requester was sent to)'),
});
export const SessionBody = z.strictObject({ token: z.string().min(1).max(200) });

export const PortalMe = z.object({
  name: z.string(),
  email: z.string(),
  organization: z.string().nullable(),
  organizationTicketsVisible: z.boolean().describe('the organization shares its tickets: ?scope=organization lists them'),
});

export const TicketNumberParams = z.strictObject({ number: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

export const PortalTicketsQuery = z.strictObject({
  scope: z.enum(['mine', 'organization']).default('mine'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const PortalTicketRow = z.object({
  number: z.number().int(), subject: z.string(), status: Status, requesterName: z.string(), createdAt: z.string(), updatedAt: z.string(),
});

const PortalAttachment = z.object({ id: z.string(), fileName: z.string(), size: z.number(), mimeType: z.string(), url: z.string() });

export const PortalTicket = z.object({
  number: z.number().int(),
  subject: z.string(),
  description: z.string(),
  status: Status,
  requesterName: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  resolvedAt: z.string().nullable(),
  attachments: z.array(PortalAttachment),
  comments: z.array(z.object({
    id: z.string(),
    author: z.object({ type: z.enum(['agent', 'requester', 'system']), name: z.string() }),
    content: z.string(),
    createdAt: z.string(),
    attachments: z.array(PortalAttachment),
  })).describe('public replies only, oldest first'),
}).describe('a ticket as its requester sees it');

export const PortalReplyBody = z.strictObject({ content: z.string().trim().min(1).max(100_000) });

export const WebRequestBody = z.strictObject({
  name: z.string().trim().min(1).max(255).optional().describe('required unless signed in'),
  email: Email.optional().describe('required unless signed in'),
  subject: z.string().trim().min(1).max(500),
  description: z.string().trim().min(1).max(100_000),
  formToken: z.string().min(1).max(200).describe('from GET /portal/form-token, at least a few seconds old'),
  website: z.string().max(1000).optional().describe('the honeypot: people leave it empty (the form hides it)'),
});

export const OrganizationPortal = z.object({ organizationId: z.string(), sharedTickets: z.boolean() });

/** OpenAPI: the routes a signed-in requester calls (their session cookie, not an agent's credentials). */
export const PortalSecurity = [{ portalSession: [] as string[] }];
