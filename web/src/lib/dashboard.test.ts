import { describe, expect, it } from 'vitest';
import {
  agentLoad, csvHref, dailySeries, dashboardUrl, defaultRange, filterFromSearch, formatMinutes, headline, localDate, reportAgents, reportQuery, slaByGroup, slaByPriority,
  timesByPriority, type Report,
} from './dashboard';

const sla = (fr: [number, number], nr: [number, number], res: [number, number]) => ({
  firstResponse: { met: fr[0], breached: fr[1], rate: null },
  nextResponse: { met: nr[0], breached: nr[1], rate: null },
  resolution: { met: res[0], breached: res[1], rate: null },
});

function metrics(over: Partial<Report['byPriority'][string]> = {}): Report['byPriority'][string] {
  return {
    total: 0, resolved: 0, averageResponseTime: null, averageBusinessResponseTime: null, medianFirstResponseMinutes: null,
    p90FirstResponseMinutes: null, medianBusinessFirstResponseMinutes: null, averageResolutionTime: null, medianResolutionMinutes: null,
    p90ResolutionMinutes: null, slaComplianceRate: null, sla: sla([0, 0], [0, 0], [0, 0]), reopenRate: null, ...over,
  };
}

const report = {
  period: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-04T00:00:00.000Z', timezone: 'UTC' },
  metrics: {
    totalTickets: 5, newTickets: 1, openTickets: 2, pendingTickets: 0, resolvedTickets: 2, closedTickets: 0,
    averageResolutionTime: 90, averageResponseTime: 20, averageBusinessResponseTime: 20, slaComplianceRate: 75, sla: null, excludesPendingTime: true,
  },
  medianFirstResponseMinutes: 12.5, p90FirstResponseMinutes: 185, medianResolutionMinutes: 3000, p90ResolutionMinutes: null, reopenRate: 50,
  byPriority: {
    low: metrics({ total: 1 }),
    critical: metrics({ total: 1, medianFirstResponseMinutes: 5, p90FirstResponseMinutes: 9, slaComplianceRate: 50, sla: sla([1, 1], [0, 0], [0, 0]) }),
    normal: metrics({ total: 3, resolved: 2, medianResolutionMinutes: 120, slaComplianceRate: 100, sla: sla([2, 0], [1, 0], [1, 0]) }),
  },
  byCategory: {},
  byAgent: { unassigned: metrics({ total: 2 }), a1: { ...metrics({ total: 2, resolved: 1 }), name: 'Bo' }, a2: { ...metrics({ total: 1 }), name: 'Ada' } },
  byGroup: { none: metrics({ total: 1, slaComplianceRate: null }), billing: metrics({ total: 4, slaComplianceRate: 80, sla: sla([4, 1], [0, 0], [0, 0]) }) },
  byChannel: {},
  byTier: {},
  daily: [
    { date: '2026-11-01', created: 2, resolved: 0, backlog: 2 },
    { date: '2026-11-02', created: 3, resolved: 1, backlog: 4 },
    { date: '2026-11-03', created: 0, resolved: 1, backlog: 3 },
  ],
} as Report;

describe('dashboard date range', () => {
  it('defaults to the last 30 local days, today included, across a month and a year', () => {
    expect(defaultRange(new Date(2026, 10, 29, 23, 50))).toEqual({ from: '2026-10-31', to: '2026-11-29' });
    expect(defaultRange(new Date(2026, 0, 10, 0, 5))).toEqual({ from: '2025-12-12', to: '2026-01-10' });
    expect(defaultRange(new Date(2026, 2, 1), 1)).toEqual({ from: '2026-03-01', to: '2026-03-01' });
    expect(localDate(new Date(2026, 1, 3))).toBe('2026-02-03');
  });

  it('passes the time zone and the group only when one is chosen, to the report and its CSV', () => {
    const f = { from: '2026-11-01', to: '2026-11-03', group: '', agent: '', timezone: 'Europe/Paris' };
    expect(reportQuery(f)).toEqual({ startDate: '2026-11-01', endDate: '2026-11-03', timezone: 'Europe/Paris' });
    expect(reportQuery({ ...f, group: 'billing' })).toEqual({ startDate: '2026-11-01', endDate: '2026-11-03', timezone: 'Europe/Paris', group: 'billing' });
    expect(csvHref(f)).toBe('/api/v1/reports?startDate=2026-11-01&endDate=2026-11-03&timezone=Europe%2FParis&format=csv');
    expect(csvHref({ ...f, group: 'first line' })).toContain('&group=first+line&format=csv');
  });

  it('passes the agent, when one is chosen, as agentId to the report and its CSV', () => {
    const f = { from: '2026-11-01', to: '2026-11-03', group: 'billing', agent: AGENT, timezone: 'UTC' };
    expect(reportQuery(f)).toEqual({ startDate: '2026-11-01', endDate: '2026-11-03', timezone: 'UTC', group: 'billing', agentId: AGENT });
    expect(csvHref(f)).toBe(`/api/v1/reports?startDate=2026-11-01&endDate=2026-11-03&timezone=UTC&group=billing&agentId=${AGENT}&format=csv`);
  });
});

const AGENT = '4b2a7c1e-0d3f-4e5a-9b8c-7d6e5f4a3b2c';

