import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, EditorButtons, Field, splitList, useSave } from './form';
import { PRIORITIES, SOURCES, type SimulateBody, type Simulation } from './types';

interface TicketDraft {
  subject: string; description: string; name: string; email: string; organization: string;
  category: string; subcategory: string; priority: '' | NonNullable<SimulateBody['priority']>; source: SimulateBody['source']; tags: string;
}

const blank: TicketDraft = {
  subject: '', description: '', name: 'Test Requester', email: 'requester@example.com', organization: '',
  category: 'general', subcategory: '', priority: '', source: 'web', tags: '',
};

/** The simulator's ticket: what POST /tickets would take (optional fields left out when blank). */
export function simulateBody(d: TicketDraft): SimulateBody {
  const tags = splitList(d.tags);
  return {
    subject: d.subject, description: d.description || d.subject || '(empty)',
    requester: { name: d.name, email: d.email, ...(d.organization ? { organization: d.organization } : {}) },
    category: d.category, source: d.source,
    ...(d.subcategory ? { subcategory: d.subcategory } : {}),
    ...(d.priority ? { priority: d.priority } : {}),
    ...(tags.length ? { tags } : {}),
  };
}

/** "Which agent or group would get this ticket now, and why": the routing simulator (nothing is created). */
export function Simulator() {
  const [d, setD] = useState<TicketDraft>(blank);
  const [result, setResult] = useState<Simulation | null>(null);
  const set = (patch: Partial<TicketDraft>) => setD((x) => ({ ...x, ...patch }));
  const save = useSave();
  const e = save.errors;
  const submit = async () => {
    const r = await save.run(() => api.POST('/api/v1/routing/simulate', { body: simulateBody(d) }), 'Simulated.');
    setResult(r ?? null);
  };
  return (
    <section className="simulator" aria-labelledby="simulate-title">
      <h2 id="simulate-title">Simulate</h2>
      <p className="muted">A ticket as it would arrive now: who would get it and why. Nothing is created.</p>
      <AdminForm label="Simulate a ticket" onSubmit={submit}>
        <div className="form-grid">
          <Field label="Subject" error={e.at('subject')}><input value={d.subject} onChange={(x) => set({ subject: x.target.value })} /></Field>
          <Field label="Description" error={e.at('description')}><input value={d.description} onChange={(x) => set({ description: x.target.value })} /></Field>
          <Field label="Category" error={e.at('category')}><input value={d.category} onChange={(x) => set({ category: x.target.value })} /></Field>
          <Field label="Subcategory" error={e.at('subcategory')}><input value={d.subcategory} onChange={(x) => set({ subcategory: x.target.value })} /></Field>
          <Field label="Priority" error={e.at('priority')}>
            <select value={d.priority} onChange={(x) => set({ priority: x.target.value as TicketDraft['priority'] })}>
              <option value="">calculated</option>
              {PRIORITIES.map((p) => <option key={p}>{p}</option>)}
            </select>
          </Field>
          <Field label="Source" error={e.at('source')}>
            <select value={d.source} onChange={(x) => set({ source: x.target.value as TicketDraft['source'] })}>{SOURCES.map((s) => <option key={s}>{s}</option>)}</select>
          </Field>
          <Field label="Tags" hint="comma-separated" error={e.at('tags')}><input value={d.tags} onChange={(x) => set({ tags: x.target.value })} /></Field>
          <Field label="Requester e-mail" error={e.at('requester.email')}><input type="email" value={d.email} onChange={(x) => set({ email: x.target.value })} /></Field>
          <Field label="Requester name" error={e.at('requester.name')}><input value={d.name} onChange={(x) => set({ name: x.target.value })} /></Field>
          <Field label="Organization" error={e.at('requester.organization')}><input value={d.organization} onChange={(x) => set({ organization: x.target.value })} /></Field>
        </div>
        <EditorButtons save={save} label="Simulate" />
      </AdminForm>
      {result && <SimulationResult r={result} />}
    </section>
  );
}

/** The decision: who or which queue, by which method and rule, the explanation, and every candidate with its reason. */
export function SimulationResult({ r }: { r: Simulation }) {
  return (
    <div className="simulation" aria-live="polite" data-simulation>
      <dl className="facts">
        <div><dt>Agent</dt><dd data-sim="agent">{r.agentName ?? (r.queued ? 'none: queued' : 'none')}</dd></div>
        <div><dt>Group</dt><dd data-sim="group">{r.group ?? '—'}</dd></div>
        <div><dt>Method</dt><dd data-sim="method">{r.method.replaceAll('_', ' ')}</dd></div>
        <div><dt>Rule</dt><dd data-sim="rule">{r.ruleName ?? 'no rule matched (fallback)'}</dd></div>
        <div><dt>Priority</dt><dd data-sim="priority">{r.priority} ({r.priorityScore.score} points)</dd></div>
      </dl>
      <p className="explanation">{r.explanation}</p>
      <AdminTable columns={['Candidate', 'Eligible', 'Reason', 'Load']} actions={false} label="Candidates" empty={r.candidates.length === 0 && 'No candidates.'}>
        {r.candidates.map((c) => (
          <tr key={c.agentId} data-candidate={c.name}>
            <td>{c.name}</td><td>{c.eligible ? 'yes' : 'no'}</td><td data-reason>{c.reason.replaceAll('_', ' ')}</td>
            <td className="num">{c.load ?? '—'}/{c.capacity}</td>
          </tr>
        ))}
      </AdminTable>
    </div>
  );
}
