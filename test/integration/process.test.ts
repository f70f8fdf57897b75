/**
 * `triage start` as a real process: bootstrap admin, restart persistence,
 * the data-folder lock, graceful shutdown and SEED_DEMO. PGlite servers take
 * seconds to start, so each describe block reuses one data folder (or one
 * database) across a few starts, in order.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD } from '../../src/cli/seed-demo.ts';
import { createTestDatabase, DB_KIND, TEST_DATABASE_URL } from '../helpers/db.ts';
import { Client, killAllTriage, runTriage, startTriage, type TriageProcess } from '../helpers/triage-process.ts';

const ADMIN = { ADMIN_EMAIL: 'owner@triage.test', ADMIN_PASSWORD: 'owner-password-123' };

/** A database the child processes can share: a DATA_DIR for PGlite, a fresh database on the server for PostgreSQL. */
async function freshTarget(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  if (TEST_DATABASE_URL) {
    // the children use it; this process only drops it at the end
    const { url, drop } = await createTestDatabase();
    return { env: { DATABASE_URL: url! }, cleanup: drop };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-proc-'));
  return { env: { DATA_DIR: dataDir }, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

function ticketBody(n: number) {
  return {
    subject: `Printer on fire (${n})`,
    description: 'It is on fire.',
    requester: { name: 'Pat Customer', email: `pat${n}@customer.test` },
    category: 'technical',
    source: 'email',
  };
}

/**
 * Opens a POST /tickets whose body arrives in two parts: the headers and the
 * first bytes now, the rest when `finish` is called. Until then the request is
 * in flight on the server, however long the test waits.
 */
function slowCreate(base: string, token: string, body: unknown) {
  const json = JSON.stringify(body);
  const url = new URL(base);
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  const req = request({
    host: url.hostname, port: url.port, method: 'POST', path: '/api/v1/tickets', agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), authorization: `Bearer ${token}` },
  });
  req.on('socket', (s) => s.once('connect', connected));
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  req.write(json.slice(0, 20));
  return { ready, response, finish: () => req.end(json.slice(20)) };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`triage start (${DB_KIND})`, () => {
  let target: Awaited<ReturnType<typeof freshTarget>>;
  let first: TriageProcess;
  let client: Client;
  let firstTicket: { id: string; number: number; subject: string };
  const createdDuringShutdown: string[] = [];

  beforeAll(async () => {
    target = await freshTarget();
  });
  afterAll(async () => {
    await killAllTriage();
    await target?.cleanup();
  });

  it('starts, creates the ADMIN_EMAIL admin who can log in, and seeds nothing by default', async () => {
    first = await startTriage({ ...target.env, ...ADMIN });
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${first.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ok', database: DB_KIND });
    client = new Client(first.url);
    const login = await client.signIn(ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD);
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ email: ADMIN.ADMIN_EMAIL, role: 'admin' });
    const admins = await client.request('GET', '/api/v1/agents?role=admin');
    expect(admins.body.total).toBe(1);
    // SEED_DEMO is off unless asked for
    expect((await client.request('GET', '/api/v1/tickets')).body.total).toBe(0);
    expect((await client.request('POST', '/api/v1/auth/login', { email: ADMIN.ADMIN_EMAIL, password: 'wrong-password' })).status).toBe(401);

    const created = await client.request('POST', '/api/v1/tickets', ticketBody(0));
    expect(created.status).toBe(201);
    firstTicket = created.body;
  }, 120_000);

  if (DB_KIND === 'pglite') {
    it('refuses a second process on the same DATA_DIR at once, naming the folder, while the first keeps serving', async () => {
      const second = await runTriage(['start'], { ...target.env, PORT: '0' });
      expect(second.code).not.toBe(0);
      expect(second.code).not.toBeNull();
      expect(second.ms).toBeLessThan(10_000);
      expect(second.stderr).toContain(target.env.DATA_DIR);
      expect(second.stderr).toContain('already in use by another Triage process');
      // the same for the other commands that open the database
      const migrate = await runTriage(['migrate'], target.env);
      expect(migrate.code).not.toBe(0);
      expect(migrate.stderr).toContain(target.env.DATA_DIR);

      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
      const got = await client.request('GET', `/api/v1/tickets/${firstTicket.id}`);
      expect(got.status).toBe(200);
      expect((await client.request('POST', '/api/v1/tickets', ticketBody(1))).status).toBe(201);
    }, 60_000);
  } else {
    it('lets a second process share the PostgreSQL database: both serve the same data', async () => {
      const second = await startTriage({ ...target.env, ...ADMIN });
      try {
        const other = new Client(second.url);
        other.token = client.token;
        const got = await other.request('GET', `/api/v1/tickets/${firstTicket.id}`);
        expect(got.status).toBe(200);
        expect((await other.request('POST', '/api/v1/tickets', ticketBody(1))).status).toBe(201);
        expect((await client.request('GET', '/api/v1/tickets')).body.total).toBe(2);
        expect((await client.request('GET', '/api/v1/agents?role=admin')).body.total).toBe(1);
      } finally {
        expect(await second.stop()).toEqual({ code: 0, signal: null });
      }
    }, 90_000);
  }

  it('on SIGTERM finishes the requests in flight, refuses new connections, and exits 0', async () => {
    const slow = [2, 3, 4, 5, 6].map((n) => slowCreate(first.url, client.token!, ticketBody(n)));
    await Promise.all(slow.map((s) => s.ready));
    // let the server read the headers, so that the requests are its own before the signal
    await pause(300);
    first.child.kill('SIGTERM');
    await pause(500);
    // stopped listening: a new connection is refused (or answered 503 while closing)
    const late = await fetch(`${first.url}/healthz`).then((r) => r.status, () => 'refused');
    expect([503, 'refused']).toContain(late);
    expect(first.child.exitCode).toBeNull();

    for (const s of slow) s.finish();
    const responses = await Promise.all(slow.map((s) => s.response));
    for (const r of responses) expect(r.status).toBe(201);
    createdDuringShutdown.push(...responses.map((r) => r.body.id));
    expect(await first.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('after a restart, keeps the tickets (also those finished during shutdown), the tokens, and exactly one admin; SEED_DEMO leaves a used database alone', async () => {
    const again = await startTriage({ ...target.env, ...ADMIN, SEED_DEMO: '1', SEED_DEMO_TICKETS: '40' });
    const c = new Client(again.url);
    c.token = client.token; // API tokens survive restarts
    const got = await c.request('GET', `/api/v1/tickets/${firstTicket.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: firstTicket.id, number: firstTicket.number, subject: firstTicket.subject });
    for (const id of createdDuringShutdown) expect((await c.request('GET', `/api/v1/tickets/${id}`)).status).toBe(200);
    expect((await c.request('GET', '/api/v1/tickets')).body.total).toBe(2 + createdDuringShutdown.length);

    const fresh = new Client(again.url);
    expect((await fresh.signIn(ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD)).status).toBe(200);
    expect((await fresh.request('GET', '/api/v1/agents?role=admin')).body.total).toBe(1);
    expect((await fresh.request('GET', '/api/v1/agents')).body.total).toBe(1);

    // a process killed outright loses nothing it acknowledged, and its folder is free again at once
    const last = await c.request('POST', '/api/v1/tickets', ticketBody(7));
    expect(last.status).toBe(201);
    expect(await again.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const started = Date.now();
    const third = await startTriage({ ...target.env, ...ADMIN });
    expect(Date.now() - started).toBeLessThan(DB_KIND === 'pglite' ? 9_000 : 30_000);
    const after = new Client(third.url);
    after.token = client.token;
    expect((await after.request('GET', `/api/v1/tickets/${last.body.id}`)).status).toBe(200);
    expect(await third.stop()).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe(`SEED_DEMO=1 on an empty database (${DB_KIND})`, () => {
  let target: Awaited<ReturnType<typeof freshTarget>>;
  beforeAll(async () => {
    target = await freshTarget();
  });
  afterAll(async () => {
    await killAllTriage();
    await target?.cleanup();
  });

  it('seeds the demo data before it starts listening, and the demo admin can sign in', async () => {
    const p = await startTriage({ ...target.env, SEED_DEMO: '1', SEED_DEMO_TICKETS: '150', SHUTDOWN_TIMEOUT_MS: '1500' });
    // the first moment /readyz answers, the tickets are all there
    const c = new Client(p.url);
    expect((await c.signIn(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)).status).toBe(200);
    const list = await c.request('GET', '/api/v1/tickets?limit=200');
    expect(list.body.total).toBe(150);
    expect(new Set(list.body.tickets.map((t: { status: string }) => t.status)).size).toBeGreaterThanOrEqual(4);
    expect((await c.request('GET', '/api/v1/agents?limit=100')).body.total).toBe(31);

    // a request that never completes does not hold the shutdown past SHUTDOWN_TIMEOUT_MS
    const stuck = slowCreate(p.url, c.token!, ticketBody(99));
    stuck.response.catch(() => undefined);
    await stuck.ready;
    await pause(200);
    const stopping = Date.now();
    expect(await p.stop()).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(p.output().stdout + p.output().stderr).toContain('did not finish in time');
  }, 180_000);
});
