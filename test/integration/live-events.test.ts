import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, ticketBody, type TestApp, type TestAgent } from '../helpers/app.ts';
import { Client, startTriage, type TriageProcess } from '../helpers/triage-process.ts';
import { createServerDatabase, TEST_DATABASE_URL } from '../helpers/db.ts';
import { createMailbox, ingestDepsFor } from '../helpers/mail-services.ts';
import { rawMessage } from '../helpers/smtp-capture.ts';
import { openEvents } from '../helpers/sse.ts';
import { ingestMessage } from '../../src/domain/email/ingest.ts';
import type { IngestOutcome } from '../../src/domain/email/types.ts';
import { SYSTEM_ACTOR } from '../../src/domain/context.ts';
import { createTicket, type CreateTicketInput } from '../../src/domain/tickets/commands.ts';
import { sweepRouting } from '../../src/jobs/routing-sweep.ts';

describe('GET /api/v1/events (server-sent events)', () => {
  let t: TestApp;
  let url: string;
  let agent: TestAgent;
  const cookieOf = async (who: TestAgent) => {
    const res = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: who.email, password: who.password }) });
    expect(res.status).toBe(200);
    return res.headers.get('set-cookie')!.split(';')[0];
  };

  beforeAll(async () => {
    t = await createTestApp({ routing: false });
    url = await t.listen();
    agent = await t.makeAgent({ name: 'Bo Agent' });
  });
  afterAll(async () => t?.close());

  it('needs a session', async () => {
    const res = await fetch(`${url}/api/v1/events`);
    expect(res.status).toBe(401);
  });

  it('pushes created, commented and updated events for tickets changed through the API', async () => {
    const events = await openEvents(url, await cookieOf(t.admin));
    expect(events.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await events.next('ready');
    const created = await t.request('POST', '/api/v1/tickets', { body: ticketBody() });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect(await events.next('ticket', (d) => d.ticketId === id)).toEqual({ ticketId: id, kind: 'created' });
    await t.request('POST', `/api/v1/tickets/${created.json().number}/comments`, { body: { content: 'a note', isInternal: true } });
    expect(await events.next('ticket', (d) => d.ticketId === id)).toEqual({ ticketId: id, kind: 'commented' });
    await t.request('PATCH', `/api/v1/tickets/${id}`, { body: { priority: 'high' } });
    expect(await events.next('ticket', (d) => d.ticketId === id)).toEqual({ ticketId: id, kind: 'updated' });
    // a refused write publishes nothing: the next event is the one after it
    expect((await t.request('PATCH', `/api/v1/tickets/${id}`, { body: { priority: 'low' }, headers: { 'if-match': '"999"' } })).statusCode).toBe(412);
    await t.request('POST', `/api/v1/tickets/${id}/resolve`, { body: {} });
    expect(await events.next('ticket', (d) => d.ticketId === id)).toEqual({ ticketId: id, kind: 'updated' });
    events.close();
  });

  it('tells every connection who is viewing a ticket, and when they leave', async () => {
    const created = await t.request('POST', '/api/v1/tickets', { body: ticketBody() });
    const id = created.json().id;
    const watcher = await openEvents(url, await cookieOf(t.admin), id);
    expect(await watcher.next('viewers', (d) => d.ticketId === id)).toEqual({ ticketId: id, viewers: [{ id: t.admin.id, name: 'Ada Admin' }] });
    const second = await openEvents(url, await cookieOf(agent), id);
    const both = await watcher.next('viewers', (d) => d.ticketId === id && d.viewers.length === 2);
    expect(both.viewers.map((v: { name: string }) => v.name).sort()).toEqual(['Ada Admin', 'Bo Agent']);
    second.close();
    expect((await watcher.next('viewers', (d) => d.ticketId === id && d.viewers.length === 1)).viewers[0].id).toBe(t.admin.id);
    watcher.close();
  });

  it('pushes a ticket opened by e-mail (the mail role, no HTTP route)', async () => {
    const events = await openEvents(url, await cookieOf(t.admin));
    await events.next('ready');
    const mailboxId = await createMailbox(t, { address: 'live@acme.test', name: 'Live support' });
    const raw = rawMessage({ from: 'Zoe Zed <zoe@customer.test>', subject: 'Printer on fire', text: 'It smokes.', messageId: `live-${Date.now()}@customer.test` });
    const out = await ingestMessage(await ingestDepsFor(t), { raw, mailboxId, transport: 'api' });
    expect(out.outcome).toBe('ticket_created');
    const { ticketId } = out as Extract<IngestOutcome, { outcome: 'ticket_created' }>;
    // the ticket and its first comment are one transaction: announced once, as created
    expect(await events.next('ticket', (d) => d.ticketId === ticketId)).toEqual({ ticketId, kind: 'created' });
    events.close();
  });

  it('pushes assignments made by the queue drain and the routing sweep', async () => {
    expect((await t.request('PUT', '/api/v1/settings/routing', { body: { enabled: true } })).statusCode).toBe(200);
    expect((await t.request('POST', '/api/v1/groups', { body: { name: 'Live desk' } })).statusCode).toBe(201);
    expect((await t.request('POST', '/api/v1/assignment-rules', { body: { name: 'Live desk', action: { type: 'group_least_busy', group: 'live-desk' } } })).statusCode).toBe(201);
    const events = await openEvents(url, await cookieOf(t.admin));
    await events.next('ready');
    try {
      const create = async () => {
        const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody() });
        expect(res.json()).toMatchObject({ assignee: null, assignment: { queued: true } });
        const id: string = res.json().id;
        expect(await events.next('ticket', (d) => d.ticketId === id)).toEqual({ ticketId: id, kind: 'created' });
        return id;
      };
      const assignee = async (id: string) => (await t.db.query<{ a: string | null }>('SELECT assignee_id AS a FROM tickets WHERE id = $1', [id])).rows[0].a;
      // nobody online: both wait in the queue
      const first = await create();
      const second = await create();
      // an agent created online drains the queue (a domain command, not a ticket route)
      const a = await t.makeAgent({ name: 'Drain Agent', groups: ['live-desk'], status: 'online', maxConcurrentTickets: 1 });
      const drained = await events.next('ticket', (d) => d.ticketId === first || d.ticketId === second);
      expect(drained.kind).toBe('updated');
      expect(await assignee(drained.ticketId)).toBe(a.id);
      const waiting = drained.ticketId === first ? second : first;
      expect(await assignee(waiting)).toBeNull();
      // the worker's sweep, after capacity changed behind routing's back
      await t.db.query('UPDATE agents SET max_concurrent_tickets = 2 WHERE id = $1', [a.id]);
      expect(await sweepRouting(t.db, t.clock)).toEqual({ assigned: 1, returned: 0 });
      expect(await events.next('ticket', (d) => d.ticketId === waiting)).toEqual({ ticketId: waiting, kind: 'updated' });
      expect(await assignee(waiting)).toBe(a.id);
    } finally {
      events.close();
      await t.request('PUT', '/api/v1/settings/routing', { body: { enabled: false } });
    }
  });

  it('announces nothing for a rolled-back transaction', async () => {
    const events = await openEvents(url, await cookieOf(t.admin));
    await events.next('ready');
    const kept = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json().id as string;
    await events.next('ticket', (d) => d.ticketId === kept);
    let undone: string | undefined;
    await expect(t.db.transaction(async (tx) => {
      undone = (await createTicket({ db: tx, clock: t.clock, actor: SYSTEM_ACTOR }, ticketBody() as CreateTicketInput)).id;
      await tx.query(`INSERT INTO ticket_comments (ticket_id, author_id, author_type, content, is_internal) VALUES ($1, $2, 'agent', 'never said', true)`, [kept, t.admin.id]);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(undone).toBeDefined();
    // a later committed change arrives; the rolled-back comment (an earlier transaction) did not come before it
    await t.db.query(`UPDATE tickets SET priority = 'high' WHERE id = $1`, [kept]);
    expect(await events.next('ticket', (d) => d.ticketId === kept)).toEqual({ ticketId: kept, kind: 'updated' });
    expect(events.received('ticket').filter((d) => d.ticketId === kept || d.ticketId === undone)).toEqual([]);
    // and the table holds no row of it
    const rows = async (id: string) => Number((await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM live_events WHERE events @> jsonb_build_array(jsonb_build_object('ticketId', $1::text))`, [id],
    )).rows[0].n);
    expect(await rows(undone!)).toBe(0);
    expect(await rows(kept)).toBe(2);
    events.close();
  });

  it('a burst of 200 creates writes one event row per transaction; a 200-row update writes one', async () => {
    const events = await openEvents(url, await cookieOf(t.admin));
    await events.next('ready');
    /** The sizes of the live_events rows naming these tickets, in commit-horizon order. */
    const rowSizes = async (ids: string[]) => (await t.db.query<{ n: number }>(
      `SELECT jsonb_array_length(l.events)::int AS n FROM live_events l
        WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(l.events) e WHERE e->>'ticketId' = ANY($1::text[])) ORDER BY l.xid`,
      [ids],
    )).rows.map((r) => r.n);
    const ctx = { db: t.db, clock: t.clock, actor: SYSTEM_ACTOR };
    const ids = (await Promise.all(Array.from({ length: 200 }, () => createTicket(ctx, ticketBody() as CreateTicketInput)))).map((r) => r.id);
    const wanted = new Set(ids);
    const created = new Set<string>();
    for (let i = 0; i < 200; i++) created.add((await events.next('ticket', (d) => wanted.has(d.ticketId) && d.kind === 'created')).ticketId);
    expect(created).toEqual(wanted);
    // each create (several statements on tickets) wrote one row with one event
    expect(await rowSizes(ids)).toEqual(Array(200).fill(1));

    // one statement over 200 tickets: one row of 200 events, pushed as 200 events
    const bulk = await t.db.query(`UPDATE tickets SET priority = 'low' WHERE id = ANY($1::uuid[])`, [ids]);
    expect(bulk.rowCount).toBe(200);
    const marker = ids[0];
    await t.db.query(`UPDATE tickets SET priority = 'high' WHERE id = $1`, [marker]);
    expect(await rowSizes(ids)).toEqual([...Array(200).fill(1), 200, 1]);
    const updated: string[] = [];
    for (let i = 0; i < 201; i++) updated.push((await events.next('ticket', (d) => wanted.has(d.ticketId) && d.kind === 'updated')).ticketId);
    expect(new Set(updated)).toEqual(wanted);
    expect(updated.at(-1)).toBe(marker);
    // and no event beyond those
    expect(events.received('ticket').filter((d) => wanted.has(d.ticketId))).toEqual([]);
    events.close();
  });

  it('rejects a viewing value that is not a ticket id', async () => {
    const res = await fetch(`${url}/api/v1/events?viewing=nope`, { headers: { cookie: await cookieOf(t.admin) } });
    expect(res.status).toBe(400);
  });
});

// PostgreSQL only: PGlite is one process by design (its data folder is locked), so there is no
// second process to hear from.
if (TEST_DATABASE_URL) {
  const ADMIN = { email: 'ada@e2e.test', password: 'e2e-admin-password' };
  /**
   * Live updates across processes: two `triage start` processes on one PostgreSQL database; a
   * ticket changed through one reaches a browser connected to the other (LISTEN/NOTIFY).
   */
  describe('live events across two processes (PostgreSQL)', () => {
    let db: { url: string; drop: () => Promise<void> };
    let first: TriageProcess;
    let second: TriageProcess;
    const dirs: string[] = [];

    beforeAll(async () => {
      db = await createServerDatabase('triage_live');
      const env = () => {
        const dir = mkdtempSync(join(tmpdir(), 'triage-live-'));
        dirs.push(dir);
        return { DATABASE_URL: db.url, DATA_DIR: dir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ROUTING_SWEEP_SECONDS: '0', TRIAGE_SECRET_KEY: 'a'.repeat(64) };
      };
      // one after the other: both would run the migrations
      first = await startTriage(env());
      second = await startTriage({ ...env(), TRIAGE_ROLES: 'web' });
    });

    afterAll(async () => {
      await Promise.all([first?.stop(), second?.stop()]);
      await db?.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('a ticket created and commented through one process is pushed by the other', async () => {
      const login = await fetch(`${second.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
      expect(login.status).toBe(200);
      const events = await openEvents(second.url, login.headers.get('set-cookie')!.split(';')[0]);
      await events.next('ready');
      const api = new Client(first.url);
      await api.signIn(ADMIN.email, ADMIN.password);
      const created = await api.request('POST', '/api/v1/tickets', {
        subject: 'Across processes', description: 'x', requester: { name: 'Ann', email: 'ann@example.com' }, category: 'account', source: 'web',
      });
      expect(created.status).toBe(201);
      expect(await events.next('ticket', (d) => d.ticketId === created.body.id)).toEqual({ ticketId: created.body.id, kind: 'created' });
      await api.request('POST', `/api/v1/tickets/${created.body.id}/comments`, { content: 'hello', isInternal: true });
      expect(await events.next('ticket', (d) => d.ticketId === created.body.id)).toEqual({ ticketId: created.body.id, kind: 'commented' });
      events.close();
    });
  });
}
