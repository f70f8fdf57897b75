import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, DB_KIND } from '../helpers/db.ts';
import { buildApp } from '../../src/http/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { systemClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/db/client.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe(`operations (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('/healthz answers 200 without authentication', async () => {
    const res = await t.request('GET', '/healthz', { as: null });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when the database is reachable', async () => {
    const res = await t.request('GET', '/readyz', { as: null });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: DB_KIND });
  });

  it('/readyz answers 503 (problem document) when the database is not', async () => {
    const down: Db = {
      kind: 'postgres',
      inTransaction: false,
      query: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
      exec: async () => undefined,
      transaction: async () => {
        throw new Error('down');
      },
      cached: async () => {
        throw new Error('down');
      },
      enableConfigCache: async () => undefined,
      close: async () => undefined,
    };
    const app = await buildApp({ db: down, clock: systemClock, config: { ...loadConfig({}), dataDir: t.config.dataDir }, logger: false });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, title: expect.any(String), type: expect.any(String), detail: expect.any(String) });
      expect(res.body).not.toContain('ECONNREFUSED');
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  describe('OpenAPI', () => {
    let doc: {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
      components?: { securitySchemes?: Record<string, unknown> };
    };
    beforeAll(async () => {
      const res = await t.request('GET', '/api/v1/openapi.json', { as: null });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      doc = res.json();
    });

    it('is OpenAPI 3.1 with the API’s info and security schemes', () => {
      expect(doc.openapi).toMatch(/^3\.1\./);
      expect(doc.info.title).toBe('Triage API');
      expect(Object.keys(doc.components?.securitySchemes ?? {})).toEqual(expect.arrayContaining(['bearer', 'session']));
    });

    it('documents the ticket routes with their request schemas', () => {
      const create = doc.paths['/api/v1/tickets'].post;
      const schema = create.requestBody!.content['application/json'].schema as { properties: Record<string, { maxLength?: number; enum?: string[] }>; required: string[]; additionalProperties?: boolean };
      expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['subject', 'description', 'requester', 'category', 'priority', 'source', 'tags', 'customFields']));
      expect(schema.required).toEqual(expect.arrayContaining(['subject', 'description', 'requester', 'category', 'source']));
      expect(schema.properties.subject.maxLength).toBe(500);
      expect(schema.properties.priority.enum).toEqual(expect.arrayContaining(['critical', 'high', 'normal', 'low']));
      expect(schema.additionalProperties).toBe(false);
      expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400']));
      const list = doc.paths['/api/v1/tickets'].get;
      expect(list.parameters!.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(
        expect.arrayContaining(['status', 'priority', 'category', 'assigneeId', 'tags', 'page', 'limit', 'sortBy', 'sortOrder', 'cursor']),
      );
      for (const [path, method] of [
        ['/api/v1/tickets/{id}', 'get'], ['/api/v1/tickets/{id}', 'patch'], ['/api/v1/tickets/{id}', 'delete'],
        ['/api/v1/tickets/{id}/comments', 'post'], ['/api/v1/tickets/{id}/assign', 'post'], ['/api/v1/tickets/{id}/resolve', 'post'],
        ['/api/v1/tickets/{id}/close', 'post'], ['/api/v1/tickets/{id}/reopen', 'post'], ['/api/v1/tickets/{id}/history', 'get'],
      ]) {
        expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      }
      expect(doc.paths['/api/v1/tickets/{id}'].patch.requestBody!.content['application/json'].schema).toHaveProperty('properties.status');
    });

    it('documents the agent, people and account routes with their request schemas', () => {
      const agent = doc.paths['/api/v1/agents'].post.requestBody!.content['application/json'].schema as { properties: Record<string, unknown>; required: string[] };
      expect(Object.keys(agent.properties)).toEqual(expect.arrayContaining(['name', 'email', 'role', 'groups', 'skills', 'maxConcurrentTickets', 'status', 'password']));
      expect(agent.required).toEqual(expect.arrayContaining(['name', 'email']));
      expect(doc.paths['/api/v1/agents/{id}'].patch.requestBody).toBeDefined();
      for (const path of ['/api/v1/groups', '/api/v1/requesters', '/api/v1/requesters/lookup', '/api/v1/organizations', '/api/v1/api-tokens', '/api/v1/auth/login', '/api/v1/me', '/api/v1/attachments/{id}']) {
        expect(doc.paths[path], path).toBeDefined();
      }
      const login = doc.paths['/api/v1/auth/login'].post as unknown as { security: unknown[]; requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } };
      expect(Object.keys(login.requestBody.content['application/json'].schema.properties).sort()).toEqual(['email', 'password']);
      // login is the one operation without authentication
      expect(login.security).toEqual([]);
      expect((doc as unknown as { security: unknown[] }).security).toEqual(expect.arrayContaining([{ bearer: [] }]));
    });

    it('leaves internal routes out', () => {
      expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
      expect(doc.paths['/api/v1/openapi.json']).toBeUndefined();
    });
  });

  it('serves the docs page', async () => {
    const res = await t.request('GET', '/api/v1/docs', { as: null });
    expect([200, 302]).toContain(res.statusCode);
    const page = res.statusCode === 302 ? await t.request('GET', new URL(res.headers.location as string, 'http://x').pathname, { as: null }) : res;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toMatch(/swagger/i);
    const json = await t.request('GET', '/api/v1/docs/json', { as: null });
    expect(json.statusCode).toBe(200);
    expect(json.json().openapi).toMatch(/^3\.1/);
  });

  describe('request ids', () => {
    it('every response carries an X-Request-Id, success and error alike', async () => {
      const responses = await Promise.all([
        t.request('GET', '/healthz', { as: null }),
        t.request('GET', '/readyz', { as: null }),
        t.request('GET', '/api/v1/openapi.json', { as: null }),
        t.request('GET', '/api/v1/tickets'),
        t.request('POST', '/api/v1/tickets', { body: ticketBody() }),
        t.request('GET', '/api/v1/tickets', { as: null }),
        t.request('GET', '/api/v1/nothing'),
        t.request('GET', '/nothing', { as: null }),
        t.request('POST', '/api/v1/tickets', { body: '{', headers: { 'content-type': 'application/json' } }),
        t.request('POST', '/api/v1/tickets', { body: 'x', headers: { 'content-type': 'text/plain' } }),
        t.request('GET', '/api/v1/tickets/%E0%A4%A'),
      ]);
      const ids = responses.map((r) => r.headers['x-request-id']);
      for (const [i, id] of ids.entries()) expect(id, `response ${i} (${responses[i].statusCode})`).toMatch(UUID_RE);
      expect(new Set(ids).size).toBe(ids.length);
      // problem documents name the same id
      const problem = responses[5];
      expect(problem.statusCode).toBe(401);
      expect(problem.json().requestId).toBe(problem.headers['x-request-id']);
    });

    it('echoes an incoming X-Request-Id, and replaces one that is not an id', async () => {
      const res = await t.request('GET', '/api/v1/tickets', { headers: { 'x-request-id': 'lb-7f3a.42:abc' } });
      expect(res.headers['x-request-id']).toBe('lb-7f3a.42:abc');
      const problem = await t.request('GET', '/api/v1/nothing', { headers: { 'x-request-id': 'trace-123' } });
      expect(problem.headers['x-request-id']).toBe('trace-123');
      expect(problem.json().requestId).toBe('trace-123');
      for (const bad of ['x'.repeat(200), 'has space', '{"json":1}']) {
        const r = await t.request('GET', '/healthz', { as: null, headers: { 'x-request-id': bad } });
        expect(r.headers['x-request-id']).toMatch(UUID_RE);
      }
    });
  });

  it('logs each request as structured JSON with its request id', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const { db, drop } = await createTestDatabase();
    const app = await buildApp({ db, clock: systemClock, config: { ...loadConfig({}), dataDir: t.config.dataDir }, logger: pino({ level: 'info' }, sink) });
    try {
      const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'log-test-1' } });
      expect(res.statusCode).toBe(200);
      const mine = lines.filter((l) => l.reqId === 'log-test-1');
      expect(mine.length).toBeGreaterThanOrEqual(2); // incoming request, request completed
      expect(mine.some((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === 200)).toBe(true);
      const unauth = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer trg_secret-value' } });
      expect(unauth.statusCode).toBe(401);
      // credentials never reach the log
      expect(JSON.stringify(lines)).not.toContain('trg_secret-value');
    } finally {
      await app.close();
      await drop();
    }
  });
});
