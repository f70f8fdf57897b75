/**
 * The durable job queue: pg-boss 10 behind a small interface, so the domain
 * never imports it (docs/ARCHITECTURE.md "Jobs"). Jobs live in PostgreSQL (or
 * PGlite) in pg-boss's own schema `pgboss`; they are enqueued in the caller's
 * transaction, claimed with SKIP LOCKED, retried with backoff, parked as
 * `failed` after their retry limit, and taken over by another worker when the
 * worker holding one dies (the lease, pg-boss's `expireInSeconds`).
 */
import PgBoss from 'pg-boss';
import pino from 'pino';
import type { Db } from '../db/client.ts';
import { systemClock, type Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';

export interface JobOptions {
  /** Not before this instant (default: now). */
  startAfter?: Date;
  /** Stored for correlation and shown by the admin API. It does NOT de-duplicate: handlers must be idempotent. */
  singletonKey?: string;
  /** Retries after the first attempt before the job is parked as `failed` (default 5). */
  retryLimit?: number;
  /** Delay before the first retry, in seconds; doubled (with jitter) on each further retry (default 5). */
  retryDelaySeconds?: number;
  /** false: every retry waits exactly `retryDelaySeconds` (default true: exponential backoff). */
  retryBackoff?: boolean;
  /** The lease: an attempt still running after this many seconds is failed and retried, by another worker if this one died (default 60). */
  expireInSeconds?: number;
}

/** What a handler learns about the job besides its data; `attempt` counts from 1. */
export interface JobInfo {
  id: string;
  attempt: number;
}

export type JobHandler = (data: any, job: JobInfo) => Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Jobs {
  /** Enqueue `name` with `data`; pass the transaction's Db to enqueue atomically with the command (transactional outbox). */
  send(db: Db, name: string, data: object, opts?: JobOptions): Promise<string | null>;
  /** Register a handler; the worker role runs it. Handlers must be idempotent. */
  work(name: string, handler: JobHandler, opts?: { batchSize?: number; concurrency?: number }): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** pg-boss's job states; `failed` is the dead state an admin can replay. */
export const JOB_STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** One job as the admin API shows it (from `pgboss.job`, or `pgboss.archive` once archived). */
export interface JobView {
  id: string;
  name: string;
  state: JobState;
  data: unknown;
  singletonKey: string | null;
  /** attempts so far minus one (0 while the first attempt has not failed) */
  retryCount: number;
  retryLimit: number;
  startAfter: Date;
  createdOn: Date;
  startedOn: Date | null;
  completedOn: Date | null;
  /** what the last attempt left: `{ name, message }` of its error, or null */
  output: unknown;
  /** the last error's message, for a job waiting to retry or failed */
  error: string | null;
  archived: boolean;
}

/** What one attempt of `runDue` did. */
export interface JobRun {
  id: string;
  name: string;
  attempt: number;
  ok: boolean;
  error?: string;
}

/** The queue as the rest of Triage sees it: the domain interface plus what the admin API and tests need. */
export interface JobQueue extends Jobs {
  /**
   * Claims and runs, one at a time in order of due time, every job with a
   * registered handler whose start is at or before `now` (default: the clock's
   * now), including retries that fall due meanwhile. For tests and scripts.
   */
  runDue(now?: Date): Promise<JobRun[]>;
  list(filter?: { state?: JobState; name?: string; limit?: number }): Promise<JobView[]>;
  get(id: string): Promise<JobView | null>;
  /** A failed job gets one more attempt (pg-boss `retry`), even once archived. */
  replay(id: string): Promise<JobView | 'not_found' | 'not_failed'>;
}

export interface CreateJobsOptions {
  clock?: Clock;
  logger?: Logger;
  /** How often an idle worker looks for due jobs (default 1; pg-boss's minimum is 0.5). */
  pollingIntervalSeconds?: number;
  /**
   * Whose "now" decides that a job is due. `database` (production): pg-boss's
   * own claim, `start_after < now()` of the database. `clock` (tests with a
   * FakeClock): jobs sent without `startAfter` start at `clock.now()`, claims
   * compare `start_after` with `clock.now()`, and a retry's backoff is counted
   * from `clock.now()` — so a test moves job time with its FakeClock.
   */
  timeline?: 'database' | 'clock';
  /** How often a running worker fails attempts whose lease ran out (default 5). */
  leaseCheckSeconds?: number;
  /** How long `stop()` waits for running handlers before failing their jobs (default 30 s). */
  stopTimeoutMs?: number;
}

export const JOB_DEFAULTS = {
  retryLimit: 5,
  retryDelaySeconds: 5,
  retryBackoff: true,
  expireInSeconds: 60,
  pollingIntervalSeconds: 1,
  leaseCheckSeconds: 5,
} as const;

const SCHEMA = 'pgboss';
/** Completed jobs move to pgboss.archive after 12 hours; failed ones stay replayable in place for 7 days. */
const ARCHIVE_COMPLETED_SECONDS = 12 * 3600;
const ARCHIVE_FAILED_SECONDS = 7 * 24 * 3600;
const ARCHIVE_EVERY_MS = 10 * 60_000;
const RUN_DUE_MAX = 10_000;

/**
 * pg-boss's `db` adapter over our Db: parameterless multi-statement SQL
 * (pg-boss's schema creation, migrations, expiry and archiving, each wrapped in
 * BEGIN … COMMIT under its advisory lock) goes through `exec`, the rest through
 * `query`. Over a transaction's Db, pg-boss's statements join that transaction.
 */
export function bossDb(db: Db): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if (!values?.length && /;\s*\S/.test(text)) {
        try {
          await db.exec(text);
        } catch (err) {
          // PGlite is one connection: a failed BEGIN … COMMIT must not leave it inside an aborted transaction.
          if (db.kind === 'pglite' && !db.inTransaction) await db.exec('ROLLBACK').catch(() => undefined);
          throw err;
        }
        return { rows: [] };
      }
      return db.query(text, values ?? []);
    },
  };
}

