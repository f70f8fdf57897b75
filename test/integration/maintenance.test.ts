import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { FakeClock, type Clock } from '../../src/platform/clock.ts';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ATTACHMENT_SWEEP_GRACE_MS, IDEMPOTENCY_RETENTION_MS, runMaintenance, sweepAttachments } from '../../src/jobs/maintenance.ts';
import { attachmentStore } from '../../src/platform/storage.ts';
import { createTicket } from '../../src/domain/tickets/commands.ts';

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

  it('sweeps stored files no attachment references, after a grace period, and keeps referenced ones', async () => {
    const store = attachmentStore(t.config);
    const save = async (text: string) => store.commit(await store.stage(Readable.from([Buffer.from(text)]), `${text}.txt`));
    const linked = await save('linked file');
    const orphan = await save('orphan file');
    const actor = { type: 'agent' as const, id: t.admin.id, name: t.admin.name, role: 'admin' as const };
    await createTicket({ db: t.db, clock, actor }, ticketBody() as Parameters<typeof createTicket>[1], [linked]);
    const leftover = join(t.config.dataDir, 'attachments', 'tmp', 'stale-upload');
    writeFileSync(leftover, 'half an upload');

    const at = (ms: number): Clock => ({ now: () => new Date(Date.now() + ms) });
    expect(await sweepAttachments(t.db, store, at(0))).toBe(0); // all still inside the grace period
    expect(await sweepAttachments(t.db, store, at(ATTACHMENT_SWEEP_GRACE_MS + 60_000))).toBe(2);
    expect(existsSync(store.pathOf(linked.sha256))).toBe(true);
    expect(existsSync(store.pathOf(orphan.sha256))).toBe(false);
    expect(existsSync(leftover)).toBe(false);
  });

  it('a file uploaded again is fresh for the sweep, even if its first copy is old', async () => {
    const store = attachmentStore(t.config);
    const upload = async () => store.commit(await store.stage(Readable.from([Buffer.from('uploaded twice')]), 'twice.txt'));
    const first = await upload();
    const old = new Date(Date.now() - 2 * ATTACHMENT_SWEEP_GRACE_MS);
    utimesSync(store.pathOf(first.sha256), old, old);
    await upload(); // a second request is about to link the same content
    expect(await sweepAttachments(t.db, store, { now: () => new Date(Date.now() + 60_000) })).toBe(0);
    expect(existsSync(store.pathOf(first.sha256))).toBe(true);
  });
});
