import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError, Errors } from '../../domain/errors.ts';
import { can, require } from '../../domain/auth/policies.ts';
import type { JobQueue, JobView } from '../../jobs/queue.ts';
import { problems, UuidParams } from '../schemas/common.ts';
import { Job, ListJobsQuery } from '../schemas/jobs.ts';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function presentJob(j: JobView) {
  return {
    id: j.id, name: j.name, state: j.state, data: j.data, singletonKey: j.singletonKey,
    retryCount: j.retryCount, retryLimit: j.retryLimit,
    startAfter: iso(j.startAfter)!, createdOn: iso(j.createdOn)!, startedOn: iso(j.startedOn), completedOn: iso(j.completedOn),
    output: j.output, error: j.error, archived: j.archived,
  };
}

/** The job queue for admins: what is waiting, running, retrying or dead, and replaying the dead. */
export async function adminJobRoutes(app: FastifyInstance, deps: { jobs?: JobQueue }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['admin'];
  const queue = (req: { actor: Parameters<typeof can.administer>[0] }): JobQueue => {
    require(can.administer(req.actor), 'Only admins see the job queue.');
    if (!deps.jobs) throw new AppError(503, 'jobs.unavailable', 'Job queue unavailable', 'This process has no job queue.');
    return deps.jobs;
  };

  r.get('/admin/jobs', {
    schema: {
      tags, summary: 'Jobs of the durable queue, newest first (admins)',
      querystring: ListJobsQuery,
      response: { 200: z.object({ jobs: z.array(Job) }), ...problems(400, 401, 403) },
    },
  }, async (req) => ({ jobs: (await queue(req).list(req.query)).map(presentJob) }));

  r.get('/admin/jobs/:id', {
    schema: { tags, summary: 'One job (admins)', params: UuidParams, response: { 200: Job, ...problems(400, 401, 403, 404) } },
  }, async (req) => {
    const job = await queue(req).get(req.params.id);
    if (!job) throw Errors.notFound('job', req.params.id);
    return presentJob(job);
  });

  r.post('/admin/jobs/:id/replay', {
    schema: {
      tags, summary: 'Give a failed (dead) job one more attempt (admins)',
      params: UuidParams, response: { 200: Job, ...problems(401, 403, 404, 409) },
    },
  }, async (req) => {
    const result = await queue(req).replay(req.params.id);
    if (result === 'not_found') throw Errors.notFound('job', req.params.id);
    if (result === 'not_failed') throw Errors.conflict('job.not_failed', 'Only a failed job can be replayed.');
    req.log.info({ jobId: result.id, job: result.name, actor: req.actor.id }, 'job replayed by an admin');
    return presentJob(result);
  });
}
