import type { HistoryEntry } from '../api/client';
import { formatTime } from '../lib/time';

/** A history value as words: `{status: "new"}` for field status is "new"; an assignment names the agent or group. */
const show = (v: unknown, field?: string | null): string => {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (field && field in o) return show(o[field]);
    if (typeof o.assigneeName === 'string') return o.assigneeName;
    if ('assigneeId' in o) return o.assigneeId ? String(o.group ?? 'an agent') : String(o.group ?? 'nobody');
    return JSON.stringify(v);
  }
  return String(v).replace('_', ' ');
};

/** Every change to the ticket, newest first; assignments say why ("assigned because …"). */
export function History({ entries }: { entries: HistoryEntry[] }) {
  return (
    <section className="history" aria-label="History">
      <h2>History</h2>
      <ol>
        {[...entries].reverse().map((h) => (
          <li key={h.id} data-change={h.changeType}>
            <time dateTime={h.createdAt}>{formatTime(h.createdAt)}</time>{' '}
            <strong>{h.changedByName ?? h.actorType}</strong>{' '}
            {h.changeType === 'assigned' ? (
              <>
                assigned to {show(h.changedTo)}
                {h.comment && <span className="reason"> because {h.comment.replace(/^./, (c) => c.toLowerCase())}</span>}
              </>
            ) : h.field ? (
              <>changed {h.field} from {show(h.changedFrom, h.field)} to {show(h.changedTo, h.field)}{h.comment && <span className="reason"> ({h.comment})</span>}</>
            ) : (
              <>{h.changeType.replace(/_/g, ' ')}{h.comment && <span className="reason">: {h.comment}</span>}</>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
