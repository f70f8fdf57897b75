import { useState } from 'react';
import { api, etagOf, type Agent, type TicketRow } from '../api/client';

const STATUSES = ['open', 'in_progress', 'pending', 'resolved', 'closed'] as const;
type Patch = { status?: TicketRow['status']; assigneeId?: string | null };

/**
 * Actions on the checked tickets: set a status, assign to me, unassign. Each ticket is one
 * PATCH with its own If-Match, so a ticket someone changed meanwhile is skipped and counted,
 * never overwritten.
 */
export function BulkBar({ me, tickets, onDone, onClear }: { me: Agent; tickets: TicketRow[]; onDone: (summary: string) => void; onClear: () => void }) {
  const [busy, setBusy] = useState(false);

  const run = async (patch: Patch, what: string) => {
    setBusy(true);
    const outcomes = await Promise.all(tickets.map(async (t) => {
      const { response } = await api.PATCH('/api/v1/tickets/{id}', { params: { path: { id: t.id } }, body: patch, headers: { 'If-Match': etagOf(t.version) } });
      return response.status;
    }));
    setBusy(false);
    const ok = outcomes.filter((s) => s === 200).length;
    const stale = outcomes.filter((s) => s === 412).length;
    const failed = outcomes.length - ok - stale;
    onDone([
      `${what}: ${ok} of ${outcomes.length} updated`,
      stale ? `${stale} skipped (changed by someone else meanwhile)` : '',
      failed ? `${failed} refused (not allowed in their state)` : '',
    ].filter(Boolean).join('; ') + '.');
  };

  return (
    <div className="bulk" role="region" aria-label="Bulk actions" aria-busy={busy}>
      <strong>{tickets.length} selected</strong>
      <select
        aria-label="Set status of selected"
        value=""
        disabled={busy || tickets.length === 0}
        onChange={(e) => e.target.value && void run({ status: e.target.value as TicketRow['status'] }, `Status ${e.target.value.replace('_', ' ')}`)}
      >
        <option value="">Set status…</option>
        {STATUSES.map((s) => <option key={s} value={s}>{s.replace('_', ' ')}</option>)}
      </select>
      <button type="button" disabled={busy || tickets.length === 0} onClick={() => void run({ assigneeId: me.id }, 'Assigned to you')}>Assign to me</button>
      <button type="button" disabled={busy || tickets.length === 0} onClick={() => void run({ assigneeId: null }, 'Unassigned')}>Unassign</button>
      <button type="button" onClick={onClear}>Clear selection</button>
    </div>
  );
}
