import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem } from '../helpers/problems.ts';
import { FakeClock } from '../../src/platform/clock.ts';
import { buildApp } from '../../src/http/app.ts';

/** Two Triage "processes" (two apps) on one database share the login limit. */
describe(`login rate limit across processes (${DB_KIND})`, () => {
  const clock = new FakeClock(new Date('2026-06-01T12:00:00Z'));
  let t: TestApp;
  let other: FastifyInstance;
  beforeAll(async () => {
    t = await createTestApp({ clock, config: { loginRateLimit: 3 } });
    other = await buildApp({ db: t.db, clock, config: t.config, logger: false });
    await other.ready();
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const login = (app: FastifyInstance, password: string) =>
    app.inject({
      method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.7',
      headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email: t.admin.email, password }),
    });

  it('counts attempts made on any process, and opens again when the window is over', async () => {
    expect((await login(t.app, 'wrong-1')).statusCode).toBe(401);
    expect((await login(other, 'wrong-2')).statusCode).toBe(401);
    expect((await login(t.app, 'wrong-3')).statusCode).toBe(401);
    const limited = await login(other, t.admin.password);
    expectProblem(limited, 429, 'request.rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    clock.advance(61_000);
    expect((await login(other, t.admin.password)).statusCode).toBe(200);
  });

  it('counts concurrent attempts exactly (one atomic upsert per attempt)', async () => {
    clock.advance(61_000);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => login(i % 2 ? t.app : other, `wrong-${i}`)));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 401)).toHaveLength(3);
    expect(codes.filter((c) => c === 429)).toHaveLength(5);
  });

  it('behind a trusted proxy, counts per client address from X-Forwarded-For', async () => {
    clock.advance(61_000);
    const proxied = await buildApp({ db: t.db, clock, config: { ...t.config, trustProxy: true }, logger: false });
    try {
      const attempt = (client: string) =>
        proxied.inject({
          method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.1',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          payload: JSON.stringify({ email: t.admin.email, password: 'wrong' }),
        });
      for (let i = 0; i < 3; i++) expect((await attempt('198.51.100.1')).statusCode).toBe(401);
      expect((await attempt('198.51.100.1')).statusCode).toBe(429);
      expect((await attempt('198.51.100.2')).statusCode).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});
