/**
 * SLA job kinds: `sla.check` (record warnings and breaches at their instant,
 * escalate a new breach) and `sla.notify` (tell the assignee and the group's
 * supervisors about a breach — by webhook to SLA_WEBHOOK_URL when set, and by
 * e-mail from the ticket's mailbox when one can send).
 */
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Jobs } from './queue.ts';
import { SYSTEM_ACTOR } from '../domain/context.ts';
import { checkSla, refreshSla, SLA_CHECK_JOB, SLA_NOTIFY_JOB, SLA_RECOMPUTE_JOB, type CheckResult } from '../domain/sla/engine.ts';
import { ticketsToRecompute } from '../db/repositories/sla-state.ts';
import { escalateTicket } from '../domain/tickets/commands.ts';
import { sendNotice } from '../domain/email/outbound.ts';
import { mailboxForTicket, threadTicketById } from '../db/repositories/email.ts';

export interface SlaJobDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs?: Jobs;
  /** SLA_WEBHOOK_URL: where breach notifications are POSTed as JSON */
  webhookUrl?: string;
  /** how to send e-mail (the secret key and SMTP_OUTBOUND_URL), read on first use; absent: no e-mail */
  mail?: () => Promise<{ secretKey: Buffer; smtpOutboundUrl?: string }>;
}

/** One `sla.check` run for a ticket, with the routing issue's escalation hook wired in. */
export function runSlaCheck(deps: { db: Db; clock: Clock; jobs?: Jobs }, ticketId: string): Promise<CheckResult> {
  return checkSla(deps, ticketId, async (db, id, action) => {
    await escalateTicket({ db, clock: deps.clock, jobs: deps.jobs, actor: SYSTEM_ACTOR }, id, action);
  });
}

export interface SlaNotification {
  ticketId: string;
  target: string;
  dueAt: string;
  policy: string;
  recipients: { id: string; name: string; email: string }[];
}

/** Delivers a breach notification; a failed delivery throws, so the queue retries it with backoff. */
export async function deliverSlaNotification(deps: SlaJobDeps, n: SlaNotification): Promise<void> {
  deps.logger.warn({ ticketId: n.ticketId, target: n.target, dueAt: n.dueAt, recipients: n.recipients.map((r) => r.email) }, 'SLA breach');
  if (deps.webhookUrl) {
    const res = await fetch(deps.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'sla.breach', ...n }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`SLA webhook answered ${res.status}`);
  }
  await emailSlaNotification(deps, n);
}

const TARGET_NAMES: Record<string, string> = { first_response: 'first response', next_response: 'next response', resolution: 'resolution' };

/** The breach by e-mail to the same recipients, from the ticket's mailbox; nothing when no mailbox can send. */
async function emailSlaNotification(deps: SlaJobDeps, n: SlaNotification): Promise<void> {
  const to = n.recipients.map((r) => r.email).filter((e) => e.includes('@'));
  if (!deps.mail || to.length === 0) return;
  const [mailbox, ticket] = await Promise.all([mailboxForTicket(deps.db, n.ticketId), threadTicketById(deps.db, n.ticketId)]);
  if (!mailbox || !ticket) return;
  const target = TARGET_NAMES[n.target] ?? n.target;
  const sent = await sendNotice(await deps.mail(), mailbox, {
    to,
    subject: `[#${ticket.number}] SLA breached: ${target} — ${ticket.subject}`,
    text: [
      `The ${target} target of ticket #${ticket.number} ("${ticket.subject}") was due at ${n.dueAt} and is breached.`,
      `SLA policy: ${n.policy}.`,
      '',
      'You receive this as the ticket\'s assignee or a supervisor of its group.',
    ].join('\n'),
  });
  if (!sent) deps.logger.warn({ ticketId: n.ticketId }, 'SLA breach not e-mailed: no SMTP server for the mailbox (set SMTP_OUTBOUND_URL)');
}

/**
 * After an admin changed or deleted a policy or a calendar: the open tickets it
 * governs pick their policy again and get their deadlines recomputed, one
 * short transaction per ticket (its row locked), so a large backlog never holds long locks.
 */
export async function recomputeSla(
  deps: { db: Db; clock: Clock; jobs?: Jobs },
  scope: { policyId?: string; calendarId?: string; orphans?: boolean },
): Promise<number> {
  const ids = await ticketsToRecompute(deps.db, scope);
  for (const id of ids) {
    await deps.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE', [id]);
      await refreshSla({ db: tx, now: deps.clock.now(), jobs: deps.jobs, actor: SYSTEM_ACTOR }, id, { rematch: true });
    });
  }
  return ids.length;
}

export async function registerSlaJobs(jobs: Jobs, deps: SlaJobDeps): Promise<void> {
  await jobs.work(SLA_RECOMPUTE_JOB, async (data: { policyId?: string; calendarId?: string; orphans?: boolean }) => {
    await recomputeSla({ db: deps.db, clock: deps.clock, jobs }, data);
  });
  await jobs.work(SLA_CHECK_JOB, async (data: { ticketId: string }) => {
    await runSlaCheck({ db: deps.db, clock: deps.clock, jobs }, data.ticketId);
  }, { batchSize: 20, concurrency: 4 });
  await jobs.work(SLA_NOTIFY_JOB, async (data: SlaNotification) => deliverSlaNotification(deps, data));
}
