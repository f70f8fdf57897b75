import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, ticketBody, type TestApp, type TestAgent } from '../helpers/app.ts';
import { Client, startTriage, type TriageProcess } from '../helpers/triage-process.ts';
import { createServerDatabase, TEST_DATABASE_URL } from '../helpers/db.ts';
import { ticketEventOf } from '../../src/http/routes/events.ts';
import { openEvents } from '../helpers/sse.ts';

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

  it('rejects a viewing value that is not a ticket id', async () => {
    const res = await fetch(`${url}/api/v1/events?viewing=nope`, { headers: { cookie: await cookieOf(t.admin) } });
    expect(res.status).toBe(400);
  });
});

describe('ticketEventOf', () => {
  const body = JSON.stringify({ id: 't1', ticketId: undefined });
  it('maps ticket writes to events and ignores the rest', () => {
    expect(ticketEventOf('POST', '/api/v1/tickets', 201, body)).toEqual({ ticketId: 't1', kind: 'created' });
    expect(ticketEventOf('POST', '/api/v1/tickets/:id/comments', 201, JSON.stringify({ id: 'c1', ticketId: 't1' }))).toEqual({ ticketId: 't1', kind: 'commented' });
    expect(ticketEventOf('POST', '/api/v1/tickets/:id/assign', 200, body)).toEqual({ ticketId: 't1', kind: 'updated' });
    expect(ticketEventOf('DELETE', '/api/v1/tickets/:id', 200, body)).toEqual({ ticketId: 't1', kind: 'updated' });
    expect(ticketEventOf('GET', '/api/v1/tickets/:id', 200, body)).toBeUndefined();
    expect(ticketEventOf('PATCH', '/api/v1/tickets/:id', 412, body)).toBeUndefined();
    expect(ticketEventOf('POST', '/api/v1/views', 201, body)).toBeUndefined();
    expect(ticketEventOf('POST', '/api/v1/tickets', 201, 'not json')).toBeUndefined();
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
