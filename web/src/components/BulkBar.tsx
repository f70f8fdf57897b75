import { useState } from 'react';
import { api, problemMessage, type Agent, type TicketRow } from '../api/client';
import type { paths } from '../api/schema';

const STATUSES = ['open', 'in_progress', 'pending', 'resolved', 'closed'] as const;
const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
type BulkRequest = NonNullable<paths['/api/v1/tickets/bulk']['post']['requestBody']>['content']['application/json'];
type Changes = BulkRequest['changes'];
export type BulkAnswer = paths['/api/v1/tickets/bulk']['post']['responses']['200']['content']['application/json'];

/** "Priority high: 3 updated, 1 skipped (changed meanwhile), 1 refused." */
export function bulkSummary(what: string, answer: BulkAnswer): string {
  const refused = answer.results.length - answer.updated - answer.conflicts;
  return [
    `${what}: ${answer.updated} updated`,
    answer.conflicts ? `${answer.conflicts} skipped (changed meanwhile)` : '',
    refused ? `${refused} refused (not allowed in their state, or gone)` : '',
  ].filter(Boolean).join(', ') + '.';
}

/**
 * Actions on the checked tickets: set a status or a priority, assign to me, unassign, add or
 * remove a tag. One POST /tickets/bulk carries each ticket's version as shown, so a ticket
 * someone changed meanwhile is skipped and counted, never overwritten.
 */
export function BulkBar({ me, tickets, onDone, onClear }: { me: Agent; tickets: TicketRow[]; onDone: (summary: string) => void; onClear: () => void }) {
  const [busy, setBusy] = useState(false);
  const [tag, setTag] = useState('');
  const idle = !busy && tickets.length > 0;

  const run = async (changes: Changes, what: string) => {
    setBusy(true);
    const { data, error } = await api.POST('/api/v1/tickets/bulk', {
      body: { tickets: tickets.map((t) => ({ id: t.id, version: t.version })), changes },
    }).catch(() => ({ data: undefined, error: undefined }));
    setBusy(false);
    if (data) setTag('');
    onDone(data ? bulkSummary(what, data) : `${what}: ${error ? problemMessage(error) : 'the request failed.'}`);
  };
  const tagged = (key: 'addTags' | 'removeTags', what: string) => {
    const t = tag.trim();
    if (t) void run({ [key]: [t] }, `${what} “${t}”`);
  };

  return (
    <div className="bulk" role="region" aria-label="Bulk actions" aria-busy={busy}>
      <strong>{tickets.length} selected</strong>
      <select
        aria-label="Set status of selected"
        value=""
        disabled={!idle}
        onChange={(e) => e.target.value && void run({ status: e.target.value as TicketRow['status'] }, `Status ${e.target.value.replace('_', ' ')}`)}
      >
        <option value="">Set status…</option>
        {STATUSES.map((s) => <option key={s} value={s}>{s.replace('_', ' ')}</option>)}
      </select>
      <select
        aria-label="Set priority of selected"
        value=""
        disabled={!idle}
        onChange={(e) => e.target.value && void run({ priority: e.target.value as TicketRow['priority'] }, `Priority ${e.target.value}`)}
      >
        <option value="">Set priority…</option>
        {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
      </select>
      <button type="button" disabled={!idle} onClick={() => void run({ assigneeId: me.id }, 'Assigned to you')}>Assign to me</button>
      <button type="button" disabled={!idle} onClick={() => void run({ assigneeId: null }, 'Unassigned')}>Unassign</button>
      <input
        aria-label="Tag for selected" placeholder="tag" size={10} value={tag} maxLength={100} disabled={busy}
        onChange={(e) => setTag(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && tagged('addTags', 'Tag added')}
      />
      <button type="button" disabled={!idle || !tag.trim()} onClick={() => tagged('addTags', 'Tag added')}>Add tag</button>
      <button type="button" disabled={!idle || !tag.trim()} onClick={() => tagged('removeTags', 'Tag removed')}>Remove tag</button>
      <button type="button" onClick={onClear}>Clear selection</button>
    </div>
  );
}
