import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { api } from '../api/client';
import { Dashboard } from './Dashboard';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

beforeAll(() => {
  // jsdom has no ResizeObserver (the charts' containers watch their size)
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
});

const zero = { met: 0, breached: 0, rate: null };
const metrics = (total: number, resolved: number, rate: number | null) => ({
  total, resolved, averageResponseTime: null, averageBusinessResponseTime: null, medianFirstResponseMinutes: 30, p90FirstResponseMinutes: 60,
  medianBusinessFirstResponseMinutes: null, averageResolutionTime: null, medianResolutionMinutes: null, p90ResolutionMinutes: null,
  slaComplianceRate: rate, sla: { firstResponse: { met: 1, breached: 0, rate: 100 }, nextResponse: zero, resolution: zero }, reopenRate: null,
});
const report = (total: number) => ({
  period: { start: '', end: '', timezone: 'UTC' },
  metrics: {
    totalTickets: total, newTickets: 0, openTickets: 0, pendingTickets: 0, resolvedTickets: 1, closedTickets: 0, averageResolutionTime: null,
    averageResponseTime: null, averageBusinessResponseTime: null, slaComplianceRate: 100, sla: null, excludesPendingTime: true,
  },
  medianFirstResponseMinutes: 30, p90FirstResponseMinutes: 60, medianResolutionMinutes: null, p90ResolutionMinutes: null, reopenRate: 0,
  byPriority: { normal: metrics(total, 1, 100) }, byCategory: {}, byAgent: {}, byGroup: { billing: metrics(total, 1, 100) }, byChannel: {}, byTier: {},
  daily: [{ date: '2026-11-28', created: total, resolved: 1, backlog: total - 1 }],
});
const groups = [{
  id: 'g', slug: 'billing', name: 'Billing', description: null, memberCount: 1, createdAt: '', updatedAt: '',
  members: [{ id: 'a', name: 'Bo Agent', load: 2, capacity: 5, status: 'online' }],
}];

function mockApi() {
  const calls: unknown[] = [];
  vi.spyOn(api, 'GET').mockImplementation((async (path: string, init?: { params?: { query?: Record<string, string> } }) => {
    if (path === '/api/v1/groups') return { data: { groups } };
    calls.push(init?.params?.query);
    return { data: report(init?.params?.query?.group ? 2 : 3) };
  }) as never);
  return calls;
}

describe('Dashboard', () => {
  it('asks for the last 30 days in the browser zone and shows the figures, data tables and CSV link', async () => {
    const calls = mockApi();
    render(<Dashboard />);
    const created = await screen.findByText('Created', { selector: 'dt' });
    expect(created.nextElementSibling!.textContent).toBe('3');
    const q = calls[0] as Record<string, string>;
    expect(q.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect((Date.parse(q.endDate!) - Date.parse(q.startDate!)) / 86_400_000).toBe(29);
    expect(screen.getByText('First response (median)', { selector: 'dt' }).nextElementSibling!.textContent).toBe('30m');
    // each chart has a heading and its data as a table
    for (const name of ['Created and resolved per day', 'Response and resolution times by priority', 'SLA compliance by priority', 'SLA compliance by group', 'Load per agent']) {
      expect(screen.getByRole('heading', { name })).toBeTruthy();
      expect(screen.getByRole('table', { name })).toBeTruthy();
    }
    const load = screen.getByRole('table', { name: 'Load per agent' });
    expect(within(load).getByRole('rowheader', { name: 'Bo Agent' }).parentElement!.textContent).toBe('Bo Agent25');
    const csv = screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')!;
    expect(csv).toMatch(/^\/api\/v1\/reports\?startDate=\d{4}-\d\d-\d\d&endDate=\d{4}-\d\d-\d\d&timezone=.+&format=csv$/);
  });

  it('filters by group: a new report and a CSV link with the group', async () => {
    const calls = mockApi();
    render(<Dashboard />);
    await screen.findByText('Created', { selector: 'dt' });
    fireEvent.change(await screen.findByRole('combobox', { name: 'Group' }), { target: { value: 'billing' } });
    await waitFor(() => expect(screen.getByText('Created', { selector: 'dt' }).nextElementSibling!.textContent).toBe('2'));
    expect(calls.at(-1)).toMatchObject({ group: 'billing' });
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toContain('&group=billing&format=csv');
  });
});
