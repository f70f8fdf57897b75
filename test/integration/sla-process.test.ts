/**
 * In a running `triage start` (real clock, background worker): a breach is
 * recorded within 5 seconds of its deadline. The shortest target is one
 * minute, so this test waits for a real one-minute deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createServerDatabase, DB_KIND, TEST_DATABASE_URL } from '../helpers/db.ts';
import { Client, killAllTriage, startTriage } from '../helpers/triage-process.ts';

afterAll(async () => killAllTriage());

const ADMIN = { ADMIN_EMAIL: 'owner@triage.test', ADMIN_PASSWORD: 'owner-password-123' };

it(`a running server records a breach within 5 s of its deadline (${DB_KIND})`, async () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  if (TEST_DATABASE_URL) {
    const { url, drop } = await createServerDatabase();
    env = { DATABASE_URL: url };
    cleanup = drop;
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), 'triage-sla-'));
    env = { DATA_DIR: dataDir };
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
  }
  try {
    const p = await startTriage({ ...env, ...ADMIN, JOBS_POLL_SECONDS: '0.5' });
    const api = new Client(p.url);
    expect((await api.signIn(ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD)).status).toBe(200);
    expect((await api.request('POST', '/api/v1/sla-policies', { name: 'Fast', firstResponseMinutes: 1, resolutionMinutes: 600, warnAtPercent: 99 })).status).toBe(201);
    const created = await api.request('POST', '/api/v1/tickets', {
      subject: 'Down', description: 'All down', requester: { name: 'Pat', email: 'pat@customer.test' }, category: 'technical', source: 'web',
    });
    expect(created.status).toBe(201);
    const due = new Date(created.body.sla.responseDue).getTime();
    expect(due - Date.now()).toBeGreaterThan(30_000);
    // Nothing to fake in the server: wait for the real first-response deadline (one minute), then read the event.
    const deadline = due + 5_000;
    let events: { kind: string; target: string; dueAt: string; recordedAt: string }[] = [];
    while (Date.now() < deadline + 2_000) {
      events = (await api.request('GET', `/api/v1/tickets/${created.body.id}/sla-events`)).body.events;
      if (events.some((e) => e.kind === 'breach')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const breach = events.find((e) => e.kind === 'breach' && e.target === 'first_response');
    expect(breach, JSON.stringify(events)).toBeDefined();
    const lateness = new Date(breach!.recordedAt).getTime() - new Date(breach!.dueAt).getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThanOrEqual(5_000);
    await p.stop();
  } finally {
    await cleanup();
  }
}, 150_000);

