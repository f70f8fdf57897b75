/**
 * Automatic acknowledgements: when mail opens a ticket through a mailbox with
 * autoAcknowledge, the first active auto-response matching the mailbox and category
 * is rendered with Liquid and queued like any outbound mail, marked
 * `Auto-Submitted: auto-replied`. Never for automated mail; at most one per ticket
 * (a unique row); at most AUTO_MAIL_PER_HOUR automatic mails per address and hour,
 * counted in the database, so two auto-responders cannot ping-pong through us.
 */
import { Liquid } from 'liquidjs';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../platform/config.ts';
import type { Jobs } from '../../jobs/queue.ts';
import {
  bouncingAmong, claimAcknowledgement, countAutoMail, pickAutoResponse, setAcknowledgementMessage, ticketSlaDue,
  type MailboxRow,
} from '../../db/repositories/email.ts';
import { Errors } from '../errors.ts';
import { enqueueOutbound } from './outbound.ts';

export const AUTO_MAIL_PER_HOUR = 5;

// Text bodies: nothing to escape (a text/plain mail shows `<` as `<`). The HTML alternative is
// rendered by `htmlEngine`, which escapes every output, so a subject like `<script>` stays text.
const textEngine = new Liquid({ strictVariables: false, strictFilters: true, cache: 100 });
const htmlEngine = new Liquid({ strictVariables: false, strictFilters: true, outputEscape: 'escape', cache: 100 });

/** Throws a 400 naming `field` when `source` is not a valid Liquid template. */
export function validateTemplate(field: string, source: string): void {
  try {
    textEngine.parse(source);
  } catch (err) {
    throw Errors.validation([{ path: field, message: `Liquid syntax error: ${(err as Error).message.split('\n')[0]}` }]);
  }
}

/** The base URL links in mail point to: PUBLIC_URL, else http://localhost:<PORT> (mail has no request to take an origin from). */
export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'port'>): string {
  return config.publicUrl ?? `http://localhost:${config.port}`;
}

/** Where the requester follows a ticket: the customer portal's page of it. */
export function portalTicketUrl(baseUrl: string, number: number): string {
  return `${baseUrl.replace(/\/+$/, '')}/portal/tickets/${number}`;
}

export interface AckVariables {
  /** `url`: the ticket in the customer portal (present when the base URL is known) */
  ticket: { number: number; subject: string; status: string; priority: string; category: string; url?: string };
  requester: { name: string; email: string };
  sla: { responseDue: string | null; resolutionDue: string | null };
}

/** Renders an auto-response: subject and text body as text, plus an HTML body with every output escaped. */
export async function renderAutoResponse(t: { subject: string; body: string }, vars: AckVariables): Promise<{ subject: string; text: string; html: string }> {
  const scope = vars as unknown as Record<string, unknown>;
  const subject = (await textEngine.parseAndRender(t.subject, scope)).replace(/[\r\n]+/g, ' ').trim();
  const text = await textEngine.parseAndRender(t.body, scope);
  const html = `<div style="white-space: pre-wrap">${await htmlEngine.parseAndRender(t.body, scope)}</div>`;
  return { subject, text, html };
}

/** The start of the hour `now` is in (the rate limit's window). */
function hourOf(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
}

/**
 * Queues the acknowledgement of a ticket mail just opened, inside the ingest transaction.
 * Returns why nothing was sent, or 'queued'.
 */
export async function acknowledgeNewTicket(
  db: Db,
  jobs: Jobs | undefined,
  a: {
    ticket: { id: string; number: number; subject: string; status: string; priority: string; category: string };
    requester: { name: string; email: string };
    mailbox: MailboxRow;
    automated: boolean;
    /** the base URL of `ticket.url` (see publicBaseUrl); absent: templates see no `ticket.url` */
    publicUrl?: string;
  },
  now: Date,
): Promise<'queued' | 'off' | 'automated' | 'no_template' | 'already' | 'rate_limited' | 'bouncing'> {
  if (!jobs || !a.mailbox.auto_acknowledge) return 'off';
  // never answer a machine: that is how mail loops start
  if (a.automated) return 'automated';
  const address = a.requester.email.toLowerCase();
  if (!address.includes('@') || address.endsWith('.invalid')) return 'off';
  const template = await pickAutoResponse(db, a.mailbox.id, a.ticket.category);
  if (!template) return 'no_template';
  if ((await bouncingAmong(db, [address])).size > 0) return 'bouncing';
  if (!(await claimAcknowledgement(db, { ticketId: a.ticket.id, address, autoResponseId: template.id }, now))) return 'already';
  if ((await countAutoMail(db, address, hourOf(now))) > AUTO_MAIL_PER_HOUR) return 'rate_limited';
  const due = await ticketSlaDue(db, a.ticket.id);
  const rendered = await renderAutoResponse(template, {
    ticket: { ...a.ticket, ...(a.publicUrl ? { url: portalTicketUrl(a.publicUrl, a.ticket.number) } : {}) },
    requester: { name: a.requester.name, email: address },
    sla: {
      responseDue: due?.response_due ? new Date(due.response_due).toISOString() : null,
      resolutionDue: due?.resolution_due ? new Date(due.resolution_due).toISOString() : null,
    },
  });
  const domain = a.mailbox.address.slice(a.mailbox.address.lastIndexOf('@') + 1);
  const row = await enqueueOutbound(db, jobs, {
    kind: 'ack', ticketId: a.ticket.id, commentId: null, mailbox: a.mailbox, to: { address, name: a.requester.name }, cc: [],
    subject: rendered.subject, body: rendered.text, html: rendered.html, messageId: `triage.ack.${a.ticket.id}@${domain}`,
  }, now);
  if (row) await setAcknowledgementMessage(db, a.ticket.id, row.id);
  return 'queued';
}
