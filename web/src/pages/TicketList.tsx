import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Agent, type SortBy, type TicketRow, type View } from '../api/client';
import { SearchBox, type QueryError } from '../components/SearchBox';
import { SlaBadge } from '../components/SlaBadge';
import { BulkBar } from '../components/BulkBar';
import { navigate, rememberListUrl } from '../lib/router';
import { formatTime, useNow } from '../lib/time';
import { useShortcuts } from '../lib/keys';
import { useLiveEvents } from '../lib/live';

const PAGE = 50;

interface ListState {
  query: string;
  sortBy: SortBy;
  sortOrder: 'asc' | 'desc';
  view: string | null;
}

/** The list's state lives in the URL (?q=&sort=&order=&view=), so Back from a ticket restores it. */
function stateFrom(search: URLSearchParams): ListState {
  return {
    query: search.get('q') ?? '',
    sortBy: (search.get('sort') as SortBy | null) ?? 'updatedAt',
    sortOrder: search.get('order') === 'asc' ? 'asc' : 'desc',
    view: search.get('view'),
  };
}

function urlOf(s: ListState): string {
  const p = new URLSearchParams();
  if (s.query) p.set('q', s.query);
  if (s.sortBy !== 'updatedAt') p.set('sort', s.sortBy);
  if (s.sortOrder !== 'desc') p.set('order', s.sortOrder);
  if (s.view) p.set('view', s.view);
  const q = p.toString();
  return q ? `/?${q}` : '/';
}

const COLUMNS: { key: string; label: string; sort?: SortBy }[] = [
  { key: 'number', label: '#', sort: 'createdAt' },
  { key: 'subject', label: 'Subject' },
  { key: 'requester', label: 'Requester' },
  { key: 'status', label: 'Status' },
  { key: 'priority', label: 'Priority', sort: 'priority' },
  { key: 'assignee', label: 'Assignee' },
  { key: 'group', label: 'Group' },
  { key: 'sla', label: 'SLA', sort: 'slaDue' },
  { key: 'updated', label: 'Updated', sort: 'updatedAt' },
];

/**
 * Saved views with live counts, the query-language search, the ticket table (keyset pages),
 * j/k to move, Enter to open. Live ticket events refresh the rows and the counts.
 */
