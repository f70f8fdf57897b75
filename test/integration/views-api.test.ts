import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';

const MIN = 60_000;

describe(`saved views (${DB_KIND})`, () => {
  let t: TestApp;
  let clock: FakeClock;
  let ann: TestAgent;
  let bob: TestAgent;
  let carl: TestAgent;

  const views = async (as: TestAgent) => {
    const res = await t.request('GET', '/api/v1/views', { as });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().views as { id: string; name: string; count: number; visibility: string }[];
  };
  const countOf = async (as: TestAgent, name: string) => (await views(as)).find((v) => v.name === name)?.count;

  beforeAll(async () => {
    clock = new FakeClock(new Date('2026-02-02T08:00:00Z'));
    t = await createTestApp({ clock, routing: false });
    for (const slug of ['billing', 'tech']) await t.request('POST', '/api/v1/groups', { body: { slug, name: slug } });
    ann = await t.makeAgent({ name: 'Ann', groups: ['billing'] });
    bob = await t.makeAgent({ name: 'Bob', groups: ['tech'] });
    carl = await t.makeAgent({ name: 'Carl', groups: ['billing'] });
    await t.request('POST', '/api/v1/sla-policies', { body: { name: 'Fast', firstResponseMinutes: 90, resolutionMinutes: 600 } });
    const make = async (over: Record<string, unknown>, assign?: Record<string, unknown>) => {
      const id = (await t.request('POST', '/api/v1/tickets', { body: ticketBody(over) })).json().id;
      if (assign) expect((await t.request('POST', `/api/v1/tickets/${id}/assign`, { body: assign })).statusCode).toBe(200);
      return id;
    };
    await make({ priority: 'high' }, { agentId: ann.id, group: 'billing' });
    await make({ priority: 'low' }, { agentId: ann.id });
    await make({}, { group: 'billing' });
    await make({}, { group: 'billing' });
    await make({}, { group: 'tech' });
  });
  afterAll(async () => t?.close());

  it('lists the built-ins with live counts for the caller', async () => {
    const list = await views(ann);
    expect(list.slice(0, 4).map((v) => v.name)).toEqual(['My open tickets', 'Unassigned in my groups', 'SLA breaching in the next hour', 'Recently updated']);
    expect(await countOf(ann, 'My open tickets')).toBe(2);
    expect(await countOf(ann, 'Unassigned in my groups')).toBe(2);
    expect(await countOf(bob, 'Unassigned in my groups')).toBe(1);
    expect(await countOf(bob, 'My open tickets')).toBe(0);
    expect(await countOf(ann, 'Recently updated')).toBe(5);
    // first responses are due at 09:30: nothing within the hour at 08:00, all five from 08:31, none once breached
    expect(await countOf(ann, 'SLA breaching in the next hour')).toBe(0);
    clock.advance(31 * MIN);
    expect(await countOf(ann, 'SLA breaching in the next hour')).toBe(5);
    clock.advance(60 * MIN);
    expect(await countOf(ann, 'SLA breaching in the next hour')).toBe(0);
    clock.set(new Date('2026-02-02T08:00:00Z'));
  });

  it('saves personal, group and all-agent views, visible to the right people', async () => {
    const personal = await t.request('POST', '/api/v1/views', { as: ann, body: { name: 'Mine high', query: 'assignee:me priority>=high', visibility: 'personal' } });
    expect(personal.statusCode, personal.body).toBe(201);
    expect(personal.json()).toMatchObject({ name: 'Mine high', visibility: 'personal', sortBy: 'createdAt', ownerId: ann.id });
    const group = await t.request('POST', '/api/v1/views', { as: ann, body: { name: 'Billing queue', query: 'group:billing assignee:none', visibility: 'group', group: 'billing', sortBy: 'priority', columns: ['number', 'subject'] } });
    expect(group.statusCode, group.body).toBe(201);
    expect((await t.request('POST', '/api/v1/views', { as: ann, body: { name: 'x', query: 'status:open', visibility: 'group', group: 'tech' } })).statusCode).toBe(403);
    expect((await t.request('POST', '/api/v1/views', { as: bob, body: { name: 'Everything new', query: 'status:new', visibility: 'all' } })).statusCode).toBe(201);

    expect(await countOf(ann, 'Mine high')).toBe(1);
    expect(await countOf(ann, 'Billing queue')).toBe(2);
    expect(await countOf(carl, 'Billing queue')).toBe(2);
    expect(await countOf(carl, 'Mine high')).toBeUndefined();
    expect(await countOf(bob, 'Billing queue')).toBeUndefined();
    expect(await countOf(ann, 'Everything new')).toBe(3);

    const bad = await t.request('POST', '/api/v1/views', { as: ann, body: { name: 'Bad', query: 'priority>=hgih', visibility: 'personal' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({ path: 'query', position: 10 });
  });

  it('pages a view’s tickets by keyset, and keeps views private', async () => {
    const id = (await views(ann)).find((v) => v.name === 'Billing queue')!.id;
    const first = await t.request('GET', `/api/v1/views/${id}/tickets?limit=1`, { as: carl });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().total).toBe(2);
    const second = await t.request('GET', `/api/v1/views/${id}/tickets?limit=1&cursor=${first.json().nextCursor}`, { as: carl });
    expect(second.json().tickets).toHaveLength(1);
    expect(second.json().tickets[0].id).not.toBe(first.json().tickets[0].id);
    // a full page always offers a cursor; past the end the page is empty and offers none
    const third = await t.request('GET', `/api/v1/views/${id}/tickets?limit=1&cursor=${second.json().nextCursor}`, { as: carl });
    expect(third.json()).toMatchObject({ tickets: [], nextCursor: null });
    expect((await t.request('GET', `/api/v1/views/${id}/tickets`, { as: bob })).statusCode).toBe(404);
    const builtin = await t.request('GET', '/api/v1/views/my-open/tickets', { as: ann });
    expect(builtin.json().tickets.map((x: { priority: string }) => x.priority)).toEqual(['high', 'low']);
    expect((await t.request('DELETE', `/api/v1/views/${id}`, { as: carl })).statusCode).toBe(403);
    expect((await t.request('DELETE', `/api/v1/views/${id}`, { as: ann })).statusCode).toBe(204);
    expect((await t.request('DELETE', '/api/v1/views/my-open', { as: ann })).statusCode).toBe(409);
    expect(await countOf(carl, 'Billing queue')).toBeUndefined();
  });
});
