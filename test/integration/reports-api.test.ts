import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { parseCsv } from '../../src/domain/search/csv.ts';

const MIN = 60_000;

/**
 * Three tickets on Monday 2 February 2026 (UTC), an SLA of 60 minutes to first
 * response and 480 to resolution, 24×7. Hand-computed:
 *   A: note at +10 (does not count), reply at +30 (FRT 30, met); pending +60 → +180 (requester replies); resolved at +240:
 *      240 − 120 pending = 120 minutes to resolve (met).
 *   B: reply at +120 (FRT 120, breached); resolved +150, reopened +180, resolved +300 (final: 300 minutes, met).
 *   C: never answered, still open at 20:00: first response and resolution breached.
 */
describe(`reports (${DB_KIND})`, () => {
  let t: TestApp;
  let clock: FakeClock;
  let agent: TestAgent;
  const ids: Record<string, string> = {};
  const at = (minutes: number) => clock.set(new Date(Date.parse('2026-02-02T08:00:00Z') + minutes * MIN));
  const ok = async (method: string, url: string, body?: unknown, as: TestAgent | undefined = agent) => {
    const res = await t.request(method, url, { body, as });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res;
  };

  beforeAll(async () => {
    clock = new FakeClock(new Date('2026-02-02T07:00:00Z'));
    t = await createTestApp({ clock, routing: false });
    agent = await t.makeAgent({ name: 'Rita Reporter' });
    await ok('POST', '/api/v1/sla-policies', { name: 'Standard', firstResponseMinutes: 60, resolutionMinutes: 480 }, t.admin);
    at(0);
    for (const [key, priority] of [['A', 'high'], ['B', 'normal'], ['C', 'normal']] as const) {
      ids[key] = (await ok('POST', '/api/v1/tickets', ticketBody({ priority, category: key === 'A' ? 'billing' : 'account' }))).json().id;
    }
    await ok('POST', `/api/v1/tickets/${ids.A}/assign`, { agentId: agent.id });
    at(10);
    await ok('POST', `/api/v1/tickets/${ids.A}/comments`, { content: 'looking', isInternal: true });
    at(30);
    await ok('POST', `/api/v1/tickets/${ids.A}/comments`, { content: 'Could you send the invoice?' });
    at(60);
    await ok('PATCH', `/api/v1/tickets/${ids.A}`, { status: 'pending' });
    at(120);
    await ok('POST', `/api/v1/tickets/${ids.B}/comments`, { content: 'On it' });
    at(150);
    await ok('POST', `/api/v1/tickets/${ids.B}/resolve`, {});
    at(180);
    await ok('POST', `/api/v1/tickets/${ids.A}/comments`, { content: 'Here it is', from: 'requester' });
    await ok('POST', `/api/v1/tickets/${ids.B}/reopen`, {});
    at(240);
    await ok('POST', `/api/v1/tickets/${ids.A}/resolve`, {});
    at(300);
    await ok('POST', `/api/v1/tickets/${ids.B}/resolve`, {});
    at(12 * 60);
    await t.runJobs();
  });
  afterAll(async () => t?.close());

  const report = async (qs: string) => {
    const res = await t.request('GET', `/api/v1/reports?${qs}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('computes first response, resolution (pending excluded), SLA compliance and reopen rate as defined', async () => {
    const r = await report('startDate=2026-02-02&endDate=2026-02-02');
    expect(r.metrics).toMatchObject({
      totalTickets: 3, resolvedTickets: 2, newTickets: 1, openTickets: 0, averageResponseTime: 75, averageResolutionTime: 210, slaComplianceRate: 50,
      excludesPendingTime: true,
    });
    // 24×7: business minutes equal calendar minutes
    expect(r.metrics.averageBusinessResponseTime).toBe(75);
    expect(r.metrics.sla).toEqual({
      firstResponse: { met: 1, breached: 2, rate: 33.33 },
      nextResponse: { met: 0, breached: 0, rate: null },
      resolution: { met: 2, breached: 1, rate: 66.67 },
    });
    expect(r.medianFirstResponseMinutes).toBe(75);
    expect(r.p90FirstResponseMinutes).toBe(111);
    expect(r.medianResolutionMinutes).toBe(210);
    expect(r.p90ResolutionMinutes).toBe(282);
    expect(r.reopenRate).toBe(50);
    expect(r.daily).toEqual([{ date: '2026-02-02', created: 3, resolved: 2, backlog: 1 }]);
    expect(r.byPriority.high).toMatchObject({ total: 1, resolved: 1, averageResolutionTime: 120, averageResponseTime: 30, slaComplianceRate: 100 });
    expect(r.byPriority.normal).toMatchObject({ total: 2, resolved: 1, averageResolutionTime: 300, reopenRate: 100 });
    expect(r.byAgent[agent.id]).toMatchObject({ name: 'Rita Reporter', total: 1 });
    expect(r.byAgent.unassigned.total).toBe(2);
    expect(r.byCategory).toMatchObject({ billing: { total: 1 }, account: { total: 2 } });
    expect(r.byChannel.web.total).toBe(3);
    expect(r.byTier.standard.total).toBe(3);
  });

  it('carries in the backlog from before the period: tickets created earlier and not done by its start', async () => {
    // Honolulu (UTC−10): 2 February local begins at 10:00Z — after the three tickets were created
    // (08:00Z), before A and B were finally resolved (12:00Z, 13:00Z); C is never resolved
    const hnl = await report('startDate=2026-02-02&endDate=2026-02-03&timezone=Pacific/Honolulu');
    expect(hnl.daily).toEqual([
      { date: '2026-02-02', created: 0, resolved: 2, backlog: 1 },
      { date: '2026-02-03', created: 0, resolved: 0, backlog: 1 },
    ]);
    // the next UTC day: A and B were done before it began, C still counts
    const next = await report('startDate=2026-02-03&endDate=2026-02-03');
    expect(next.daily).toEqual([{ date: '2026-02-03', created: 0, resolved: 0, backlog: 1 }]);
    expect(next.metrics.totalTickets).toBe(0);
  });

  it('filters by agent and follows the requested time zone for days', async () => {
    const mine = await report(`startDate=2026-02-02&endDate=2026-02-02&agentId=${agent.id}`);
    expect(mine.metrics.totalTickets).toBe(1);
    expect(mine.daily).toEqual([{ date: '2026-02-02', created: 1, resolved: 1, backlog: 0 }]);
    // in Auckland (UTC+13) 08:00Z on 2 February is already 21:00 local on the same day; 1 February local holds nothing
    const nz = await report('startDate=2026-02-01&endDate=2026-02-02&timezone=Pacific/Auckland');
    expect(nz.daily.map((d: { date: string; created: number }) => [d.date, d.created])).toEqual([['2026-02-01', 0], ['2026-02-02', 3]]);
    const before = await report('startDate=2026-01-30&endDate=2026-02-01');
    expect(before.metrics.totalTickets).toBe(0);
    expect(before.metrics.averageResponseTime).toBeNull();
    expect((await t.request('GET', '/api/v1/reports?startDate=2026-02-03&endDate=2026-02-01')).statusCode).toBe(400);
  });

  it('exports the report as CSV that reads back', async () => {
    const res = await t.request('GET', '/api/v1/reports?startDate=2026-02-02&endDate=2026-02-02&format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = parseCsv(res.body);
    const header = rows[0];
    const all = rows.find((r) => r[0] === 'all')!;
    expect(all[header.indexOf('total')]).toBe('3');
    expect(all[header.indexOf('averageResolutionTime')]).toBe('210');
    const day = rows.find((r) => r[0] === 'daily')!;
    expect([day[1], day[header.indexOf('created')], day[header.indexOf('backlog')]]).toEqual(['2026-02-02', '3', '1']);
  });

  it('keeps facts in the writing transaction: a reply rolled back leaves no first response', async () => {
    const facts = await t.db.query<{ first_response_at: Date | null; reopen_count: number; pending_seconds: number }>(
      'SELECT first_response_at, reopen_count, pending_seconds FROM ticket_facts WHERE ticket_id = ANY($1::uuid[]) ORDER BY created_at, ticket_id',
      [[ids.A, ids.B, ids.C]],
    );
    const byId = Object.fromEntries((await t.db.query<{ ticket_id: string; pending_seconds: number; reopen_count: number }>(
      'SELECT ticket_id, pending_seconds, reopen_count FROM ticket_facts WHERE ticket_id = ANY($1::uuid[])', [[ids.A, ids.B]])).rows.map((r) => [r.ticket_id, r]));
    expect(facts.rows).toHaveLength(3);
    expect(byId[ids.A]).toMatchObject({ pending_seconds: 7200, reopen_count: 0 });
    expect(byId[ids.B]).toMatchObject({ pending_seconds: 0, reopen_count: 1 });
    await expect(t.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ticket_comments (ticket_id, author_id, author_type, content, created_at) VALUES ($1, $2, 'agent', 'x', now())`, [ids.C, agent.id]);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    const c = await t.db.query<{ first_response_at: Date | null }>('SELECT first_response_at FROM ticket_facts WHERE ticket_id = $1', [ids.C]);
    expect(c.rows[0].first_response_at).toBeNull();
  });

  it('keeps the dimensions and SLA outcomes on the facts in step with later changes to tickets, requesters and organizations', async () => {
    // every fact against what the source rows say now (the definitions the report used to join for)
    const drift = async () => (await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ticket_facts f JOIN tickets t ON t.id = f.ticket_id
         JOIN requesters r ON r.id = t.requester_id LEFT JOIN organizations o ON o.id = r.organization_id
         LEFT JOIN ticket_sla s ON s.ticket_id = t.id
        WHERE (f.status, f.priority, f.category, f.assignee_id, f.group_id, f.source, f.tier)
              IS DISTINCT FROM (t.status, t.priority, t.category::text, t.assignee_id, t.assignee_group_id, t.source, coalesce(r.tier, o.tier, 'standard'))
           OR f.fr_outcome IS DISTINCT FROM triage_sla_outcome(t.id, 'first_response', s.targets)
           OR f.res_outcome IS DISTINCT FROM triage_sla_outcome(t.id, 'resolution', s.targets)`,
    )).rows[0].n;
    expect(await drift()).toBe(0);
    const c = (await ok('GET', `/api/v1/tickets/${ids.C}`)).json();
    const org = (await ok('POST', '/api/v1/organizations', { name: `Facts Org ${Date.now()}`, tier: 'premium' }, t.admin)).json();
    await ok('PATCH', `/api/v1/requesters/${c.requester.id}`, { organization: org.name }, t.admin);
    await ok('PATCH', `/api/v1/tickets/${ids.C}`, { priority: 'critical', category: 'billing' });
    await ok('POST', `/api/v1/tickets/${ids.C}/assign`, { agentId: agent.id });
    expect(await drift()).toBe(0);
    let r = await report('startDate=2026-02-02&endDate=2026-02-02');
    expect(r.byTier.premium.total).toBe(1);
    expect(r.byPriority.critical.total).toBe(1);
    expect(r.byCategory.billing.total).toBe(2);
    expect(r.byAgent[agent.id].total).toBe(2);
    // the organization's tier moves its requesters' tickets (the requester has no tier of their own)
    await ok('PATCH', `/api/v1/organizations/${org.id}`, { tier: 'enterprise' }, t.admin);
    r = await report('startDate=2026-02-02&endDate=2026-02-02');
    expect(r.byTier.enterprise.total).toBe(1);
    expect(r.byTier.premium).toBeUndefined();
    // a tier of the requester's own wins over the organization's
    await ok('PATCH', `/api/v1/requesters/${c.requester.id}`, { tier: 'free' }, t.admin);
    r = await report('startDate=2026-02-02&endDate=2026-02-02');
    expect(r.byTier.free.total).toBe(1);
    expect(await drift()).toBe(0);
    // the SLA outcome of C's resolution target, breached and recorded, stays breached after a late resolve
    at(13 * 60);
    await ok('POST', `/api/v1/tickets/${ids.C}/resolve`, {});
    await t.runJobs();
    expect(await drift()).toBe(0);
    r = await report('startDate=2026-02-02&endDate=2026-02-02');
    expect(r.metrics.sla.resolution).toEqual({ met: 2, breached: 1, rate: 66.67 });
  });
});
