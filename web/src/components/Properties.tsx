import { useEffect, useState } from 'react';
import { api, etagOf, problemMessage, type Ticket } from '../api/client';

const STATUSES = ['new', 'open', 'in_progress', 'pending', 'resolved', 'closed', 'cancelled'] as const;
const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
type Patch = { status?: Ticket['status']; priority?: Ticket['priority']; assigneeId?: string | null };

/**
 * Status, priority and assignee, editable in place. Every change is a PATCH with
 * `If-Match: "<version>"`: when someone else changed the ticket first, the API answers 412
 * and the panel shows a conflict with a reload action instead of overwriting their change.
 */
export function Properties({ ticket, onSaved, onReload }: { ticket: Ticket; onSaved: (t: Ticket) => void; onReload: () => void }) {
  const [agents, setAgents] = useState<{ id: string; name: string; status: string }[]>([]);
  const [conflict, setConflict] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    api.GET('/api/v1/agents', { params: { query: { limit: 200 } } }).then(({ data }) => data && setAgents(data.agents));
  }, []);
  useEffect(() => setConflict(false), [ticket.id]);

  const save = async (patch: Patch) => {
    setSaving(true);
    const { data, error: problem, response } = await api.PATCH('/api/v1/tickets/{id}', {
      params: { path: { id: ticket.id } },
      body: patch,
      headers: { 'If-Match': etagOf(ticket.version) },
    });
    setSaving(false);
    if (response.status === 412) return setConflict(true);
    if (!data) return setError(problemMessage(problem));
    setError(null);
    onSaved({ ...ticket, ...data });
  };

  return (
    <section className="properties" aria-label="Properties" aria-busy={saving}>
      <h2>Properties</h2>
      {conflict && (
        <div className="conflict" role="alert">
          Someone else changed this ticket since you opened it; your change was not saved.
          <button type="button" onClick={() => { setConflict(false); onReload(); }}>Reload ticket</button>
        </div>
      )}
      <label>
        Status
        <select aria-label="Status" value={ticket.status} disabled={saving} onChange={(e) => void save({ status: e.target.value as Ticket['status'] })}>
          {STATUSES.map((s) => <option key={s} value={s}>{s.replace('_', ' ')}</option>)}
        </select>
      </label>
      <label>
        Priority
        <select aria-label="Priority" value={ticket.priority} disabled={saving} onChange={(e) => void save({ priority: e.target.value as Ticket['priority'] })}>
          {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      <label>
        Assignee
        <select aria-label="Assignee" value={ticket.assignee?.id ?? ''} disabled={saving} onChange={(e) => void save({ assigneeId: e.target.value || null })}>
          <option value="">— unassigned —</option>
          {ticket.assignee && !agents.some((a) => a.id === ticket.assignee!.id) && <option value={ticket.assignee.id}>{ticket.assignee.name}</option>}
          {agents.map((a) => <option key={a.id} value={a.id}>{a.name} ({a.status})</option>)}
        </select>
      </label>
      <dl>
        <dt>Group</dt><dd>{ticket.assigneeGroup ?? '—'}</dd>
        <dt>Category</dt><dd>{ticket.category}{ticket.subcategory ? ` / ${ticket.subcategory}` : ''}</dd>
        <dt>Tags</dt><dd>{ticket.tags.length ? ticket.tags.join(', ') : '—'}</dd>
      </dl>
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}
