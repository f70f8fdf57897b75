import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { loadConfig } from '../../src/platform/config.ts';

// a real 1×1 PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const LIMIT = 64 * 1024;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (r: Response): Promise<any> => r.json();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every regular file under `dir` (recursively), as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p).map((f) => join(name, f)));
    else out.push(name);
  }
  return out;
}

describe(`attachments (${DB_KIND})`, () => {
  let t: TestApp;
  let base: string;
  let store: string;
  const auth = () => ({ authorization: `Bearer ${t.admin.token}` });

  beforeAll(async () => {
    t = await createTestApp({ config: { attachmentMaxBytes: LIMIT } });
    base = await t.listen();
    store = join(t.config.dataDir, 'attachments');
  });
  afterAll(async () => t.close());

  function ticketForm(data: unknown, files: { name: string; content: Buffer | string; type?: string }[] = []) {
    const form = new FormData();
    if (data !== undefined) form.append('data', JSON.stringify(data));
    for (const f of files) form.append('files', new Blob([f.content], { type: f.type ?? 'application/octet-stream' }), f.name);
    return form;
  }

  const post = (path: string, form: FormData) => fetch(`${base}/api/v1${path}`, { method: 'POST', headers: auth(), body: form });
  const getTicket = async (id: string) => (await t.request('GET', `/api/v1/tickets/${id}`)).json();
  const countTickets = async () => (await t.request('GET', '/api/v1/tickets?limit=1')).json().total as number;

  it('the default attachment limit is 25 MiB', () => {
    expect(loadConfig({}).attachmentMaxBytes).toBe(25 * 1024 * 1024);
    expect(loadConfig({ ATTACHMENT_MAX_BYTES: '1000' }).attachmentMaxBytes).toBe(1000);
  });

  it('creates a ticket with files (multipart: data JSON + file parts), stored by sha256 under DATA_DIR/attachments', async () => {
    const text = Buffer.from('Error log line 1\nError log line 2\n');
    const res = await post('/tickets', ticketForm(ticketBody({ subject: 'With files' }), [
      { name: 'screenshot.png', content: PNG, type: 'image/png' },
      { name: 'log.txt', content: text, type: 'text/plain' },
    ]));
    expect(res.status, await res.clone().text()).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const ticket = await json(res);
    expect(ticket.subject).toBe('With files');
    const detail = await getTicket(ticket.id);
    expect(detail.attachments).toHaveLength(2);
    const byName = Object.fromEntries(detail.attachments.map((a: { fileName: string }) => [a.fileName, a]));
    expect(byName['screenshot.png']).toMatchObject({ commentId: null, size: PNG.length, mimeType: 'image/png', url: expect.stringMatching(/^\/api\/v1\/attachments\/[0-9a-f-]{36}$/) });
    expect(byName['log.txt']).toMatchObject({ commentId: null, size: text.length, mimeType: 'text/plain' });
    for (const content of [PNG, text]) {
      const h = sha256(content);
      const path = join(store, h.slice(0, 2), h.slice(2, 4), h);
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path).equals(content)).toBe(true);
    }
    // the history row of the creation counts them
    const history = (await t.request('GET', `/api/v1/tickets/${ticket.id}/history`)).json().history;
    expect(history[0]).toMatchObject({ changeType: 'created', changedBy: t.admin.id });
    expect(history[0].changedTo.attachments).toBe(2);
    expect(filesUnder(join(store, 'tmp'))).toEqual([]);
  });

  it('adds a comment with files (fields content/isInternal + files)', async () => {
    const ticket = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json();
    const form = new FormData();
    form.append('content', 'See the attached trace.');
    form.append('isInternal', 'true');
    form.append('files', new Blob([Buffer.from('trace: ok\n')], { type: 'text/plain' }), 'trace.txt');
    form.append('files', new Blob([PNG], { type: 'image/png' }), 'pixel.png');
    const res = await post(`/tickets/${ticket.id}/comments`, form);
    expect(res.status, await res.clone().text()).toBe(201);
    const comment = await json(res);
    expect(comment).toMatchObject({ content: 'See the attached trace.', isInternal: true, isPublic: false });
    expect(comment.attachments.map((a: { fileName: string }) => a.fileName).sort()).toEqual(['pixel.png', 'trace.txt']);
    for (const a of comment.attachments) expect(a.commentId).toBe(comment.id);
    const detail = await getTicket(ticket.id);
    expect(detail.comments.find((c: { id: string }) => c.id === comment.id).attachments).toHaveLength(2);
    const history = (await t.request('GET', `/api/v1/tickets/${ticket.id}/history`)).json().history;
    expect(history.find((h: { changeType: string }) => h.changeType === 'commented').changedTo).toMatchObject({ commentId: comment.id, attachments: 2 });
  });

  it('a public reply with files, isInternal=false as a form field', async () => {
    const ticket = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json();
    const form = new FormData();
    form.append('content', 'Here you go');
    form.append('isInternal', 'false');
    form.append('files', new Blob([Buffer.from('hello')]), 'hello.txt');
    const res = await post(`/tickets/${ticket.id}/comments`, form);
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ isInternal: false, attachments: [{ fileName: 'hello.txt', mimeType: 'text/plain', size: 5 }] });
    expect((await getTicket(ticket.id)).status).toBe('open');
  });

  it('stores the same content once, however often and under whatever name it is uploaded', async () => {
    const content = Buffer.from(`shared content ${Date.now()}\n`);
    const h = sha256(content);
    const before = filesUnder(store).length;
    const a = await post('/tickets', ticketForm(ticketBody(), [{ name: 'a.txt', content }]));
    const b = await post('/tickets', ticketForm(ticketBody(), [{ name: 'b.txt', content }, { name: 'again.txt', content }]));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(filesUnder(store).filter((f) => f.endsWith(h))).toHaveLength(1);
    expect(filesUnder(store).length).toBe(before + 1);
    const bDetail = await getTicket((await json(b)).id);
    expect(bDetail.attachments.map((x: { fileName: string }) => x.fileName).sort()).toEqual(['again.txt', 'b.txt']);
  });

  it('sniffs the MIME type from the content, never trusting the client’s type or name', async () => {
    const res = await post('/tickets', ticketForm(ticketBody(), [
      { name: 'evil.txt', content: PNG, type: 'text/html' },
      { name: 'page.html', content: '<html><script>alert(1)</script></html>', type: 'text/html' },
      { name: 'notes.md', content: 'Grüße — plain UTF-8 text', type: 'application/x-msdownload' },
      { name: 'blob.bin', content: Buffer.from([0xff, 0x00, 0x13, 0x37, 0xfe, 0x00]), type: 'image/png' },
    ]));
    expect(res.status).toBe(201);
    const detail = await getTicket((await json(res)).id);
    const mime = Object.fromEntries(detail.attachments.map((a: { fileName: string; mimeType: string }) => [a.fileName, a.mimeType]));
    expect(mime).toEqual({ 'evil.txt': 'image/png', 'page.html': 'text/plain', 'notes.md': 'text/plain', 'blob.bin': 'application/octet-stream' });
  });

  it('keeps only the base name of an uploaded file name', async () => {
    const res = await post('/tickets', ticketForm(ticketBody(), [
      { name: '../../etc/passwd', content: 'root:x:0:0' },
      { name: 'C:\\Users\\ann\\report.txt', content: 'report' },
    ]));
    expect(res.status).toBe(201);
    const names = (await getTicket((await json(res)).id)).attachments.map((a: { fileName: string }) => a.fileName).sort();
    expect(names).toEqual(['passwd', 'report.txt']);
  });

  describe('size limit (config.attachmentMaxBytes)', () => {
    it('a file over the limit is 413: no ticket, nothing stored', async () => {
      const before = await countTickets();
      const storedBefore = filesUnder(store).sort();
      const big = Buffer.alloc(LIMIT + 1, 0x61);
      const res = await post('/tickets', ticketForm(ticketBody(), [{ name: 'big.txt', content: big }]));
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await json(res)).toMatchObject({ status: 413, code: 'request.too_large', title: expect.any(String), detail: expect.any(String) });
      expect(await countTickets()).toBe(before);
      expect(filesUnder(store).sort()).toEqual(storedBefore);
    });

    it('a file of exactly the limit is accepted', async () => {
      const exact = Buffer.alloc(LIMIT, 0x62);
      const res = await post('/tickets', ticketForm(ticketBody(), [{ name: 'exact.txt', content: exact }]));
      expect(res.status).toBe(201);
      expect((await getTicket((await json(res)).id)).attachments[0].size).toBe(LIMIT);
    });

    it('a small file followed by one over the limit: 413, and the small one is not kept either', async () => {
      const before = await countTickets();
      const storedBefore = filesUnder(store).sort();
      const small = Buffer.from(`small ${Date.now()}`);
      const res = await post('/tickets', ticketForm(ticketBody(), [
        { name: 'small.txt', content: small },
        { name: 'big.bin', content: Buffer.alloc(LIMIT * 2, 1) },
      ]));
      expect(res.status).toBe(413);
      expect(await countTickets()).toBe(before);
      expect(filesUnder(store).sort()).toEqual(storedBefore);
    });

    it('a comment with a file over the limit is 413 and adds no comment', async () => {
      const ticket = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json();
      const form = new FormData();
      form.append('content', 'too big');
      form.append('files', new Blob([Buffer.alloc(LIMIT + 10, 2)]), 'big.bin');
      const res = await post(`/tickets/${ticket.id}/comments`, form);
      expect(res.status).toBe(413);
      const detail = await getTicket(ticket.id);
      expect(detail.comments).toHaveLength(0);
      expect(detail.version).toBe(1);
    });
  });

  it('more than 20 files in one request is 413 and keeps none of them', async () => {
    const before = await countTickets();
    const storedBefore = filesUnder(store).sort();
    const files = Array.from({ length: 21 }, (_, i) => ({ name: `f${i}.txt`, content: `file ${i} ${Date.now()}` }));
    const res = await post('/tickets', ticketForm(ticketBody(), files));
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ status: 413, code: 'request.too_large' });
    expect(await countTickets()).toBe(before);
    expect(filesUnder(store).sort()).toEqual(storedBefore);
  });

  it('a __proto__ form field is refused (400)', async () => {
    const form = new FormData();
    form.append('__proto__', '{"isAdmin":true}');
    form.append('content', 'x');
    const ticket = (await t.request('POST', '/api/v1/tickets', { body: ticketBody() })).json();
    const res = await post(`/tickets/${ticket.id}/comments`, form);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('an invalid multipart ticket (missing fields) is 400 and keeps none of its files', async () => {
    const storedBefore = filesUnder(store).sort();
    const { subject: _s, ...noSubject } = ticketBody();
    const res = await post('/tickets', ticketForm(noSubject, [{ name: 'orphan.txt', content: `orphan ${Date.now()}` }]));
    expect(res.status).toBe(400);
    const p = await json(res);
    expect(p.errors.map((e: { path: string }) => e.path)).toContain('subject');
    expect(filesUnder(store).sort()).toEqual(storedBefore);
    // a multipart ticket without its data field at all
    const res2 = await post('/tickets', ticketForm(undefined, [{ name: 'x.txt', content: `lonely ${Date.now()}` }]));
    expect(res2.status).toBe(400);
    expect(filesUnder(store).sort()).toEqual(storedBefore);
  });

  it('a multipart comment on an unknown ticket is 404', async () => {
    const form = new FormData();
    form.append('content', 'hello');
    form.append('files', new Blob(['x']), 'x.txt');
    const res = await post('/tickets/00000000-0000-4000-8000-000000000000/comments', form);
    expect(res.status).toBe(404);
    expect((await json(res)).code).toBe('ticket.not_found');
  });

  describe('download', () => {
    it('returns the bytes as an attachment with nosniff', async () => {
      const res = await post('/tickets', ticketForm(ticketBody(), [{ name: 'évidence (1).png', content: PNG, type: 'text/html' }]));
      const detail = await getTicket((await json(res)).id);
      const a = detail.attachments[0];
      const dl = await fetch(`${base}${a.url}`, { headers: auth() });
      expect(dl.status).toBe(200);
      expect(Buffer.from(await dl.arrayBuffer()).equals(PNG)).toBe(true);
      expect(dl.headers.get('content-type')).toBe('image/png');
      expect(dl.headers.get('content-length')).toBe(String(PNG.length));
      expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
      const disposition = dl.headers.get('content-disposition')!;
      expect(disposition).toMatch(/^attachment;/);
      expect(disposition).toContain(`filename*=UTF-8''%C3%A9vidence%20%281%29.png`);
      expect(disposition).toMatch(/filename="[\x20-\x7e]*"/);
      expect(dl.headers.get('content-security-policy')).toContain("default-src 'none'");
    });

    it('text is served as a download too, never rendered', async () => {
      const html = '<html><body onload="alert(1)">x</body></html>';
      const res = await post('/tickets', ticketForm(ticketBody(), [{ name: 'x.html', content: html, type: 'text/html' }]));
      const a = (await getTicket((await json(res)).id)).attachments[0];
      const dl = await t.request('GET', a.url);
      expect(dl.statusCode).toBe(200);
      expect(dl.body).toBe(html);
      expect(dl.headers['content-type']).toMatch(/^text\/plain/);
      expect(dl.headers['content-disposition']).toMatch(/^attachment;/);
      expect(dl.headers['x-content-type-options']).toBe('nosniff');
    });

    it('404 for an unknown id, 400 for a malformed one, 401 without credentials', async () => {
      const missing = await t.request('GET', '/api/v1/attachments/00000000-0000-4000-8000-000000000000');
      expect(missing.statusCode).toBe(404);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(missing.json().code).toBe('attachment.not_found');
      expect((await t.request('GET', '/api/v1/attachments/nope')).statusCode).toBe(400);
      const res = await post('/tickets', ticketForm(ticketBody(), [{ name: 'a.txt', content: 'secret' }]));
      const a = (await getTicket((await json(res)).id)).attachments[0];
      expect((await t.request('GET', a.url, { as: null })).statusCode).toBe(401);
    });
  });
});
