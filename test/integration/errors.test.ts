import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { expectProblem, STACK_TRACE } from '../helpers/problems.ts';

const UUID = '00000000-0000-4000-8000-000000000000';


function expectValidation(res: LightMyRequestResponse, ...paths: (string | RegExp)[]) {
  const p = expectProblem(res, 400, 'request.invalid');
  expect(Array.isArray(p.errors)).toBe(true);
  for (const e of p.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
  const got = p.errors.map((e: { path: string }) => e.path);
  for (const path of paths) {
    if (typeof path === 'string') expect(got, JSON.stringify(p.errors)).toContain(path);
    else expect(got.some((g: string) => path.test(g)), JSON.stringify(p.errors)).toBe(true);
  }
  return p;
}

describe(`errors and edges (${DB_KIND})`, () => {
  let t: TestApp;
  let ticketId: string;
  beforeAll(async () => {
    t = await createTestApp();
    ticketId = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json().id;
  });
  afterAll(async () => t.close());

  const countTickets = async () => (await t.request('GET', '/api/v1/tickets?limit=1')).json().total as number;

  describe('validation → 400 with errors [{path, message}]', () => {
    it('names unknown fields, top-level and nested', async () => {
      const before = await countTickets();
      const res = await t.request('POST', '/api/v1/tickets', { body: { ...ticketBody(), colour: 'red', requester: { name: 'A', email: 'a@example.com', nickname: 'x' } } });
      expectValidation(res, 'colour', 'requester.nickname');
      expectValidation(await t.request('PATCH', `/api/v1/tickets/${ticketId}`, { body: { status: 'open', owner: 'me' } }), 'owner');
      expectValidation(await t.request('POST', '/api/v1/agents', { body: { name: 'A', email: 'a@example.com', isRoot: true } }), 'isRoot');
      expect(await countTickets()).toBe(before);
    });

    it('names fields with the wrong type', async () => {
      const res = await t.request('POST', '/api/v1/tickets', {
        body: { ...ticketBody(), subject: 42, tags: 'urgent', priority: 'urgent', customFields: [], requester: { name: 'A', email: 'not-an-email' } },
      });
      expectValidation(res, 'subject', 'tags', 'priority', 'customFields', 'requester.email');
      expectValidation(await t.request('POST', '/api/v1/tickets', { body: { ...ticketBody(), tags: ['ok', 7] } }), 'tags.1');
      expectValidation(await t.request('PATCH', `/api/v1/tickets/${ticketId}`, { body: { dueDate: 'tomorrow' } }), 'dueDate');
      expectValidation(await t.request('PATCH', `/api/v1/tickets/${ticketId}`, { body: { dueDate: '2025-02-30T10:00:00Z' } }), 'dueDate');
      expectValidation(await t.request('PATCH', `/api/v1/tickets/${ticketId}`, { body: { dueDate: '0000-01-01T00:00:00Z' } }), 'dueDate');
      expectValidation(await t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { body: { maxConcurrentTickets: 'lots' } }), 'maxConcurrentTickets');
    });

    it('names missing required fields', async () => {
      const { subject: _s, requester: _r, ...rest } = ticketBody();
      expectValidation(await t.request('POST', '/api/v1/tickets', { body: rest }), 'subject', 'requester');
    });

    it('a subject of 501 characters is 400 with path subject; 500 is fine', async () => {
      expectValidation(await t.request('POST', '/api/v1/tickets', { body: ticketBody({ subject: 'x'.repeat(501) }) }), 'subject');
      const ok = await t.request('POST', '/api/v1/tickets', { body: ticketBody({ subject: 'x'.repeat(500) }) });
      expect(ok.statusCode).toBe(201);
      expectValidation(await t.request('PATCH', `/api/v1/tickets/${ticketId}`, { body: { subject: 'y'.repeat(501) } }), 'subject');
    });

    it('filter values outside their enum: ?status=bogus → path query.status…', async () => {
      expectValidation(await t.request('GET', '/api/v1/tickets?status=bogus'), /^query\.status/);
      expectValidation(await t.request('GET', '/api/v1/tickets?status=open,bogus'), /^query\.status/);
      expectValidation(await t.request('GET', '/api/v1/tickets?priority=urgent'), /^query\.priority/);
      expectValidation(await t.request('GET', '/api/v1/tickets?sortBy=colour'), 'query.sortBy');
      expectValidation(await t.request('GET', '/api/v1/tickets?limit=201'), 'query.limit');
      expectValidation(await t.request('GET', '/api/v1/tickets?page=0'), 'query.page');
      expectValidation(await t.request('GET', '/api/v1/tickets?createdAfter=2024-13-45'), 'query.createdAfter');
      expectValidation(await t.request('GET', '/api/v1/tickets?createdAfter=2024-02-30'), 'query.createdAfter');
      expectValidation(await t.request('GET', '/api/v1/tickets?assigneeId=nobody'), /^query\.assigneeId/);
      expectValidation(await t.request('GET', '/api/v1/tickets?colour=red'), 'query.colour');
      expectValidation(await t.request('GET', '/api/v1/agents?status=asleep'), 'query.status');
      // a forged cursor is refused, not handed to SQL
      const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      for (const [sortBy, value] of [['createdAt', 'x'], ['dueDate', { a: 1 }], ['priority', 1e300]] as const) {
        const res = await t.request('GET', `/api/v1/tickets?sortBy=${sortBy}&cursor=${forged([value, UUID])}`);
        expectProblem(res, 400);
      }
    });

    it('path parameters are validated (params.id)', async () => {
      expectValidation(await t.request('GET', '/api/v1/agents/not-a-uuid'), 'params.id');
      expectValidation(await t.request('GET', '/api/v1/attachments/123'), 'params.id');
    });

    it('NUL characters, which PostgreSQL cannot store, are 400 naming the field (body, query, path)', async () => {
      const before = await countTickets();
      expectValidation(await t.request('POST', '/api/v1/tickets', { body: ticketBody({ description: 'a\u0000b' }) }), 'description');
      expectValidation(await t.request('POST', '/api/v1/tickets', { body: ticketBody({ customFields: { k: ['ok', 'v\u0000'] } }) }), 'customFields.k.1');
      expectValidation(await t.request('POST', '/api/v1/tickets', { body: ticketBody({ customFields: { 'k\u0000': 1 } }) }), /^customFields\./);
      expectValidation(await t.request('POST', '/api/v1/organizations', { body: { name: 'Nul\u0000Corp' } }), 'name');
      expectValidation(await t.request('GET', '/api/v1/tickets?q=%00'), 'query.q');
      expectValidation(await t.request('GET', '/api/v1/requesters/lookup?email=a%00@example.com'), 'query.email');
      expectValidation(await t.request('GET', '/api/v1/groups/sup%00port'), 'params.slug');
      expectValidation(await t.request('GET', '/api/v1/tickets/%00'), 'params.id');
      expect(await countTickets()).toBe(before);
    });

    it('absurdly deep JSON is 400, not a stack overflow', async () => {
      const deep = JSON.stringify(ticketBody({ customFields: { a: 'X' } })).replace('"X"', '['.repeat(5000) + ']'.repeat(5000));
      expectValidation(await t.request('POST', '/api/v1/tickets', { body: deep, headers: { 'content-type': 'application/json' } }), /^customFields\.a(\.0)+$/);
      const deeper = '{"x":' + '{"y":'.repeat(100_000) + '1' + '}'.repeat(100_001);
      expectProblem(await t.request('POST', '/api/v1/tickets', { body: deeper, headers: { 'content-type': 'application/json' } }), 400);
      // ordinary nesting in custom fields is fine
      const ok = await t.request('POST', '/api/v1/tickets', { body: ticketBody({ customFields: { order: { lines: [{ sku: 'A-1', qty: 2 }] } } }) });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().customFields).toEqual({ order: { lines: [{ sku: 'A-1', qty: 2 }] } });
    });
  });

  describe('malformed bodies → 400', () => {
    const raw = (body: string, type = 'application/json') => t.request('POST', '/api/v1/tickets', { body, headers: { 'content-type': type } });

    it('malformed JSON', async () => {
      for (const body of ['{"subject": "x",', '{subject: 1}', "{'a':1}", '{"a":1}}', 'nul', '\u00ff\u00fe']) {
        expectProblem(await raw(body), 400, 'request.malformed');
      }
    });

    it('an empty JSON body, and JSON that is not an object', async () => {
      expectProblem(await raw(''), 400, 'request.malformed');
      for (const body of ['null', '[]', '"ticket"', '42', 'true']) expectProblem(await raw(body), 400, 'request.invalid');
    });

    it('prototype-poisoning keys are refused', async () => {
      expectProblem(await raw(JSON.stringify(ticketBody()).replace(/^\{/, '{"__proto__":{"isAdmin":true},')), 400, 'request.malformed');
      expectProblem(await raw('{"constructor":{"prototype":{"isAdmin":true}}}'), 400, 'request.malformed');
    });

    it('a broken multipart body', async () => {
      expectProblem(await raw('garbage', 'multipart/form-data; boundary=xyz'), 400, 'request.malformed');
      expectProblem(await raw('garbage', 'multipart/form-data'), 400, 'request.malformed');
      const badData = '--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n{not json\r\n--b--\r\n';
      expectValidation(await raw(badData, 'multipart/form-data; boundary=b'), 'data');
      const arrayData = '--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n[1,2]\r\n--b--\r\n';
      expectValidation(await raw(arrayData, 'multipart/form-data; boundary=b'), 'data');
    });

    it('a URL the router cannot decode, and an over-long path parameter', async () => {
      expectProblem(await t.request('GET', '/api/v1/tickets/%E0%A4%A'), 400, 'request.bad_url');
      expectProblem(await t.request('GET', `/api/v1/tickets/${'9'.repeat(150)}`), 414, 'request.uri_too_long');
    });
  });

  describe('unknown things → 404', () => {
    it('unknown ids of every resource', async () => {
      expectProblem(await t.request('GET', `/api/v1/tickets/${UUID}`), 404, 'ticket.not_found');
      expectProblem(await t.request('GET', '/api/v1/tickets/999999999'), 404, 'ticket.not_found');
      expectProblem(await t.request('GET', '/api/v1/tickets/99999999999999999999999'), 404, 'ticket.not_found');
      expectProblem(await t.request('PATCH', `/api/v1/tickets/${UUID}`, { body: { priority: 'high' } }), 404, 'ticket.not_found');
      expectProblem(await t.request('DELETE', `/api/v1/tickets/${UUID}`), 404, 'ticket.not_found');
      expectProblem(await t.request('POST', `/api/v1/tickets/${UUID}/comments`, { body: { content: 'hi' } }), 404, 'ticket.not_found');
      expectProblem(await t.request('POST', `/api/v1/tickets/${UUID}/resolve`), 404, 'ticket.not_found');
      expectProblem(await t.request('GET', `/api/v1/tickets/${UUID}/history`), 404, 'ticket.not_found');
      expectProblem(await t.request('POST', `/api/v1/tickets/${ticketId}/assign`, { body: { agentId: UUID } }), 404, 'agent.not_found');
      expectProblem(await t.request('POST', `/api/v1/tickets/${ticketId}/assign`, { body: { group: 'nowhere' } }), 404, 'group.not_found');
      expectProblem(await t.request('GET', `/api/v1/agents/${UUID}`), 404, 'agent.not_found');
      expectProblem(await t.request('GET', `/api/v1/requesters/${UUID}`), 404, 'requester.not_found');
      expectProblem(await t.request('GET', `/api/v1/organizations/${UUID}`), 404, 'organization.not_found');
      expectProblem(await t.request('GET', '/api/v1/groups/nowhere'), 404, 'group.not_found');
      expectProblem(await t.request('GET', `/api/v1/attachments/${UUID}`), 404, 'attachment.not_found');
      expectProblem(await t.request('DELETE', `/api/v1/api-tokens/${UUID}`), 404, 'api_token.not_found');
    });

    it('unknown routes and methods', async () => {
      expectProblem(await t.request('GET', '/api/v1/nothing-here'), 404, 'route.not_found');
      expectProblem(await t.request('PUT', '/api/v1/tickets'), 404, 'route.not_found');
      expectProblem(await t.request('GET', '/nothing-here', { as: null }), 404, 'route.not_found');
    });
  });

  describe('conflicts, sizes, media types', () => {
    it('a duplicate e-mail is 409', async () => {
      const body = { name: 'Dana', email: 'dana@example.com' };
      expect((await t.request('POST', '/api/v1/agents', { body })).statusCode).toBe(201);
      const p = expectProblem(await t.request('POST', '/api/v1/agents', { body: { ...body, email: 'DANA@example.com' } }), 409, 'agent.email_taken');
      expect(p.errors).toEqual([{ path: 'email', message: expect.any(String) }]);
    });

    it('a JSON body over the default 10 MiB limit is 413 and creates nothing', async () => {
      const before = await countTickets();
      const big = JSON.stringify(ticketBody({ description: 'x'.repeat(11 * 1024 * 1024) }));
      const p = expectProblem(await t.request('POST', '/api/v1/tickets', { body: big, headers: { 'content-type': 'application/json' } }), 413, 'request.too_large');
      expect(p.errors).toBeUndefined();
      expect(await countTickets()).toBe(before);
    });

    it('unsupported media types are 415', async () => {
      const before = await countTickets();
      const json = JSON.stringify(ticketBody());
      for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'text/html']) {
        expectProblem(await t.request('POST', '/api/v1/tickets', { body: json, headers: { 'content-type': type } }), 415, 'request.unsupported_media_type');
      }
      expectProblem(await t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { body: '{"name":"X"}', headers: { 'content-type': 'text/plain' } }), 415);
      expectProblem(await t.request('POST', '/api/v1/tickets', { body: json }), 415); // no Content-Type at all
      expect(await countTickets()).toBe(before);
    });

    it('JSON with a charset parameter is accepted', async () => {
      const res = await t.request('POST', '/api/v1/tickets', { body: JSON.stringify(ticketBody()), headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(res.statusCode).toBe(201);
    });
  });

  describe('property: random JSON bodies never give a 5xx', () => {
    const anyString = fc.string({ unit: 'binary', maxLength: 40 });
    const anyValue = fc.oneof(
      anyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
      fc.jsonValue({ maxDepth: 3 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    );

    it('wholly random JSON values', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
          const res = await t.request('POST', '/api/v1/tickets', { body: JSON.stringify(body) ?? 'null', headers: { 'content-type': 'application/json' } });
          expect(res.statusCode, res.body).toBeLessThan(500);
          expect(res.body).not.toMatch(STACK_TRACE);
        }),
        { numRuns: 150 },
      );
    });

    it('ticket bodies with random values in random fields', async () => {
      const fields = ['subject', 'description', 'category', 'subcategory', 'priority', 'source', 'channel', 'tags', 'customFields', 'dueDate', 'externalId', 'requester'];
      const requesterArb = fc.record(
        { name: fc.oneof(anyString, anyValue), email: fc.oneof(fc.emailAddress(), anyString), phone: anyValue, organization: fc.oneof(anyString, anyValue) },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.constantFrom(...fields), fc.oneof(anyValue, requesterArb, fc.array(anyString, { maxLength: 4 }), fc.dictionary(anyString, anyValue, { maxKeys: 3 }))),
          fc.constantFrom('POST', 'PATCH'),
          async (over, method) => {
            const body = method === 'POST' ? { ...ticketBody(), ...over } : over;
            const url = method === 'POST' ? '/api/v1/tickets' : `/api/v1/tickets/${ticketId}`;
            const res = await t.request(method, url, { body });
            expect(res.statusCode, res.body).toBeLessThan(500);
            expect(res.body).not.toMatch(STACK_TRACE);
            if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('random query strings on the ticket list', async () => {
      const keys = ['status', 'priority', 'category', 'tags', 'assigneeId', 'createdAfter', 'dueBefore', 'q', 'page', 'limit', 'sortBy', 'sortOrder', 'cursor'];
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom(...keys), anyString, { maxKeys: 4 }), async (query) => {
          const res = await t.request('GET', `/api/v1/tickets?${new URLSearchParams(query)}`);
          expect(res.statusCode, `${JSON.stringify(query)} ${res.body}`).toBeLessThan(500);
        }),
        { numRuns: 150 },
      );
    });
  });
});

describe(`configured body limit (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { bodyLimitBytes: 2048 } });
  });
  afterAll(async () => t.close());

  it('a JSON body over BODY_LIMIT_BYTES is 413; one under it is accepted', async () => {
    const small = ticketBody({ description: 'x'.repeat(1000) });
    expect((await t.request('POST', '/api/v1/tickets', { body: small })).statusCode).toBe(201);
    const big = ticketBody({ description: 'x'.repeat(3000) });
    expectProblem(await t.request('POST', '/api/v1/tickets', { body: big }), 413, 'request.too_large');
    expectProblem(await t.request('PATCH', `/api/v1/agents/${t.admin.id}`, { body: { name: 'y'.repeat(3000) } }), 413, 'request.too_large');
    expect((await t.request('GET', '/api/v1/tickets')).json().total).toBe(1);
  });
});