describe('dashboard URL', () => {
  const now = new Date(2026, 10, 29, 12);

  it('reads the period, group and agent from the query, the rest from the defaults', () => {
    const search = new URLSearchParams(`from=2026-11-01&to=2026-11-28&group=billing&agent=${AGENT}`);
    expect(filterFromSearch(search, now, 'Europe/Paris')).toEqual({ from: '2026-11-01', to: '2026-11-28', group: 'billing', agent: AGENT, timezone: 'Europe/Paris' });
    expect(filterFromSearch(new URLSearchParams(), now, 'UTC')).toEqual({ from: '2026-10-31', to: '2026-11-29', group: '', agent: '', timezone: 'UTC' });
  });

  it('ignores malformed dates and agent ids', () => {
    const f = filterFromSearch(new URLSearchParams('from=yesterday&to=2026-13-45&agent=bo'), now, 'UTC');
    expect(f).toEqual({ from: '2026-10-31', to: '2026-11-29', group: '', agent: '', timezone: 'UTC' });
  });

  it('writes only what differs from the defaults, and reads back what it wrote', () => {
    const base = { from: '2026-10-31', to: '2026-11-29', group: '', agent: '', timezone: 'UTC' };
    expect(dashboardUrl(base, now)).toBe('/dashboard');
    expect(dashboardUrl({ ...base, group: 'first line' }, now)).toBe('/dashboard?group=first+line');
    const f = { ...base, from: '2026-11-01', to: '2026-11-28', group: 'billing', agent: AGENT };
    const url = dashboardUrl(f, now);
    expect(url).toBe(`/dashboard?from=2026-11-01&to=2026-11-28&group=billing&agent=${AGENT}`);
    expect(filterFromSearch(new URL(url, 'http://x').searchParams, now, 'UTC')).toEqual(f);
  });
});

describe('dashboard series', () => {
  it('formats minutes and missing values', () => {
    expect(formatMinutes(null)).toBe('—');
    expect(formatMinutes(12.4)).toBe('12m');
    expect(formatMinutes(185)).toBe('3h 05m');
    expect(formatMinutes(3000)).toBe('2d 2h');
  });

  it('gives the headline figures', () => {
    expect(Object.fromEntries(headline(report).map((h) => [h.key, h.value]))).toEqual({
      created: '5', resolved: '2', 'frt-median': '13m', 'frt-p90': '3h 05m', 'res-median': '2d 2h', 'res-p90': '—', sla: '75%', reopen: '50%',
    });
  });

  it('turns the daily rows into the created / resolved / backlog series', () => {
    expect(dailySeries(report)).toEqual([
      { date: '2026-11-01', label: '11-01', created: 2, resolved: 0, backlog: 2 },
      { date: '2026-11-02', label: '11-02', created: 3, resolved: 1, backlog: 4 },
      { date: '2026-11-03', label: '11-03', created: 0, resolved: 1, backlog: 3 },
    ]);
  });

  it('orders priorities by severity, keeping missing times as gaps', () => {
    const t = timesByPriority(report);
    expect(t.map((r) => r.priority)).toEqual(['critical', 'normal', 'low']);
    expect(t[0]).toMatchObject({ firstResponseMedian: 5, firstResponseP90: 9, resolutionMedian: null });
    expect(t[1]).toMatchObject({ resolutionMedian: 120, total: 3 });
  });

  it('computes SLA compliance rows by priority and by group name', () => {
    expect(slaByPriority(report)).toEqual([
      { name: 'critical', rate: 50, met: 1, breached: 1 },
      { name: 'normal', rate: 100, met: 4, breached: 0 },
      { name: 'low', rate: null, met: 0, breached: 0 },
    ]);
    expect(slaByGroup(report, [{ slug: 'billing', name: 'Billing' }])).toEqual([
      { name: 'Billing', rate: 80, met: 4, breached: 1 },
      { name: 'No group', rate: null, met: 0, breached: 0 },
    ]);
  });

  it("counts each agent's live load once across groups, or only a chosen group's members", () => {
    const m = (id: string, name: string, load: number) => ({ id, name, load, capacity: 5, status: 'online' as const });
    const groups = [
      { slug: 'billing', members: [m('a1', 'Bo', 1), m('a2', 'Ada', 3)] },
      { slug: 'tech', members: [m('a1', 'Bo', 1), m('a3', 'Cy', 1)] },
      { slug: 'empty' },
    ];
    expect(agentLoad(groups).map((a) => [a.name, a.load])).toEqual([['Ada', 3], ['Bo', 1], ['Cy', 1]]);
    expect(agentLoad(groups, 'tech').map((a) => a.name)).toEqual(['Bo', 'Cy']);
    expect(agentLoad(groups, undefined, 'a1')).toEqual([{ id: 'a1', name: 'Bo', load: 1, capacity: 5 }]);
    expect(agentLoad(groups, 'billing', 'a3')).toEqual([]);
    expect(agentLoad([])).toEqual([]);
    // without members: the period's tickets per assignee, the unassigned left out
    expect(reportAgents(report)).toEqual([{ id: 'a1', name: 'Bo', load: 2, capacity: 0 }, { id: 'a2', name: 'Ada', load: 1, capacity: 0 }]);
  });
});
