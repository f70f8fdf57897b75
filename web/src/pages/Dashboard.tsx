import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, problemMessage } from '../api/client';
import {
  agentLoad, csvHref, dailySeries, dashboardUrl, filterFromSearch, formatMinutes, formatRate, headline, reportAgents, reportQuery,
  slaByGroup, slaByPriority, timesByPriority, type DashboardFilter, type Group, type Report,
} from '../lib/dashboard';
import { navigate, useLocation } from '../lib/router';

const COLORS = { created: '#2855c8', resolved: '#1f7a3f', backlog: '#a4161a', p90: '#8fa6e3', resP90: '#93c9a5', load: '#2855c8', capacity: '#c5cbd6' };
const HEIGHT = 230;
const hours = (min: number | null) => (min === null ? null : Math.round((min / 60) * 10) / 10);

/** One chart: a heading, the drawing (hidden from assistive technology) and the same data as a visually hidden table. */
function ChartCard({ id, title, note, empty, table, children }: {
  id: string; title: string; note?: string; empty: boolean; table: { head: string[]; rows: (string | number)[][] }; children: ReactNode;
}) {
  return (
    <section className="chart-card" data-chart={id} aria-labelledby={`chart-${id}`}>
      <h2 id={`chart-${id}`}>{title}</h2>
      {note && <p className="chart-note">{note}</p>}
      {empty ? <p className="empty">No data for this period.</p> : <div className="chart" aria-hidden="true">{children}</div>}
      {/* a table has its own width: the wrapper, not the table, is the 1-pixel clipped box */}
      <div className="visually-hidden">
        <table data-chart-table={id}>
          <caption>{title}</caption>
          <thead><tr>{table.head.map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>{table.rows.map((r, i) => <tr key={i}>{r.map((c, j) => (j === 0 ? <th key={j} scope="row">{c}</th> : <td key={j}>{c}</td>))}</tr>)}</tbody>
        </table>
      </div>
    </section>
  );
}

type SlaRow = { name: string; rate: number | null; met: number; breached: number };

/** SLA compliance of some breakdown (by priority, by group) as a bar chart with its table. */
function SlaCard({ id, title, rows }: { id: string; title: string; rows: SlaRow[] }) {
  return (
    <ChartCard
      id={id} title={title} note="Targets met ÷ targets met or breached, %." empty={rows.length === 0}
      table={{ head: ['', 'Compliance', 'Met', 'Breached'], rows: rows.map((r) => [r.name, formatRate(r.rate), r.met, r.breached]) }}
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <BarChart data={rows} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="name" />
          <YAxis domain={[0, 100]} width={36} />
          <Tooltip formatter={(v) => `${v}%`} />
          <Bar dataKey="rate" name="Compliance" fill={COLORS.resolved} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

type Option = { id: string; name: string };

/** A filter's select: '' is "all", then one option per id. */
function Choice({ label, all, value, options, onChange }: {
  label: string; all: string; value: string; options: Option[]; onChange: (id: string) => void;
}) {
  return (
    <label>{label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        {options.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
      </select>
    </label>
  );
}

/**
 * The dashboard (/dashboard): the report of a period as headline figures and charts, with its CSV.
 * The period, group and agent live in the URL (?from=&to=&group=&agent=): a view can be bookmarked
 * and shared, and Back/Forward step through the filters.
 */
export function Dashboard() {
  const key = useLocation().search.toString();
  // the URL's text is the filter's identity: a new URLSearchParams on each render is no new filter
  const filter = useMemo(() => filterFromSearch(new URLSearchParams(key)), [key]);
  const [report, setReport] = useState<Report | null>(null);
  const [groups, setGroups] = useState<Group[]>([]);
  const [agents, setAgents] = useState<Option[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    api.GET('/api/v1/groups').then(({ data }) => setGroups(data?.groups ?? []), () => setGroups([]));
    api.GET('/api/v1/agents', { params: { query: { limit: 200 } } }).then(({ data }) => setAgents(data?.agents ?? []), () => setAgents([]));
  }, []);

  useEffect(() => {
    if (!filter.from || !filter.to) return;
    let live = true;
    setLoading(true);
    api.GET('/api/v1/reports', { params: { query: reportQuery(filter) } }).then(({ data, error: problem }) => {
      if (!live) return;
      setLoading(false);
      if (data) {
        setReport(data);
        setError(null);
      } else setError(problemMessage(problem));
    }, () => live && (setLoading(false), setError('The report could not be loaded.')));
    return () => void (live = false);
  }, [filter]);

  const series = useMemo(() => {
    if (!report) return null;
    const live = agentLoad(groups, filter.group || undefined, filter.agent || undefined);
    return {
      daily: dailySeries(report),
      times: timesByPriority(report).map((t) => ({
        ...t, frMedianH: hours(t.firstResponseMedian), frP90H: hours(t.firstResponseP90), resMedianH: hours(t.resolutionMedian), resP90H: hours(t.resolutionP90),
      })),
      slaPriority: slaByPriority(report),
      slaGroup: slaByGroup(report, groups),
      agents: live.length > 0 ? { live: true, rows: live } : { live: false, rows: reportAgents(report) },
    };
  }, [report, groups, filter.group, filter.agent]);

  const set = (patch: Partial<DashboardFilter>) => navigate(dashboardUrl({ ...filter, ...patch }));
  // an agent named by the URL but not listed (deactivated, or beyond the list) stays selectable
  const agentOptions = filter.agent && !agents.some((a) => a.id === filter.agent) ? [...agents, { id: filter.agent, name: 'Other agent' }] : agents;

  return (
    <main className="dashboard" aria-busy={loading}>
      <div className="dashboard-head">
        <h1>Dashboard</h1>
        <form className="dashboard-filter" onSubmit={(e) => e.preventDefault()}>
          <label>From <input type="date" value={filter.from} max={filter.to || undefined} onChange={(e) => set({ from: e.target.value })} /></label>
          <label>To <input type="date" value={filter.to} min={filter.from || undefined} onChange={(e) => set({ to: e.target.value })} /></label>
          <Choice label="Group" all="All groups" value={filter.group} options={groups.map((g) => ({ id: g.slug, name: g.name }))} onChange={(group) => set({ group })} />
          <Choice label="Agent" all="All agents" value={filter.agent} options={agentOptions} onChange={(agent) => set({ agent })} />
          <span className="zone" title="Days are counted in this time zone">{filter.timezone}</span>
          <a className="export" href={csvHref(filter)} download="report.csv">Export CSV</a>
        </form>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {report && series && (
        <>
          <dl className="headline" aria-label="Headline figures">
            {headline(report).map((h) => (
              <div key={h.key} data-figure={h.key}>
                <dt>{h.label}</dt>
                <dd>{h.value}</dd>
              </div>
            ))}
          </dl>
          <div className="charts">
            <ChartCard
              id="daily" title="Created and resolved per day" note="Bars: tickets created and resolved each day; line: backlog at the end of the day."
              empty={series.daily.length === 0}
              table={{ head: ['Date', 'Created', 'Resolved', 'Backlog'], rows: series.daily.map((d) => [d.date, d.created, d.resolved, d.backlog]) }}
            >
              <ResponsiveContainer width="100%" height={HEIGHT}>
                <ComposedChart data={series.daily} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="label" minTickGap={12} />
                  <YAxis allowDecimals={false} width={36} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="created" name="Created" fill={COLORS.created} isAnimationActive={false} />
                  <Bar dataKey="resolved" name="Resolved" fill={COLORS.resolved} isAnimationActive={false} />
                  <Line dataKey="backlog" name="Backlog" stroke={COLORS.backlog} dot={false} type="monotone" isAnimationActive={false} />
                </ComposedChart>
              </ResponsiveContainer>
            </ChartCard>
            <ChartCard
              id="times" title="Response and resolution times by priority" note="Hours; median and 90th percentile."
              empty={series.times.length === 0}
              table={{
                head: ['Priority', 'First response median', 'First response p90', 'Resolution median', 'Resolution p90'],
                rows: series.times.map((t) => [t.priority, formatMinutes(t.firstResponseMedian), formatMinutes(t.firstResponseP90), formatMinutes(t.resolutionMedian), formatMinutes(t.resolutionP90)]),
              }}
            >
              <ResponsiveContainer width="100%" height={HEIGHT}>
                <BarChart data={series.times} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="priority" />
                  <YAxis width={36} />
                  <Tooltip formatter={(v) => `${v} h`} />
                  <Legend />
                  <Bar dataKey="frMedianH" name="First response (median)" fill={COLORS.created} isAnimationActive={false} />
                  <Bar dataKey="frP90H" name="First response (p90)" fill={COLORS.p90} isAnimationActive={false} />
                  <Bar dataKey="resMedianH" name="Resolution (median)" fill={COLORS.resolved} isAnimationActive={false} />
                  <Bar dataKey="resP90H" name="Resolution (p90)" fill={COLORS.resP90} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </ChartCard>
            <SlaCard id="sla-priority" title="SLA compliance by priority" rows={series.slaPriority} />
            <SlaCard id="sla-group" title="SLA compliance by group" rows={series.slaGroup} />
            <ChartCard
              id="agents" title="Load per agent"
              note={series.agents.live ? 'Open tickets assigned now, against capacity (group members).' : "Tickets of the period per assignee (no group has members)."}
              empty={series.agents.rows.length === 0}
              table={{
                head: series.agents.live ? ['Agent', 'Open tickets', 'Capacity'] : ['Agent', 'Tickets'],
                rows: series.agents.rows.map((a) => (series.agents.live ? [a.name, a.load, a.capacity] : [a.name, a.load])),
              }}
            >
              <ResponsiveContainer width="100%" height={HEIGHT}>
                <BarChart data={series.agents.rows} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="name" />
                  <YAxis allowDecimals={false} width={36} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="load" name={series.agents.live ? 'Open tickets' : 'Tickets'} fill={COLORS.load} isAnimationActive={false} />
                  {series.agents.live && <Bar dataKey="capacity" name="Capacity" fill={COLORS.capacity} isAnimationActive={false} />}
                </BarChart>
              </ResponsiveContainer>
            </ChartCard>
          </div>
        </>
      )}
    </main>
  );
}