// The same key pg-boss's own `locked()` commands take, so queue creation also waits for its schema work.
/** Serialises pg-boss start-up (schema install) across processes; not pg-boss's own key, which start-up takes itself. */
const START_LOCK = `SELECT pg_advisory_xact_lock(('x' || encode(sha224((current_database() || '.triage.jobs.start')::bytea), 'hex'))::bit(64)::bigint)`;
const BOSS_LOCK = `SELECT pg_advisory_xact_lock(('x' || encode(sha224((current_database() || '.pgboss.${SCHEMA}')::bytea), 'hex'))::bit(64)::bigint)`;

const VIEW_COLUMNS = `id, name, state::text AS state, data, singleton_key AS "singletonKey", retry_count AS "retryCount",
  retry_limit AS "retryLimit", start_after AS "startAfter", created_on AS "createdOn", started_on AS "startedOn",
  completed_on AS "completedOn", output`;

interface ClaimedJob {
  id: string;
  name: string;
  data: unknown;
  retryCount: number;
  expireInSeconds: number | string;
}

interface Registration {
  handler: JobHandler;
  batchSize: number;
  concurrency: number;
}

class PgBossJobs implements JobQueue {
  private readonly handlers = new Map<string, Registration>();
  /** queues known to exist (committed), so `send` does not look each time */
  private readonly knownQueues = new Set<string>();
  /** queues this process created inside a caller's still-open transaction (PGlite), per transaction */
  private readonly createdInTx = new WeakMap<Db, Set<string>>();
  private readonly inFlight = new Map<string, { name: string; id: string }>();
  private readonly sleepers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly timeline: 'database' | 'clock';

  constructor(
    private readonly db: Db,
    readonly boss: PgBoss,
    private readonly opts: CreateJobsOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.pollMs = Math.max(0.5, opts.pollingIntervalSeconds ?? JOB_DEFAULTS.pollingIntervalSeconds) * 1000;
    this.timeline = opts.timeline ?? 'database';
  }

  async send(db: Db, name: string, data: object, opts: JobOptions = {}): Promise<string | null> {
    await this.ensureQueue(name, db);
    const startAfter = opts.startAfter ?? (this.timeline === 'clock' ? this.clock.now() : undefined);
    // pg-boss checks `'retryDelay' in options`: only the options given may be present
    const given = {
      startAfter,
      singletonKey: opts.singletonKey,
      retryLimit: opts.retryLimit,
      retryDelay: opts.retryDelaySeconds,
      retryBackoff: opts.retryBackoff,
      expireInSeconds: opts.expireInSeconds,
    };
    const options = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as PgBoss.SendOptions;
    const id = await this.boss.send(name, data, { ...options, db: bossDb(db) });
    if (id === null) {
      // pg-boss inserts nothing for a queue that does not exist: never lose a job silently.
      this.knownQueues.delete(name);
      throw new Error(`job queue "${name}" does not exist; job not enqueued`);
    }
    return id;
  }

