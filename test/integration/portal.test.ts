/**
 * The customer portal's API: one-time sign-in links e-mailed through the job queue to a real
 * SMTP server on loopback, requester sessions that open the portal and nothing else, the
 * requester's own (and, when shared, their organization's) tickets with public replies only,
 * replies with files that behave as customer replies, "mark as solved", and the web form's
 * spam guard.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { createTestApp, ticketBody, type TestApp } from '../helpers/app.ts';
import { DB_KIND } from '../helpers/db.ts';
import { createMailbox } from '../helpers/mail-services.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { expectProblem } from '../helpers/problems.ts';
import { openEvents } from '../helpers/sse.ts';
import { FakeClock } from '../../src/platform/clock.ts';
import { SIGN_IN_PER_ADDRESS } from '../../src/domain/portal/sign-in.ts';
import { buildApp } from '../../src/http/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { runMaintenance } from '../../src/jobs/maintenance.ts';

const clock = new FakeClock(new Date('2026-03-02T09:00:00Z'));
let t: TestApp;
let capture: SmtpCapture;
let base: string;
let seq = 0;
const uid = () => `${++seq}-${Date.now().toString(36)}`;

interface Session {
  cookie: string;
  csrf: string;
}

/** Asks for a link, runs the mail job, and returns the captured message's parsed form (or undefined when nothing was sent). */
async function askLink(email: string, headers: Record<string, string> = {}) {
  const before = capture.messages.length;
  const res = await t.request('POST', '/api/v1/portal/sign-in-link', { body: { email }, as: null, headers });
  expect(res.statusCode, res.body).toBe(202);
  await t.runJobs();
  // other mail may leave with the same run (an agent's reply to this requester): the link is the one with a token
  const mails = await Promise.all(capture.messages.slice(before).filter((m) => m.envelope.to.includes(email.toLowerCase())).map((m) => simpleParser(m.raw)));
  return mails.find((m) => tokenOf(m.text ?? ''));
}

const tokenOf = (text: string) => /\/portal\/sign-in\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1];

async function redeem(token: string) {
  return t.request('POST', '/api/v1/portal/sessions', { body: { token }, as: null });
}

async function signIn(email: string): Promise<Session> {
  const mail = await askLink(email);
  const res = await redeem(tokenOf(mail!.text!)!);
  expect(res.statusCode, res.body).toBe(200);
  const cookie = String(res.headers['set-cookie']).split(';')[0];
  return { cookie, csrf: res.json().csrfToken };
}

/** A portal call with the requester's cookie (and CSRF token on writes, unless `csrf: false`). */
function portal(s: Session, method: string, url: string, body?: unknown, o: { csrf?: boolean } = {}) {
  const headers: Record<string, string> = { cookie: s.cookie };
  if (o.csrf !== false) headers['x-csrf-token'] = s.csrf;
  return t.request(method, url, { body, as: null, headers });
}

/** A multipart reply with files, over real HTTP. */
async function replyWithFile(s: Session, number: number, content: string, file: { name: string; text: string }) {
  const form = new FormData();
  form.append('content', content);
  form.append('files', new Blob([file.text], { type: 'text/plain' }), file.name);
  return fetch(`${base}/api/v1/portal/tickets/${number}/comments`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: form });
}

async function openTicket(email: string, requester: { organization?: string } = {}) {
  const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody({ requester: { name: `Customer ${uid()}`, email, ...requester } }) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; number: number; subject: string; requester: { organizationId: string | null } };
}

async function agentTicket(id: string | number) {
  return (await t.request('GET', `/api/v1/tickets/${id}`)).json();
}

beforeAll(async () => {
  capture = await startSmtpCapture();
  t = await createTestApp({ clock, config: { smtpOutboundUrl: capture.url }, routing: false });
  await createMailbox(t, { address: 'support@acme.test', name: 'Acme support' });
  base = await t.listen();
});
afterAll(async () => {
  await t?.close();
  await capture?.close();
});

