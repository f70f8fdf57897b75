import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/platform/clock.ts';
import { createTestApp, ticketBody, type TestAgent, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { runSearch } from '../../src/domain/search/service.ts';
import { compileQuery } from '../../src/domain/search/query.ts';
import { countMatches } from '../../src/db/repositories/search.ts';
import { parseCsv } from '../../src/domain/search/csv.ts';

const DAY = 86_400_000;

describe(`search (${DB_KIND})`, () => {
  let t: TestApp;
  let clock: FakeClock;
  let ann: TestAgent;
  const ids: Record<string, string> = {};
  const requesters: Record<string, string> = {};

  const numbers = (res: { json(): { tickets: { id: string }[] } }) => res.json().tickets.map((x) => Object.entries(ids).find(([, id]) => id === x.id)?.[0] ?? '?').sort();
  const search = async (query: string, as?: TestAgent) => {
    const res = await t.request('GET', `/api/v1/search?query=${encodeURIComponent(query)}&limit=50`, { as });
    expect(res.statusCode, res.body).toBe(200);
    return res;
  };

  beforeAll(async () => {
    clock = new FakeClock(new Date('2026-03-01T09:00:00Z'));
    t = await createTestApp({ clock, routing: false });
    for (const slug of ['billing', 'tech']) expect((await t.request('POST', '/api/v1/groups', { body: { slug, name: slug } })).statusCode).toBe(201);
    ann = await t.makeAgent({ name: 'Ann Agent', groups: ['billing'] });
    expect((await t.request('POST', '/api/v1/organizations', { body: { name: 'Acme', tier: 'enterprise' } })).statusCode).toBe(201);

    const create = async (key: string, over: Record<string, unknown>) => {
      const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody(over) });
      expect(res.statusCode, res.body).toBe(201);
      ids[key] = res.json().id;
      requesters[key] = res.json().requester.id;
    };
    // T2: ten days before the others, by e-mail, tagged spam
    await create('T2', {
      subject: 'Cannot log in', description: 'Password reset email never arrives', category: 'account', tags: ['spam'], priority: 'low',
      source: 'email', requester: { name: 'Bob Builder', email: 'bob@example.com' },
    });
    clock.advance(10 * DAY);
    await create('T1', {
      subject: 'Refund for invoice 42', description: 'Café charged twice on my card, please refund.', category: 'billing', tags: ['vip'],
      priority: 'high', requester: { name: 'Zoë Müller', email: 'zoe@acme.com', organization: 'Acme' },
    });
    clock.advance(60_000);
    await create('T3', {
      subject: 'Invoice question', description: 'Where is my invoice for March?', category: 'billing', priority: 'critical',
      requester: { name: 'Ann Customer', email: 'ann@x.com' },
    });
    clock.advance(60_000);
    await create('T4', {
      subject: '<script>alert(1)</script> refund', description: 'A refund for Tom & Jerry', category: 'other', priority: 'normal',
      requester: { name: 'Tom Cat', email: 'tom@cats.example' },
    });
    clock.advance(60_000);
    expect((await t.request('POST', `/api/v1/tickets/${ids.T1}/assign`, { body: { agentId: ann.id, group: 'billing' } })).statusCode).toBe(200);
    expect((await t.request('POST', `/api/v1/tickets/${ids.T1}/comments`, { body: { content: 'Secret escalation codeword pineapple', isInternal: true }, as: ann })).statusCode).toBe(201);
    expect((await t.request('POST', `/api/v1/tickets/${ids.T1}/comments`, { body: { content: 'We refunded the duplicate charge.' }, as: ann })).statusCode).toBe(201);
    expect((await t.request('PATCH', `/api/v1/tickets/${ids.T3}`, { body: { status: 'pending' } })).statusCode).toBe(200);
    // an attachment on T3 (the upload path is tested in attachments.test.ts)
    await t.db.query(
      `INSERT INTO attachments (ticket_id, file_name, sha256, file_size, mime_type, uploaded_by) VALUES ($1, 'invoice.pdf', $2, 10, 'application/pdf', $3)`,
      [ids.T3, 'a'.repeat(64), t.admin.id],
    );
  });
  afterAll(async () => t?.close());

  it('matches words without accents, ranks, and highlights with <mark> in escaped HTML', async () => {
    const res = await search('cafe');
    expect(numbers(res)).toEqual(['T1']);
    const hit = res.json().tickets[0];
    expect(hit.highlights.description).toContain('<mark>Café</mark>');
    expect(hit.highlights.subject).toBeUndefined();

    const xss = (await search('refund')).json().tickets.find((x: { id: string }) => x.id === ids.T4);
    expect(xss.highlights.subject).toBe('&lt;script&gt;alert(1)&lt;/script&gt; <mark>refund</mark>');
    expect(xss.highlights.description).toContain('<mark>refund</mark> for Tom &amp; Jerry');
  });

  it('ranks a subject match above a description-only match', async () => {
    const res = await search('refund');
    const order = res.json().tickets.map((x: { id: string }) => x.id);
    // T4 has "refund" in its subject (weight A) and description; T1 in subject and description and a comment
    expect(order.sort()).toEqual([ids.T1, ids.T4].sort());
    const inv = (await search('invoice')).json().tickets.map((x: { id: string }) => x.id);
    // T3's subject and description both say invoice; T1 only its subject
    expect(inv[0]).toBe(ids.T3);
  });

  it('finds internal-note text for agents, with the note as a comment snippet, and never for the requester', async () => {
    const res = await search('pineapple');
    expect(numbers(res)).toEqual(['T1']);
    expect(res.json().tickets[0].highlights.comments).toEqual([expect.stringContaining('<mark>pineapple</mark>')]);

    const asRequester = { audience: 'requester' as const, actorId: null, requesterId: requesters.T1, now: clock.now() };
    const base = { sortBy: 'relevance' as const, sortOrder: 'desc' as const, limit: 20 };
    expect((await runSearch(t.db, asRequester, { ...base, query: 'pineapple' })).tickets).toHaveLength(0);
    const pub = await runSearch(t.db, asRequester, { ...base, query: 'refunded' });
    expect(pub.tickets.map((x) => x.id)).toEqual([ids.T1]);
    expect(pub.tickets[0].highlights.comments).toEqual([expect.stringContaining('<mark>refunded</mark>')]);
    // a requester only ever sees their own tickets
    expect((await runSearch(t.db, asRequester, { ...base, query: 'invoice' })).tickets.map((x) => x.id)).toEqual([ids.T1]);
    expect((await runSearch(t.db, asRequester, { ...base, query: 'has:attachment' })).tickets).toHaveLength(0);
  });

  it('supports phrases, exclusion and or', async () => {
    expect(numbers(await search('"charged twice"'))).toEqual(['T1']);
    expect(numbers(await search('"twice charged"'))).toEqual([]);
    expect(numbers(await search('refund -jerry'))).toEqual(['T1']);
    expect(numbers(await search('password or pineapple'))).toEqual(['T1', 'T2']);
  });

  it.each([
    ['status:open,pending', ['T1', 'T3']],
    ['status<solved', ['T1', 'T2', 'T3', 'T4']],
    ['status:new', ['T2', 'T4']],
    ['priority>=high', ['T1', 'T3']],
    ['priority<normal', ['T2']],
    ['assignee:none', ['T2', 'T3', 'T4']],
    ['group:billing', ['T1']],
    ['requester:ann@x.com', ['T3']],
    ['requester:"Zoe Muller"', ['T1']],
    ['requester:zoë', ['T1']],
    ['requester:"Zoe Mueller"', ['T1']],
    ['organization:acme', ['T1']],
    ['organization:none', ['T2', 'T3', 'T4']],
    ['tier:enterprise', ['T1']],
    ['tier:standard', ['T2', 'T3', 'T4']],
    ['tag:vip', ['T1']],
    ['-tag:spam', ['T1', 'T3', 'T4']],
    ['category:billing', ['T1', 'T3']],
    ['channel:email', ['T2']],
    ['created>2026-03-10', ['T1', 'T3', 'T4']],
    ['created<2026-03-02', ['T2']],
    ['created:2026-03-01', ['T2']],
    ['created<7d', ['T2']],
    ['updated>7d', ['T1', 'T3', 'T4']],
    ['has:attachment', ['T3']],
    ['-has:attachment category:billing', ['T1']],
    ['category:billing invoice -"invoice 42"', ['T3']],
    ['status<solved priority>=high refund', ['T1']],
  ])('%s', async (query, expected) => {
    expect(numbers(await search(query))).toEqual(expected);
  });

  it('assignee:me and group:mine are the caller', async () => {
    expect(numbers(await search('assignee:me', ann))).toEqual(['T1']);
    expect(numbers(await search('assignee:me'))).toEqual([]);
    expect(numbers(await search('group:mine', ann))).toEqual(['T1']);
    expect(numbers(await search('-assignee:me', ann))).toEqual(['T2', 'T3', 'T4']);
  });

  it('answers a malformed query with a 400 problem naming the position and the expected token', async () => {
    const res = await t.request('GET', `/api/v1/search?query=${encodeURIComponent('refund status:bogus')}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'query', position: 14, expected: expect.stringContaining('one of new, open'), message: expect.stringContaining("Unknown status 'bogus'") },
    ]);
    const quote = await t.request('GET', `/api/v1/search?query=${encodeURIComponent('tag:vip "unfinished')}`);
    expect(quote.json().errors[0]).toMatchObject({ path: 'query', position: 8 });
    const field = await t.request('GET', `/api/v1/tickets?query=${encodeURIComponent('colour:red')}`);
    expect(field.statusCode).toBe(400);
    expect(field.json().errors[0]).toMatchObject({ path: 'query', position: 0, message: expect.stringContaining("Unknown field 'colour'") });
  });

  it('sorts by priority (critical first) and pages by keyset without gaps or repeats', async () => {
    const all = (await search('status<closed')).json().tickets;
    expect(all).toHaveLength(4);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/search?query=${encodeURIComponent('status<closed')}&sortBy=priority&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.request('GET', url);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.total).toBe(4);
      expect(body.totalIsEstimate).toBe(false);
      seen.push(...body.tickets.map((x: { priority: string }) => x.priority));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['critical', 'high', 'normal', 'low']);
  });

  it('pages by relevance with a cursor', async () => {
    const first = (await t.request('GET', '/api/v1/search?query=refund&limit=1')).json();
    expect(first.tickets).toHaveLength(1);
    const second = (await t.request('GET', `/api/v1/search?query=refund&limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.tickets).toHaveLength(1);
    expect(second.tickets[0].id).not.toBe(first.tickets[0].id);
    const bad = await t.request('GET', `/api/v1/search?query=refund&sortBy=createdAt&cursor=${first.nextCursor}`);
    expect(bad.statusCode).toBe(400);
  });

  it('marks a total beyond the cap as an estimate', async () => {
    const q = compileQuery('status<closed', { now: clock.now() });
    const scope = { audience: 'agent' as const, actorId: null, now: clock.now() };
    expect(await countMatches(t.db, q, scope, 10)).toEqual({ total: 4, isEstimate: false });
    const capped = await countMatches(t.db, q, scope, 2);
    expect(capped.isEstimate).toBe(true);
    expect(capped.total).toBeGreaterThanOrEqual(3);
  });

  it('GET /tickets?query= speaks the same language, and format=csv exports the list', async () => {
    const res = await t.request('GET', `/api/v1/tickets?query=${encodeURIComponent('category:billing')}&sortBy=priority`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().tickets.map((x: { id: string }) => x.id)).toEqual([ids.T3, ids.T1]);
    const csv = await t.request('GET', `/api/v1/tickets?query=${encodeURIComponent('category:billing,other')}&sortBy=priority&format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = parseCsv(csv.body);
    expect(rows[0].slice(0, 4)).toEqual(['number', 'subject', 'status', 'priority']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['Invoice question', 'Refund for invoice 42', '<script>alert(1)</script> refund']);
    expect(rows[2][5]).toBe('Zoë Müller');
    const searchCsv = await t.request('GET', '/api/v1/search?query=cafe&format=csv');
    expect(parseCsv(searchCsv.body)[1][1]).toBe('Refund for invoice 42');
  });

  it('keeps the document current in the transaction that edits the text', async () => {
    expect(numbers(await search('marzipan'))).toEqual([]);
    expect((await t.request('PATCH', `/api/v1/tickets/${ids.T2}`, { body: { subject: 'Marzipan login loop' } })).statusCode).toBe(200);
    expect(numbers(await search('marzipan'))).toEqual(['T2']);
    expect(numbers(await search('cannot log'))).toEqual([]);
    // a failed transaction leaves no trace in the index
    await expect(t.db.transaction(async (tx) => {
      await tx.query(`UPDATE tickets SET subject = 'Quokka' WHERE id = $1`, [ids.T2]);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(numbers(await search('quokka'))).toEqual([]);
  });

  it('GET /tickets/stats counts by status, priority, category, assignee and group for any query', async () => {
    const res = await t.request('GET', `/api/v1/tickets/stats?query=${encodeURIComponent('-tag:spam')}`);
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s.total).toBe(3);
    expect(s.byStatus).toMatchObject({ open: 1, pending: 1, new: 1, resolved: 0 });
    expect(s.byPriority).toEqual({ critical: 1, high: 1, normal: 1, low: 0 });
    expect(s.byCategory).toEqual({ billing: 2, other: 1 });
    expect(s.byAssignee).toEqual({ [ann.id]: { name: 'Ann Agent', count: 1 }, unassigned: { name: null, count: 2 } });
    expect(s.byGroup).toEqual({ billing: 1, none: 2 });
    const none = (await t.request('GET', `/api/v1/tickets/stats?query=${encodeURIComponent('tag:nothing')}`)).json();
    expect(none.total).toBe(0);
    expect(none.byStatus.new).toBe(0);
  });

  it('switches the install to a stemmer and re-indexes', async () => {
    expect(numbers(await search('arrive'))).toEqual([]);
    const res = await t.request('PUT', '/api/v1/search/settings', { body: { language: 'english' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().reindexed).toBe(4);
    expect(numbers(await search('arrive'))).toEqual(['T2']);
    expect((await t.request('GET', '/api/v1/search/settings')).json().language).toBe('english');
    expect((await t.request('PUT', '/api/v1/search/settings', { body: { language: 'klingon' } })).statusCode).toBe(400);
    expect((await t.request('PUT', '/api/v1/search/settings', { body: { language: 'simple' }, as: ann })).statusCode).toBe(403);
    await t.request('PUT', '/api/v1/search/settings', { body: { language: 'simple' } });
    expect(numbers(await search('arrive'))).toEqual([]);
  });
});

describe(`search documents that overflow (${DB_KIND})`, () => {
  it('a ticket whose pasted logs overflow a tsvector (1 MB) still takes comments, and stays findable by its subject', async () => {
    const t = await createTestApp({ routing: false });
    try {
      const tk = (await t.request('POST', '/api/v1/tickets', { body: ticketBody({ subject: 'Zyxwvut overflow case' }) })).json();
      // 100,000 characters of distinct tokens per comment (what is indexed of it): ~150 kB of lexemes each
      let n = 0;
      const junk = () => Array.from({ length: 10_000 }, () => `q${(n++).toString(36)}xyzw`).join(' ');
      for (let i = 0; i < 20; i++) {
        const res = await t.request('POST', `/api/v1/tickets/${tk.id}/comments`, { body: { content: junk() } });
        expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
      }
      const edited = await t.request('PATCH', `/api/v1/tickets/${tk.id}`, { body: { description: 'Now with a new description' } });
      expect(edited.statusCode, edited.body.slice(0, 300)).toBe(200);
      const found = (await t.request('GET', `/api/v1/search?query=${encodeURIComponent('zyxwvut')}`)).json();
      expect(found.tickets.map((x: { id: string }) => x.id)).toEqual([tk.id]);
      const detail = (await t.request('GET', `/api/v1/tickets/${tk.id}`)).json();
      expect(detail.comments).toHaveLength(20);
    } finally {
      await t.close();
    }
  }, 120_000);
});
