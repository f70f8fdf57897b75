/**
 * The admin screens in a real Chromium against a real `triage start`: a group and an agent in it
 * (skills, capacity), an assignment rule and the routing simulator naming that agent with every
 * candidate's reason, reordering rules, an SLA policy with a per-priority target, the priority
 * settings, an API token used from outside then revoked, a server 400 shown beside its field,
 * and an agent who is offered no admin link. A screenshot of every section at 1280×800.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, createAgent, launchBrowser, newSession, screenshot, signIn, startE2eServer, type E2eServer } from './browser.ts';

const BO = { name: 'Bo Agent', email: 'bo@e2e.test', password: 'bo-agent-password' };
const CLEO = { name: 'Cleo Billing', email: 'cleo@e2e.test' };

// page functions run in the browser; typed over `any`, this file keeps to Node's types (no DOM lib)
const scrollWidth = (page: Page) => page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);

describe('admin screens (Chromium)', () => {
  let server: E2eServer;
  let browser: Browser;
  let s: Awaited<ReturnType<typeof newSession>>;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    await createAgent(server.api, BO);
    s = await newSession(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const section = async (label: string) => {
    await s.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: label, exact: true }).click();
    await s.page.getByRole('heading', { name: label, level: 1 }).waitFor();
  };
  const form = (name: string) => s.page.getByRole('form', { name });
  const saved = (text: string) => s.page.getByRole('status').filter({ hasText: text });

  it('opens from the top bar for an admin, on the agents section', async () => {
    await signIn(s.page, server.url, ADMIN);
    await s.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Admin' }).click();
    await s.page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    expect(new URL(s.page.url()).pathname).toBe('/admin');
    expect(await s.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Admin' }).getAttribute('aria-current')).toBe('page');
    await s.page.locator(`tr[data-agent="${BO.email}"]`).waitFor();
  });

  it('shows a server 400 beside the field it names, and keeps the form', async () => {
    await section('Groups');
    await s.page.getByRole('button', { name: 'New group' }).click();
    await form('New group').getByLabel('Name', { exact: true }).fill('Billing');
    await form('New group').getByLabel('Slug').fill('Bad Slug!');
    const answered = s.page.waitForResponse((r) => r.url().endsWith('/api/v1/groups') && r.request().method() === 'POST');
    await form('New group').getByRole('button', { name: 'Create group' }).click();
    expect((await answered).status()).toBe(400);
    const slug = form('New group').getByLabel('Slug');
    await s.page.locator('.field-invalid').first().waitFor();
    expect(await slug.getAttribute('aria-invalid')).toBe('true');
    // the message sits under the field and is what the input is described by
    const describedBy = (await slug.getAttribute('aria-describedby'))!.split(' ')[0];
    const message = s.page.locator(`[id="${describedBy}"]`);
    expect(await message.textContent()).toMatch(/Lower-case letters/);
    expect(await message.evaluate((el: any) => el.closest('.field').querySelector('input') === el.closest('.field').querySelector('[aria-invalid]'))).toBe(true);
    expect(await form('New group').getByLabel('Name', { exact: true }).inputValue()).toBe('Billing');
    await screenshot(s.page, 'admin-field-error');
  });

  it('creates a group, then an agent in it with skills and capacity', async () => {
    await form('New group').getByLabel('Slug').fill('billing');
    await form('New group').getByRole('button', { name: 'Create group' }).click();
    await saved('Group created.').waitFor();
    expect(await form('Edit group Billing').getByLabel('Slug').getAttribute('aria-invalid')).toBeNull();
    await s.page.locator('tr[data-group="billing"]').waitFor();

    await section('Agents');
    await s.page.getByRole('button', { name: 'New agent' }).click();
    const f = form('New agent');
    await f.getByLabel('Name', { exact: true }).fill(CLEO.name);
    await f.getByLabel('E-mail').fill(CLEO.email);
    await f.getByLabel('Status').selectOption('online');
    await f.getByLabel('Skills').fill('invoices, refunds');
    await f.getByLabel('Capacity').fill('3');
    await f.getByRole('group', { name: 'Groups' }).getByLabel('Billing').check();
    await f.getByRole('button', { name: 'Create agent' }).click();
    await saved('Agent created.').waitFor();
    await s.page.locator(`tr[data-agent="${CLEO.email}"]`).filter({ hasText: 'billing' }).waitFor();
    const agents = (await server.api.request('GET', '/api/v1/agents?group=billing')).body.agents;
    expect(agents).toEqual([expect.objectContaining({ name: CLEO.name, groups: ['billing'], skills: ['invoices', 'refunds'], maxConcurrentTickets: 3, status: 'online' })]);
  });

  it('creates an assignment rule, and the simulator names that agent and group with every candidate and reason', async () => {
    await section('Assignment rules');
    await s.page.getByRole('button', { name: 'New rule' }).click();
    const f = form('New rule');
    await f.getByLabel('Rule name').fill('Billing to the billing team');
    await f.getByLabel('Categories', { exact: true }).fill('billing, invoices');
    await f.getByRole('group', { name: 'Priorities' }).getByLabel('high').check();
    await f.getByRole('group', { name: 'Priorities' }).getByLabel('critical').check();
    await f.getByLabel('Assign to').selectOption('group_least_busy');
    await f.getByLabel('Group', { exact: true }).selectOption('billing');
    await f.getByRole('button', { name: 'Create rule' }).click();
    await saved('Rule created.').waitFor();
    const [rule] = (await server.api.request('GET', '/api/v1/assignment-rules')).body.rules;
    expect(rule).toMatchObject({
      name: 'Billing to the billing team', isActive: true,
      conditions: { categories: ['billing', 'invoices'], priorities: ['high', 'critical'] }, action: { type: 'group_least_busy', group: 'billing' },
    });
    expect(rule.action.agentId).toBeUndefined();

    const sim = form('Simulate a ticket');
    await sim.getByLabel('Subject').fill('Invoice charged twice');
    await sim.getByLabel('Category', { exact: true }).fill('billing');
    await sim.getByLabel('Priority').selectOption('high');
    await sim.getByRole('button', { name: 'Simulate' }).click();
    const result = s.page.locator('[data-simulation]');
    await result.waitFor();
    expect(await result.locator('[data-sim="agent"]').textContent()).toBe(CLEO.name);
    expect(await result.locator('[data-sim="group"]').textContent()).toBe('billing');
    expect(await result.locator('[data-sim="rule"]').textContent()).toBe('Billing to the billing team');
    expect(await result.locator('[data-sim="method"]').textContent()).toBe('least busy');
    const cleo = result.locator(`tr[data-candidate="${CLEO.name}"]`);
    expect(await cleo.locator('[data-reason]').textContent()).toBe('chosen');
    expect(await cleo.locator('td').nth(3).textContent()).toBe('0/3');
    // nothing was created
    expect((await server.api.request('GET', '/api/v1/tickets')).body.total).toBe(0);

    // a ticket no rule matches falls back to round robin over everyone, each candidate with a reason
    await sim.getByLabel('Category', { exact: true }).fill('general');
    await sim.getByLabel('Priority').selectOption('low');
    await sim.getByRole('button', { name: 'Simulate' }).click();
    await result.locator('[data-sim="rule"]').filter({ hasText: 'no rule matched' }).waitFor();
    const reasons = await result.locator('tbody tr').evaluateAll((rows: any[]) => rows.map((r) => [r.dataset.candidate, r.querySelector('[data-reason]').textContent]));
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    for (const [, reason] of reasons) expect(reason).toMatch(/^[a-z ]+$/);
    expect(reasons.map(([name]: string[]) => name)).toContain(BO.name);
    await screenshot(s.page, 'admin-rules-simulator');
  });

  it('moves a rule up: the order the API evaluates changes', async () => {
    await s.page.getByRole('button', { name: 'New rule' }).click();
    const f = form('New rule');
    await f.getByLabel('Rule name').fill('VIP to Bo');
    await f.getByRole('group', { name: 'Requester tiers' }).getByLabel('enterprise').check();
    await f.getByLabel('Assign to').selectOption('specific_agent');
    await f.getByLabel('Agent', { exact: true }).selectOption({ label: BO.name });
    await f.getByRole('button', { name: 'Create rule' }).click();
    await saved('Rule created.').waitFor();
    await s.page.locator('li[data-rule="VIP to Bo"]').waitFor();
    await s.page.getByRole('button', { name: 'Move VIP to Bo up' }).click();
    await s.page.locator('ol.rule-list li').first().filter({ hasText: 'VIP to Bo' }).waitFor();
    const rules = (await server.api.request('GET', '/api/v1/assignment-rules')).body.rules;
    expect(rules.map((r: { name: string }) => r.name)).toEqual(['VIP to Bo', 'Billing to the billing team']);
    expect(rules[0].action).toEqual({ type: 'specific_agent', agentId: expect.any(String) });
    expect(rules[0].conditions).toEqual({ tiers: ['enterprise'] });
  });

  it('creates an SLA policy with per-priority targets', async () => {
    await section('SLA policies');
    await s.page.getByRole('button', { name: 'New SLA policy' }).click();
    const f = form('New SLA policy');
    await f.getByLabel('Policy name').fill('Gold');
    await f.getByLabel('Default first response minutes').fill('120');
    await f.getByLabel('Default resolution minutes').fill('2880');
    await f.getByLabel('high first response minutes').fill('30');
    await f.getByLabel('critical resolution minutes').fill('240');
    await f.getByLabel('Groups (slugs)').fill('billing');
    await f.getByRole('button', { name: 'Create policy' }).click();
    await saved('SLA policy created.').waitFor();
    await s.page.locator('tr[data-policy="Gold"]').filter({ hasText: '2h' }).waitFor();
    const [policy] = (await server.api.request('GET', '/api/v1/sla-policies')).body.policies;
    expect(policy).toMatchObject({
      name: 'Gold', calendarId: null, firstResponseMinutes: 120, nextResponseMinutes: null, resolutionMinutes: 2880,
      targetsByPriority: { high: { firstResponseMinutes: 30 }, critical: { resolutionMinutes: 240 } }, conditions: { groups: ['billing'] },
    });
    expect(Object.keys(policy.targetsByPriority).sort()).toEqual(['critical', 'high']);
    await screenshot(s.page, 'admin-sla');
  });

  it('edits the priority settings; an invalid threshold order is refused beside the thresholds', async () => {
    await section('Priority settings');
    const f = form('Priority settings');
    await f.getByLabel('Critical from').fill('90');
    await f.getByLabel('Per urgent keyword (points)').fill('25');
    await f.getByRole('button', { name: 'Save priority settings' }).click();
    await saved('Saved.').waitFor();
    const settings = (await server.api.request('GET', '/api/v1/settings/priority')).body;
    expect(settings.thresholds).toEqual({ critical: 90, high: 60, normal: 40 });
    expect(settings.keywordPoints).toBe(25);

    await f.getByLabel('High from').fill('95');
    await f.getByRole('button', { name: 'Save priority settings' }).click();
    const msg = f.getByRole('group', { name: /Thresholds/ }).locator('.field-error');
    await msg.waitFor();
    expect(await msg.textContent()).toContain('critical > high > normal');
    expect((await server.api.request('GET', '/api/v1/settings/priority')).body.thresholds.high).toBe(60);
  });

  it('creates an API token shown once, which works from outside until it is revoked', async () => {
    await section('API tokens');
    await s.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await form('New API token').getByLabel('Token name').fill('CRM sync');
    await form('New API token').getByRole('button', { name: 'Create token' }).click();
    const value = s.page.getByLabel('New token value');
    await value.waitFor();
    const token = await value.inputValue();
    expect(token.length).toBeGreaterThan(20);
    await s.page.getByRole('region', { name: 'New token' }).getByRole('button', { name: 'Copy' }).click();
    await s.page.getByRole('region', { name: 'New token' }).getByText('Copied.').waitFor();
    expect(await s.page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(token);
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(ADMIN.email);
    await s.page.locator('tr[data-token="CRM sync"]').waitFor();
    // the list never shows the secret again
    expect(await s.page.locator('table.admin-table').textContent()).not.toContain(token);
    await screenshot(s.page, 'admin-tokens');

    await s.page.getByRole('button', { name: 'Revoke CRM sync' }).click();
    await s.page.getByRole('button', { name: 'Yes, revoke' }).click();
    await s.page.getByText('Token revoked.').waitFor();
    await s.page.locator('tr[data-token="CRM sync"]').waitFor({ state: 'detached' });
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('creates a calendar with weekly hours, shows an invalid interval beside its day, and imports holidays from iCalendar', async () => {
    await section('Calendars');
    await s.page.getByRole('button', { name: 'New calendar' }).click();
    const f = form('New calendar');
    await f.getByLabel('Calendar name').fill('Berlin office');
    await f.getByLabel('Time zone').fill('Europe/Berlin');
    await f.getByLabel('Saturday').fill('10:00-09:00');
    await f.getByRole('button', { name: 'Create calendar' }).click();
    const saturday = f.getByLabel('Saturday');
    await s.page.waitForFunction(() => (globalThis as any).document.querySelector('[aria-invalid="true"]'));
    expect(await saturday.getAttribute('aria-invalid')).toBe('true');
    expect(await saturday.locator('xpath=..').locator('.field-error').textContent()).toContain('must end after it starts');
    await saturday.fill('10:00-14:00');
    await f.getByRole('button', { name: 'Create calendar' }).click();
    await saved('Calendar created.').waitFor();
    const [calendar] = (await server.api.request('GET', '/api/v1/calendars')).body.calendars;
    expect(calendar).toMatchObject({ name: 'Berlin office', timezone: 'Europe/Berlin', holidays: [] });
    expect(calendar.hours.mon).toEqual([['09:00', '17:00']]);
    expect(calendar.hours.sat).toEqual([['10:00', '14:00']]);
    expect(calendar.hours.sun).toEqual([]);

    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Triage//admin e2e//EN', 'BEGIN:VEVENT', 'UID:xmas@e2e', 'DTSTART;VALUE=DATE:20261225',
      'DTEND;VALUE=DATE:20261226', 'RRULE:FREQ=YEARLY', 'SUMMARY:Christmas Day', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n') + '\r\n';
    await form('Edit calendar Berlin office').getByLabel('Import iCalendar (.ics)').setInputFiles({ name: 'holidays.ics', mimeType: 'text/calendar', buffer: Buffer.from(ics) });
    await saved('Imported.').waitFor();
    expect(await form('Edit calendar Berlin office').getByLabel('Holiday name').inputValue()).toBe('Christmas Day');
    const after = (await server.api.request('GET', `/api/v1/calendars/${calendar.id}`)).body;
    expect(after.holidays).toEqual([{ date: '2026-12-25', name: 'Christmas Day', recurring: true }]);
  });

  it('creates a mailbox whose relay password is write-only', async () => {
    await section('Mailboxes');
    await s.page.getByRole('button', { name: 'New mailbox' }).click();
    const f = form('New mailbox');
    await f.getByLabel('Address').fill('billing@e2e.test');
    await f.getByLabel('Display name').fill('Billing desk');
    await f.getByLabel('Group', { exact: true }).selectOption('billing');
    await f.getByLabel("Own SMTP relay (otherwise the server's default)").check();
    await f.getByLabel('SMTP host').fill('smtp.e2e.test');
    await f.getByLabel('SMTP user').fill('relay-user');
    await f.getByLabel('SMTP password').fill('relay-secret-1');
    await f.getByRole('button', { name: 'Create mailbox' }).click();
    await saved('Mailbox created.').waitFor();
    const edit = form('Edit mailbox billing@e2e.test');
    expect(await edit.getByLabel('SMTP password').inputValue()).toBe('');
    await edit.getByText('a password is stored: leave blank to keep it').waitFor();
    const [box] = (await server.api.request('GET', '/api/v1/mailboxes')).body.mailboxes;
    expect(box).toMatchObject({ address: 'billing@e2e.test', group: 'billing', inbound: { type: 'smtp' }, outbound: { host: 'smtp.e2e.test', port: 587, user: 'relay-user', hasPassword: true } });
    expect(JSON.stringify(box)).not.toContain('relay-secret-1');
    // saving again without typing it keeps the stored password
    await edit.getByLabel('Display name').fill('Billing');
    await edit.getByRole('button', { name: 'Save mailbox' }).click();
    await saved('Saved.').waitFor();
    expect((await server.api.request('GET', `/api/v1/mailboxes/${box.id}`)).body).toMatchObject({ name: 'Billing', outbound: { hasPassword: true } });
  });

  it('refuses an auto-response whose Liquid does not parse, beside the template', async () => {
    await section('Auto-responses');
    await s.page.getByRole('button', { name: 'New auto-response' }).click();
    const f = form('New auto-response');
    await f.getByLabel('Name', { exact: true }).fill('Billing receipt');
    await f.getByLabel('Body template (Liquid)').fill('Hello {{ requester.name }, {% if %}');
    await f.getByRole('button', { name: 'Create auto-response' }).click();
    const body = f.getByLabel('Body template (Liquid)');
    await f.locator('.field-invalid').waitFor();
    expect(await body.getAttribute('aria-invalid')).toBe('true');
    expect(await f.locator('.field-invalid .field-error').textContent()).toMatch(/^Liquid syntax error/);
    await body.fill('Hello {{ requester.name }}, ticket #{{ ticket.number }} is open.');
    await f.getByRole('button', { name: 'Create auto-response' }).click();
    await saved('Auto-response created.').waitFor();
    const [ack] = (await server.api.request('GET', '/api/v1/auto-responses')).body.autoResponses;
    expect(ack).toMatchObject({ name: 'Billing receipt', body: 'Hello {{ requester.name }}, ticket #{{ ticket.number }} is open.', mailbox: null, category: null });
  });

  it('shows every section at 1280×800 without a horizontal scroll bar', async () => {
    const links = s.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link');
    const labels = await links.allTextContents();
    expect(labels).toEqual([
      'Agents', 'Groups', 'Assignment rules', 'Category skills', 'Priority settings', 'SLA policies', 'Calendars', 'Mailboxes',
      'Auto-responses', 'API tokens', 'Failed jobs', 'Inbound failures', 'Suspended mail',
    ]);
    for (const label of labels) {
      await section(label);
      await s.page.locator('.admin-main table, .admin-main form').first().waitFor();
      expect(await s.page.locator('.admin-main [role="alert"]').count()).toBe(0);
      expect(await scrollWidth(s.page)).toBe(1280);
      await screenshot(s.page, `admin-${label.toLowerCase().replaceAll(' ', '-')}`);
    }
    expect(s.errors).toEqual([]);
  });

  it('offers no admin link to an agent, and the admin URL says it is not for them', async () => {
    const bo = await newSession(browser);
    try {
      await signIn(bo.page, server.url, BO);
      const pages = bo.page.getByRole('navigation', { name: 'Pages' });
      expect(await pages.getByRole('link').allTextContents()).toEqual(['Tickets', 'Dashboard']);
      await bo.page.goto(`${server.url}/admin/agents`);
      await bo.page.getByText('The admin area is for admins and supervisors.').waitFor();
      expect(await bo.page.getByRole('button', { name: 'New agent' }).count()).toBe(0);
      await screenshot(bo.page, 'admin-agent-denied');
    } finally {
      await bo.context.close();
    }
  });

  it('lets a supervisor read what the role may read, and shows the server 403 of a write plainly', async () => {
    const sue = { name: 'Sue Supervisor', email: 'sue@e2e.test', password: 'sue-supervisor-password', role: 'supervisor' };
    await createAgent(server.api, sue);
    const v = await newSession(browser);
    try {
      await signIn(v.page, server.url, sue);
      expect(await v.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Admin' }).count()).toBe(0);
      await v.page.goto(`${server.url}/admin/settings`);
      await v.page.getByRole('heading', { name: 'Priority settings', level: 1 }).waitFor();
      const sections = await v.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link').allTextContents();
      expect(sections).not.toContain('Mailboxes');
      expect(sections).not.toContain('Failed jobs');
      expect(sections).toContain('SLA policies');
      const f = v.page.getByRole('form', { name: 'Priority settings' });
      const critical = (await server.api.request('GET', '/api/v1/settings/priority')).body.thresholds.critical;
      await f.getByLabel('Critical from').waitFor();
      expect(await f.getByLabel('Critical from').inputValue()).toBe(String(critical));
      await f.getByRole('button', { name: 'Save priority settings' }).click();
      const alert = f.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/^Not allowed: .*admins/);
      expect(v.errors).toEqual([]);
    } finally {
      await v.context.close();
    }
  });

  it('deactivates a leaver (confirmed in the page): signed out, shown greyed, and reactivated', async () => {
    const bo = await newSession(browser);
    try {
      await signIn(bo.page, server.url, BO);
      await s.page.goto(`${server.url}/admin/agents`);
      const row = s.page.locator(`tr[data-agent="${BO.email}"]`);
      await row.getByRole('button', { name: `Deactivate ${BO.name}` }).click();
      await row.getByRole('button', { name: 'Yes, deactivate' }).click();
      await saved(`${BO.name} deactivated.`).waitFor();
      await row.filter({ hasText: '(deactivated)' }).waitFor();
      expect(await row.getAttribute('class')).toContain('inactive');
      const all = (await server.api.request('GET', '/api/v1/agents?includeInactive=true&limit=100')).body.agents as { email: string; active: boolean }[];
      expect(all.find((a) => a.email === BO.email)).toMatchObject({ active: false });
      // Bo's open session is over: the next API call is refused and the page falls back to sign-in
      await bo.page.reload();
      await bo.page.getByLabel('Password').waitFor();
      await screenshot(s.page, 'admin-agent-deactivated');
      await row.getByRole('button', { name: `Reactivate ${BO.name}` }).click();
      await saved(`${BO.name} reactivated.`).waitFor();
      await signIn(bo.page, server.url, BO);
    } finally {
      await bo.context.close();
    }
  });
});
