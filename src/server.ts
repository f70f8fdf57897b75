import type { FastifyInstance } from 'fastify';
import { openDatabase, type Db } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { buildApp } from './http/app.ts';
import { ensureAdmin } from './domain/auth/commands.ts';
import { SYSTEM_ACTOR } from './domain/context.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import type { Config } from './platform/config.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { scheduleMaintenance } from './jobs/maintenance.ts';
import { scheduleRoutingSweep } from './jobs/routing-sweep.ts';
import { attachmentStore } from './platform/storage.ts';
import { hasActiveAdmin } from './db/repositories/agents.ts';
import { createJobs, type JobQueue } from './jobs/queue.ts';
import { startWorkers } from './jobs/worker.ts';
import { startMail, type RunningMail } from './mail/index.ts';

export interface Running {
  /** the HTTP app and its address; undefined when this process does not have the `web` role */
  app?: FastifyInstance;
  db: Db;
  jobs: JobQueue;
  url?: string;
  /** the mail role (SMTP listener, IMAP pollers); undefined when this process does not have it */
  mail?: RunningMail;
  stop(): Promise<void>;
}

/** Opens the database the configuration names, applies pending migrations. */
export async function openAndMigrate(config: Config, logger?: Logger, onApplied?: (applied: string[]) => void): Promise<Db> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  try {
    const applied = await migrate(db);
    if (applied.length) logger?.info({ applied }, 'migrations applied');
    onApplied?.(applied);
    return db;
  } catch (err) {
    // a failed migration must not leave the data folder locked by a half-open database
    await db.close();
    throw err;
  }
}

/**
 * Starts Triage: database, migrations, the job queue, the bootstrap admin, then
 * the roles of `config.roles` — `worker` (job handlers) and `web` (HTTP).
 * `stop` finishes in-flight requests and running jobs before closing the database.
 */
export async function startServer(config: Config, opts: { clock?: Clock; logger?: Logger } = {}): Promise<Running> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const db = await openAndMigrate(config, logger);
  let jobs: JobQueue | undefined;
  try {
    // every role enqueues (commands send jobs in their transactions); only the worker role runs them
    const queue = (jobs = await createJobs(db, { clock, logger, pollingIntervalSeconds: config.jobsPollSeconds, stopTimeoutMs: config.shutdownTimeoutMs }));
    if (config.adminEmail && config.adminPassword) {
      const result = await ensureAdmin({ db, clock, actor: SYSTEM_ACTOR }, { email: config.adminEmail, password: config.adminPassword });
      if (result === 'created') logger.info({ email: config.adminEmail }, 'admin created');
    }
    if (config.seedDemo) {
      const { seedDemoIfEmpty } = await import('./cli/seed-demo.ts');
      await seedDemoIfEmpty(db, clock, logger, { tickets: config.seedDemoTickets });
    }
    if (!(await hasActiveAdmin(db))) {
      logger.warn('No admin exists yet: start with ADMIN_EMAIL and ADMIN_PASSWORD set, or run `npx triage create-admin --email … --password …`');
    }
    if (config.roles.includes('worker')) {
      await startWorkers(queue, { db, clock, logger, testJobs: config.testJobs, webhookUrl: config.slaWebhookUrl, config });
      logger.info({ roles: config.roles, pollSeconds: config.jobsPollSeconds }, 'job workers started');
    }
    let app: FastifyInstance | undefined;
    let address: string | undefined;
    if (config.roles.includes('web')) {
      app = await buildApp({ db, clock, config, logger, jobs: queue });
      address = await app.listen({ port: config.port, host: config.host });
      logger.info({ address, database: db.kind }, 'Triage is listening');
    }
    // mail: the SMTP listener (when SMTP_PORT is set) and one IMAP poller per active IMAP mailbox
    const mail = config.roles.includes('mail') ? await startMail({ db, clock, jobs: queue, config, logger }) : undefined;
    const stopMaintenance = scheduleMaintenance(db, clock, logger, attachmentStore(config));
    const stopRoutingSweep = scheduleRoutingSweep(db, clock, logger, config.routingSweepSeconds);
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        // A client that never finishes its request must not keep the process alive forever.
        stopMaintenance();
        stopRoutingSweep();
        const closeHttp = async () => {
          if (!app) return;
          const http = app;
          const deadline = setTimeout(() => {
            logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish in time; closing their connections');
            http.server.closeAllConnections();
          }, config.shutdownTimeoutMs);
          deadline.unref();
          try {
            await http.close(); // stops accepting, waits for in-flight requests
          } finally {
            clearTimeout(deadline);
          }
        };
        // Both wait for work in progress: requests, and jobs (failed for a retry elsewhere if they outlast the timeout).
        // mail first stops accepting and lets in-flight messages commit (their jobs are enqueued) before the queue stops
        await Promise.all([closeHttp(), mail?.close().then(() => queue.stop()) ?? queue.stop()]);
        await db.close();
      })());
    return { app, db, jobs: queue, url: address?.replace('0.0.0.0', '127.0.0.1'), mail, stop };
  } catch (err) {
    await jobs?.stop().catch(() => undefined);
    await db.close();
    throw err;
  }
}
