import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';

interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
}

describe(`tickets under concurrency, over real HTTP (${DB_KIND})`, () => {
  let t: TestApp;
  let base: string;
  let alice: TestAgent;
  let bob: TestAgent;

  beforeAll(async () => {
    // Routing is tested in routing-*.test.ts; here it is off so history holds only the ticket's own rows.
    t = await createTestApp({ routing: false });
    alice = await t.makeAgent({ name: 'Alice Agent' });
    bob = await t.makeAgent({ name: 'Bob Agent' });
    base = await t.listen();
  });
  afterAll(async () => t?.close());

  /** One real HTTP request with the agent's Bearer token (the admin's by default). */
  async function http(method: string, path: string, o: { body?: unknown; as?: TestAgent; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const headers: Record<string, string> = { authorization: `Bearer ${(o.as ?? t.admin).token}`, ...o.headers };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  }

  const count = async (sql: string, params: unknown[] = []) => (await t.db.query<{ n: number }>(sql, params)).rows[0].n;
  const newTicket = async (over: Record<string, unknown> = {}) => {
    const res = await http('POST', '/tickets', { body: ticketBody(over) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; number: number; version: number; subject: string };
  };

  describe('requester upsert', () => {
    it('25 concurrent creates for one new e-mail (in varying case) make one requester and one organization', async () => {
      const variants = ['newbie@race.test', 'NEWBIE@race.test', 'Newbie@Race.Test', 'newbie@RACE.TEST', 'nEwBiE@rAcE.tEsT'];
      const orgs = ['Race Condition Ltd', 'RACE CONDITION LTD', 'race condition ltd'];
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          http('POST', '/tickets', {
            body: ticketBody({ requester: { name: `Newbie ${i}`, email: variants[i % variants.length], organization: orgs[i % orgs.length] } }),
            as: i % 2 ? alice : bob,
          })),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(25);
      expect(new Set(results.map((r) => r.body.number)).size).toBe(25);
      const requesterIds = new Set(results.map((r) => r.body.requester.id));
      expect(requesterIds.size).toBe(1);
      for (const r of results) expect(r.body.requester.email).toBe('newbie@race.test');
      expect(await count(`SELECT count(*)::int AS n FROM requesters WHERE lower(email) = 'newbie@race.test'`)).toBe(1);
      expect(await count(`SELECT count(*)::int AS n FROM organizations WHERE lower(name) = 'race condition ltd'`)).toBe(1);
      expect(await count('SELECT count(*)::int AS n FROM tickets WHERE requester_id = $1', [[...requesterIds][0]])).toBe(25);
      const lookup = await http('GET', '/requesters?email=NewBie@race.TEST');
      expect(lookup.body.total).toBe(1);
      expect(lookup.body.requesters[0].id).toBe([...requesterIds][0]);
    });
  });

  describe('optimistic concurrency (ETag / If-Match)', () => {
    it('two agents patching with the same If-Match at once: one 200, one 412', async () => {
      for (let round = 0; round < 5; round++) {
        const ticket = await newTicket();
        const etag = `"${ticket.version}"`;
        const [a, b] = await Promise.all([
          http('PATCH', `/tickets/${ticket.id}`, { body: { subject: 'Alice was here' }, as: alice, headers: { 'if-match': etag } }),
          http('PATCH', `/tickets/${ticket.id}`, { body: { priority: 'high' }, as: bob, headers: { 'if-match': etag } }),
        ]);
        expect([a.status, b.status].sort()).toEqual([200, 412]);
        const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
        expect(winner.body.version).toBe(ticket.version + 1);
        expect(winner.headers.get('etag')).toBe(`"${ticket.version + 1}"`);
        expect(loser.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(loser.body).toMatchObject({ status: 412, code: 'ticket.version_stale', currentVersion: ticket.version + 1 });

        const now = await http('GET', `/tickets/${ticket.id}`);
        expect(now.body.version).toBe(ticket.version + 1);
        // only the winner's change is there
        if (winner === a) expect(now.body).toMatchObject({ subject: 'Alice was here', priority: 'normal' });
        else expect(now.body).toMatchObject({ subject: ticket.subject, priority: 'high' });
        const updates = (await http('GET', `/tickets/${ticket.id}/history`)).body.history.filter((h: { changeType: string }) => h.changeType === 'updated');
        expect(updates).toHaveLength(1);
        expect(updates[0].changedBy).toBe(winner === a ? alice.id : bob.id);
      }
    });

    it('ten writers with the same If-Match: exactly one wins', async () => {
      const ticket = await newTicket();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          http('PATCH', `/tickets/${ticket.id}`, { body: { subject: `Writer ${i}` }, as: i % 2 ? alice : bob, headers: { 'if-match': '"1"' } })),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 412)).toHaveLength(9);
      expect((await http('GET', `/tickets/${ticket.id}`)).body.version).toBe(2);
    });

    it('concurrent writers without If-Match are serialized: every change lands, one version each', async () => {
      const ticket = await newTicket();
      const tags = Array.from({ length: 8 }, (_, i) => `t${i}`);
      const results = await Promise.all(tags.map((tag, i) =>
        http('PATCH', `/tickets/${ticket.id}`, { body: { customFields: { [tag]: i } }, as: i % 2 ? alice : bob })));
      for (const r of results) expect(r.status).toBe(200);
      expect(new Set(results.map((r) => r.body.version))).toEqual(new Set(tags.map((_, i) => i + 2)));
      expect((await http('GET', `/tickets/${ticket.id}`)).body.version).toBe(tags.length + 1);
    });

    it('every ticket response carries ETag "<version>"', async () => {
      const created = await http('POST', '/tickets', { body: ticketBody() });
      const id = created.body.id;
      const responses: Array<[string, HttpResult]> = [['POST /tickets', created]];
      responses.push(['GET', await http('GET', `/tickets/${id}`)]);
      responses.push(['GET by number', await http('GET', `/tickets/${created.body.number}`)]);
      responses.push(['PATCH', await http('PATCH', `/tickets/${id}`, { body: { priority: 'low' } })]);
      responses.push(['assign', await http('POST', `/tickets/${id}/assign`, { body: { agentId: alice.id } })]);
      responses.push(['resolve', await http('POST', `/tickets/${id}/resolve`)]);
      responses.push(['reopen', await http('POST', `/tickets/${id}/reopen`)]);
      responses.push(['DELETE', await http('DELETE', `/tickets/${id}`)]);
      const versions: number[] = [];
      for (const [label, r] of responses) {
        expect(r.status, label).toBeLessThan(300);
        expect(r.headers.get('etag'), label).toBe(`"${r.body.version}"`);
        versions.push(r.body.version);
      }
      expect(versions).toEqual([1, 1, 1, 2, 3, 4, 5, 6]);

      const other = await newTicket();
      const comment = await http('POST', `/tickets/${other.id}/comments`, { body: { content: 'hi' } });
      expect(comment.status).toBe(201);
      expect(comment.headers.get('etag')).toBe('"2"');
      const closed = await http('POST', `/tickets/${other.id}/resolve`);
      expect((await http('POST', `/tickets/${other.id}/close`)).headers.get('etag')).toBe(`"${closed.body.version + 1}"`);
    });

    it('PATCH with a stale If-Match is 412 and changes nothing; with the current one it is 200 and version + 1', async () => {
      const ticket = await newTicket();
      let r = await http('PATCH', `/tickets/${ticket.id}`, { body: { subject: 'v2' }, headers: { 'if-match': '"1"' } });
      expect(r.status).toBe(200);
      expect(r.body.version).toBe(2);
      expect(r.headers.get('etag')).toBe('"2"');

      for (const stale of ['"1"', 'W/"1"', '"3"', 'garbage', '"abc"']) {
        r = await http('PATCH', `/tickets/${ticket.id}`, { body: { subject: 'lost' }, headers: { 'if-match': stale } });
        expect(r.status, stale).toBe(412);
        expect(r.body).toMatchObject({ code: 'ticket.version_stale', currentVersion: 2 });
      }
      const now = await http('GET', `/tickets/${ticket.id}`);
      expect(now.body).toMatchObject({ subject: 'v2', version: 2 });

      r = await http('PATCH', `/tickets/${ticket.id}`, { body: { subject: 'v3' }, headers: { 'if-match': now.headers.get('etag')! } });
      expect(r.status).toBe(200);
      expect(r.body.version).toBe(3);
      r = await http('PATCH', `/tickets/${ticket.id}`, { body: { subject: 'v4' }, headers: { 'if-match': 'W/"3"' } });
      expect(r.body.version).toBe(4);
      r = await http('PATCH', `/tickets/${ticket.id}`, { body: { subject: 'v5' }, headers: { 'if-match': '*' } });
      expect(r.body.version).toBe(5);
    });

    it('actions honour If-Match too', async () => {
      const ticket = await newTicket();
      await http('PATCH', `/tickets/${ticket.id}`, { body: { priority: 'high' } });
      for (const [method, path] of [['POST', 'resolve'], ['POST', 'assign'], ['DELETE', ''], ['POST', 'comments']] as const) {
        const body = path === 'assign' ? { agentId: alice.id } : path === 'comments' ? { content: 'x' } : undefined;
        const r = await http(method, `/tickets/${ticket.id}${path ? `/${path}` : ''}`, { body, headers: { 'if-match': '"1"' } });
        expect(r.status, path).toBe(412);
      }
      expect((await http('GET', `/tickets/${ticket.id}`)).body).toMatchObject({ status: 'new', version: 2, assignee: null, comments: [] });
      const r = await http('POST', `/tickets/${ticket.id}/resolve`, { headers: { 'if-match': '"2"' } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'resolved', version: 3 });
    });
  });

  describe('Idempotency-Key', () => {
    const ticketCount = () => count('SELECT count(*)::int AS n FROM tickets');

    it('a retried create returns the first ticket and creates nothing new', async () => {
      const body = ticketBody({ requester: { name: 'Ida', email: 'ida@idem.test' } });
      const headers = { 'idempotency-key': 'create-once-1' };
      const first = await http('POST', '/tickets', { body, headers });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const before = await ticketCount();
      for (let i = 0; i < 3; i++) {
        const again = await http('POST', '/tickets', { body, headers });
        expect(again.status).toBe(201);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.headers.get('etag')).toBe('"1"');
        expect(again.body).toEqual(first.body);
      }
      expect(await ticketCount()).toBe(before);
      expect(await count('SELECT count(*)::int AS n FROM ticket_history WHERE ticket_id = $1', [first.body.id])).toBe(1);
    });

    it('10 retries racing with the same key create exactly one ticket', async () => {
      const body = ticketBody({ subject: 'Racing retries', requester: { name: 'Rae', email: 'rae@idem.test' } });
      const before = await ticketCount();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => http('POST', '/tickets', { body, headers: { 'idempotency-key': 'race-key-1' } })),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
      expect(await ticketCount()).toBe(before + 1);
      expect(await count(`SELECT count(*)::int AS n FROM tickets WHERE subject = 'Racing retries'`)).toBe(1);
    });

    it('the same key with a different body is 422', async () => {
      const headers = { 'idempotency-key': 'reused-key' };
      const first = await http('POST', '/tickets', { body: ticketBody({ subject: 'One' }), headers });
      expect(first.status).toBe(201);
      const before = await ticketCount();
      const second = await http('POST', '/tickets', { body: ticketBody({ subject: 'Two' }), headers });
      expect(second.status).toBe(422);
      expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(second.body).toMatchObject({ status: 422, code: 'idempotency.key_reused' });
      const elsewhere = await http('POST', `/tickets/${first.body.id}/comments`, { body: { content: 'x' }, headers });
      expect(elsewhere.status).toBe(422);
      expect(await ticketCount()).toBe(before);
    });

    it('keys belong to their caller: another agent with the same key gets their own ticket', async () => {
      const body = ticketBody();
      const headers = { 'idempotency-key': 'shared-looking-key' };
      const a = await http('POST', '/tickets', { body, headers, as: alice });
      const b = await http('POST', '/tickets', { body, headers, as: bob });
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
    });

    it('a request that failed is not remembered: the retry runs', async () => {
      const ticket = await newTicket();
      const headers = { 'idempotency-key': 'assign-after-group-exists' };
      const failed = await http('POST', `/tickets/${ticket.id}/assign`, { body: { group: 'late-group' }, headers });
      expect(failed.status).toBe(404);
      expect((await http('POST', '/groups', { body: { slug: 'late-group', name: 'Late' } })).status).toBe(201);
      const retried = await http('POST', `/tickets/${ticket.id}/assign`, { body: { group: 'late-group' }, headers });
      expect(retried.status).toBe(200);
      expect(retried.body.assigneeGroup).toBe('late-group');
    });

    it('a bad key is 400', async () => {
      const r = await http('POST', '/tickets', { body: ticketBody(), headers: { 'idempotency-key': 'x'.repeat(256) } });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('request.invalid');
    });

    it('a comment posted with an Idempotency-Key is not duplicated, even by racing retries', async () => {
      const ticket = await newTicket();
      const url = `/tickets/${ticket.id}/comments`;
      const body = { content: 'Thanks, we are looking into it.' };
      const first = await http('POST', url, { body, headers: { 'idempotency-key': 'comment-1' }, as: alice });
      expect(first.status).toBe(201);
      const again = await http('POST', url, { body, headers: { 'idempotency-key': 'comment-1' }, as: alice });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      // the replay carries the same ETag: the ticket's version right after that comment
      expect(first.body.ticketVersion).toBe(2);
      expect(first.headers.get('etag')).toBe('"2"');
      expect(again.headers.get('etag')).toBe('"2"');
      const racing = await Promise.all(
        Array.from({ length: 5 }, () => http('POST', url, { body: { content: 'Second reply' }, headers: { 'idempotency-key': 'comment-2' }, as: alice })),
      );
      for (const r of racing) expect(r.status).toBe(201);
      expect(new Set(racing.map((r) => r.body.id)).size).toBe(1);

      const detail = await http('GET', `/tickets/${ticket.id}`);
      expect(detail.body.comments.map((c: { content: string }) => c.content)).toEqual([body.content, 'Second reply']);
      // created, then per comment: commented (+ the first public reply opens the ticket)
      expect(detail.body.version).toBe(3);
      const history = (await http('GET', `/tickets/${ticket.id}/history`)).body.history;
      expect(history.filter((h: { changeType: string }) => h.changeType === 'commented')).toHaveLength(2);
    });
  });
});
