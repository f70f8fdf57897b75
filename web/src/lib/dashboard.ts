import type { paths } from '../api/schema';

/** GET /api/v1/reports's answer and its query. */
export type Report = paths['/api/v1/reports']['get']['responses']['200']['content']['application/json'];
export type ReportQuery = paths['/api/v1/reports']['get']['parameters']['query'];
export type Group = paths['/api/v1/groups']['get']['responses']['200']['content']['application/json']['groups'][number];
type Metrics = Report['byPriority'][string];

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;

/** A local calendar date as YYYY-MM-DD (not UTC: the report's days are the browser's days). */
export function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The default period: the last `days` local days, today included. */
export function defaultRange(now: Date = new Date(), days = 30): { from: string; to: string } {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  return { from: localDate(start), to: localDate(now) };
}

/** The browser's IANA time zone (UTC when it cannot tell). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export interface DashboardFilter {
  from: string;
  to: string;
  /** a group's slug; '': all groups */
  group: string;
  /** an agent's id; '': all agents */
  agent: string;
  timezone: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The filter a dashboard URL names (?from=&to=&group=&agent=), so it can be bookmarked and
 * shared. What is missing or malformed is the default: the last 30 days, all groups, all agents.
 */
export function filterFromSearch(search: URLSearchParams, now: Date = new Date(), timezone = browserZone()): DashboardFilter {
  const range = defaultRange(now);
  const day = (key: string, fallback: string) => {
    const v = search.get(key) ?? '';
    return DAY.test(v) && !Number.isNaN(Date.parse(v)) ? v : fallback;
  };
  const agent = search.get('agent') ?? '';
  return { from: day('from', range.from), to: day('to', range.to), group: search.get('group') ?? '', agent: UUID.test(agent) ? agent : '', timezone };
}

/**
 * The dashboard's URL for a filter. Dates equal to the default range are left out, so that
 * /dashboard stays "the last 30 days" whenever it is opened; the time zone is the viewer's own.
 */
export function dashboardUrl(f: DashboardFilter, now: Date = new Date()): string {
  const range = defaultRange(now);
  const p = new URLSearchParams();
  if (f.from !== range.from || f.to !== range.to) {
    p.set('from', f.from);
    p.set('to', f.to);
  }
  if (f.group) p.set('group', f.group);
  if (f.agent) p.set('agent', f.agent);
  const q = p.toString();
  return q ? `/dashboard?${q}` : '/dashboard';
}

/** The report's query for a filter (no group: all groups; no agent: all agents). */
export function reportQuery(f: DashboardFilter): ReportQuery {
  return {
    startDate: f.from, endDate: f.to, timezone: f.timezone, ...(f.group ? { group: f.group } : {}), ...(f.agent ? { agentId: f.agent } : {}),
  };
}

/** The same report as CSV: a plain same-origin link (the session cookie goes with it). */
export function csvHref(f: DashboardFilter): string {
  const p = new URLSearchParams(reportQuery(f) as Record<string, string>);
  p.set('format', 'csv');
  return `/api/v1/reports?${p}`;
}

/** "—" for no value; minutes as "45m", "3h 05m", "2d 4h". */
export function formatMinutes(min: number | null | undefined): string {
  if (min === null || min === undefined) return '—';
  const m = Math.round(min);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const r = m % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(r).padStart(2, '0')}m`;
  return `${r}m`;
}

export const formatRate = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${r}%`);

export interface Headline {
  label: string;
  value: string;
  key: string;
}

