import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { FakeClock } from '../../src/platform/clock.ts';
import { buildApp } from '../../src/http/app.ts';
import { TokenCache } from '../../src/http/plugins/token-cache.ts';

describe('TokenCache', () => {
  const principal = { agent_id: 'a', name: 'A', email: 'a@x', role: 'agent' as const };
  it('remembers for ttl, forgets after, and clear() forgets at once', () => {
    const c = new TokenCache(5000);
    c.set('k', principal, 1000);
    expect(c.get('k', 5999)).toEqual(principal);
    expect(c.get('k', 6000)).toBeUndefined();
    c.set('k', principal, 7000);
    c.clear();
    expect(c.get('k', 7001)).toBeUndefined();
  });
  it('ttl 0 disables it and the size is capped', () => {
    expect((() => { const c = new TokenCache(0); c.set('k', principal, 0); return c.get('k', 0); })()).toBeUndefined();
    const c = new TokenCache(1000, 2);
    c.set('a', principal, 0);
    c.set('b', principal, 0);
    c.set('c', principal, 0);
    expect(c.get('a', 1)).toBeUndefined();
    expect(c.get('c', 1)).toEqual(principal);
  });
});

/** Two Triage "processes" (two apps) on one database, as several web processes on one PostgreSQL. */
describe(`API token cache across processes (${DB_KIND})`, () => {
  const clock = new FakeClock(new Date('2026-05-04T08:00:00Z'));
  let t: TestApp;
  let other: FastifyInstance;
  let agent: TestAgent;
  beforeAll(async () => {
    t = await createTestApp({ clock, config: { authCacheSeconds: 5 } });
    other = await buildApp({ db: t.db, clock, config: t.config, logger: false });
    await other.ready();
    agent = await t.makeAgent();
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const meOn = (app: FastifyInstance, token: string) =>
    app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

  it('a revoked token stops at once where it was revoked, and within the cache time elsewhere', async () => {
    const created = await t.request('POST', '/api/v1/api-tokens', { as: agent, body: { name: 'cached' } });
    const { id, token } = created.json();
    expect((await meOn(t.app, token)).statusCode).toBe(200);
    expect((await meOn(other, token)).statusCode).toBe(200); // now cached in "other"

    expect((await t.request('DELETE', `/api/v1/api-tokens/${id}`, { as: agent })).statusCode).toBe(204);
    expect((await meOn(t.app, token)).statusCode).toBe(401);
    clock.advance(4000);
    expect((await meOn(other, token)).statusCode).toBe(200);
    clock.advance(1001);
    expect((await meOn(other, token)).statusCode).toBe(401);
  });

  it('an agent change is seen at once by the process that made it (the cached name is not reused)', async () => {
    const ticket = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json();
    const comment = (body: string) => t.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { as: agent, body: { content: body, isInternal: true } });
    expect((await comment('first')).json().author.name).toBe(agent.name); // the caller is now cached
    expect((await t.request('PATCH', `/api/v1/agents/${agent.id}`, { body: { name: 'Renamed Agent' } })).statusCode).toBe(200);
    expect((await comment('second')).json().author.name).toBe('Renamed Agent');
  });
});
