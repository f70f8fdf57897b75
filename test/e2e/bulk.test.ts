/**
 * Bulk actions in a real Chromium against a real `triage start`: three of four tickets checked,
 * their priority set and a tag added through POST /tickets/bulk, and the list showing the change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN, createTicket, launchBrowser, newSession, screenshot, signIn, startE2eServer, type E2eServer } from './browser.ts';

describe('bulk actions (Chromium)', () => {
  let server: E2eServer;
  let browser: Browser;
  let s: Awaited<ReturnType<typeof newSession>>;
  const tickets: { id: string; number: number }[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchBrowser()]);
    for (let i = 0; i < 4; i++) tickets.push(await createTicket(server.api, { subject: `Bulk candidate ${i}`, priority: 'low' }));
    s = await newSession(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const row = (n: number) => s.page.locator(`tr[data-ticket="${n}"]`);
  const ticket = async (id: string) => (await server.api.request('GET', `/api/v1/tickets/${id}`)).body as { priority: string; tags: string[] };

  it('sets the priority of three checked tickets and adds a tag; the list shows it', async () => {
    await signIn(s.page, server.url, ADMIN);
    await row(tickets[3].number).waitFor();
    const chosen = tickets.slice(0, 3);
    for (const t of chosen) await s.page.getByRole('checkbox', { name: `Select ticket ${t.number}` }).check();
    const bar = s.page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('3 selected').waitFor();
    const answered = s.page.waitForResponse((r) => r.url().endsWith('/api/v1/tickets/bulk') && r.request().method() === 'POST');
    await bar.getByRole('combobox', { name: 'Set priority of selected' }).selectOption('high');
    expect((await answered).status()).toBe(200);
    await s.page.locator('.bulk-result').filter({ hasText: 'Priority high: 3 updated.' }).waitFor();
    for (const t of chosen) await row(t.number).locator('.priority-high').waitFor();
    expect(await row(tickets[3].number).locator('.priority').textContent()).toBe('low');
    // the selection was cleared with the action: check the same three again and tag them
    expect(await bar.count()).toBe(0);
    for (const t of chosen) await s.page.getByRole('checkbox', { name: `Select ticket ${t.number}` }).check();
    await bar.getByRole('textbox', { name: 'Tag for selected' }).fill('vip');
    await screenshot(s.page, 'bulk');
    await bar.getByRole('button', { name: 'Add tag' }).click();
    await s.page.locator('.bulk-result').filter({ hasText: 'Tag added “vip”: 3 updated.' }).waitFor();
    for (const t of chosen) expect(await ticket(t.id)).toMatchObject({ priority: 'high', tags: ['vip'] });
    expect(await ticket(tickets[3].id)).toMatchObject({ priority: 'low', tags: [] });
    // the list answers a search on the new tag with exactly those three
    await s.page.getByRole('searchbox', { name: 'Search tickets' }).fill('tag:vip');
    await s.page.getByRole('searchbox', { name: 'Search tickets' }).press('Enter');
    await s.page.locator('.list-meta').filter({ hasText: /^3 tickets/ }).waitFor();
    expect((await s.page.locator('tr[data-ticket]').evaluateAll((rows) => rows.map((r) => Number((r as any).dataset.ticket)))).sort())
      .toEqual(chosen.map((t) => t.number).sort());
    expect(s.errors).toEqual([]);
  });
});
