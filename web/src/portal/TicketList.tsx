import { useEffect, useState } from 'react';
import { problemMessage } from '../api/client';
import { formatTime } from '../lib/time';
import { portalApi, STATUS_LABEL, type PortalMe, type PortalTicketRow } from './client';
import { PortalLink } from './Link';

/** The requester's tickets (or their organization's, when it shares them), last changed first. */
export function PortalTicketList({ me, organization }: { me: PortalMe; organization: boolean }) {
  const [tickets, setTickets] = useState<PortalTicketRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const [totalPages, setTotalPages] = useState(1);
  const scope = organization && me.organizationTicketsVisible ? 'organization' : 'mine';

  useEffect(() => {
    portalApi.GET('/api/v1/portal/tickets', { params: { query: { scope, page } } }).then(({ data, error: problem }) => {
      if (!data) return setError(problemMessage(problem));
      setTickets(data.tickets);
      setTotalPages(data.totalPages);
    });
  }, [scope, page]);

  return (
    <section aria-labelledby="portal-list-title">
      <div className="portal-title-row">
        <h1 id="portal-list-title">{scope === 'organization' ? `Requests of ${me.organization}` : 'My requests'}</h1>
        <PortalLink className="portal-button" to="/portal/new">New request</PortalLink>
      </div>
      <p className="portal-muted">Signed in as {me.name} ({me.email})</p>
      {me.organizationTicketsVisible && (
        <nav aria-label="Whose requests" className="portal-tabs">
          <PortalLink to="/portal" className={scope === 'mine' ? 'current' : ''}>Mine</PortalLink>
          <PortalLink to="/portal?scope=organization" className={scope === 'organization' ? 'current' : ''}>{me.organization}</PortalLink>
        </nav>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {tickets === null && !error && <p aria-busy="true">Loading…</p>}
      {tickets?.length === 0 && <p className="portal-muted">You have no requests yet.</p>}
      {tickets && tickets.length > 0 && (
        <ul className="portal-tickets">
          {tickets.map((t) => (
            <li key={t.number} data-ticket={t.number}>
              <PortalLink to={`/portal/tickets/${t.number}`}>
                <span className="portal-subject">{t.subject}</span>
                <span className="portal-meta">
                  <span className={`portal-status portal-status-${t.status}`}>{STATUS_LABEL[t.status] ?? t.status}</span>
                  <span>#{t.number}</span>
                  {scope === 'organization' && <span>{t.requesterName}</span>}
                  <span>Updated {formatTime(t.updatedAt)}</span>
                </span>
              </PortalLink>
            </li>
          ))}
        </ul>
      )}
      {totalPages > 1 && (
        <nav aria-label="Pages" className="portal-pages">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
          <span>Page {page} of {totalPages}</span>
          <button type="button" disabled={page >= totalPages} onClick={() => setPage(page + 1)}>Next</button>
        </nav>
      )}
    </section>
  );
}
