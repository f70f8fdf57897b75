/**
 * Job workers as real processes (`triage start` with TRIAGE_ROLES=worker) on
 * one PostgreSQL database: each job runs exactly once across processes, none is
 * lost, a due job starts within a poll interval, and a job whose worker is
 * killed mid-run is taken over by the other worker once its lease runs out.
 * Those run on PostgreSQL only (PGlite is one process); the role split runs on
 * both. Waiting on processes is real time (bounded polls of the database), not
 * domain time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { createJobs, type JobQueue } from '../../src/jobs/queue.ts';
import { TEST_JOB } from '../../src/jobs/worker.ts';
import { createServerDatabase, DB_KIND, TEST_DATABASE_URL } from '../helpers/db.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/triage.mjs', import.meta.url));

interface Worker {
  child: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<unknown>;
}

/** `triage start` as a worker-only process (on PostgreSQL, or PGlite in `dataDir`); resolves once it logged that its workers started. */
async function startWorker(db: { databaseUrl?: string; dataDir?: string }): Promise<Worker> {
  const env: NodeJS.ProcessEnv = { ...process.env, TRIAGE_ROLES: 'worker', TRIAGE_TEST_JOBS: '1', LOG_LEVEL: 'info', JOBS_POLL_SECONDS: '0.5' };
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SEED_DEMO', 'PORT']) delete env[k];
  if (db.databaseUrl) env.DATABASE_URL = db.databaseUrl;
  if (db.dataDir) env.DATA_DIR = db.dataDir;
  const child = spawn(process.execPath, [BIN, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('job workers started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it started:\n${out}`)));
  });
  return { child, pid: child.pid!, output: () => out, exited };
}

/** Polls `check` every 100 ms until it returns true or `ms` pass. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Run {
  job_id: string;
  attempt: number;
  pid: number;
  finished: boolean;
  at: Date;
}

describe(`the worker role as a process (${DB_KIND})`, () => {
  it('TRIAGE_ROLES=worker runs the job workers without serving HTTP, and stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'triage-worker-'));
    const server = TEST_DATABASE_URL ? await createServerDatabase('triage_wrk') : undefined;
    try {
      const worker = await startWorker(server ? { databaseUrl: server.url } : { dataDir });
      expect(worker.output()).not.toContain('Triage is listening');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      await server?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

if (TEST_DATABASE_URL) {
  describe('job workers in separate processes (postgres)', () => {
    let server: { url: string; drop: () => Promise<void> };
    let db: Db;
    let jobs: JobQueue;
    let workers: Worker[] = [];

    beforeAll(async () => {
      server = await createServerDatabase('triage_jobs');
      // Two workers and this process open the same empty database at once: migrations
      // and pg-boss's schema are each created once, under their advisory locks.
      const started = Promise.all([startWorker({ databaseUrl: server.url }), startWorker({ databaseUrl: server.url })]);
      db = await openDatabase({ databaseUrl: server.url, poolSize: 5 });
      jobs = await createJobs(db, {});
      workers = await started;
      await db.exec(`CREATE TABLE IF NOT EXISTS test_job_runs (
        job_id uuid NOT NULL, attempt int NOT NULL, pid int NOT NULL, finished boolean NOT NULL DEFAULT false,
        at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (job_id, attempt))`);
    });

    afterAll(async () => {
      for (const w of workers) {
        if (w.child.exitCode === null && w.child.signalCode === null) {
          w.child.kill('SIGTERM');
          await w.exited;
        }
      }
      await jobs?.stop();
      await db?.close();
      await server?.drop();
    });

    const runs = async (ids: string[]) =>
      (await db.query<Run>('SELECT * FROM test_job_runs WHERE job_id = ANY($1::uuid[]) ORDER BY at', [ids])).rows;
    const states = async (ids: string[]) =>
      (await db.query<{ state: string; n: number }>('SELECT state::text, count(*)::int AS n FROM pgboss.job WHERE id = ANY($1::uuid[]) GROUP BY state', [ids])).rows;

    it('installed pg-boss once although three processes started together', async () => {
      expect((await db.query<{ version: number }>('SELECT version FROM pgboss.version')).rows).toHaveLength(1);
      expect((await db.query('SELECT 1 FROM pgboss.queue WHERE name = $1', [TEST_JOB])).rows).toHaveLength(1);
    });

    it('two workers run 500 jobs: each exactly once, none lost', async () => {
      // enqueued in one transaction, as a command would: visible to the workers only at commit
      const ids = await db.transaction(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < 500; i++) out.push((await jobs.send(tx, TEST_JOB, { i }))!);
        return out;
      });
      await until('500 completed jobs', 60_000, async () => (await states(ids)).some((s) => s.state === 'completed' && s.n === 500));
      const rows = await runs(ids);
      expect(rows).toHaveLength(500); // no job ran twice (one row per job and attempt)
      expect(new Set(rows.map((r) => r.job_id)).size).toBe(500);
      expect(rows.every((r) => r.attempt === 1 && r.finished)).toBe(true);
      const byPid = new Map<number, number>();
      for (const r of rows) byPid.set(r.pid, (byPid.get(r.pid) ?? 0) + 1);
      expect([...byPid.keys()].sort()).toEqual(workers.map((w) => w.pid).sort()); // both took a share
    });

    it('a due job starts within a poll interval of its start', async () => {
      const startAfter = new Date(Date.now() + 1500);
      const id = (await jobs.send(db, TEST_JOB, { timed: true }, { startAfter }))!;
      await until('the timed job', 10_000, async () => (await runs([id])).some((r) => r.finished));
      const [run] = await runs([id]);
      const lateBy = new Date(run.at).getTime() - startAfter.getTime();
      expect(lateBy).toBeGreaterThanOrEqual(0);
      expect(lateBy).toBeLessThan(2000); // poll 0.5 s: SLA breaches are recorded well within 5 s
    });

    it('a worker killed mid-job: the other worker takes the job over after its lease and completes it', async () => {
      const id = (await jobs.send(db, TEST_JOB, { sleepMsOnFirstAttempt: 10 * 60_000 }, { expireInSeconds: 2, retryDelaySeconds: 1 }))!;
      await until('the first attempt to start', 10_000, async () => (await runs([id])).length === 1);
      const [first] = await runs([id]);
      const victim = workers.find((w) => w.pid === first.pid)!;
      const survivor = workers.find((w) => w.pid !== first.pid)!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      expect(await jobs.get(id)).toMatchObject({ state: 'active' });

      // lease 2 s + the survivor's lease check (every 5 s) + retry delay 1–2 s + poll 0.5 s
      await until('the job to complete on the other worker', 30_000, async () => (await jobs.get(id))?.state === 'completed');
      const rows = await runs([id]);
      expect(rows.map((r) => ({ attempt: r.attempt, pid: r.pid, finished: r.finished }))).toEqual([
        { attempt: 1, pid: victim.pid, finished: false },
        { attempt: 2, pid: survivor.pid, finished: true },
      ]);
      expect(await jobs.get(id)).toMatchObject({ retryCount: 1 });
    });

    it('SIGTERM stops a worker gracefully', async () => {
      const alive = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
      alive.child.kill('SIGTERM');
      expect(await alive.exited).toBe(0);
    });
  });
}
