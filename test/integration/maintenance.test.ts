import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { FakeClock } from '../../src/platform/clock.ts';
import { IDEMPOTENCY_RETENTION_MS, runMaintenance } from '../../src/jobs/maintenance.ts';

describe(`maintenance (${DB_KIND})`, () => {
  let t: TestApp;
  const clock = new FakeClock(new Date('2026-03-02T10:00:00Z'));
  beforeAll(async () => {
    t = await createTestApp({ clock, config: { sessionTtlSeconds: 3600 } });
  });
  afterAll(async () => t.close());

  const count = async (table: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

  it('deletes expired sessions and keeps live ones', async () => {
    const login = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: t.admin.email, password: t.admin.password } });
    expect(login.statusCode).toBe(200);
    expect(await count('sessions')).toBe(1);
    expect((await runMaintenance(t.db, clock)).sessions).toBe(0);
    expect(await count('sessions')).toBe(1);
    clock.advance(3601 * 1000);
    expect((await runMaintenance(t.db, clock)).sessions).toBe(1);
    expect(await count('sessions')).toBe(0);
  });

  it('forgets idempotency keys after the retention period, so the key may be used again', async () => {
    const body = ticketBody();
    const headers = { 'idempotency-key': 'retry-me' };
    const first = await t.request('POST', '/api/v1/tickets', { body, headers });
    const replay = await t.request('POST', '/api/v1/tickets', { body, headers });
    expect(replay.json().id).toBe(first.json().id);

    clock.advance(IDEMPOTENCY_RETENTION_MS - 1000);
    expect((await runMaintenance(t.db, clock)).idempotencyKeys).toBe(0);
    expect((await t.request('POST', '/api/v1/tickets', { body, headers })).json().id).toBe(first.json().id);

    clock.advance(2000);
    expect((await runMaintenance(t.db, clock)).idempotencyKeys).toBe(1);
    const fresh = await t.request('POST', '/api/v1/tickets', { body, headers });
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json().id).not.toBe(first.json().id);
  });
});
