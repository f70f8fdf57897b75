/**
 * The dashboard in a real Chromium against a real `triage start`: tickets made through the API
 * (one replied to, one resolved, two in a group), then the headline figures, the five charts
 * (drawn, with their data tables), the group filter, the CSV export with the session cookie, and a
 * bookmarked dashboard URL (period, group, agent) whose figures are the API's for those filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN, createAgent, createTicket, launchBrowser, newSession, screenshot, signIn, startE2eServer, type E2eServer } from './browser.ts';

const BO = { name: 'Bo Agent', email: 'bo@e2e.test', password: 'bo-agent-password' };

describe('dashboard (Chromium)', () => {
  let server: E2eServer;
  let browser: Browser;
  let s: Awaited<ReturnType<typeof newSession>>;
  let boId: string;
  let inGroupId: string;
  let repliedId: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    expect((await server.api.request('POST', '/api/v1/groups', { slug: 'billing', name: 'Billing' })).status).toBe(201);
    const bo = { ...BO, groups: ['billing'] };
    boId = (await createAgent(server.api, bo)).id;
    // 24×7: four hours to the first response, two days to resolution
    expect((await server.api.request('POST', '/api/v1/sla-policies', { name: 'Standard', firstResponseMinutes: 240, resolutionMinutes: 2880 })).status).toBe(201);
    const replied = await createTicket(server.api, { subject: 'Dashboard high', priority: 'high' });
    const resolved = await createTicket(server.api, { subject: 'Dashboard normal', priority: 'normal' });
    const inGroup = await createTicket(server.api, { subject: 'Dashboard normal 2', priority: 'normal' });
    await createTicket(server.api, { subject: 'Dashboard low', priority: 'low' });
    inGroupId = inGroup.id;
    repliedId = replied.id;
    expect((await server.api.request('POST', `/api/v1/tickets/${replied.id}/comments`, { content: 'We are on it.' })).status).toBe(201);
    expect((await server.api.request('POST', `/api/v1/tickets/${resolved.id}/resolve`, {})).status).toBe(200);
    for (const t of [replied, inGroup]) expect((await server.api.request('POST', `/api/v1/tickets/${t.id}/assign`, { group: 'billing' })).status).toBe(200);
    s = await newSession(browser);
    s.page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const figure = (key: string) => s.page.locator(`[data-figure="${key}"] dd`);

  it('opens from the top bar with the last 30 days and shows the headline figures', async () => {
    await signIn(s.page, server.url, ADMIN);
    await s.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).click();
    await s.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    expect(new URL(s.page.url()).pathname).toBe('/dashboard');
    await figure('created').filter({ hasText: /^\d+$/ }).waitFor();
    expect(await figure('created').textContent()).toBe('4');
    expect(await figure('resolved').textContent()).toBe('1');
    // one reply, within its target: a first response time in minutes; a compliance rate
    expect(await figure('frt-median').textContent()).toMatch(/^\d+m$/);
    expect(await figure('sla').textContent()).toMatch(/^\d+(\.\d+)?%$/);
    const from = await s.page.getByLabel('From', { exact: true }).inputValue();
    const to = await s.page.getByLabel('To', { exact: true }).inputValue();
    expect((Date.parse(to) - Date.parse(from)) / 86_400_000).toBe(29);
  });

  it('draws the five charts, each with a heading and its data as a table', async () => {
    const charts = s.page.locator('section[data-chart]');
    expect(await charts.count()).toBe(5);
    for (const id of ['daily', 'times', 'sla-priority', 'sla-group', 'agents']) {
      const chart = s.page.locator(`section[data-chart="${id}"]`);
      await chart.locator('svg.recharts-surface').first().waitFor();
      expect(await chart.locator('h2').count()).toBe(1);
      expect(await chart.locator('table tbody tr').count()).toBeGreaterThan(0);
    }
    // bars with data: today's created bar, the backlog line, Bo's load bar
    const daily = s.page.locator('section[data-chart="daily"]');
    expect(await daily.locator('.recharts-bar-rectangle path, .recharts-bar-rectangle rect').count()).toBeGreaterThan(0);
    expect(await daily.locator('.recharts-line-curve').count()).toBe(1);
    expect(await daily.locator('table tbody tr').count()).toBe(30);
    const agents = s.page.locator('section[data-chart="agents"]');
    expect(await agents.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    expect(await agents.locator('table tbody tr').filter({ hasText: 'Bo Agent' }).count()).toBe(1);
    const priorities = await s.page.locator('section[data-chart="times"] table tbody th').allTextContents();
    expect(priorities).toEqual(['high', 'normal', 'low']);
    // fits 1280×800 without a horizontal scroll bar
    expect(await s.page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBe(1280);
    await screenshot(s.page, 'dashboard');
    expect(s.errors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('filters by group, as the API does for the same period and zone', async () => {
    const startDate = await s.page.getByLabel('From', { exact: true }).inputValue();
    const endDate = await s.page.getByLabel('To', { exact: true }).inputValue();
    const timezone = await s.page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const q = new URLSearchParams({ startDate, endDate, timezone, group: 'billing' });
    const expected = (await server.api.request('GET', `/api/v1/reports?${q}`)).body;
    expect(expected.metrics.totalTickets).toBeGreaterThanOrEqual(2);
    const answered = s.page.waitForResponse((r) => r.url().includes('/api/v1/reports?') && r.url().includes('group=billing'));
    await s.page.getByRole('combobox', { name: 'Group' }).selectOption('billing');
    expect((await answered).status()).toBe(200);
    await figure('created').filter({ hasText: new RegExp(`^${expected.metrics.totalTickets}$`) }).waitFor();
    expect(await figure('resolved').textContent()).toBe(String(expected.metrics.resolvedTickets));
    expect(await s.page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toContain('&group=billing&format=csv');
    await s.page.getByRole('combobox', { name: 'Group' }).selectOption('');
    await figure('created').filter({ hasText: /^4$/ }).waitFor();
  });

  it('exports the same report as CSV with the session cookie', async () => {
    const href = await s.page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toMatch(/^\/api\/v1\/reports\?startDate=.*&format=csv$/);
    const res = await s.context.request.get(server.url + href!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^text\/csv/);
    const lines = (await res.text()).trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^section,key,total,resolved,/);
    expect(lines[1]).toMatch(/^all,,4,1,/);
    // without the session there is no report
    expect((await fetch(server.url + href!)).status).toBe(401);
  });

  it('opens a dashboard URL with a period, group and agent: the API\'s figures for those filters; Back and Forward step through them', async () => {
    // of the two billing tickets, one is Bo's and one the admin's (whatever routing chose before)
    const adminId = (await server.api.request('GET', '/api/v1/me')).body.id;
    expect((await server.api.request('POST', `/api/v1/tickets/${inGroupId}/assign`, { agentId: boId })).status).toBe(200);
    expect((await server.api.request('POST', `/api/v1/tickets/${repliedId}/assign`, { agentId: adminId })).status).toBe(200);
    const timezone = await s.page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    const today = await s.page.evaluate(() => new Date().toLocaleDateString('sv'));
    const weekAgo = await s.page.evaluate(() => new Date(Date.now() - 6 * 86_400_000).toLocaleDateString('sv'));
    const filtered = async (q: Record<string, string>) =>
      (await server.api.request('GET', `/api/v1/reports?${new URLSearchParams({ startDate: weekAgo, endDate: today, timezone, ...q })}`)).body;
    const forBo = await filtered({ group: 'billing', agentId: boId });
    const forBilling = await filtered({ group: 'billing' });
    expect(forBo.metrics.totalTickets).toBe(1);
    expect(forBilling.metrics.totalTickets).toBe(2);

    await s.page.goto(`${server.url}/dashboard?from=${weekAgo}&to=${today}&group=billing&agent=${boId}`);
    await s.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await figure('created').filter({ hasText: new RegExp(`^${forBo.metrics.totalTickets}$`) }).waitFor();
    expect(await figure('resolved').textContent()).toBe(String(forBo.metrics.resolvedTickets));
    expect(await s.page.getByLabel('From', { exact: true }).inputValue()).toBe(weekAgo);
    expect(await s.page.getByLabel('To', { exact: true }).inputValue()).toBe(today);
    expect(await s.page.getByRole('combobox', { name: 'Group' }).inputValue()).toBe('billing');
    await s.page.getByRole('combobox', { name: 'Agent' }).locator('option', { hasText: 'Bo Agent' }).waitFor({ state: 'attached' });
    expect(await s.page.getByRole('combobox', { name: 'Agent' }).inputValue()).toBe(boId);
    const href = await s.page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toContain(`&group=billing&agentId=${boId}&format=csv`);
    const csv = (await (await s.context.request.get(server.url + href!)).text()).trim().split(/\r?\n/);
    expect(csv[1]).toMatch(new RegExp(`^all,,${forBo.metrics.totalTickets},${forBo.metrics.resolvedTickets},`));

    // all agents: the agent leaves the URL and the figures are the group's; Back brings Bo's back, Forward the group's
    await s.page.getByRole('combobox', { name: 'Agent' }).selectOption('');
    await s.page.waitForURL((u) => u.pathname === '/dashboard' && !u.searchParams.has('agent') && u.searchParams.get('group') === 'billing');
    await figure('created').filter({ hasText: new RegExp(`^${forBilling.metrics.totalTickets}$`) }).waitFor();
    await s.page.goBack();
    expect(new URL(s.page.url()).searchParams.get('agent')).toBe(boId);
    await figure('created').filter({ hasText: new RegExp(`^${forBo.metrics.totalTickets}$`) }).waitFor();
    expect(await s.page.getByRole('combobox', { name: 'Agent' }).inputValue()).toBe(boId);
    await s.page.goForward();
    await figure('created').filter({ hasText: new RegExp(`^${forBilling.metrics.totalTickets}$`) }).waitFor();
    expect(await s.page.getByRole('combobox', { name: 'Agent' }).inputValue()).toBe('');
    expect(s.errors).toEqual([]);
  });
});
