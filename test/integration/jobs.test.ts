/**
 * The durable job queue through its interface and the admin API: the
 * transactional outbox, delayed jobs, retries with backoff, the dead state and
 * replay. Jobs run deterministically with `t.runJobs()` on the FakeClock's
 * timeline; one test lets a background worker poll on the database's time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { createJobs } from '../../src/jobs/queue.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem } from '../helpers/problems.ts';

const SECOND = 1000;

describe(`job queue (${DB_KIND})`, () => {
  let t: TestApp;
  const clock = new FakeClock(new Date('2026-01-05T09:00:00Z'));
  const echoed: { data: unknown; attempt: number }[] = [];
  const flaky = { failing: true, attempts: [] as number[] };

  beforeAll(async () => {
    t = await createTestApp({ clock });
    await t.jobs.work('test.echo', async (data, job) => {
      echoed.push({ data, attempt: job.attempt });
    });
    await t.jobs.work('test.flaky', async (_data, job) => {
      flaky.attempts.push(job.attempt);
      if (flaky.failing) throw new Error(`boom ${job.attempt}`);
    });
  });
  afterAll(async () => t?.close());

  const since = (d: Date | string) => new Date(d).getTime() - clock.now().getTime();

  it('a job sent in a transaction that rolls back never exists; one sent in a committed transaction runs once', async () => {
    let rolledBack: string | null = null;
    await expect(
      t.db.transaction(async (tx) => {
        rolledBack = await t.jobs.send(tx, 'test.echo', { n: 1 });
        throw new Error('the command failed');
      }),
    ).rejects.toThrow('the command failed');
    expect(rolledBack).toEqual(expect.any(String));
    expect(await t.jobs.get(rolledBack!)).toBeNull();

    const id = await t.db.transaction((tx) => t.jobs.send(tx, 'test.echo', { n: 2 }));
    expect(await t.jobs.get(id!)).toMatchObject({ id, name: 'test.echo', state: 'created', data: { n: 2 }, retryCount: 0 });

    expect(await t.runJobs()).toEqual([{ id, name: 'test.echo', attempt: 1, ok: true }]);
    expect(echoed).toEqual([{ data: { n: 2 }, attempt: 1 }]);
    expect(await t.jobs.get(id!)).toMatchObject({ state: 'completed', completedOn: expect.any(Date) });
    expect(await t.runJobs()).toEqual([]);
  });

  it('the first job of a new kind, sent in a transaction that rolls back, does not stop the next one', async () => {
    // the queue (pg-boss's partition) is created on first use; its creation must not be remembered if it rolled back
    await expect(
      t.db.transaction(async (tx) => {
        await t.jobs.send(tx, 'test.brand-new', { n: 1 });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const id = await t.db.transaction((tx) => t.jobs.send(tx, 'test.brand-new', { n: 2 }));
    expect(await t.jobs.get(id!)).toMatchObject({ name: 'test.brand-new', state: 'created' });
    expect(await t.jobs.send(t.db, 'test.brand-new', { n: 3 })).toEqual(expect.any(String));
    // no handler here: runJobs leaves them alone
    expect((await t.runJobs()).filter((r) => r.name === 'test.brand-new')).toEqual([]);
  });

  it('a delayed job does not run before its start, and runs once it is due', async () => {
    echoed.length = 0;
    const id = await t.jobs.send(t.db, 'test.echo', { delayed: true }, { startAfter: new Date(clock.now().getTime() + 10 * 60 * SECOND) });
    expect(await t.runJobs()).toEqual([]);
    clock.advance(10 * 60 * SECOND - 1);
    expect(await t.runJobs()).toEqual([]);
    clock.advance(1);
    expect(await t.runJobs()).toEqual([{ id, name: 'test.echo', attempt: 1, ok: true }]);
    expect(echoed).toEqual([{ data: { delayed: true }, attempt: 1 }]);
  });

  it('due jobs run in the order of their start', async () => {
    echoed.length = 0;
    const at = (s: number) => new Date(clock.now().getTime() + s * SECOND);
    await t.jobs.send(t.db, 'test.echo', { n: 'third' }, { startAfter: at(30) });
    await t.jobs.send(t.db, 'test.echo', { n: 'first' }, { startAfter: at(10) });
    await t.jobs.send(t.db, 'test.echo', { n: 'second' }, { startAfter: at(20) });
    expect(await t.runJobs(at(25))).toHaveLength(2);
    clock.advance(30 * SECOND);
    expect(await t.runJobs()).toHaveLength(1);
    expect(echoed.map((e) => (e.data as { n: string }).n)).toEqual(['first', 'second', 'third']);
  });

  it('a throwing handler is retried with backoff, lands in failed, is listed with its error, and a replay completes it', async () => {
    const id = (await t.jobs.send(t.db, 'test.flaky', { ticketId: 'x' }, { retryLimit: 2, retryDelaySeconds: 10 }))!;

    expect(await t.runJobs()).toEqual([{ id, name: 'test.flaky', attempt: 1, ok: false, error: 'boom 1' }]);
    let job = (await t.jobs.get(id))!;
    expect(job).toMatchObject({ state: 'retry', retryCount: 0, error: 'boom 1', output: { name: 'Error', message: 'boom 1' } });
    // first retry after 10–20 s (pg-boss: delay × 2^n / 2, plus up to as much again of jitter)
    expect(since(job.startAfter)).toBeGreaterThanOrEqual(10 * SECOND);
    expect(since(job.startAfter)).toBeLessThanOrEqual(20 * SECOND);
    clock.advance(9 * SECOND);
    expect(await t.runJobs()).toEqual([]);

    clock.advance(11 * SECOND);
    expect(await t.runJobs()).toEqual([{ id, name: 'test.flaky', attempt: 2, ok: false, error: 'boom 2' }]);
    job = (await t.jobs.get(id))!;
    expect(job).toMatchObject({ state: 'retry', retryCount: 1, error: 'boom 2' });
    // the second waits longer: 20–40 s
    expect(since(job.startAfter)).toBeGreaterThanOrEqual(20 * SECOND);
    expect(since(job.startAfter)).toBeLessThanOrEqual(40 * SECOND);

    clock.advance(40 * SECOND);
    expect(await t.runJobs()).toEqual([{ id, name: 'test.flaky', attempt: 3, ok: false, error: 'boom 3' }]);
    expect(await t.jobs.get(id)).toMatchObject({ state: 'failed', retryCount: 2, retryLimit: 2, error: 'boom 3', completedOn: expect.any(Date) });
    // dead: it never runs again by itself
    clock.advance(24 * 3600 * SECOND);
    expect(await t.runJobs()).toEqual([]);
    expect(flaky.attempts).toEqual([1, 2, 3]);

    const failed = await t.request('GET', '/api/v1/admin/jobs?state=failed');
    expect(failed.statusCode, failed.body).toBe(200);
    const listed = failed.json().jobs.find((j: { id: string }) => j.id === id);
    expect(listed).toMatchObject({
      id, name: 'test.flaky', state: 'failed', data: { ticketId: 'x' }, retryCount: 2, retryLimit: 2,
      error: 'boom 3', output: { name: 'Error', message: 'boom 3' }, archived: false,
      startAfter: expect.any(String), createdOn: expect.any(String), startedOn: expect.any(String), completedOn: expect.any(String),
    });
    expect(JSON.stringify(listed)).not.toMatch(/\bat .+:\d+:\d+|stack/); // no stack trace stored or shown
    expect(failed.json().jobs.every((j: { state: string }) => j.state === 'failed')).toBe(true);
    const otherKind = await t.request('GET', '/api/v1/admin/jobs?state=failed&name=test.echo');
    expect(otherKind.json().jobs).toEqual([]);

    flaky.failing = false;
    const replay = await t.request('POST', `/api/v1/admin/jobs/${id}/replay`);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json()).toMatchObject({ id, state: 'retry', retryLimit: 3 });
    expect(await t.runJobs()).toEqual([{ id, name: 'test.flaky', attempt: 4, ok: true }]);
    const done = await t.request('GET', `/api/v1/admin/jobs/${id}`);
    expect(done.json()).toMatchObject({ id, state: 'completed', error: null, completedOn: expect.any(String) });

    expectProblem(await t.request('POST', `/api/v1/admin/jobs/${id}/replay`), 409, 'job.not_failed');
  });

  it('a failed job already moved to the archive is still listed and replayable', async () => {
    flaky.failing = true;
    const id = (await t.jobs.send(t.db, 'test.flaky', { archived: true }, { retryLimit: 0 }))!;
    expect(await t.runJobs()).toMatchObject([{ id, ok: false }]);
    // what pg-boss's archiving does to a failed job after archiveFailedAfterSeconds
    const cols = 'id, name, priority, data, state, retry_limit, retry_count, retry_delay, retry_backoff, start_after, started_on, singleton_key, singleton_on, expire_in, created_on, completed_on, keep_until, dead_letter, policy, output';
    await t.db.query(`WITH moved AS (DELETE FROM pgboss.job WHERE id = $1 RETURNING ${cols}) INSERT INTO pgboss.archive (${cols}) SELECT ${cols} FROM moved`, [id]);
    expect(await t.jobs.get(id)).toMatchObject({ state: 'failed', archived: true, error: expect.stringMatching(/^boom/) });
    const listed = await t.request('GET', '/api/v1/admin/jobs?state=failed&name=test.flaky');
    expect(listed.json().jobs.find((j: { id: string }) => j.id === id)).toMatchObject({ archived: true });

    flaky.failing = false;
    const replay = await t.request('POST', `/api/v1/admin/jobs/${id}/replay`);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json()).toMatchObject({ id, state: 'retry', archived: false });
    expect(await t.runJobs()).toEqual([{ id, name: 'test.flaky', attempt: 2, ok: true }]);
    expect(await t.jobs.get(id)).toMatchObject({ state: 'completed', archived: false });
  });

  it('lists jobs by state and kind, newest first, up to a limit', async () => {
    for (let i = 0; i < 3; i++) await t.jobs.send(t.db, 'test.listing', { i });
    const res = await t.request('GET', '/api/v1/admin/jobs?name=test.listing&state=created&limit=2');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().jobs.map((j: { data: { i: number } }) => j.data.i)).toEqual([2, 1]);
    const all = await t.request('GET', '/api/v1/admin/jobs?limit=500');
    expect(all.json().jobs.length).toBeGreaterThanOrEqual(8);
    expectProblem(await t.request('GET', '/api/v1/admin/jobs?state=dead'), 400);
    expectProblem(await t.request('GET', '/api/v1/admin/jobs?limit=0'), 400);
  });

  it('only admins see and replay jobs; an unknown job is 404', async () => {
    const id = (await t.jobs.send(t.db, 'test.listing', { secret: true }))!;
    for (const role of ['agent', 'supervisor'] as const) {
      const who = await t.makeAgent({ role });
      expectProblem(await t.request('GET', '/api/v1/admin/jobs', { as: who }), 403, 'auth.forbidden');
      expectProblem(await t.request('GET', `/api/v1/admin/jobs/${id}`, { as: who }), 403, 'auth.forbidden');
      expectProblem(await t.request('POST', `/api/v1/admin/jobs/${id}/replay`, { as: who }), 403, 'auth.forbidden');
    }
    expectProblem(await t.request('GET', '/api/v1/admin/jobs', { as: null }), 401);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expectProblem(await t.request('GET', `/api/v1/admin/jobs/${unknown}`), 404, 'job.not_found');
    expectProblem(await t.request('POST', `/api/v1/admin/jobs/${unknown}/replay`), 404, 'job.not_found');
    expectProblem(await t.request('GET', '/api/v1/admin/jobs/not-a-uuid'), 400);
    // a job that has not failed is not replayable
    expectProblem(await t.request('POST', `/api/v1/admin/jobs/${id}/replay`), 409, 'job.not_failed');
  });

  it('a background worker on the database timeline starts a due job within a poll interval, and stop waits for it', async () => {
    const worker = await createJobs(t.db, { pollingIntervalSeconds: 0.5 });
    let finished = false;
    let release!: () => void;
    const started = new Promise<{ at: number; attempt: number }>((resolve) => {
      void worker.work('test.background', async (_data, job) => {
        resolve({ at: Date.now(), attempt: job.attempt });
        await new Promise<void>((r) => (release = r));
        finished = true;
      });
    });
    await worker.start();
    const startAfter = new Date(Date.now() + 1000);
    const id = (await worker.send(t.db, 'test.background', {}, { startAfter }))!;
    const run = await started;
    expect(run.attempt).toBe(1);
    expect(run.at).toBeGreaterThanOrEqual(startAfter.getTime());
    expect(run.at - startAfter.getTime()).toBeLessThan(2000);
    const stopping = worker.stop();
    expect(finished).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(await t.jobs.get(id)).toMatchObject({ state: 'completed' });
  });
});