export function TicketList({ me, search }: { me: Agent; search: URLSearchParams }) {
  const state = stateFrom(search);
  rememberListUrl(urlOf(state));
  const [views, setViews] = useState<View[]>([]);
  const [rows, setRows] = useState<TicketRow[]>([]);
  const [total, setTotal] = useState<{ n: number; estimate: boolean } | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<QueryError | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState(0);
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [bulkResult, setBulkResult] = useState<string | null>(null);
  const toggle = (id: string) => setChecked((old) => {
    const next = new Set(old);
    if (!next.delete(id)) next.add(id);
    return next;
  });
  const now = useNow();
  const loaded = useRef(0);
  loaded.current = rows.length;

  const loadViews = useCallback(async () => {
    const { data } = await api.GET('/api/v1/views');
    if (data) setViews(data.views);
  }, []);

  // the latest request wins: an answer that arrives after a newer request was sent (a live
  // refresh of the old query landing after the new search's) is dropped
  const latest = useRef(0);
  const load = useCallback(async (after?: string, limit = PAGE) => {
    const request = ++latest.current;
    setLoading(true);
    const { data, error: problem } = await api.GET('/api/v1/search', {
      params: { query: { query: state.query, sortBy: state.sortBy, sortOrder: state.sortOrder, limit, cursor: after } },
    });
    if (request !== latest.current) return;
    setLoading(false);
    if (!data) {
      const p = problem as { errors?: { message: string; position?: number }[]; detail?: string } | undefined;
      setError({ message: p?.errors?.[0]?.message ?? p?.detail ?? 'The search failed.', position: p?.errors?.[0]?.position });
      setRows([]);
      setTotal(null);
      return;
    }
    setError(null);
    setRows((old) => (after ? [...old, ...data.tickets] : data.tickets));
    setTotal({ n: data.total, estimate: data.totalIsEstimate });
    setCursor(data.nextCursor);
  }, [state.query, state.sortBy, state.sortOrder]);

  useEffect(() => {
    setSelected(0);
    setChecked(new Set());
    void load();
  }, [load]);
  useEffect(() => void loadViews(), [loadViews]);

  // live: refetch what is on screen (up to 200 rows) and the counts, at most every 500 ms —
  // with the query on screen when the timer fires, not the one when the event came
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const current = useRef(load);
  current.current = load;
  useLiveEvents(() => {
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      void current.current(undefined, Math.min(200, Math.max(PAGE, loaded.current)));
      void loadViews();
    }, 500);
  });
  useEffect(() => () => clearTimeout(pending.current ?? undefined), []);

  const go = (s: Partial<ListState>) => navigate(urlOf({ ...state, ...s }));
  const open = (t: TicketRow | undefined) => t && navigate(`/tickets/${t.number}`);
  useShortcuts({
    j: () => setSelected((i) => Math.min(rows.length - 1, i + 1)),
    k: () => setSelected((i) => Math.max(0, i - 1)),
    Enter: () => open(rows[selected]),
    x: () => rows[selected] && toggle(rows[selected].id),
    o: () => open(rows[selected]),
    '/': () => document.querySelector<HTMLInputElement>('[data-search-input]')?.focus(),
  });
  useEffect(() => {
    document.querySelector(`[data-row="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  return (
    <div className="workspace">
      <nav className="sidebar" aria-label="Views">
        <h2>Views</h2>
        <ul>
          <li>
            <a href="/" aria-current={!state.view && !state.query ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate('/'); }}>
              All tickets
            </a>
          </li>
          {views.map((v) => (
            <li key={v.id}>
              <a
                href={urlOf({ query: v.query, sortBy: v.sortBy, sortOrder: v.sortOrder, view: v.id })}
                aria-current={state.view === v.id ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  go({ query: v.query, sortBy: v.sortBy, sortOrder: v.sortOrder, view: v.id });
                }}
              >
                <span>{v.name}</span>
                <span className="count" data-view-count={v.id} title={v.countIsEstimate ? 'estimate' : undefined}>
                  {v.count}{v.countIsEstimate ? '+' : ''}
                </span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="list" aria-label="Tickets">
        <SearchBox value={state.query} error={error} onSearch={(q) => go({ query: q, view: null })} />
        <div className="list-meta" aria-live="polite">
          {total && `${total.estimate ? '≈ ' : ''}${total.n.toLocaleString()} ticket${total.n === 1 ? '' : 's'}`}
          {loading && ' · loading…'}
          <span className="hint">j / k to move · x to select · Enter to open</span>
        </div>
        {checked.size > 0 && (
          <BulkBar
            me={me}
            tickets={rows.filter((r) => checked.has(r.id))}
            onDone={(summary) => { setBulkResult(summary); setChecked(new Set()); void load(undefined, Math.min(200, Math.max(PAGE, loaded.current))); void loadViews(); }}
            onClear={() => setChecked(new Set())}
          />
        )}
        {bulkResult && (
          <p className="bulk-result" role="status">
            {bulkResult} <button type="button" onClick={() => setBulkResult(null)} aria-label="Dismiss">×</button>
          </p>
        )}
        <table className="tickets">
          <thead>
            <tr>
              <th scope="col" className="check">
                <input
                  type="checkbox"
                  aria-label="Select all tickets on the page"
                  checked={rows.length > 0 && rows.every((r) => checked.has(r.id))}
                  onChange={(e) => setChecked(e.target.checked ? new Set(rows.map((r) => r.id)) : new Set())}
                />
              </th>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" aria-sort={c.sort && c.sort === state.sortBy ? (state.sortOrder === 'asc' ? 'ascending' : 'descending') : undefined}>
                  {c.sort ? (
                    <button
                      type="button"
                      className="sort"
                      onClick={() => go({ sortBy: c.sort, sortOrder: c.sort === state.sortBy && state.sortOrder === 'desc' ? 'asc' : 'desc' })}
                    >
                      {c.label}
                      {c.sort === state.sortBy ? (state.sortOrder === 'asc' ? ' ▲' : ' ▼') : ''}
                    </button>
                  ) : c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((t, i) => (
              <tr
                key={t.id}
                data-row={i}
                data-ticket={t.number}
                className={i === selected ? 'selected' : undefined}
                aria-current={i === selected ? 'true' : undefined}
                onClick={() => setSelected(i)}
                onDoubleClick={() => open(t)}
              >
                <td className="check" onClick={(e) => e.stopPropagation()}>
                  <input type="checkbox" aria-label={`Select ticket ${t.number}`} checked={checked.has(t.id)} onChange={() => toggle(t.id)} />
                </td>
                <td className="num">{t.number}</td>
                <td className="subject">
                  <a href={`/tickets/${t.number}`} onClick={(e) => { e.preventDefault(); open(t); }}>{t.subject}</a>
                </td>
                <td>{t.requester.name}</td>
                <td><span className={`status status-${t.status}`}>{t.status.replace('_', ' ')}</span></td>
                <td><span className={`priority priority-${t.priority}`}>{t.priority}</span></td>
                <td>{t.assignee?.name ?? '—'}</td>
                <td>{t.assigneeGroup ?? '—'}</td>
                <td><SlaBadge sla={t.sla} now={now} /></td>
                <td title={t.updatedAt}>{formatTime(t.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!loading && rows.length === 0 && !error && <p className="empty">No tickets match.</p>}
        {cursor && (
          <button type="button" className="more" disabled={loading} onClick={() => void load(cursor)}>
            Load more
          </button>
        )}
      </main>
    </div>
  );
}
