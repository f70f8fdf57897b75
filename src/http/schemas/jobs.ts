import { z } from 'zod';
import { JOB_STATES } from '../../jobs/queue.ts';

export const JobState = z.enum(JOB_STATES);

export const ListJobsQuery = z.strictObject({
  state: JobState.optional(),
  name: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const instant = z.string().describe('ISO 8601 date-time');

export const Job = z
  .object({
    id: z.uuid(),
    name: z.string().describe('the job kind, e.g. sla.check'),
    state: JobState.describe('created → active → completed; a failed attempt → retry (after its backoff) or, past the retry limit, failed (dead: replayable)'),
    data: z.unknown(),
    singletonKey: z.string().nullable(),
    retryCount: z.number().int().describe('attempts so far minus one'),
    retryLimit: z.number().int(),
    startAfter: instant.describe('not run before this instant (the next retry, for a job waiting to retry)'),
    createdOn: instant,
    startedOn: instant.nullable(),
    completedOn: instant.nullable(),
    output: z.unknown().describe('what the last attempt left: { name, message } of its error'),
    error: z.string().nullable().describe('the last error, for a job waiting to retry or failed'),
    archived: z.boolean().describe('moved to the archive (completed jobs after 12 hours, failed after 7 days)'),
  })
  .describe('A job of the durable queue');
