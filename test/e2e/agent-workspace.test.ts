/**
 * The agent workspace in a real Chromium against a real `triage start`: sign in, a query with
 * an inline error then a match, open by keyboard, reply publicly and add an internal note,
 * change status and assignee (seen live by a second session), the collision warning, a stale
 * edit that conflicts instead of overwriting, and a new ticket arriving in the list live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, createAgent, createTicket, launchBrowser, newSession, screenshot, signIn, startE2eServer, type E2eServer } from './browser.ts';

// Page functions run in the browser; typed over `any`, this file keeps to Node's types (no DOM lib).
// No string expressions: the UI's CSP (no 'unsafe-eval') refuses them.
const blur = (page: Page) => page.evaluate(() => (globalThis as any).document.activeElement?.blur());
const backgroundOf = (el: any): string => (globalThis as any).getComputedStyle(el).backgroundColor;

// a 2×2 PNG, for the image preview
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

const BO = { name: 'Bo Agent', email: 'bo@e2e.test', password: 'bo-agent-password' };

describe('agent workspace (Chromium)', () => {
  let server: E2eServer;
  let browser: Browser;
  let adminId: string;
  let adminName: string;
  let target: { id: string; number: number; subject: string };
  let a: Awaited<ReturnType<typeof newSession>>;
  let b: Awaited<ReturnType<typeof newSession>>;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    ({ id: adminId, name: adminName } = (await server.api.request('GET', '/api/v1/me')).body);
    await createAgent(server.api, BO);
    // 24×7: four hours to the first response, two days to resolution
    const policy = await server.api.request('POST', '/api/v1/sla-policies', { name: 'Standard', firstResponseMinutes: 240, resolutionMinutes: 2880 });
    expect(policy.status).toBe(201);
    for (let i = 0; i < 3; i++) await createTicket(server.api, { subject: `Invoice question ${i}` });
    // routed to Bo (the only online agent), so its history says why
    target = await createTicket(server.api, { subject: 'Printer jams on tray 2 zebracorn', priority: 'high' });
    [a, b] = await Promise.all([newSession(browser), newSession(browser)]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const ticketUrl = () => `${server.url}/tickets/${target.number}`;
  const comment = (page: Page, text: string) => page.locator('li.comment', { hasText: text });

  it('signs in and lists tickets with views and their counts', async () => {
    await signIn(a.page, server.url, ADMIN);
    await a.page.locator('tr[data-ticket]').first().waitFor();
    expect(await a.page.locator('tr[data-ticket]').count()).toBe(4);
    await a.page.getByRole('navigation', { name: 'Views' }).getByText('My open tickets').waitFor();
    await a.page.getByRole('combobox', { name: 'Your status' }).waitFor();
    // the SLA column counts down to the first response
    const badge = a.page.locator(`tr[data-ticket="${target.number}"] [data-sla]`);
    expect(await badge.getAttribute('data-sla')).toBe('ok');
    expect(await badge.textContent()).toMatch(/^3h 5\dm left$/);
    await screenshot(a.page, 'list');
  });

  it('shows a query error where it is, then finds the ticket and opens it with the keyboard', async () => {
    const box = a.page.getByRole('searchbox', { name: 'Search tickets' });
    await box.fill('status:opn zebracorn');
    await box.press('Enter');
    const alert = a.page.locator('.query-error');
    await alert.waitFor();
    expect(await alert.locator('mark').textContent()).toBe('opn');
    expect(await alert.textContent()).toContain("Unknown status 'opn'");
    await screenshot(a.page, 'query-error');

    await box.fill('zebracorn');
    await box.press('Enter');
    await a.page.locator('.query-error').waitFor({ state: 'detached' });
    await a.page.locator('tbody > tr[data-ticket]:only-child').waitFor();
    expect(await a.page.locator('tr[data-ticket] td.subject').textContent()).toBe(target.subject);
    await blur(a.page);
    await a.page.keyboard.press('Enter');
    await a.page.getByRole('heading', { name: target.subject }).waitFor();
    expect(new URL(a.page.url()).pathname).toBe(`/tickets/${target.number}`);
  });

  it('warns both agents when a second one opens the same ticket', async () => {
    await signIn(b.page, server.url, BO);
    await b.page.goto(ticketUrl()); // a deep link: the server answers it with the SPA
    await b.page.getByRole('heading', { name: target.subject }).waitFor();
    await a.page.getByTestId('collision').filter({ hasText: 'Also viewing: Bo Agent' }).waitFor();
    await b.page.getByTestId('collision').filter({ hasText: `Also viewing: ${adminName}` }).waitFor();
    await a.page.locator('[data-sla-target="first_response"]').filter({ hasText: 'due' }).waitFor();
    // the routing decision is in the history with its reason
    expect(await a.page.locator('.history li[data-change="assigned"] .reason').first().textContent()).toMatch(/^ because /);
  });

  it('replies publicly (r) and adds an internal note (n), which look different; the other session sees them live', async () => {
    await a.page.keyboard.press('r');
    await a.page.keyboard.type('Please try tray 1 while we order a part.');
    await a.page.getByRole('button', { name: 'Send reply' }).click();
    await comment(a.page, 'Please try tray 1').waitFor();
    expect(await comment(a.page, 'Please try tray 1').getAttribute('data-kind')).toBe('public');
    expect(await comment(a.page, 'Please try tray 1').locator('.badge-public').textContent()).toBe('Public reply');

    await blur(a.page);
    await a.page.keyboard.press('n');
    expect(await a.page.getByRole('radio', { name: /Internal note/ }).isChecked()).toBe(true);
    await a.page.keyboard.type('Part number 4411-B, ordered.');
    await a.page.getByRole('button', { name: 'Add note' }).click();
    const note = comment(a.page, 'Part number 4411-B');
    await note.waitFor();
    expect(await note.getAttribute('data-kind')).toBe('internal');
    expect(await note.locator('.badge-internal').textContent()).toBe('Internal note');
    const [publicBg, noteBg] = await Promise.all([
      comment(a.page, 'Please try tray 1').evaluate(backgroundOf),
      note.evaluate(backgroundOf),
    ]);
    expect(noteBg).not.toBe(publicBg);
    await comment(b.page, 'Part number 4411-B').waitFor();
    await screenshot(a.page, 'ticket');
  });

  it('attaches an image to a reply and previews it in the conversation', async () => {
    await blur(a.page);
    await a.page.keyboard.press('r');
    await a.page.keyboard.type('Here is a photo of the tray.');
    await a.page.getByLabel('Attach files', { exact: true }).setInputFiles({ name: 'tray.png', mimeType: 'image/png', buffer: PNG });
    await a.page.getByRole('list', { name: 'Files to attach' }).getByText('tray.png').waitFor();
    await a.page.getByRole('button', { name: 'Send reply' }).click();
    const preview = comment(a.page, 'Here is a photo of the tray.').getByRole('img', { name: 'tray.png' });
    await preview.waitFor();
    // the image really loaded (same origin, session cookie, allowed by the CSP)
    await expect.poll(() => preview.evaluate((img: any) => img.complete && img.naturalWidth)).toBe(2);
  });

  it('changes status and assignee in place; the second session sees both live', async () => {
    await a.page.getByRole('combobox', { name: 'Status', exact: true }).selectOption('pending');
    await b.page.getByTestId('ticket-status').filter({ hasText: 'pending' }).waitFor();
    await a.page.getByRole('combobox', { name: 'Assignee' }).selectOption(adminId);
    await b.page.getByTestId('ticket-assignee').filter({ hasText: adminName }).waitFor();
    await a.page.getByTestId('ticket-assignee').filter({ hasText: adminName }).waitFor();
    // the other session is told; the one that made the change is not
    await b.page.getByText('Someone else just updated this ticket').waitFor();
    expect(await a.page.getByText('Someone else just updated this ticket').count()).toBe(0);
    const t = (await server.api.request('GET', `/api/v1/tickets/${target.id}`)).body;
    expect(t.status).toBe('pending');
    expect(t.assignee.id).toBe(adminId);
    await screenshot(b.page, 'ticket-live');
  });

  it('moves the ticket to a group and edits its category and tags in place', async () => {
    expect((await server.api.request('POST', '/api/v1/groups', { slug: 'hardware', name: 'Hardware' })).status).toBe(201);
    await a.page.reload();
    await a.page.getByRole('combobox', { name: 'Group' }).locator('option[value="hardware"]').waitFor({ state: 'attached' });
    await a.page.getByRole('combobox', { name: 'Group' }).selectOption('hardware');
    await expect.poll(async () => (await server.api.request('GET', `/api/v1/tickets/${target.id}`)).body.assigneeGroup, { timeout: 15_000 }).toBe('hardware');
    const category = a.page.getByRole('textbox', { name: 'Category' });
    await category.fill('printers');
    await category.press('Enter');
    await expect.poll(async () => (await server.api.request('GET', `/api/v1/tickets/${target.id}`)).body.category, { timeout: 15_000 }).toBe('printers');
    const tags = a.page.getByRole('textbox', { name: 'Tags' });
    await tags.fill('Tray-2, jam, jam');
    await tags.blur();
    await expect.poll(async () => (await server.api.request('GET', `/api/v1/tickets/${target.id}`)).body.tags, { timeout: 15_000 }).toEqual(['jam', 'tray-2']);
    // the panel shows what was saved, and the history has each change
    await expect.poll(() => tags.inputValue(), { timeout: 15_000 }).toBe('jam, tray-2');
    const history = (await server.api.request('GET', `/api/v1/tickets/${target.id}/history`)).body.history as { field: string | null }[];
    expect(history.map((h) => h.field)).toEqual(expect.arrayContaining(['category', 'tags']));
  });

  it('shows a conflict instead of overwriting a change made elsewhere, and reloads on request', async () => {
    // a tab that misses live updates (its event stream is cut) keeps a stale version
    const stale = await b.context.newPage();
    await stale.route('**/api/v1/events**', (route) => route.abort());
    await stale.goto(ticketUrl());
    await stale.getByRole('heading', { name: target.subject }).waitFor();
    const current = (await server.api.request('GET', `/api/v1/tickets/${target.id}`)).body;
    const changed = await server.api.request('PATCH', `/api/v1/tickets/${target.id}`, { priority: 'critical' }, { 'if-match': `"${current.version}"` });
    expect(changed.status).toBe(200);
    await stale.getByRole('combobox', { name: 'Priority' }).selectOption('low');
    const conflict = stale.locator('.conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('Someone else changed this ticket');
    await screenshot(stale, 'conflict');
    expect((await server.api.request('GET', `/api/v1/tickets/${target.id}`)).body.priority).toBe('critical');
    await conflict.getByRole('button', { name: 'Reload ticket' }).click();
    await conflict.waitFor({ state: 'detached' });
    await stale.locator('.summary .priority-critical').waitFor();
    expect(await stale.getByRole('combobox', { name: 'Priority' }).inputValue()).toBe('critical');
    await stale.close();
  });

  it('shows a new ticket in the list without a reload', async () => {
    await b.page.goto(server.url);
    await b.page.locator('tr[data-ticket]').first().waitFor();
    const fresh = await createTicket(server.api, { subject: 'Live arrival: the VPN drops every hour' });
    await b.page.locator(`tr[data-ticket="${fresh.number}"]`).waitFor();
    // j/k move the selection
    await b.page.keyboard.press('j');
    await b.page.locator('tr[data-row="1"].selected').waitFor();
    await b.page.keyboard.press('k');
    await b.page.locator('tr[data-row="0"].selected').waitFor();
    await screenshot(b.page, 'list-live');
  });

  it('sets the status of several checked tickets at once', async () => {
    const list = await server.api.request('GET', '/api/v1/tickets?sortBy=createdAt&sortOrder=asc&limit=2');
    const [first, second] = list.body.tickets as { id: string; number: number }[];
    await b.page.getByRole('checkbox', { name: `Select ticket ${first.number}` }).check();
    await b.page.getByRole('checkbox', { name: `Select ticket ${second.number}` }).check();
    await b.page.getByRole('region', { name: 'Bulk actions' }).getByText('2 selected').waitFor();
    await b.page.getByRole('combobox', { name: 'Set status of selected' }).selectOption('pending');
    await b.page.locator('.bulk-result').filter({ hasText: 'Status pending: 2 updated.' }).waitFor();
    for (const t of [first, second]) expect((await server.api.request('GET', `/api/v1/tickets/${t.id}`)).body.status).toBe('pending');
  });

  it('switches presence and signs out', async () => {
    await a.page.getByRole('combobox', { name: 'Your status' }).selectOption('away');
    await a.page.locator('.presence-away').waitFor();
    expect((await server.api.request('GET', `/api/v1/agents/${adminId}`)).body.status).toBe('away');
    await a.page.getByRole('button', { name: 'Sign out' }).click();
    await a.page.getByRole('heading', { name: 'Sign in to Triage' }).waitFor();
    expect(a.dialogs).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
