/**
 * SLA job kinds: `sla.check` (record warnings and breaches at their instant,
 * escalate a new breach) and `sla.notify` (tell the assignee and the group's
 * supervisors about a breach — by webhook to SLA_WEBHOOK_URL when set; e-mail
 * joins when the e-mail channel exists).
 */
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Jobs } from './queue.ts';
import { SYSTEM_ACTOR } from '../domain/context.ts';
import { checkSla, SLA_CHECK_JOB, SLA_NOTIFY_JOB, type CheckResult } from '../domain/sla/engine.ts';
import { escalateTicket } from '../domain/tickets/commands.ts';

export interface SlaJobDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs?: Jobs;
  /** SLA_WEBHOOK_URL: where breach notifications are POSTed as JSON */
  webhookUrl?: string;
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
  if (!deps.webhookUrl) return;
  const res = await fetch(deps.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'sla.breach', ...n }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`SLA webhook answered ${res.status}`);
}

export async function registerSlaJobs(jobs: Jobs, deps: SlaJobDeps): Promise<void> {
  await jobs.work(SLA_CHECK_JOB, async (data: { ticketId: string }) => {
    await runSlaCheck({ db: deps.db, clock: deps.clock, jobs }, data.ticketId);
  }, { batchSize: 20, concurrency: 4 });
  await jobs.work(SLA_NOTIFY_JOB, async (data: SlaNotification) => deliverSlaNotification(deps, data));
}
