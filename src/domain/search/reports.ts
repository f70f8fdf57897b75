/**
 * Support reports with honest definitions (the seed's were wrong):
 * - first-response time = first public agent reply − creation (notes, system
 *   messages and requester messages do not count), in calendar minutes and in
 *   the SLA calendar's business minutes;
 * - resolution time = final resolution − creation, minus the time spent
 *   pending when the install says so (setting `reports.excludePendingTime`,
 *   default true), over every ticket resolved, whatever its SLA;
 * - SLA compliance = met ÷ (met + breached), per target and overall; a target
 *   met late is breached; targets still running count in neither;
 * - reopen rate = tickets reopened at least once ÷ tickets resolved at least once;
 * - medians and 90th percentiles beside the means.
 * Tickets are those created in the period (local days in the caller's zone);
 * `daily` counts per local day what was created, finally resolved, and the
 * backlog (not yet resolved or cancelled) at the end of the day.
 */
import { DateTime } from 'luxon';
import type { Ctx } from '../context.ts';
import { Errors } from '../errors.ts';
import { can, require } from '../auth/policies.ts';
import { reportDaily, reportGroups, type ReportDimension, type ReportGroupRow } from '../../db/repositories/reports.ts';
import { getSetting } from '../../db/repositories/routing.ts';
import { toCsv } from './csv.ts';

export interface ReportInput {
  startDate: string;
  endDate: string;
  agentId?: string;
  group?: string;
  timezone?: string;
}

const round = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 100) / 100);
const rate = (num: number, den: number) => (den === 0 ? null : Math.round((num / den) * 10_000) / 100);

function metricsOf(g: ReportGroupRow) {
  const met = g.fr_met + g.nr_met + g.res_met;
  const breached = g.fr_breached + g.nr_breached + g.res_breached;
  return {
    total: g.total,
    resolved: g.resolved,
    averageResponseTime: round(g.frt_avg),
    averageBusinessResponseTime: round(g.frt_business_avg),
    medianFirstResponseMinutes: round(g.frt_median),
    p90FirstResponseMinutes: round(g.frt_p90),
    medianBusinessFirstResponseMinutes: round(g.frt_business_median),
    averageResolutionTime: round(g.rt_avg),
    medianResolutionMinutes: round(g.rt_median),
    p90ResolutionMinutes: round(g.rt_p90),
    slaComplianceRate: rate(met, met + breached),
    sla: {
      firstResponse: { met: g.fr_met, breached: g.fr_breached, rate: rate(g.fr_met, g.fr_met + g.fr_breached) },
      nextResponse: { met: g.nr_met, breached: g.nr_breached, rate: rate(g.nr_met, g.nr_met + g.nr_breached) },
      resolution: { met: g.res_met, breached: g.res_breached, rate: rate(g.res_met, g.res_met + g.res_breached) },
    },
    reopenRate: rate(g.reopened, g.ever_resolved),
  };
}
export type TicketMetrics = ReturnType<typeof metricsOf>;

/** The period's instants and its local days, from dates (or date-times) in the zone. */
function periodOf(input: ReportInput, zone: string) {
  const parse = (s: string, field: string) => {
    const d = DateTime.fromISO(s, { zone });
    if (!d.isValid) throw Errors.validation([{ path: `query.${field}`, message: 'Expected an ISO 8601 date' }]);
    return d;
  };
  const start = parse(input.startDate, 'startDate').startOf('day');
  // an end date is inclusive: the whole of that day
  const endDay = parse(input.endDate, 'endDate').startOf('day');
  const end = endDay.plus({ days: 1 });
  if (end <= start) throw Errors.validation([{ path: 'query.endDate', message: 'Must not be before startDate' }]);
  if (end.diff(start, 'days').days > 731) throw Errors.validation([{ path: 'query.endDate', message: 'A report covers at most two years' }]);
  const days: { date: string; start: Date; end: Date }[] = [];
  for (let d = start; d < end; d = d.plus({ days: 1 })) days.push({ date: d.toISODate()!, start: d.toJSDate(), end: d.plus({ days: 1 }).toJSDate() });
  return { start: start.toJSDate(), end: end.toJSDate(), days };
}

