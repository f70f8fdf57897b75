/**
 * The worker role: which job kinds Triage runs, and starting them. Handlers
 * must be idempotent (STYLE.md habit 9): a job may run late, twice (a worker
 * killed after its work committed but before the job was marked done), or
 * again after an admin's replay.
 */
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Jobs } from './queue.ts';
import { registerSlaJobs } from './sla-jobs.ts';
import { registerEmailJobs } from './email-jobs.ts';
import { registerPortalJobs } from './portal-jobs.ts';
import { loadConfig, type Config } from '../platform/config.ts';
import { loadSecretKey } from '../platform/crypto.ts';

export interface WorkerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** SLA_WEBHOOK_URL: where SLA breach notifications are POSTed */
  webhookUrl?: string;
  /** TRIAGE_TEST_JOBS: also run the test-only `test.record` kind (process tests only). */
  testJobs?: boolean;
  /** the configuration (outbound SMTP relay, attachment store, secret key); absent: read from the environment */
  config?: Config;
}

/**
 * Registers every job kind on the queue. The worker role calls it at start
 * (then `jobs.start()` polls); createTestApp calls it too, so that tests run
 * the same handlers with `runDue`. Add a kind here: `await jobs.work(name, handler)`.
 */
export async function registerHandlers(jobs: Jobs, deps: WorkerDeps): Promise<void> {
  let mail: Promise<{ secretKey: Buffer; smtpOutboundUrl?: string }> | undefined;
  const mailDeps = () =>
    (mail ??= (async () => {
      const config = deps.config ?? loadConfig();
      return { secretKey: await loadSecretKey(config), smtpOutboundUrl: config.smtpOutboundUrl };
    })());
  await registerSlaJobs(jobs, { ...deps, jobs, mail: mailDeps });
  await registerEmailJobs(jobs, deps);
  await registerPortalJobs(jobs, { ...deps, mail: mailDeps });
  if (deps.testJobs) await registerTestJobs(jobs, deps.db);
}

/** Registers the handlers and starts polling (the `worker` role). */
export async function startWorkers(jobs: Jobs, deps: WorkerDeps): Promise<void> {
  await registerHandlers(jobs, deps);
  await jobs.start();
}

/** The test-only kind: records each execution in `test_job_runs`, a table only the process tests create. */
export const TEST_JOB = 'test.record';

async function registerTestJobs(jobs: Jobs, db: Db): Promise<void> {
  await jobs.work(
    TEST_JOB,
    async (data: { sleepMsOnFirstAttempt?: number }, job) => {
      await db.query('INSERT INTO test_job_runs (job_id, attempt, pid) VALUES ($1, $2, $3)', [job.id, job.attempt, process.pid]);
      // a job a test kills its worker in the middle of
      if (data.sleepMsOnFirstAttempt && job.attempt === 1) await new Promise((r) => setTimeout(r, data.sleepMsOnFirstAttempt));
      await db.query('UPDATE test_job_runs SET finished = true WHERE job_id = $1 AND attempt = $2', [job.id, job.attempt]);
    },
    { batchSize: 5, concurrency: 2 },
  );
}
