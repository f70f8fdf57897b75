import { useState } from 'react';
import { api } from '../api/client';
import { AdminTable, ConfirmButton, ListActions, LoadProblem, useLoad, useSave } from './form';
import { when, type Job } from './types';

const STATES: Job['state'][] = ['failed', 'retry', 'active', 'created', 'completed', 'cancelled'];

/** What an ingest replay or release did, in words. */
const outcome = (o: { outcome: string; ticketId?: string; error?: string; reason?: string }) =>
  `Result: ${o.outcome.replaceAll('_', ' ')}${o.ticketId ? ` (ticket ${o.ticketId})` : ''}${o.error ? `: ${o.error}` : o.reason ? `: ${o.reason}` : ''}.`;

/** Jobs of the durable queue (failed ones by default), with replay for the dead. */
export function FailedJobsPage() {
  const [state, setState] = useState<Job['state']>('failed');
  const jobs = useLoad(() => api.GET('/api/v1/admin/jobs', { params: { query: { state, limit: 100 } } }), [state]);
  const action = useSave();
  return (
    <>
      <ListActions status={action}>
        <label>State{' '}
          <select value={state} onChange={(e) => setState(e.target.value as Job['state'])}>{STATES.map((s) => <option key={s}>{s}</option>)}</select>
        </label>
        <button type="button" onClick={jobs.reload}>Refresh</button>
      </ListActions>
      <LoadProblem problem={jobs.problem} what="jobs" />
      <AdminTable columns={['Job', 'State', 'Attempts', 'Created', 'Last error']} empty={jobs.data?.jobs.length === 0 && `No ${state} jobs.`}>
        {jobs.data?.jobs.map((j) => (
          <tr key={j.id} data-job={j.id}>
            <td><code>{j.name}</code></td><td>{j.state}</td><td className="num">{j.retryCount + 1}/{j.retryLimit + 1}</td><td>{when(j.createdOn)}</td>
            <td className="wrap">{j.error ?? '—'}</td>
            <td>{j.state === 'failed' && (
              <button type="button" aria-label={`Replay job ${j.name}`} onClick={() => action.act(() => api.POST('/api/v1/admin/jobs/{id}/replay', { params: { path: { id: j.id } } }), 'Job queued again.', jobs.reload)}>
                Replay
              </button>
            )}</td>
          </tr>
        ))}
      </AdminTable>
    </>
  );
}

/** Inbound messages that could not be ingested, kept whole: replay runs them through the pipeline again. */
export function InboundFailuresPage() {
  const failures = useLoad(() => api.GET('/api/v1/admin/inbound-failures', { params: { query: { limit: 100 } } }));
  const action = useSave();
  return (
    <>
      <ListActions status={action}><button type="button" onClick={failures.reload}>Refresh</button></ListActions>
      <LoadProblem problem={failures.problem} what="inbound failures" />
      <AdminTable columns={['Received', 'Transport', 'Error', 'Attempts', 'Size', 'Resolved']} empty={failures.data?.failures.length === 0 && 'No failed messages.'}>
        {failures.data?.failures.map((f) => (
          <tr key={f.id} data-failure={f.id}>
            <td>{when(f.createdAt)}</td><td>{f.transport}</td><td className="wrap">{f.error}</td><td className="num">{f.attempts}</td>
            <td className="num">{Math.ceil(f.size / 1024)} KiB</td><td>{when(f.resolvedAt)}</td>
            <td>{!f.resolvedAt && (
              <button type="button" aria-label={`Replay message received ${when(f.createdAt)}`} onClick={() => action.act(() => api.POST('/api/v1/admin/inbound-failures/{id}/replay', { params: { path: { id: f.id } } }), outcome, failures.reload)}>
                Replay
              </button>
            )}</td>
          </tr>
        ))}
      </AdminTable>
    </>
  );
}

/** Suspected spam held for a decision: release (not spam: ingest it) or delete. */
export function SuspendedPage() {
  const list = useLoad(() => api.GET('/api/v1/admin/suspended', { params: { query: { limit: 100 } } }));
  const action = useSave();
  return (
    <>
      <ListActions status={action}><button type="button" onClick={list.reload}>Refresh</button></ListActions>
      <LoadProblem problem={list.problem} what="suspended mail" />
      <AdminTable columns={['Received', 'From', 'Subject', 'Reason', 'Spam score']} empty={list.data?.messages.length === 0 && 'No suspended mail.'}>
        {list.data?.messages.map((m) => (
          <tr key={m.id} data-suspended={m.id}>
            <td>{when(m.createdAt)}</td><td>{m.from ?? '—'}</td><td>{m.subject ?? '—'}</td><td className="wrap">{m.reason}</td>
            <td className="num">{m.spamScore ?? '—'}{m.spamThreshold !== null ? ` / ${m.spamThreshold}` : ''}</td>
            <td>
              <button type="button" aria-label={`Release ${m.subject ?? m.id}`} onClick={() => action.act(() => api.POST('/api/v1/admin/suspended/{id}/release', { params: { path: { id: m.id } } }), outcome, list.reload)}>
                Release
              </button>{' '}
              <ConfirmButton label="Delete" what={m.subject ?? 'this message'} onConfirm={() => action.act(() => api.DELETE('/api/v1/admin/suspended/{id}', { params: { path: { id: m.id } } }), 'Deleted.', list.reload)} />
            </td>
          </tr>
        ))}
      </AdminTable>
    </>
  );
}