  async work(name: string, handler: JobHandler, opts: { batchSize?: number; concurrency?: number } = {}): Promise<void> {
    if (this.handlers.has(name)) throw new Error(`a handler for job "${name}" is already registered`);
    await this.ensureQueue(name, this.db);
    const reg = { handler, batchSize: Math.max(1, opts.batchSize ?? 1), concurrency: Math.max(1, opts.concurrency ?? 1) };
    this.handlers.set(name, reg);
    if (this.running) this.startLoops(name, reg);
  }

  /** Starts polling for every registered handler, and the lease and archive timers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const [name, reg] of this.handlers) this.startLoops(name, reg);
    const every = (ms: number, task: () => Promise<unknown>, what: string) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        task().catch((err) => this.log.warn({ err }, `job queue ${what} failed`)).finally(() => (busy = false));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    // expire: attempts past their lease become retries (or failed); pg-boss holds its advisory lock for it.
    every((this.opts.leaseCheckSeconds ?? JOB_DEFAULTS.leaseCheckSeconds) * 1000, () => this.boss.expire(), 'lease check');
    every(ARCHIVE_EVERY_MS, async () => {
      await this.boss.archive();
      await (this.boss as unknown as { drop(): Promise<void> }).drop(); // untyped in pg-boss 10's types.d.ts
    }, 'archiving');
  }

  /**
   * Stops claiming, lets running handlers finish (up to `stopTimeoutMs`), then
   * fails the jobs still running so that another worker retries them at once
   * instead of after their lease.
   */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const wake of this.sleepers) wake();
    const loops = Promise.all(this.loops);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.opts.stopTimeoutMs ?? 30_000)));
    const result = await Promise.race([loops, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      for (const { name, id } of this.inFlight.values()) {
        await this.boss.fail(name, id, { name: 'Error', message: 'worker stopped while the job was running' }).catch(() => undefined);
      }
    }
    this.loops = [];
    await this.boss.stop({ graceful: false, close: false });
  }

  async runDue(now: Date = this.clock.now()): Promise<JobRun[]> {
    const runs: JobRun[] = [];
    for (let i = 0; i < RUN_DUE_MAX; i++) {
      const [job] = await this.claim([...this.handlers.keys()], now, 1);
      if (!job) return runs;
      runs.push(await this.execute(job, now));
    }
    throw new Error(`runDue: more than ${RUN_DUE_MAX} jobs fell due; a handler keeps enqueuing due jobs`);
  }

  async list(filter: { state?: JobState; name?: string; limit?: number } = {}): Promise<JobView[]> {
    const where = `WHERE ($1::text IS NULL OR state::text = $1) AND ($2::text IS NULL OR name = $2) AND name NOT LIKE '\\_\\_pgboss\\_\\_%'`;
    const { rows } = await this.db.query<JobView>(
      `SELECT * FROM (
         SELECT ${VIEW_COLUMNS}, false AS archived FROM ${SCHEMA}.job ${where}
         UNION ALL
         SELECT ${VIEW_COLUMNS}, true AS archived FROM ${SCHEMA}.archive ${where}
       ) j ORDER BY "createdOn" DESC, id DESC LIMIT $3`,
      [filter.state ?? null, filter.name ?? null, filter.limit ?? 50],
    );
    return rows.map(view);
  }

  async get(id: string): Promise<JobView | null> {
    return getJob(this.db, id);
  }

  async replay(id: string): Promise<JobView | 'not_found' | 'not_failed'> {
    return this.db.transaction(async (tx) => {
      const job = await getJob(tx, id);
      if (!job) return 'not_found';
      if (job.state !== 'failed') return 'not_failed';
      if (job.archived) {
        // Back from the archive into the queue's table, still failed, so that pg-boss's retry applies.
        const cols = 'id, name, priority, data, state, retry_limit, retry_count, retry_delay, retry_backoff, start_after, started_on, singleton_key, singleton_on, expire_in, created_on, completed_on, keep_until, dead_letter, policy, output';
        await tx.query(
          `WITH moved AS (DELETE FROM ${SCHEMA}.archive WHERE name = $1 AND id = $2 AND state = 'failed' RETURNING ${cols})
           INSERT INTO ${SCHEMA}.job (${cols}) SELECT ${cols.replace('keep_until', 'GREATEST(keep_until, now() + interval \'14 days\')')} FROM moved ON CONFLICT DO NOTHING`,
          [job.name, id],
        );
      }
      const r = (await this.boss.retry(job.name, id, { db: bossDb(tx) })) as unknown as { affected: number };
      if (!r.affected) return 'not_failed'; // replayed by someone else meanwhile
      return (await getJob(tx, id))!;
    });
  }

  // --- internals ---------------------------------------------------------------------

  /**
   * Makes sure pg-boss has the queue (its partition of pgboss.job): pg-boss
   * silently drops jobs sent to a queue that does not exist. Creation is
   * serialized by pg-boss's advisory lock (two processes creating one queue at
   * once deadlock otherwise). Inside a caller's transaction on PGlite — one
   * connection, busy with that transaction — it joins the transaction; on
   * PostgreSQL it commits on its own connection.
   */
  private async ensureQueue(name: string, db: Db): Promise<void> {
    if (this.knownQueues.has(name)) return;
    const via = db.inTransaction && db.kind === 'pglite' ? db : this.db;
    const exists = (await db.query(`SELECT 1 FROM ${SCHEMA}.queue WHERE name = $1`, [name])).rows.length > 0;
    if (!exists) {
      await via.transaction(async (tx) => {
        await tx.query(BOSS_LOCK);
        await tx.query(`SELECT ${SCHEMA}.create_queue($1, $2)`, [name, {}]);
      });
    }
    if (via.inTransaction) {
      // created or seen in a transaction that may still roll back: remember it only once committed
      const mine = this.createdInTx.get(via) ?? new Set<string>();
      if (!exists) this.createdInTx.set(via, mine.add(name));
      else if (!mine.has(name)) this.knownQueues.add(name);
    } else {
      this.knownQueues.add(name);
    }
  }

  private startLoops(name: string, reg: Registration): void {
    for (let i = 0; i < reg.concurrency; i++) this.loops.push(this.poll(name, reg));
  }

  /** One polling loop: claim a batch, run it, claim again at once while there is work, else sleep. */
  private async poll(name: string, reg: Registration): Promise<void> {
    while (this.running) {
      let ran = 0;
      try {
        const jobs: ClaimedJob[] =
          this.timeline === 'clock'
            ? await this.claim([name], this.clock.now(), reg.batchSize)
            : await this.boss.fetch(name, { batchSize: reg.batchSize, includeMetadata: true });
        for (const job of jobs) {
          await this.execute(job);
          ran++;
          // let requests in between jobs (on PGlite a burst would otherwise hold the event loop)
          await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (err) {
        this.log.warn({ err, job: name }, 'job worker: claiming or recording a job failed');
      }
      if (ran === 0 && this.running) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /**
   * Claims up to `limit` jobs of these queues due at `now` (the `clock`
   * timeline and `runDue`), in order of due time. pg-boss's own claim
   * (`fetch`) compares with the database's now(); this is the same statement
   * with the instant as a parameter. The lease still runs on database time.
   */
  private async claim(names: string[], now: Date, limit: number): Promise<ClaimedJob[]> {
    if (!names.length) return [];
    const { rows } = await this.db.query<ClaimedJob>(
      `WITH next AS (
         SELECT name, id FROM ${SCHEMA}.job
         WHERE name = ANY($1::text[]) AND state < 'active' AND start_after <= $2::timestamptz
         ORDER BY start_after, created_on, id
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       UPDATE ${SCHEMA}.job j SET state = 'active', started_on = now(),
         retry_count = CASE WHEN j.started_on IS NOT NULL THEN j.retry_count + 1 ELSE j.retry_count END
       FROM next WHERE j.name = next.name AND j.id = next.id
       RETURNING j.id, j.name, j.data, j.retry_count AS "retryCount", EXTRACT(epoch FROM j.expire_in) AS "expireInSeconds"`,
      [names, now, limit],
    );
    return rows;
  }

  /** Runs one claimed job's handler within its lease, then completes or fails it. */
  private async execute(job: ClaimedJob, now?: Date): Promise<JobRun> {
    const reg = this.handlers.get(job.name);
    const attempt = job.retryCount + 1;
    const key = `${job.name}/${job.id}`;
    this.inFlight.set(key, { name: job.name, id: job.id });
    let failure: Error | undefined;
    try {
      if (!reg) throw new Error(`no handler registered for job "${job.name}"`);
      await withinLease(reg.handler(job.data, { id: job.id, attempt }), Number(job.expireInSeconds) * 1000);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    } finally {
      this.inFlight.delete(key);
    }
    if (!failure) {
      await this.boss.complete(job.name, job.id);
      return { id: job.id, name: job.name, attempt, ok: true };
    }
    this.log.warn({ err: failure, job: job.name, jobId: job.id, attempt }, 'job attempt failed');
    await this.recordFailure(job, failure, now);
    return { id: job.id, name: job.name, attempt, ok: false, error: failure.message };
  }

  /**
   * pg-boss's fail: a retry with its backoff, or `failed` after the retry limit.
   * Only the error's name and message are kept (no stack in the database or the admin API).
   * On the clock timeline the retry's delay is moved from the database's now() to the clock's.
   */
  private async recordFailure(job: ClaimedJob, err: Error, now?: Date): Promise<void> {
    const output = { name: err.name, message: err.message };
    if (this.timeline === 'database') {
      await this.boss.fail(job.name, job.id, output);
      return;
    }
    await this.db.transaction(async (tx) => {
      await this.boss.fail(job.name, job.id, output, { db: bossDb(tx) });
      await tx.query(
        `UPDATE ${SCHEMA}.job SET start_after = $3::timestamptz + (start_after - now()) WHERE name = $1 AND id = $2 AND state = 'retry'`,
        [job.name, job.id, now ?? this.clock.now()],
      );
    });
  }
}

function withinLease(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the handler ran past the job's lease of ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function view(row: JobView): JobView {
  const output = row.output as { message?: unknown } | null;
  const failedOrRetrying = row.state === 'failed' || row.state === 'retry';
  return {
    ...row,
    archived: Boolean(row.archived),
    error: failedOrRetrying && output && typeof output.message === 'string' ? output.message : null,
  };
}

async function getJob(db: Db, id: string): Promise<JobView | null> {
  const { rows } = await db.query<JobView>(
    `SELECT ${VIEW_COLUMNS}, false AS archived FROM ${SCHEMA}.job WHERE id = $1
     UNION ALL
     SELECT ${VIEW_COLUMNS}, true AS archived FROM ${SCHEMA}.archive WHERE id = $1
     LIMIT 1`,
    [id],
  );
  return rows[0] ? view(rows[0]) : null;
}

/**
 * Opens the queue on `db`: creates (or migrates) pg-boss's schema — under
 * pg-boss's advisory lock, so processes starting together are safe — without
 * starting any worker. `start()` begins polling for the registered handlers.
 */
export async function createJobs(db: Db, opts: CreateJobsOptions = {}): Promise<JobQueue> {
  const boss = new PgBoss({
    db: bossDb(db),
    schema: SCHEMA,
    // Maintenance and polling are ours (start/stop); pg-boss's cron is not used.
    supervise: false,
    schedule: false,
    migrate: true,
    retryLimit: JOB_DEFAULTS.retryLimit,
    retryDelay: JOB_DEFAULTS.retryDelaySeconds,
    retryBackoff: JOB_DEFAULTS.retryBackoff,
    expireInSeconds: JOB_DEFAULTS.expireInSeconds,
    archiveCompletedAfterSeconds: ARCHIVE_COMPLETED_SECONDS,
    archiveFailedAfterSeconds: ARCHIVE_FAILED_SECONDS,
    deleteAfterDays: 7,
  });
  boss.on('error', (err) => opts.logger?.warn({ err }, 'job queue error'));
  if (db.kind === 'postgres') {
    // Processes starting together on a database pg-boss is not installed in yet raced
    // on CREATE SCHEMA (duplicate pg_namespace key) despite pg-boss's own lock: starts are
    // serialised here by a transaction-scoped advisory lock of our own, held on one
    // connection while pg-boss installs through the others.
    await db.transaction(async (tx) => {
      await tx.query(START_LOCK);
      await boss.start();
    });
  } else {
    await boss.start();
  }
  return new PgBossJobs(db, boss, opts);
}
