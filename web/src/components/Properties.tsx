import { useEffect, useRef, useState } from 'react';
import { api, etagOf, problemMessage, type Ticket } from '../api/client';

const STATUSES = ['new', 'open', 'in_progress', 'pending', 'resolved', 'closed', 'cancelled'] as const;
const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
type Patch = { status?: Ticket['status']; priority?: Ticket['priority']; assigneeId?: string | null; category?: string; tags?: string[] };

const tagList = (text: string) => [...new Set(text.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))];

/**
 * Status, priority, assignee, group, category and tags, editable in place. Every change is a
 * PATCH (the group: an assign) with `If-Match: "<version>"`: when someone else changed the ticket
 * first, the API answers 412 and the panel shows a conflict with a reload action instead of
 * overwriting their change. Category and tags are saved on Enter or when the field is left.
 */
export function Properties({ ticket, onSaved, onReload }: { ticket: Ticket; onSaved: (t: Ticket) => void; onReload: () => void }) {
  const [agents, setAgents] = useState<{ id: string; name: string; status: string }[]>([]);
  const [groups, setGroups] = useState<{ slug: string; name: string }[]>([]);
  const [category, setCategory] = useState(ticket.category);
  const [tags, setTags] = useState(ticket.tags.join(', '));
  const [conflict, setConflict] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // one change at a time: a field that loses focus because the panel is saving must not send the
  // same change again with the version it had (that second send would meet a 412)
  const busy = useRef(false);
  useEffect(() => {
    api.GET('/api/v1/agents', { params: { query: { limit: 200 } } }).then(({ data }) => data && setAgents(data.agents));
    api.GET('/api/v1/groups').then(({ data }) => data && setGroups(data.groups));
  }, []);
  useEffect(() => setConflict(false), [ticket.id]);
  // the fields follow the ticket (a live update, a reload) unless the agent is typing in them
  useEffect(() => setCategory(ticket.category), [ticket.category]);
  useEffect(() => setTags(ticket.tags.join(', ')), [ticket.tags.join(',')]);

  const save = (patch: Patch) =>
    send(() => api.PATCH('/api/v1/tickets/{id}', { params: { path: { id: ticket.id } }, body: patch, headers: { 'If-Match': etagOf(ticket.version) } }));
  const moveToGroup = (group: string | null) =>
    send(() => api.POST('/api/v1/tickets/{id}/assign', { params: { path: { id: ticket.id } }, body: { group }, headers: { 'If-Match': etagOf(ticket.version) } }));
  const saveText = () => {
    if (busy.current) return;
    const next: Patch = {};
    if (category.trim() && category.trim() !== ticket.category) next.category = category.trim();
    const nextTags = tagList(tags);
    if (nextTags.join(',') !== ticket.tags.join(',')) next.tags = nextTags;
    if (Object.keys(next).length) void save(next);
  };
  const onEnter = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      saveText();
    }
  };

  const send = async (call: () => Promise<{ data?: Omit<Ticket, 'comments' | 'attachments'>; error?: unknown; response: Response }>) => {
    busy.current = true;
    setSaving(true);
    const { data, error: problem, response } = await call().finally(() => void (busy.current = false));
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
      <label>
        Group
        <select aria-label="Group" value={ticket.assigneeGroup ?? ''} disabled={saving} onChange={(e) => void moveToGroup(e.target.value || null)}>
          <option value="">— no group —</option>
          {ticket.assigneeGroup && !groups.some((g) => g.slug === ticket.assigneeGroup) && <option value={ticket.assigneeGroup}>{ticket.assigneeGroup}</option>}
          {groups.map((g) => <option key={g.slug} value={g.slug}>{g.name}</option>)}
        </select>
      </label>
      <label>
        Category{ticket.subcategory ? ` (/ ${ticket.subcategory})` : ''}
        <input aria-label="Category" value={category} disabled={saving} onChange={(e) => setCategory(e.target.value)} onBlur={saveText} onKeyDown={onEnter} />
      </label>
      <label>
        Tags
        <input aria-label="Tags" placeholder="comma, separated" value={tags} disabled={saving} onChange={(e) => setTags(e.target.value)} onBlur={saveText} onKeyDown={onEnter} />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}
