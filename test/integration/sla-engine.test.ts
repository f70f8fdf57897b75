/**
 * The SLA clock through the HTTP API with an injected clock (no sleeps):
 * deadlines at creation, first response met only by a public agent reply,
 * pending pauses the resolution clock, next response after a customer reply,
 * read-time breach, the check job recording each breach exactly once under
 * duplicate, concurrent and late runs, escalation, policy re-evaluation.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { runSlaCheck } from '../../src/jobs/sla-jobs.ts';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { historyOf } from '../helpers/tickets.ts';

const API = '/api/v1';
const MONDAY = new Date('2026-03-02T09:00:00.000Z');
const MIN = 60_000;
const at = (m: number) => new Date(MONDAY.getTime() + m * MIN).toISOString();

describe(`SLA engine (${DB_KIND})`, () => {
  let t: TestApp;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(MONDAY);
    t = await createTestApp({ clock, routing: false });
  });
  afterEach(async () => t?.close());

  async function ok(method: string, url: string, body?: unknown) {
    const res = await t.request(method, `${API}${url}`, { body });
    expect(res.statusCode, `${method} ${url} → ${res.body}`).toBeLessThan(300);
    return res.statusCode === 204 ? null : res.json();
  }
  const policy = (over: Record<string, unknown> = {}) =>
    ok('POST', '/sla-policies', { name: 'Standard', firstResponseMinutes: 60, nextResponseMinutes: 30, resolutionMinutes: 240, ...over });
  const ticket = (id: string) => ok('GET', `/tickets/${id}`);
  const targetOf = (tk: any, name: string) => tk.sla.targets.find((x: any) => x.target === name);
  const check = (id: string) => runSlaCheck({ db: t.db, clock }, id);
  const events = async (id: string) => (await ok('GET', `/tickets/${id}/sla-events`)).events;

  it('a ticket without a matching policy has sla null', async () => {
    await policy({ conditions: { categories: ['billing'] } });
    const tk = await ok('POST', '/tickets', ticketBody({ category: 'account' }));
    expect(tk.sla).toBeNull();
  });

  it('with no policy in use, the next change clears SLA state a policy switched off left behind; tickets without any stay without', async () => {
    const p = await policy();
    const withSla = await ok('POST', '/tickets', ticketBody());
    expect(withSla.sla).not.toBeNull();
    // switched off behind the API's back: the recompute job that would clear its tickets never ran
    await t.db.query('UPDATE sla_policies SET is_active = false WHERE id = $1', [p.id]);
    const without = await ok('POST', '/tickets', ticketBody());
    expect(without.sla).toBeNull();
    const rows = async () => (await t.db.query<{ ticket_id: string }>('SELECT ticket_id FROM ticket_sla ORDER BY ticket_id')).rows.map((r) => r.ticket_id);
    expect(await rows()).toEqual([withSla.id]);
    await ok('POST', `/tickets/${without.id}/comments`, { content: 'A note', isInternal: true });
    expect(await rows()).toEqual([withSla.id]);
    await ok('POST', `/tickets/${withSla.id}/comments`, { content: 'A note', isInternal: true });
    expect(await rows()).toEqual([]);
    expect((await ticket(withSla.id)).sla).toBeNull();
  });

  it('sets the deadlines at creation, with the seed’s fields', async () => {
    const p = await policy();
    const tk = await ok('POST', '/tickets', ticketBody());
    expect(tk.sla).toMatchObject({
      policyId: p.id, policyName: 'Standard', responseDue: at(60), resolutionDue: at(240), responseMet: null, resolutionMet: null,
      paused: false, state: 'ok',
    });
    expect(targetOf(tk, 'first_response')).toMatchObject({ dueAt: at(60), warnAt: at(48), remainingBusinessMinutes: 60, status: 'ok' });
    expect(targetOf(tk, 'resolution')).toMatchObject({ dueAt: at(240), remainingBusinessMinutes: 240, status: 'ok' });
  });

  it('first response: an internal note does not meet it, a public agent reply does', async () => {
    await policy();
    const tk = await ok('POST', '/tickets', ticketBody());
    clock.advance(10 * MIN);
    await ok('POST', `/tickets/${tk.id}/comments`, { content: 'note to self', isInternal: true });
    expect(targetOf(await ticket(tk.id), 'first_response').status).toBe('ok');
    clock.advance(10 * MIN);
    await ok('POST', `/tickets/${tk.id}/comments`, { content: 'Hello, looking into it' });
    const after = await ticket(tk.id);
    expect(targetOf(after, 'first_response')).toMatchObject({ status: 'met', metAt: at(20) });
    expect(after.sla.responseMet).toBe(true);
  });

  it('pending pauses the resolution clock; the deadline moves by the time paused', async () => {
    await policy();
    const tk = await ok('POST', '/tickets', ticketBody());
    clock.advance(30 * MIN);
    await ok('PATCH', `/tickets/${tk.id}`, { status: 'pending' });
    const paused = await ticket(tk.id);
    expect(paused.sla.paused).toBe(true);
    expect(targetOf(paused, 'resolution')).toMatchObject({ status: 'paused', dueAt: null, remainingBusinessMinutes: 210 });
    clock.advance(100 * MIN);
    await ok('PATCH', `/tickets/${tk.id}`, { status: 'open' });
    expect(targetOf(await ticket(tk.id), 'resolution')).toMatchObject({ status: 'ok', dueAt: at(340) });
  });

  it('a customer reply after an agent reply starts the next-response clock; a pending ticket opens again', async () => {
    await policy();
    const tk = await ok('POST', '/tickets', ticketBody());
    await ok('POST', `/tickets/${tk.id}/comments`, { content: 'Can you send a screenshot?' });
    await ok('PATCH', `/tickets/${tk.id}`, { status: 'pending' });
    clock.advance(50 * MIN);
    await ok('POST', `/tickets/${tk.id}/comments`, { content: 'Here it is', from: 'requester' });
    const after = await ticket(tk.id);
    expect(after.status).toBe('open');
    expect(targetOf(after, 'next_response')).toMatchObject({ startedAt: at(50), dueAt: at(80), status: 'ok' });
  });

  it('a passed deadline shows as breached when read, before any job ran; slaStatus and sortBy=slaDue see it', async () => {
    await policy();
    const late = await ok('POST', '/tickets', ticketBody());
    clock.advance(30 * MIN);
    const fresh = await ok('POST', '/tickets', ticketBody());
    clock.advance(40 * MIN); // late's first response (due +60) passed; fresh's (due +90) not, but its warning (+78) neither
    expect(targetOf(await ticket(late.id), 'first_response').status).toBe('breached');
    const breached = await ok('GET', '/tickets?slaStatus=breached');
    expect(breached.tickets.map((x: any) => x.id)).toEqual([late.id]);
    const okList = await ok('GET', '/tickets?slaStatus=ok');
    expect(okList.tickets.map((x: any) => x.id)).toEqual([fresh.id]);
    const byDue = await ok('GET', '/tickets?sortBy=slaDue');
    expect(byDue.tickets.map((x: any) => x.id)).toEqual([late.id, fresh.id]);
  });

  it('the check records each warning and breach exactly once, at its due instant, however often or late it runs', async () => {
    await ok('POST', '/groups', { name: 'Escalations' });
    await policy({ escalation: { raisePriority: true, moveToGroup: 'escalations' } });
    const tk = await ok('POST', '/tickets', ticketBody({ priority: 'normal' }));
    clock.advance(50 * MIN);
    expect((await check(tk.id)).recorded.map((e) => `${e.kind}/${e.target}`)).toEqual(['warning/first_response']);
    clock.advance(500 * MIN); // very late: both targets breached long ago
    const runs = await Promise.all([check(tk.id), check(tk.id), check(tk.id)]);
    const recorded = runs.flatMap((r) => r.recorded.map((e) => `${e.kind}/${e.target}/${e.dueAt.toISOString()}`)).sort();
    expect(recorded).toEqual([`breach/first_response/${at(60)}`, `breach/resolution/${at(240)}`, `warning/resolution/${at(192)}`]);
    expect((await check(tk.id)).recorded).toEqual([]);
    expect((await events(tk.id)).map((e: any) => [e.kind, e.target, e.dueAt])).toEqual([
      ['warning', 'first_response', at(48)],
      ['breach', 'first_response', at(60)],
      ['warning', 'resolution', at(192)],
      ['breach', 'resolution', at(240)],
    ]);
    // two breaches → escalated twice (normal → high → critical); the first also moved it to the group; each with its reason
    const after = await ticket(tk.id);
    expect(after).toMatchObject({ priority: 'critical', assigneeGroup: 'escalations' });
    const escalations = (await historyOf(t, tk.id)).filter((h) => h.comment?.startsWith('SLA breach'));
    expect(escalations.map((h) => h.field)).toEqual(['priority', 'assignee', 'priority']);
  });

  it('the check job is scheduled at the next deadline: nothing runs before it, the warning and the breach run at theirs', async () => {
    await policy();
    const tk = await ok('POST', '/tickets', ticketBody());
    const checks = async () => (await t.runJobs()).filter((r) => r.name === 'sla.check');
    expect(await checks()).toEqual([]);
    clock.advance(47 * MIN);
    expect(await checks()).toEqual([]);
    clock.advance(1 * MIN);
    expect((await checks()).map((r) => r.ok)).toEqual([true]);
    expect((await events(tk.id)).map((e: any) => `${e.kind}/${e.target}`)).toEqual(['warning/first_response']);
    clock.advance(12 * MIN);
    expect((await checks()).map((r) => r.ok)).toEqual([true]);
    expect((await events(tk.id)).map((e: any) => `${e.kind}/${e.target}`)).toEqual(['warning/first_response', 'breach/first_response']);
    expect((await ticket(tk.id)).sla).toMatchObject({ state: 'breached', responseMet: false });
  });

  it('a deadline that moves leaves the old job harmless: a reply before the due records nothing', async () => {
    await policy({ nextResponseMinutes: null });
    const tk = await ok('POST', '/tickets', ticketBody());
    clock.advance(30 * MIN);
    await ok('POST', `/tickets/${tk.id}/comments`, { content: 'On it' });
    clock.advance(60 * MIN);
    await t.runJobs();
    expect(await events(tk.id)).toEqual([]);
  });

  it('changing the priority picks the policy again, recomputes the deadlines and says so in history', async () => {
    await policy({ name: 'Urgent', position: 1, conditions: { priorities: ['critical'] }, firstResponseMinutes: 15, resolutionMinutes: 60 });
    await policy({ name: 'Standard', position: 2 });
    const tk = await ok('POST', '/tickets', ticketBody({ priority: 'normal' }));
    expect(tk.sla.policyName).toBe('Standard');
    clock.advance(5 * MIN);
    const up = await ok('PATCH', `/tickets/${tk.id}`, { priority: 'critical' });
    expect(up.sla).toMatchObject({ policyName: 'Urgent', responseDue: at(15), resolutionDue: at(60) });
    const row = (await historyOf(t, tk.id)).find((h) => h.field === 'sla_policy')!;
    expect(row.changedTo).toMatchObject({ policyName: 'Urgent' });
  });

  it('business hours: a ticket opened Friday 16:00 on a 9–17 calendar: first response Friday 17:00, 4-hour resolution Monday 12:00', async () => {
    const weekdays = [['09:00', '17:00']];
    const cal = await ok('POST', '/calendars', {
      name: 'Office', timezone: 'UTC', hours: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
    });
    await policy({ calendarId: cal.id });
    clock.set(new Date('2026-03-06T16:00:00.000Z'));
    const tk = await ok('POST', '/tickets', ticketBody());
    // first response (1 h): Friday 17:00; resolution (4 h): 1 h on Friday, 3 h on Monday
    expect(tk.sla).toMatchObject({ responseDue: '2026-03-06T17:00:00.000Z', resolutionDue: '2026-03-09T12:00:00.000Z' });
  });
});

describe(`SLA breach notification (${DB_KIND})`, () => {
  it('notifies the assignee and the group’s supervisors once, by webhook', async () => {
    const received: any[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const clock = new FakeClock(MONDAY);
    const t = await createTestApp({ clock, routing: false, config: { slaWebhookUrl: url } });
    try {
      await t.request('POST', `${API}/groups`, { body: { name: 'Billing' } });
      const sup = await t.makeAgent({ role: 'supervisor', name: 'Sue Supervisor', groups: ['billing'] });
      const agent = await t.makeAgent({ name: 'Al Agent', groups: ['billing'] });
      await t.request('POST', `${API}/sla-policies`, { body: { name: 'Notify', firstResponseMinutes: 60, resolutionMinutes: 600, escalation: { notify: true } } });
      const tk = (await t.request('POST', `${API}/tickets`, { body: ticketBody() })).json();
      await t.request('POST', `${API}/tickets/${tk.id}/assign`, { body: { agentId: agent.id, group: 'billing' } });
      clock.advance(61 * MIN);
      const runs = await t.runJobs();
      expect(runs.filter((r) => r.name === 'sla.notify').map((r) => r.ok)).toEqual([true]);
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ event: 'sla.breach', ticketId: tk.id, target: 'first_response', dueAt: at(60), policy: 'Notify' });
      expect(received[0].recipients.map((r: any) => r.email).sort()).toEqual([agent.email, sup.email].sort());
      clock.advance(10 * MIN);
      await t.runJobs();
      expect(received).toHaveLength(1);
    } finally {
      await t.close();
      server.close();
    }
  });
});

describe(`SLA policy changes reach open tickets (${DB_KIND})`, () => {
  it('a changed policy recomputes its open tickets; a deleted one leaves them to the next policy, or none', async () => {
    const clock = new FakeClock(MONDAY);
    const t = await createTestApp({ clock, routing: false });
    try {
      const req = async (method: string, url: string, body?: unknown) => {
        const res = await t.request(method, `${API}${url}`, { body });
        expect(res.statusCode, res.body).toBeLessThan(300);
        return res.statusCode === 204 ? null : res.json();
      };
      const p = await req('POST', '/sla-policies', { name: 'Standard', firstResponseMinutes: 60, resolutionMinutes: 240 });
      const tk = await req('POST', '/tickets', ticketBody());
      expect(tk.sla.responseDue).toBe(at(60));
      await req('PATCH', `/sla-policies/${p.id}`, { firstResponseMinutes: 30 });
      expect((await req('GET', `/tickets/${tk.id}`)).sla.responseDue).toBe(at(60)); // not yet: a job does it
      expect((await t.runJobs()).filter((r) => r.name === 'sla.recompute').map((r) => r.ok)).toEqual([true]);
      expect((await req('GET', `/tickets/${tk.id}`)).sla.responseDue).toBe(at(30));

      await req('POST', '/sla-policies', { name: 'Fallback', firstResponseMinutes: 120, resolutionMinutes: 480 });
      await req('DELETE', `/sla-policies/${p.id}`);
      await t.runJobs();
      expect((await req('GET', `/tickets/${tk.id}`)).sla).toMatchObject({ policyName: 'Fallback', responseDue: at(120) });
    } finally {
      await t.close();
    }
  });
});