/** The report: the seed's TicketReport plus medians, p90s, reopen rate, more dimensions and the daily series. */
export async function buildReport(ctx: Ctx, input: ReportInput) {
  require(can.workTickets(ctx.actor));
  const zone = input.timezone ?? 'UTC';
  const period = periodOf(input, zone);
  const settings = ((await getSetting(ctx.db, 'reports')) ?? {}) as { excludePendingTime?: boolean };
  const filter = { start: period.start, end: period.end, agentId: input.agentId, groupSlug: input.group, excludePending: settings.excludePendingTime ?? true };
  const [groups, daily] = await Promise.all([reportGroups(ctx.db, filter), reportDaily(ctx.db, filter, period.days)]);
  const all = groups.find((g) => g.dim === 'all');
  const by = (dim: ReportDimension, key: (g: ReportGroupRow) => string) =>
    Object.fromEntries(groups.filter((g) => g.dim === dim).map((g) => [key(g), { ...metricsOf(g), ...(dim === 'agent' ? { name: g.label } : {}) }]));
  const overall = all ? metricsOf(all) : null;
  let backlog = daily.backlogAtStart;
  return {
    period: { start: period.start.toISOString(), end: period.end.toISOString(), timezone: zone },
    metrics: {
      totalTickets: all?.total ?? 0,
      newTickets: all?.new ?? 0,
      openTickets: all?.open ?? 0,
      pendingTickets: all?.pending ?? 0,
      resolvedTickets: all?.resolved ?? 0,
      closedTickets: all?.closed ?? 0,
      averageResolutionTime: overall?.averageResolutionTime ?? null,
      averageResponseTime: overall?.averageResponseTime ?? null,
      averageBusinessResponseTime: overall?.averageBusinessResponseTime ?? null,
      slaComplianceRate: overall?.slaComplianceRate ?? null,
      sla: overall?.sla ?? null,
      excludesPendingTime: filter.excludePending,
    },
    medianFirstResponseMinutes: overall?.medianFirstResponseMinutes ?? null,
    p90FirstResponseMinutes: overall?.p90FirstResponseMinutes ?? null,
    medianResolutionMinutes: overall?.medianResolutionMinutes ?? null,
    p90ResolutionMinutes: overall?.p90ResolutionMinutes ?? null,
    reopenRate: overall?.reopenRate ?? null,
    byPriority: by('priority', (g) => g.key!),
    byCategory: by('category', (g) => g.key!),
    byAgent: by('agent', (g) => g.key ?? 'unassigned'),
    byGroup: by('group', (g) => g.key ?? 'none'),
    byChannel: by('channel', (g) => g.key!),
    byTier: by('tier', (g) => g.key!),
    daily: daily.rows.map((d) => {
      backlog += d.created - d.done;
      return { date: d.date, created: d.created, resolved: d.resolved, backlog };
    }),
  };
}
export type TicketReport = Awaited<ReturnType<typeof buildReport>>;

const CSV_METRICS = [
  'total', 'resolved', 'averageResponseTime', 'medianFirstResponseMinutes', 'p90FirstResponseMinutes', 'averageBusinessResponseTime',
  'averageResolutionTime', 'medianResolutionMinutes', 'p90ResolutionMinutes', 'slaComplianceRate', 'reopenRate',
] as const;

/** A report as one CSV table: a row per dimension value (section, key, metrics), then a row per day. */
export function reportCsv(report: TicketReport): string {
  const rows: unknown[][] = [];
  const sections: [string, Record<string, TicketMetrics>][] = [
    ['priority', report.byPriority], ['category', report.byCategory], ['agent', report.byAgent], ['group', report.byGroup],
    ['channel', report.byChannel], ['tier', report.byTier],
  ];
  const overall = {
    total: report.metrics.totalTickets, resolved: report.metrics.resolvedTickets, averageResponseTime: report.metrics.averageResponseTime,
    medianFirstResponseMinutes: report.medianFirstResponseMinutes, p90FirstResponseMinutes: report.p90FirstResponseMinutes,
    averageBusinessResponseTime: report.metrics.averageBusinessResponseTime, averageResolutionTime: report.metrics.averageResolutionTime,
    medianResolutionMinutes: report.medianResolutionMinutes, p90ResolutionMinutes: report.p90ResolutionMinutes,
    slaComplianceRate: report.metrics.slaComplianceRate, reopenRate: report.reopenRate,
  };
  rows.push(['all', '', ...CSV_METRICS.map((m) => overall[m]), '', '', '']);
  for (const [section, values] of sections) {
    for (const [key, m] of Object.entries(values)) rows.push([section, key, ...CSV_METRICS.map((c) => m[c]), '', '', '']);
  }
  for (const d of report.daily) rows.push(['daily', d.date, ...CSV_METRICS.map(() => ''), d.created, d.resolved, d.backlog]);
  return toCsv(['section', 'key', ...CSV_METRICS, 'created', 'resolvedOnDay', 'backlog'], rows);
}