describe(`portal sign-in (${DB_KIND})`, () => {
  it('e-mails a one-time link to a known requester, storing only the token\'s SHA-256', async () => {
    const email = `ann-${uid()}@customer.test`;
    await openTicket(email);
    const mail = await askLink(email, { host: 'help.acme.test' });
    expect(mail).toBeDefined();
    expect(mail!.subject).toContain('sign-in link');
    expect(mail!.from?.value[0].address).toBe('support@acme.test');
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');
    // PUBLIC_URL is unset: the link points to the origin the request came to
    expect(mail!.text).toMatch(/http:\/\/help\.acme\.test\/portal\/sign-in\?token=[A-Za-z0-9_-]{43}/);
    const token = tokenOf(mail!.text!)!;
    const rows = (await t.db.query<{ token_hash: Buffer; expires_at: Date; used_at: Date | null }>(
      `SELECT l.token_hash, l.expires_at, l.used_at FROM portal_sign_in_links l JOIN requesters r ON r.id = l.requester_id WHERE r.email = $1`, [email],
    )).rows;
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0].token_hash).equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(rows[0].expires_at.getTime()).toBe(clock.now().getTime() + 15 * 60_000);
    expect(rows[0].used_at).toBeNull();
  });

  it('a link works once: the first use opens a session (HttpOnly, SameSite=Lax cookie on the portal API), the second is refused', async () => {
    const email = `once-${uid()}@customer.test`;
    await openTicket(email);
    const token = tokenOf((await askLink(email))!.text!)!;
    const first = await redeem(token);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ requester: { email, organizationTicketsVisible: false }, csrfToken: expect.any(String) });
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^triage_portal_session=[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/api\/v1\/portal/);
    expectProblem(await redeem(token), 401, 'portal.link_used');
  });

  it('a link expires after 15 minutes', async () => {
    const email = `late-${uid()}@customer.test`;
    await openTicket(email);
    const token = tokenOf((await askLink(email))!.text!)!;
    clock.advance(15 * 60_000 + 1000);
    expectProblem(await redeem(token), 401, 'portal.link_expired');
    expectProblem(await redeem('not-a-token-we-issued'), 401, 'portal.link_unknown');
  });

  it('an unknown or bouncing address is answered 202 too, and nothing is sent or stored', async () => {
    const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM portal_sign_in_links')).rows[0].n;
    expect(await askLink(`nobody-${uid()}@customer.test`)).toBeUndefined();
    const bouncing = `bounce-${uid()}@customer.test`;
    await openTicket(bouncing);
    await t.db.query('UPDATE requesters SET email_bouncing_at = now() WHERE email = $1', [bouncing]);
    expect(await askLink(bouncing)).toBeUndefined();
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM portal_sign_in_links')).rows[0].n).toBe(before);
  });

  it('with PUBLIC_URL the link points there, whatever Host the request named', async () => {
    expect(loadConfig({ PUBLIC_URL: 'https://help.acme.test/' }).publicUrl).toBe('https://help.acme.test');
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(() => loadConfig({ PUBLIC_URL: 'help.acme.test' })).toThrow(/PUBLIC_URL/);
    const other = await buildApp({ db: t.db, clock, config: { ...t.config, publicUrl: 'https://help.acme.test' }, logger: false, jobs: t.jobs });
    try {
      const email = `pub-${uid()}@customer.test`;
      await openTicket(email);
      const before = capture.messages.length;
      const res = await other.inject({ method: 'POST', url: '/api/v1/portal/sign-in-link', headers: { 'content-type': 'application/json', host: 'evil.test' }, payload: JSON.stringify({ email }) });
      expect(res.statusCode).toBe(202);
      await t.runJobs();
      const text = (await simpleParser(capture.messages.slice(before).find((m) => m.envelope.to.includes(email))!.raw)).text!;
      expect(text).toMatch(/^https:\/\/help\.acme\.test\/portal\/sign-in\?token=/m);
      expect(text).not.toContain('evil.test');
    } finally {
      await other.close();
    }
  });

  it('maintenance deletes expired requester sessions and day-old links', async () => {
    const email = `old-${uid()}@customer.test`;
    await openTicket(email);
    await signIn(email);
    const count = async (table: string) => (await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} x JOIN requesters r ON r.id = x.requester_id WHERE r.email = $1`, [email],
    )).rows[0].n;
    expect(await count('portal_sessions')).toBe(1);
    expect(await count('portal_sign_in_links')).toBe(1);
    const later = new FakeClock(new Date(clock.now().getTime() + 30 * 24 * 3600_000));
    await runMaintenance(t.db, later);
    expect(await count('portal_sessions')).toBe(0);
    expect(await count('portal_sign_in_links')).toBe(0);
  });

  it('limits links per address — unknown addresses alike, so a 429 reveals nothing', async () => {
    const email = `flood-${uid()}@customer.test`;
    for (let i = 0; i < SIGN_IN_PER_ADDRESS; i++) {
      expect((await t.request('POST', '/api/v1/portal/sign-in-link', { body: { email }, as: null })).statusCode).toBe(202);
    }
    expectProblem(await t.request('POST', '/api/v1/portal/sign-in-link', { body: { email }, as: null }), 429, 'request.rate_limited');
  });

  it('a link asked from a ticket\'s page leads back to it; only portal paths are accepted', async () => {
    const email = `back-${uid()}@customer.test`;
    const tk = await openTicket(email);
    const before = capture.messages.length;
    const res = await t.request('POST', '/api/v1/portal/sign-in-link', { body: { email, returnTo: `/portal/tickets/${tk.number}` }, as: null });
    expect(res.statusCode).toBe(202);
    await t.runJobs();
    const text = (await simpleParser(capture.messages.slice(before).find((m) => m.envelope.to.includes(email))!.raw)).text!;
    expect(text).toMatch(new RegExp(`/portal/sign-in\\?token=[A-Za-z0-9_-]{43}&next=%2Fportal%2Ftickets%2F${tk.number}$`, 'm'));
    for (const returnTo of ['https://evil.test/portal', '//evil.test', '/tickets/1', '/portal/../admin']) {
      const p = expectProblem(await t.request('POST', '/api/v1/portal/sign-in-link', { body: { email, returnTo }, as: null }), 400);
      expect(p.errors.map((e: { path: string }) => e.path)).toEqual(['returnTo']);
    }
  });

  it('names the field of bad input', async () => {
    const p = expectProblem(await t.request('POST', '/api/v1/portal/sign-in-link', { body: { email: 'not-an-address' }, as: null }), 400);
    expect(p.errors.map((e: { path: string }) => e.path)).toContain('email');
    const q = expectProblem(await t.request('POST', '/api/v1/portal/sessions', { body: {}, as: null }), 400);
    expect(q.errors.map((e: { path: string }) => e.path)).toContain('token');
  });
});

describe(`portal sessions and scope (${DB_KIND})`, () => {
  let ann: Session;
  let annEmail: string;
  let annTickets: { id: string; number: number; subject: string }[];
  let bobTicket: { id: string; number: number };
  let orgId: string;

  beforeAll(async () => {
    const org = `Org ${uid()}`;
    annEmail = `ann-${uid()}@org.test`;
    annTickets = [await openTicket(annEmail, { organization: org }), await openTicket(annEmail, { organization: org })];
    bobTicket = await openTicket(`bob-${uid()}@org.test`, { organization: org });
    orgId = (await agentTicket(bobTicket.id)).requester.organizationId;
    await openTicket(`carol-${uid()}@elsewhere.test`);
    ann = await signIn(annEmail);
  });

  it('the requester session opens the portal and nothing else; agent credentials do not open the portal', async () => {
    const me = await portal(ann, 'GET', '/api/v1/portal/me');
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ email: annEmail, organizationTicketsVisible: false });
    expectProblem(await portal(ann, 'GET', '/api/v1/tickets'), 401);
    expectProblem(await portal(ann, 'GET', '/api/v1/me'), 401);
    expectProblem(await portal(ann, 'GET', `/api/v1/tickets/${annTickets[0].id}`), 401);
    // the admin's API token and an agent's session cookie are not requester sessions
    expectProblem(await t.request('GET', '/api/v1/portal/me'), 401);
    expectProblem(await t.request('GET', '/api/v1/portal/tickets'), 401);
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: t.admin.email, password: t.admin.password }, as: null });
    const agentCookie = String(login.headers['set-cookie']).split(';')[0];
    expectProblem(await t.request('GET', '/api/v1/portal/tickets', { as: null, headers: { cookie: agentCookie } }), 401);
  });

  it('a write without the CSRF token or a same-origin Origin is refused', async () => {
    expectProblem(await portal(ann, 'POST', `/api/v1/portal/tickets/${annTickets[0].number}/comments`, { content: 'Hi' }, { csrf: false }), 403, 'auth.csrf');
  });

  it('lists only the requester\'s own tickets; someone else\'s is not found', async () => {
    const list = await portal(ann, 'GET', '/api/v1/portal/tickets');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().tickets.map((x: { number: number }) => x.number).sort()).toEqual(annTickets.map((x) => x.number).sort());
    expect(list.json().total).toBe(2);
    expectProblem(await portal(ann, 'GET', `/api/v1/portal/tickets/${bobTicket.number}`), 404, 'ticket.not_found');
    expectProblem(await portal(ann, 'POST', `/api/v1/portal/tickets/${bobTicket.number}/comments`, { content: 'Mine?' }), 404);
    expectProblem(await portal(ann, 'POST', `/api/v1/portal/tickets/${bobTicket.number}/solve`), 404);
    expectProblem(await portal(ann, 'GET', '/api/v1/portal/tickets?scope=organization'), 403, 'portal.organization_not_shared');
    const bad = expectProblem(await portal(ann, 'GET', '/api/v1/portal/tickets/abc'), 400);
    expect(bad.errors[0].path).toMatch(/number/);
  });

  it('an organization that shares its tickets shows them to each of its requesters (set by a supervisor)', async () => {
    const agent = await t.makeAgent({ role: 'agent' });
    expectProblem(await t.request('PUT', `/api/v1/organizations/${orgId}/portal`, { body: { sharedTickets: true }, as: agent }), 403);
    const put = await t.request('PUT', `/api/v1/organizations/${orgId}/portal`, { body: { sharedTickets: true } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ organizationId: orgId, sharedTickets: true });
    expect((await portal(ann, 'GET', '/api/v1/portal/me')).json().organizationTicketsVisible).toBe(true);
    // the default list stays the requester's own; the organization's on request
    expect((await portal(ann, 'GET', '/api/v1/portal/tickets')).json().total).toBe(2);
    const org = (await portal(ann, 'GET', '/api/v1/portal/tickets?scope=organization')).json();
    expect(org.tickets.map((x: { number: number }) => x.number).sort()).toEqual([...annTickets.map((x) => x.number), bobTicket.number].sort());
    expect((await portal(ann, 'GET', `/api/v1/portal/tickets/${bobTicket.number}`)).statusCode).toBe(200);
    await t.request('PUT', `/api/v1/organizations/${orgId}/portal`, { body: { sharedTickets: false } });
    expectProblem(await portal(ann, 'GET', `/api/v1/portal/tickets/${bobTicket.number}`), 404);
  });

  it('shows the public conversation and never an internal note, its files, or internal fields', async () => {
    const tk = annTickets[0];
    const pub = await t.request('POST', `/api/v1/tickets/${tk.id}/comments`, { body: { content: 'Please try resetting your password.' } });
    expect(pub.statusCode, pub.body).toBe(201);
    const form = new FormData();
    form.append('data', JSON.stringify({ content: 'INTERNAL: customer is on the watch list', isInternal: true }));
    form.append('files', new Blob(['secret notes'], { type: 'text/plain' }), 'internal.txt');
    const note = await fetch(`${base}/api/v1/tickets/${tk.id}/comments`, { method: 'POST', headers: { authorization: `Bearer ${t.admin.token}` }, body: form });
    expect(note.status).toBe(201);
    const internalFile = ((await note.json()) as { attachments: { id: string }[] }).attachments[0].id;

    const res = await portal(ann, 'GET', `/api/v1/portal/tickets/${tk.number}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('Please try resetting your password.');
    expect(res.body).not.toContain('watch list');
    expect(res.body).not.toContain('internal.txt');
    const body = res.json();
    expect(body.comments).toHaveLength(1);
    expect(body.comments[0].author).toEqual({ type: 'agent', name: 'Ada Admin' });
    for (const key of ['assignee', 'assigneeGroup', 'priority', 'sla', 'assignment', 'priorityScore', 'tags', 'history', 'customFields']) {
      expect(body).not.toHaveProperty(key);
    }
    expectProblem(await portal(ann, 'GET', `/api/v1/portal/attachments/${internalFile}`), 404);
  });

  it('a reply with a file is a public requester comment that reopens a solved ticket; its file downloads', async () => {
    const tk = annTickets[1];
    expect((await t.request('POST', `/api/v1/tickets/${tk.id}/resolve`, { body: {} })).statusCode).toBe(200);
    // an agent's workspace, open meanwhile, hears of the reply
    const login = await t.request('POST', '/api/v1/auth/login', { body: { email: t.admin.email, password: t.admin.password }, as: null });
    const events = await openEvents(base, String(login.headers['set-cookie']).split(';')[0]);
    const res = await replyWithFile(ann, tk.number, 'It broke again this morning.', { name: 'log.txt', text: 'ERROR 42' });
    expect(res.status, await res.clone().text()).toBe(201);
    // (the resolve's own event may still arrive: events are read from the database every 200 ms)
    expect(await events.next('ticket', (d) => d.ticketId === tk.id && d.kind === 'commented')).toEqual({ ticketId: tk.id, kind: 'commented' });
    events.close();
    const mine = ((await res.json()) as { comments: { attachments: { url: string }[] }[] }).comments.at(-1)!;
    expect(mine).toMatchObject({ content: 'It broke again this morning.', author: { type: 'requester' } });
    expect(mine.attachments).toHaveLength(1);

    const seen = await agentTicket(tk.id);
    expect(seen.status).toBe('open');
    const comment = seen.comments.at(-1);
    expect(comment).toMatchObject({ content: 'It broke again this morning.', isInternal: false, author: { type: 'requester' } });
    expect(comment.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['log.txt']);
    const history = (await t.request('GET', `/api/v1/tickets/${tk.id}/history`)).json().history;
    expect(history.find((h: { changeType: string; changedTo: { from?: string } }) => h.changeType === 'commented' && h.changedTo.from === 'requester')).toBeDefined();
    expect(history.at(-1)).toMatchObject({ changeType: 'reopened', changedFrom: { status: 'resolved' }, changedTo: { status: 'open' }, comment: 'the requester replied' });

    const file = await portal(ann, 'GET', mine.attachments[0].url);
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('ERROR 42');
    expect(file.headers['content-disposition']).toMatch(/^attachment;/);
    const empty = expectProblem(await portal(ann, 'POST', `/api/v1/portal/tickets/${tk.number}/comments`, { content: '   ' }), 400);
    expect(empty.errors[0].path).toBe('content');
  });

  it('marking as solved resolves the ticket, with the reason in its history; twice is a conflict', async () => {
    const tk = annTickets[1];
    const res = await portal(ann, 'POST', `/api/v1/portal/tickets/${tk.number}/solve`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('resolved');
    expect((await agentTicket(tk.id)).status).toBe('resolved');
    const history = (await t.request('GET', `/api/v1/tickets/${tk.id}/history`)).json().history;
    expect(history.at(-1)).toMatchObject({ changeType: 'resolved', changedTo: { status: 'resolved' }, comment: 'the requester marked it solved' });
    expectProblem(await portal(ann, 'POST', `/api/v1/portal/tickets/${tk.number}/solve`), 409, 'ticket.transition_invalid');
  });

  it('signing out ends the session', async () => {
    const s = await signIn(annEmail);
    expect((await portal(s, 'DELETE', '/api/v1/portal/sessions')).statusCode).toBe(204);
    expectProblem(await portal(s, 'GET', '/api/v1/portal/me'), 401);
  });
});

