import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';

describe(`smoke (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('creates and reads a ticket', async () => {
    const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody() });
    expect(res.statusCode).toBe(201);
    const ticket = res.json();
    expect(res.headers.etag).toBe('"1"');
    const got = await t.request('GET', `/api/v1/tickets/${ticket.number}`);
    expect(got.statusCode).toBe(200);
    expect(got.json().id).toBe(ticket.id);
  });
});
