import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem } from '../helpers/problems.ts';
import { ensureAdmin } from '../../src/domain/auth/commands.ts';
import { SYSTEM_ACTOR } from '../../src/domain/context.ts';
import { FakeClock } from '../../src/platform/clock.ts';

const UUID = '00000000-0000-4000-8000-000000000000';


describe(`auth (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    // the login rate limit has its own app below; here it must not get in the way
    t = await createTestApp({ config: { loginRateLimit: 1000 } });
  });
  afterAll(async () => t.close());

  async function login(email: string, password: string) {
    const res = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email, password } });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'triage_session')!;
    return { res, cookie: `triage_session=${cookie.value}`, csrfToken: res.json().csrfToken as string };
  }

  describe('login, session, logout', () => {
    it('signs in with an HttpOnly SameSite=Lax session cookie and returns the user and a CSRF token', async () => {
      const res = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: t.admin.email, password: t.admin.password } });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.user).toMatchObject({ id: t.admin.id, email: t.admin.email, role: 'admin' });
      expect(body.csrfToken).toEqual(expect.any(String));
      expect(body.csrfToken.length).toBeGreaterThanOrEqual(32);
      expect(JSON.stringify(body)).not.toMatch(/argon2|password/i);
      const cookie = res.cookies.find((c) => c.name === 'triage_session');
      expect(cookie).toBeDefined();
      expect(cookie!.httpOnly).toBe(true);
      expect(cookie!.sameSite).toBe('Lax');
      expect(cookie!.path).toBe('/');
      expect(cookie!.value.length).toBeGreaterThanOrEqual(32);
    });

    it('matches the e-mail case-insensitively', async () => {
      const { res } = await login(t.admin.email.toUpperCase(), t.admin.password);
      expect(res.json().user.id).toBe(t.admin.id);
    });

    it('answers a wrong password and an unknown e-mail alike with 401', async () => {
      const wrong = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: t.admin.email, password: 'not-the-password' } });
      const p1 = expectProblem(wrong, 401, 'auth.invalid_credentials');
      expect(wrong.cookies).toHaveLength(0);
      const unknown = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: 'nobody@triage.test', password: 'whatever1' } });
      const p2 = expectProblem(unknown, 401, 'auth.invalid_credentials');
      expect(p2.detail).toBe(p1.detail);
    });

    it('validates the login body (400, naming the field)', async () => {
      const res = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: 'not-an-email', password: 'x' } });
      const p = expectProblem(res, 400, 'request.invalid');
      expect(p.errors.map((e: { path: string }) => e.path)).toContain('email');
    });

    it('GET /me works with the session cookie and with a Bearer token', async () => {
      const agent = await t.makeAgent({ name: 'Mia Me' });
      const { cookie } = await login(agent.email, agent.password);
      const viaCookie = await t.request('GET', '/api/v1/me', { as: null, headers: { cookie } });
      expect(viaCookie.statusCode).toBe(200);
      expect(viaCookie.json()).toMatchObject({ id: agent.id, name: 'Mia Me', role: 'agent' });
      const viaBearer = await t.request('GET', '/api/v1/me', { as: agent });
      expect(viaBearer.statusCode).toBe(200);
      expect(viaBearer.json().id).toBe(agent.id);
    });

    it('GET /me without credentials, with a bad token or a bad cookie → 401', async () => {
      expectProblem(await t.request('GET', '/api/v1/me', { as: null }), 401, 'auth.required');
      expectProblem(await t.request('GET', '/api/v1/me', { as: null, headers: { authorization: 'Bearer trg_nope' } }), 401, 'auth.required');
      expectProblem(await t.request('GET', '/api/v1/me', { as: null, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401, 'auth.required');
      expectProblem(await t.request('GET', '/api/v1/me', { as: null, headers: { cookie: 'triage_session=forged' } }), 401, 'auth.required');
    });

    it('logout ends the session: the cookie no longer works', async () => {
      const { cookie, csrfToken } = await login(t.admin.email, t.admin.password);
      expect((await t.request('GET', '/api/v1/me', { as: null, headers: { cookie } })).statusCode).toBe(200);
      const out = await t.request('POST', '/api/v1/auth/logout', { as: null, headers: { cookie, 'x-csrf-token': csrfToken } });
      expect(out.statusCode).toBe(204);
      const cleared = out.cookies.find((c) => c.name === 'triage_session');
      expect(cleared?.value ?? '').toBe('');
      expectProblem(await t.request('GET', '/api/v1/me', { as: null, headers: { cookie } }), 401, 'auth.required');
    });

    it('logout itself is a write: a cross-site logout without the token is refused', async () => {
      const { cookie } = await login(t.admin.email, t.admin.password);
      expectProblem(await t.request('POST', '/api/v1/auth/logout', { as: null, headers: { cookie, origin: 'http://evil.example' } }), 403, 'auth.csrf');
      expect((await t.request('GET', '/api/v1/me', { as: null, headers: { cookie } })).statusCode).toBe(200);
    });

    it('an agent created without a password cannot sign in', async () => {
      const created = (await t.request('POST', '/api/v1/agents', { body: { name: 'No Password', email: 'nopw@example.com' } })).json();
      expect(created.id).toEqual(expect.any(String));
      for (const password of ['', 'anything-at-all']) {
        const res = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: 'nopw@example.com', password } });
        expect([400, 401]).toContain(res.statusCode);
        expect(res.cookies).toHaveLength(0);
      }
    });

    it('a session survives another session’s logout (sessions are independent)', async () => {
      const a = await login(t.admin.email, t.admin.password);
      const b = await login(t.admin.email, t.admin.password);
      await t.request('POST', '/api/v1/auth/logout', { as: null, headers: { cookie: a.cookie, 'x-csrf-token': a.csrfToken } });
      expect((await t.request('GET', '/api/v1/me', { as: null, headers: { cookie: b.cookie } })).statusCode).toBe(200);
    });
  });

  describe('every /api/v1 route needs authentication', () => {
    it('all routes of the OpenAPI document but login answer 401 without credentials', async () => {
      const doc = (await t.request('GET', '/api/v1/openapi.json', { as: null })).json();
      const checked: string[] = [];
      for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[] }>>)) {
        for (const method of Object.keys(methods)) {
          const url = path.replace(/\{[^}]+\}/g, (m) => (m === '{slug}' ? 'support' : UUID));
          const isLogin = method === 'post' && url === '/api/v1/auth/login';
          // documented as open to anyone (`security: []`): the customer portal's sign-in and web form
          if (!isLogin && methods[method].security?.length === 0 && path.startsWith('/api/v1/portal/')) continue;
          const body = ['post', 'patch', 'put'].includes(method) ? {} : undefined;
          const res = await t.request(method.toUpperCase(), url, { as: null, body });
          if (isLogin) {
            expect(res.statusCode, `${method} ${url}`).toBe(400);
            continue;
          }
          expect(res.statusCode, `${method} ${url}`).toBe(401);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          checked.push(`${method} ${path}`);
        }
      }
      // a sample that must be among them
      for (const route of ['get /api/v1/tickets', 'post /api/v1/tickets', 'get /api/v1/agents', 'post /api/v1/agents', 'get /api/v1/me', 'patch /api/v1/tickets/{id}', 'post /api/v1/api-tokens', 'get /api/v1/attachments/{id}']) {
        expect(checked).toContain(route);
      }
      expect(checked.length).toBeGreaterThan(30);
    });

    it('the OpenAPI document needs no authentication', async () => {
      const res = await t.request('GET', '/api/v1/openapi.json', { as: null });
      expect(res.statusCode).toBe(200);
      expect(res.json().openapi).toMatch(/^3\.1/);
    });

    it('an unknown /api/v1 route without credentials is 401, not a hint that it does not exist', async () => {
      expectProblem(await t.request('GET', '/api/v1/no-such-thing', { as: null }), 401, 'auth.required');
    });

    it('a percent-encoded or re-cased path cannot slip past authentication', async () => {
      for (const url of ['/%61pi/v1/me', '/%61pi/v1/tickets', '/api/v1/%6De', '/API/v1/me', '/api/v1//me']) {
        const res = await t.request('GET', url, { as: null });
        expect([401, 404], `${url}: ${res.body}`).toContain(res.statusCode);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      const create = await t.request('POST', '/%61pi/v1/tickets', { as: null, body: ticketBody() });
      expect([401, 404]).toContain(create.statusCode);
      const list = await t.request('GET', '/api/v1/tickets');
      expect(list.json().total).toBe(0);
    });
  });

  describe('CSRF protection of cookie sessions', () => {
    let session: { cookie: string; csrfToken: string };
    beforeAll(async () => {
      session = await login(t.admin.email, t.admin.password);
    });

    it('refuses a cookie-authenticated POST without X-CSRF-Token or Origin (403 auth.csrf)', async () => {
      const res = await t.request('POST', '/api/v1/tickets', { as: null, headers: { cookie: session.cookie }, body: ticketBody() });
      expectProblem(res, 403, 'auth.csrf');
      expect((await t.request('GET', '/api/v1/tickets')).json().total).toBe(0);
    });

    it('refuses a cookie-authenticated PATCH and DELETE without the token', async () => {
      const created = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json();
      expectProblem(
        await t.request('PATCH', `/api/v1/tickets/${created.id}`, { as: null, headers: { cookie: session.cookie }, body: { priority: 'high' } }),
        403, 'auth.csrf',
      );
      expectProblem(await t.request('DELETE', `/api/v1/tickets/${created.id}`, { as: null, headers: { cookie: session.cookie } }), 403, 'auth.csrf');
      expectProblem(await t.request('PATCH', '/api/v1/me/status', { as: null, headers: { cookie: session.cookie }, body: { status: 'busy' } }), 403, 'auth.csrf');
      const after = (await t.request('GET', `/api/v1/tickets/${created.id}`)).json();
      expect(after).toMatchObject({ priority: 'normal', status: 'new', version: 1 });
    });

    it('refuses a wrong token and another session’s token', async () => {
      const other = await login(t.admin.email, t.admin.password);
      for (const token of ['wrong', other.csrfToken, '']) {
        const res = await t.request('PATCH', '/api/v1/me/status', { as: null, headers: { cookie: session.cookie, 'x-csrf-token': token }, body: { status: 'busy' } });
        expectProblem(res, 403, 'auth.csrf');
      }
    });

    it('accepts the write with the session’s X-CSRF-Token', async () => {
      const res = await t.request('POST', '/api/v1/tickets', {
        as: null, headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken }, body: ticketBody(),
      });
      expect(res.statusCode, res.body).toBe(201);
      const patched = await t.request('PATCH', `/api/v1/tickets/${res.json().id}`, {
        as: null, headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken }, body: { priority: 'high' },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json().priority).toBe('high');
    });

    it('accepts the write with a same-origin Origin (equal to Host)', async () => {
      const res = await t.request('PATCH', '/api/v1/me/status', {
        as: null, headers: { cookie: session.cookie, host: 'desk.example.com:3000', origin: 'http://desk.example.com:3000' }, body: { status: 'online' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe('online');
      // a default port may be explicit on either side
      for (const [host, origin] of [['desk.example.com', 'http://desk.example.com'], ['desk.example.com:80', 'http://desk.example.com'], ['desk.example.com', 'https://desk.example.com:443']]) {
        const res2 = await t.request('PATCH', '/api/v1/me/status', { as: null, headers: { cookie: session.cookie, host, origin }, body: { status: 'away' } });
        expect(res2.statusCode, `${host} ${origin}: ${res2.body}`).toBe(200);
      }
    });

    it('refuses a cross-origin Origin without the token', async () => {
      for (const origin of ['http://evil.example', 'http://desk.example.com.evil.example:3000', 'null', 'http://desk.example.com:4000', 'file://desk.example.com:3000']) {
        const res = await t.request('PATCH', '/api/v1/me/status', {
          as: null, headers: { cookie: session.cookie, host: 'desk.example.com:3000', origin }, body: { status: 'busy' },
        });
        expectProblem(res, 403, 'auth.csrf');
      }
      expect((await t.request('GET', '/api/v1/me')).json().status).not.toBe('busy');
    });

    it('lets safe methods through without a token', async () => {
      expect((await t.request('GET', '/api/v1/tickets', { as: null, headers: { cookie: session.cookie } })).statusCode).toBe(200);
    });

    it('Bearer requests need no CSRF token or Origin', async () => {
      const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody(), headers: { origin: 'http://evil.example' } });
      expect(res.statusCode).toBe(201);
      const patched = await t.request('PATCH', '/api/v1/me/status', { body: { status: 'busy' } });
      expect(patched.statusCode).toBe(200);
    });
  });

  describe('API tokens', () => {
    it('creates a token (201, shown once), lists it without the secret, and the token authenticates', async () => {
      const agent = await t.makeAgent();
      const res = await t.request('POST', '/api/v1/api-tokens', { as: agent, body: { name: 'zapier' } });
      expect(res.statusCode, res.body).toBe(201);
      const created = res.json();
      expect(created).toMatchObject({ id: expect.any(String), name: 'zapier', token: expect.stringMatching(/^trg_/) });
      const list = await t.request('GET', '/api/v1/api-tokens', { as: agent });
      expect(list.statusCode).toBe(200);
      const tokens = list.json().tokens;
      expect(tokens.map((x: { id: string }) => x.id)).toContain(created.id);
      expect(list.body).not.toContain(created.token);
      expect(list.body).not.toContain(created.token.slice(12));
      for (const x of tokens) expect(x).not.toHaveProperty('token');
      const me = await t.request('GET', '/api/v1/me', { as: null, headers: { authorization: `Bearer ${created.token}` } });
      expect(me.statusCode).toBe(200);
      expect(me.json().id).toBe(agent.id);
    });

    it('an Idempotency-Key does not make the secret replayable or keep it in the database', async () => {
      const headers = { 'idempotency-key': 'token-retry-1' };
      const first = await t.request('POST', '/api/v1/api-tokens', { body: { name: 'retry' }, headers });
      const second = await t.request('POST', '/api/v1/api-tokens', { body: { name: 'retry' }, headers });
      expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
      expect(second.json().id).not.toBe(first.json().id);
      const stored = await t.db.query<{ response: unknown }>('SELECT response FROM idempotency_keys');
      expect(JSON.stringify(stored.rows)).not.toContain(first.json().token);
      const hashes = await t.db.query<{ token_hash: Buffer }>('SELECT token_hash FROM api_tokens WHERE id = $1', [first.json().id]);
      expect(Buffer.from(hashes.rows[0].token_hash).toString('utf8')).not.toContain(first.json().token);
    });

    it('validates the token name', async () => {
      expectProblem(await t.request('POST', '/api/v1/api-tokens', { body: { name: '' } }), 400, 'request.invalid');
      expectProblem(await t.request('POST', '/api/v1/api-tokens', { body: {} }), 400, 'request.invalid');
    });

    it('DELETE revokes a token: it then answers 401 and is gone from the list', async () => {
      const agent = await t.makeAgent();
      const created = (await t.request('POST', '/api/v1/api-tokens', { as: agent, body: { name: 'ci' } })).json();
      const bearer = { authorization: `Bearer ${created.token}` };
      expect((await t.request('GET', '/api/v1/me', { as: null, headers: bearer })).statusCode).toBe(200);
      const del = await t.request('DELETE', `/api/v1/api-tokens/${created.id}`, { as: agent });
      expect(del.statusCode).toBe(204);
      expectProblem(await t.request('GET', '/api/v1/me', { as: null, headers: bearer }), 401, 'auth.required');
      const list = (await t.request('GET', '/api/v1/api-tokens', { as: agent })).json().tokens;
      expect(list.map((x: { id: string }) => x.id)).not.toContain(created.id);
      // revoking twice: it no longer exists
      expectProblem(await t.request('DELETE', `/api/v1/api-tokens/${created.id}`, { as: agent }), 404);
    });

    it('records when a token was last used', async () => {
      const agent = await t.makeAgent();
      const created = (await t.request('POST', '/api/v1/api-tokens', { as: agent, body: { name: 'usage' } })).json();
      const listed = async () => (await t.request('GET', '/api/v1/api-tokens', { as: agent })).json().tokens.find((x: { id: string }) => x.id === created.id);
      expect((await listed()).lastUsedAt).toBeNull();
      await t.request('GET', '/api/v1/me', { as: null, headers: { authorization: `Bearer ${created.token}` } });
      expect((await listed()).lastUsedAt).toEqual(expect.any(String));
    });

    it('a token may revoke itself', async () => {
      const agent = await t.makeAgent();
      const created = (await t.request('POST', '/api/v1/api-tokens', { as: agent, body: { name: 'self' } })).json();
      const bearer = { authorization: `Bearer ${created.token}` };
      expect((await t.request('DELETE', `/api/v1/api-tokens/${created.id}`, { as: null, headers: bearer })).statusCode).toBe(204);
      expect((await t.request('GET', '/api/v1/me', { as: null, headers: bearer })).statusCode).toBe(401);
    });

    it('an agent cannot revoke or see another agent’s token (404), an admin can revoke it', async () => {
      const owner = await t.makeAgent();
      const other = await t.makeAgent({ role: 'supervisor' });
      const created = (await t.request('POST', '/api/v1/api-tokens', { as: owner, body: { name: 'mine' } })).json();
      expectProblem(await t.request('DELETE', `/api/v1/api-tokens/${created.id}`, { as: other }), 404, 'api_token.not_found');
      expect((await t.request('GET', '/api/v1/me', { as: null, headers: { authorization: `Bearer ${created.token}` } })).statusCode).toBe(200);
      const othersList = (await t.request('GET', '/api/v1/api-tokens', { as: other })).json().tokens;
      expect(othersList.map((x: { id: string }) => x.id)).not.toContain(created.id);
      expect((await t.request('DELETE', `/api/v1/api-tokens/${created.id}`)).statusCode).toBe(204);
      expect((await t.request('GET', '/api/v1/me', { as: null, headers: { authorization: `Bearer ${created.token}` } })).statusCode).toBe(401);
    });

    it('unknown token id → 404; a malformed id → 400', async () => {
      expectProblem(await t.request('DELETE', `/api/v1/api-tokens/${UUID}`), 404, 'api_token.not_found');
      expectProblem(await t.request('DELETE', '/api/v1/api-tokens/not-a-uuid'), 400, 'request.invalid');
    });

    it('admins list everyone’s tokens with ?all=true; others get 403', async () => {
      const agent = await t.makeAgent();
      const mine = (await t.request('GET', '/api/v1/api-tokens')).json().tokens as { agentId: string }[];
      expect(mine.every((x) => x.agentId === t.admin.id)).toBe(true);
      const all = (await t.request('GET', '/api/v1/api-tokens?all=true')).json().tokens as { agentId: string }[];
      expect(all.some((x) => x.agentId === agent.id)).toBe(true);
      expect(all.length).toBeGreaterThan(mine.length);
      expectProblem(await t.request('GET', '/api/v1/api-tokens?all=true', { as: agent }), 403, 'auth.forbidden');
      const supervisor = await t.makeAgent({ role: 'supervisor' });
      expectProblem(await t.request('GET', '/api/v1/api-tokens?all=true', { as: supervisor }), 403, 'auth.forbidden');
      expect((await t.request('GET', '/api/v1/api-tokens?all=false', { as: agent })).statusCode).toBe(200);
    });

    it('a token created with a cookie session belongs to the session’s agent', async () => {
      const agent = await t.makeAgent();
      const s = await login(agent.email, agent.password);
      const res = await t.request('POST', '/api/v1/api-tokens', { as: null, headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken }, body: { name: 'from-ui' } });
      expect(res.statusCode).toBe(201);
      const list = (await t.request('GET', '/api/v1/api-tokens', { as: agent })).json().tokens;
      expect(list.map((x: { id: string }) => x.id)).toContain(res.json().id);
    });
  });

  describe('admin bootstrap (ADMIN_EMAIL / ADMIN_PASSWORD)', () => {
    it('ensureAdmin is idempotent: one admin, password unchanged by a second call', async () => {
      const ctx = { db: t.db, clock: t.clock, actor: SYSTEM_ACTOR };
      expect(await ensureAdmin(ctx, { email: 'Boss@Triage.test', password: 'first-password' })).toBe('created');
      expect(await ensureAdmin(ctx, { email: 'boss@triage.test', password: 'second-password' })).toBe('exists');
      const admins = (await t.request('GET', '/api/v1/agents?role=admin&limit=200')).json().agents as { email: string }[];
      expect(admins.filter((a) => a.email === 'boss@triage.test')).toHaveLength(1);
      const ok = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: 'boss@triage.test', password: 'first-password' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().user.role).toBe('admin');
      const second = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: 'boss@triage.test', password: 'second-password' } });
      expectProblem(second, 401, 'auth.invalid_credentials');
    });
  });
});

describe(`session lifetime (${DB_KIND})`, () => {
  let t: TestApp;
  const clock = new FakeClock(new Date('2026-03-01T12:00:00Z'));
  beforeAll(async () => {
    t = await createTestApp({ clock, config: { sessionTtlSeconds: 3600 } });
  });
  afterAll(async () => t.close());

  it('a session cookie stops working when its lifetime is over', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: t.admin.email, password: t.admin.password } });
    const cookie = res.cookies.find((c) => c.name === 'triage_session')!;
    expect(new Date(cookie.expires!).getTime()).toBe(clock.now().getTime() + 3600_000);
    const header = { cookie: `triage_session=${cookie.value}` };
    clock.advance(3599_000);
    expect((await t.request('GET', '/api/v1/me', { as: null, headers: header })).statusCode).toBe(200);
    clock.advance(2_000);
    expectProblem(await t.request('GET', '/api/v1/me', { as: null, headers: header }), 401, 'auth.required');
    // API tokens do not expire with it
    expect((await t.request('GET', '/api/v1/me')).statusCode).toBe(200);
  });
});

describe(`login rate limit (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { loginRateLimit: 3 } });
  });
  afterAll(async () => t.close());

  it('answers 429 problem after LOGIN_RATE_LIMIT attempts, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: t.admin.email, password: `guess-${i}` } });
      expect(res.statusCode).toBe(401);
    }
    const limited = await t.request('POST', '/api/v1/auth/login', { as: null, body: { email: t.admin.email, password: t.admin.password } });
    const p = expectProblem(limited, 429, 'request.rate_limited');
    expect(p.detail).toEqual(expect.any(String));
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.cookies).toHaveLength(0);
    // other routes are not limited by it
    expect((await t.request('GET', '/api/v1/me')).statusCode).toBe(200);
  });
});