describe(`portal web form (${DB_KIND})`, () => {
  const formToken = async () => (await t.request('GET', '/api/v1/portal/form-token', { as: null })).json().formToken as string;
  const submit = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.request('POST', '/api/v1/portal/tickets', { body, as: null, headers });
  const request = (over: Record<string, unknown> = {}) => ({
    name: 'Dee Visitor', email: `dee-${uid()}@visitor.test`, subject: `Web form ${uid()}`, description: 'My order never arrived.', ...over,
  });
  const countTickets = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows[0].n;

  it('refuses a form sent too fast, a filled honeypot and a forged token, creating nothing', async () => {
    const before = await countTickets();
    const fast = expectProblem(await submit(request({ formToken: await formToken() })), 400);
    expect(fast.errors).toEqual([{ path: 'formToken', message: expect.stringMatching(/too fast/) }]);
    const token = await formToken();
    clock.advance(5_000);
    const bot = expectProblem(await submit(request({ formToken: token, website: 'http://spam.example' })), 400);
    expect(bot.errors.map((e: { path: string }) => e.path)).toEqual(['website']);
    const forged = expectProblem(await submit(request({ formToken: `${clock.now().getTime() - 10_000}.${'A'.repeat(43)}` })), 400);
    expect(forged.errors.map((e: { path: string }) => e.path)).toEqual(['formToken']);
    expect(await countTickets()).toBe(before);
  });

  it('a normal submission opens a web ticket for the requester, found or created by e-mail', async () => {
    const token = await formToken();
    clock.advance(5_000);
    const body = request({ formToken: token });
    const res = await submit(body);
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ subject: body.subject, status: 'new' });
    const tk = await agentTicket(created.number);
    expect(tk).toMatchObject({ subject: body.subject, description: body.description, source: 'web', channel: 'portal', requester: { email: body.email, name: 'Dee Visitor' } });
    const history = (await t.request('GET', `/api/v1/tickets/${tk.id}/history`)).json().history;
    expect(history[0]).toMatchObject({ changeType: 'created', changedTo: { source: 'web' } });
  });

  it('names each missing or bad field', async () => {
    const token = await formToken();
    clock.advance(5_000);
    const p = expectProblem(await submit({ formToken: token, email: 'nope', description: 'x' }), 400);
    expect(p.errors.map((e: { path: string }) => e.path).sort()).toEqual(['email', 'subject']);
    const q = expectProblem(await submit({ formToken: token, subject: 'Hi', description: 'x' }), 400);
    expect(q.errors.map((e: { path: string }) => e.path).sort()).toEqual(['email', 'name']);
  });

  it('a signed-in requester submits without giving name or e-mail again', async () => {
    const email = `eve-${uid()}@customer.test`;
    await openTicket(email);
    const s = await signIn(email);
    const token = await formToken();
    clock.advance(5_000);
    const res = await submit({ formToken: token, subject: 'Second question', description: 'Also this.' }, { cookie: s.cookie, 'x-csrf-token': s.csrf });
    expect(res.statusCode, res.body).toBe(201);
    expect((await agentTicket(res.json().number)).requester.email).toBe(email);
    const list = (await portal(s, 'GET', '/api/v1/portal/tickets')).json();
    expect(list.tickets.map((x: { subject: string }) => x.subject)).toContain('Second question');
  });
});
