import { useCallback, useEffect, useRef, useState } from 'react';
import { api, problemMessage, type Agent, type HistoryEntry, type Ticket, type TicketRow } from '../api/client';
import { Conversation } from '../components/Conversation';
import { Composer, type ComposerHandle } from '../components/Composer';
import { Properties } from '../components/Properties';
import { History } from '../components/History';
import { SlaBadge } from '../components/SlaBadge';
import { useLiveEvents } from '../lib/live';
import { useShortcuts } from '../lib/keys';
import { lastListUrl, navigate } from '../lib/router';
import { formatTime, useNow } from '../lib/time';

const TARGETS: Record<string, string> = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };

/**
 * One ticket: conversation and composer, the requester, properties (If-Match), SLA targets and
 * history. It refreshes live when the ticket changes and shows who else has it open.
 */
export function TicketPage({ id, me }: { id: string; me: Agent }) {
  const [ticket, setTicket] = useState<Ticket | null>(null);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [others, setOthers] = useState<TicketRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [changedElsewhere, setChangedElsewhere] = useState(false);
  const composer = useRef<ComposerHandle>(null);
  // the newest version this tab wrote itself: a live event up to it is our own echo
  const ownVersion = useRef(0);
  const now = useNow();

  // the latest load wins: an older answer arriving late would show an older version
  const latest = useRef(0);
  const load = useCallback(async () => {
    const request = ++latest.current;
    const [detail, hist] = await Promise.all([
      api.GET('/api/v1/tickets/{id}', { params: { path: { id } } }),
      api.GET('/api/v1/tickets/{id}/history', { params: { path: { id } } }),
    ]);
    if (request !== latest.current) return detail.data;
    if (!detail.data) {
      setError(detail.response.status === 404 ? `Ticket ${id} was not found.` : problemMessage(detail.error));
      return undefined;
    }
    setTicket(detail.data);
    setHistory(hist.data?.history ?? []);
    document.title = `#${detail.data.number} ${detail.data.subject} · Triage`;
    return detail.data;
  }, [id]);
  useEffect(() => void load(), [load]);

  const requesterId = ticket?.requester.id;
  useEffect(() => {
    if (!requesterId) return;
    api.GET('/api/v1/tickets', { params: { query: { requesterId: [requesterId], limit: 6, sortBy: 'updatedAt' } } })
      .then(({ data }) => data && setOthers(data.tickets as TicketRow[]));
  }, [requesterId]);

  const viewers = useLiveEvents((e) => {
    if (!ticket || (e && e.ticketId !== ticket.id)) return;
    void load().then((t) => {
      if (e && t && t.version > ownVersion.current) setChangedElsewhere(true);
    });
  }, ticket?.id);
  const wrote = (version: number) => {
    ownVersion.current = Math.max(ownVersion.current, version);
    setChangedElsewhere(false);
  };
  const otherViewers = viewers.filter((v) => v.id !== me.id);

  useShortcuts({
    r: () => composer.current?.start('public'),
    n: () => composer.current?.start('internal'),
    a: () => document.querySelector<HTMLSelectElement>('select[aria-label="Assignee"]')?.focus(),
    u: () => navigate(lastListUrl()),
  });

  if (error) return <main className="ticket"><p className="error" role="alert">{error}</p></main>;
  if (!ticket) return <main className="ticket" aria-busy="true">Loading…</main>;
  const t = ticket;
  return (
    <main className="ticket" aria-label={`Ticket ${t.number}`}>
      <div className="ticket-main">
        <p><a href={lastListUrl()} onClick={(e) => { e.preventDefault(); navigate(lastListUrl()); }}>← Tickets</a></p>
        <h1><span className="num">#{t.number}</span> {t.subject}</h1>
        <p className="summary">
          <span className={`status status-${t.status}`} data-testid="ticket-status">{t.status.replace('_', ' ')}</span>
          <span className={`priority priority-${t.priority}`}>{t.priority}</span>
          <SlaBadge sla={t.sla} now={now} />
          <span>Assignee: <strong data-testid="ticket-assignee">{t.assignee?.name ?? 'unassigned'}</strong></span>
        </p>
        {otherViewers.length > 0 && (
          <p className="collision" role="status" data-testid="collision">
            Also viewing: {otherViewers.map((v) => v.name).join(', ')} — coordinate before you reply.
          </p>
        )}
        {changedElsewhere && (
          <p className="notice" role="status">
            Someone else just updated this ticket; what you see is current.{' '}
            <button type="button" onClick={() => setChangedElsewhere(false)} aria-label="Dismiss">×</button>
          </p>
        )}
        <div className="description">
          <div className="content">{t.description}</div>
        </div>
        <Conversation comments={t.comments} />
        <Composer ref={composer} ticketId={t.id} onSent={(version) => { wrote(version); void load(); }} />
      </div>
      <aside className="ticket-side" aria-label="Ticket details">
        <section className="requester" aria-label="Requester">
          <h2>Requester</h2>
          <p><strong>{t.requester.name}</strong><br /><a href={`mailto:${t.requester.email}`}>{t.requester.email}</a></p>
          <p>Tier: <span className={`tier tier-${t.requester.tier}`}>{t.requester.tier}</span>{t.requester.organization && <> · {t.requester.organization}</>}</p>
          {others.filter((o) => o.id !== t.id).length > 0 && (
            <>
              <h3>Other tickets</h3>
              <ul>
                {others.filter((o) => o.id !== t.id).map((o) => (
                  <li key={o.id}><a href={`/tickets/${o.number}`} onClick={(e) => { e.preventDefault(); navigate(`/tickets/${o.number}`); }}>#{o.number} {o.subject}</a> <span className={`status status-${o.status}`}>{o.status}</span></li>
                ))}
              </ul>
            </>
          )}
        </section>
        <Properties ticket={t} onSaved={(next) => { wrote(next.version); setTicket(next); void load(); }} onReload={() => { setChangedElsewhere(false); void load(); }} />
        {t.sla && (
          <section className="sla-targets" aria-label="SLA">
            <h2>SLA{t.sla.policyName ? `: ${t.sla.policyName}` : ''}</h2>
            <ul>
              {t.sla.targets.map((s) => (
                <li key={s.target} data-sla-target={s.target}>
                  {TARGETS[s.target] ?? s.target}: <span className={`sla sla-${s.status}`}>{s.status.replace('_', ' ')}</span>
                  {s.dueAt && <> · due {formatTime(s.dueAt)}</>}
                  {s.metAt && <> · met {formatTime(s.metAt)}</>}
                </li>
              ))}
            </ul>
          </section>
        )}
        <History entries={history} />
      </aside>
    </main>
  );
}
