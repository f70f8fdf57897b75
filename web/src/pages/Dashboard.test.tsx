import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { api } from '../api/client';
import { Dashboard } from './Dashboard';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  history.replaceState(null, '', '/');
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

const BO = '4b2a7c1e-0d3f-4e5a-9b8c-7d6e5f4a3b2c';
const CY = '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const agents = [{ id: BO, name: 'Bo Agent' }, { id: CY, name: 'Cy Agent' }];

/** The API as the dashboard sees it: the report's total is 3, 2 for a group, 1 for an agent (to tell the answers apart). */
function mockApi() {
  const calls: Record<string, string>[] = [];
  vi.spyOn(api, 'GET').mockImplementation((async (path: string, init?: { params?: { query?: Record<string, string> } }) => {
    if (path === '/api/v1/groups') return { data: { groups } };
    if (path === '/api/v1/agents') return { data: { agents, total: 2, page: 1, totalPages: 1 } };
    const q = init?.params?.query ?? {};
    calls.push(q);
    return { data: report(q.agentId ? 1 : q.group ? 2 : 3) };
  }) as never);
  return calls;
}

const createdFigure = () => screen.getByText('Created', { selector: 'dt' }).nextElementSibling!.textContent;

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

  it('reads the period, group and agent from the URL: report, controls and CSV link follow them', async () => {
    history.replaceState(null, '', `/dashboard?from=2026-11-01&to=2026-11-28&group=billing&agent=${CY}`);
    const calls = mockApi();
    render(<Dashboard />);
    await waitFor(() => expect(createdFigure()).toBe('1'));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ startDate: '2026-11-01', endDate: '2026-11-28', group: 'billing', agentId: CY });
    expect((screen.getByLabelText('From') as HTMLInputElement).value).toBe('2026-11-01');
    expect((screen.getByLabelText('To') as HTMLInputElement).value).toBe('2026-11-28');
    expect((screen.getByRole('combobox', { name: 'Group' }) as HTMLSelectElement).value).toBe('billing');
    await waitFor(() => expect((screen.getByRole('combobox', { name: 'Agent' }) as HTMLSelectElement).selectedOptions[0]!.textContent).toBe('Cy Agent'));
    const csv = screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')!;
    expect(csv).toMatch(new RegExp(`^/api/v1/reports\\?startDate=2026-11-01&endDate=2026-11-28&timezone=[^&]+&group=billing&agentId=${CY}&format=csv$`));
  });

  it('a chosen agent goes into the URL and the report; Back and Forward step through the filters', async () => {
    history.replaceState(null, '', '/dashboard');
    const calls = mockApi();
    render(<Dashboard />);
    await waitFor(() => expect(createdFigure()).toBe('3'));
    fireEvent.change(await screen.findByRole('combobox', { name: 'Agent' }), { target: { value: BO } });
    await waitFor(() => expect(createdFigure()).toBe('1'));
    expect(location.pathname + location.search).toBe(`/dashboard?agent=${BO}`);
    expect(calls.at(-1)).toMatchObject({ agentId: BO });
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toContain(`&agentId=${BO}&format=csv`);
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-02' } });
    await waitFor(() => expect(location.search).toMatch(/^\?from=2026-11-02&to=\d{4}-\d\d-\d\d&agent=/));
    await waitFor(() => expect(calls.at(-1)).toMatchObject({ startDate: '2026-11-02', agentId: BO }));

    history.back();
    await waitFor(() => expect((screen.getByLabelText('From') as HTMLInputElement).value).not.toBe('2026-11-02'));
    expect(location.search).toBe(`?agent=${BO}`);
    history.back();
    await waitFor(() => expect(createdFigure()).toBe('3'));
    expect((screen.getByRole('combobox', { name: 'Agent' }) as HTMLSelectElement).value).toBe('');
    expect(calls.at(-1)!.agentId).toBeUndefined();
    history.forward();
    await waitFor(() => expect(createdFigure()).toBe('1'));
    expect((screen.getByRole('combobox', { name: 'Agent' }) as HTMLSelectElement).value).toBe(BO);
  });
});