/** The headline figures, in the order shown. */
export function headline(r: Report): Headline[] {
  return [
    { key: 'created', label: 'Created', value: String(r.metrics.totalTickets) },
    { key: 'resolved', label: 'Resolved', value: String(r.metrics.resolvedTickets) },
    { key: 'frt-median', label: 'First response (median)', value: formatMinutes(r.medianFirstResponseMinutes) },
    { key: 'frt-p90', label: 'First response (p90)', value: formatMinutes(r.p90FirstResponseMinutes) },
    { key: 'res-median', label: 'Resolution (median)', value: formatMinutes(r.medianResolutionMinutes) },
    { key: 'res-p90', label: 'Resolution (p90)', value: formatMinutes(r.p90ResolutionMinutes) },
    { key: 'sla', label: 'SLA compliance', value: formatRate(r.metrics.slaComplianceRate) },
    { key: 'reopen', label: 'Reopen rate', value: formatRate(r.reopenRate) },
  ];
}

/** Created vs resolved per day, with the backlog at the end of each day. */
export function dailySeries(r: Report) {
  return r.daily.map((d) => ({ date: d.date, label: d.date.slice(5), created: d.created, resolved: d.resolved, backlog: d.backlog }));
}

/** Priorities in severity order, then any other key the report has. */
function byPriorityRows(r: Report): [string, Metrics][] {
  const keys = Object.keys(r.byPriority);
  const ordered = [...PRIORITIES.filter((p) => keys.includes(p)), ...keys.filter((k) => !(PRIORITIES as readonly string[]).includes(k)).sort()];
  return ordered.map((k) => [k, r.byPriority[k]!]);
}

/** Median and p90 first-response and resolution minutes per priority (null: none yet). */
export function timesByPriority(r: Report) {
  return byPriorityRows(r).map(([priority, m]) => ({
    priority,
    total: m.total,
    firstResponseMedian: m.medianFirstResponseMinutes,
    firstResponseP90: m.p90FirstResponseMinutes,
    resolutionMedian: m.medianResolutionMinutes,
    resolutionP90: m.p90ResolutionMinutes,
  }));
}

function slaRow(name: string, m: Metrics) {
  const met = m.sla.firstResponse.met + m.sla.nextResponse.met + m.sla.resolution.met;
  const breached = m.sla.firstResponse.breached + m.sla.nextResponse.breached + m.sla.resolution.breached;
  return { name, rate: m.slaComplianceRate, met, breached };
}

/** SLA compliance (met ÷ decided targets) per priority. */
export function slaByPriority(r: Report) {
  return byPriorityRows(r).map(([k, m]) => slaRow(k, m));
}

/** SLA compliance per group, by the groups' names where known ("none": tickets in no group). */
export function slaByGroup(r: Report, groups: Pick<Group, 'slug' | 'name'>[] = []) {
  const names = new Map(groups.map((g) => [g.slug, g.name]));
  return Object.entries(r.byGroup)
    .map(([slug, m]) => slaRow(slug === 'none' ? 'No group' : names.get(slug) ?? slug, m))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface AgentLoad {
  id: string;
  name: string;
  load: number;
  capacity: number;
}

/**
 * Each agent's live load (open tickets now) and capacity, from the groups' members; an agent in
 * several groups is counted once. With `group`, only that group's members; with `agent`, only that agent.
 */
export function agentLoad(groups: Pick<Group, 'slug' | 'members'>[], group?: string, agent?: string): AgentLoad[] {
  const seen = new Map<string, AgentLoad>();
  for (const g of groups) {
    if (group && g.slug !== group) continue;
    for (const m of g.members ?? []) {
      if ((!agent || m.id === agent) && !seen.has(m.id)) seen.set(m.id, { id: m.id, name: m.name, load: m.load, capacity: m.capacity });
    }
  }
  return [...seen.values()].sort((a, b) => b.load - a.load || a.name.localeCompare(b.name));
}

/** The period's tickets per assigned agent, from the report (when no group has members to show). */
export function reportAgents(r: Report): AgentLoad[] {
  return Object.entries(r.byAgent)
    .filter(([id]) => id !== 'unassigned')
    .map(([id, m]) => ({ id, name: m.name ?? id, load: m.total, capacity: 0 }))
    .sort((a, b) => b.load - a.load || a.name.localeCompare(b.name));
}
