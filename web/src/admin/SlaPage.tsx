import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, Check, ConfirmButton, EditorButtons, Field, type FieldErrors, ListActions, LoadProblem, useEditing, useLoad, useSave } from './form';
import { ConditionsBox } from './Conditions';
import { blankSla, humanMinutes, NONE, SLA_TEXT_CONDITIONS, slaBody, slaDraft, TARGETS, type SlaDraft } from './sla';
import { PRIORITIES, TIERS, type Calendar, type GroupRow, type SlaPolicy } from './types';

const minutesCell = (n: number | null | undefined) => (n === null || n === undefined ? '—' : humanMinutes(String(n)));

/** SLA policies in matching order (the first active one whose conditions match applies), with the editor. */
export function SlaPage() {
  const policies = useLoad(() => api.GET('/api/v1/sla-policies'));
  const calendars = useLoad(() => api.GET('/api/v1/calendars'));
  const groups = useLoad(() => api.GET('/api/v1/groups'));
  const editing = useEditing<SlaPolicy>();
  const removal = useSave();
  const cals = calendars.data?.calendars ?? [];
  return (
    <>
      <LoadProblem problem={policies.problem} what="SLA policies" />
      <ListActions newLabel="New SLA policy" onNew={() => editing.open('new')} status={removal} />
      <AdminTable columns={['Name', 'Conditions', 'Calendar', 'First response', 'Next response', 'Resolution']} empty={policies.data?.policies.length === 0 && 'No SLA policies: tickets have no deadlines.'}>
        {policies.data?.policies.map((p) => (
          <tr key={p.id} data-policy={p.name} className={p.isActive ? undefined : 'inactive'}>
            <td>{p.name}{!p.isActive && <span className="badge">inactive</span>}</td>
            <td>{Object.entries(p.conditions).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ') || 'every ticket'}</td>
            <td>{cals.find((c) => c.id === p.calendarId)?.name ?? '24×7'}</td>
            <td>{minutesCell(p.firstResponseMinutes)}</td><td>{minutesCell(p.nextResponseMinutes)}</td><td>{minutesCell(p.resolutionMinutes)}</td>
            <td>
              <button type="button" onClick={() => editing.open(p)} aria-label={`Edit ${p.name}`}>Edit</button>{' '}
              <ConfirmButton label="Delete" what={p.name} onConfirm={() => removal.act(() => api.DELETE('/api/v1/sla-policies/{id}', { params: { path: { id: p.id } } }), 'Policy deleted.', policies.reload)} />
            </td>
          </tr>
        ))}
      </AdminTable>
      {editing.item && (
        <SlaEditor
          key={editing.key} policy={editing.item === 'new' ? null : editing.item} calendars={cals} groups={groups.data?.groups ?? []}
          onSaved={(p) => { policies.reload(); editing.saved(p); }} onClose={editing.close}
        />
      )}
    </>
  );
}

/** The targets form: default minutes per target, and per priority an override (blank keeps the default). */
export function SlaTargets({ draft, onChange, errors }: { draft: SlaDraft; onChange: (d: Partial<SlaDraft>) => void; errors: FieldErrors }) {
  return (
    <table className="targets" aria-label="Targets in minutes" aria-describedby="sla-targets-note">
      <caption id="sla-targets-note" className="field-hint">Minutes. A blank priority cell keeps the default; &ldquo;{NONE}&rdquo; as a priority&rsquo;s next response means no such target.</caption>
      <thead><tr><th scope="col">Minutes</th>{TARGETS.map(([t, label]) => <th key={t} scope="col">{label}</th>)}</tr></thead>
      <tbody>
        <tr>
          <th scope="row">Default</th>
          {TARGETS.map(([t, label]) => {
            const err = errors.at(t);
            return (
              <td key={t}>
                <input
                  inputMode="numeric" aria-label={`Default ${label.toLowerCase()} minutes`} value={draft.defaults[t]}
                  aria-invalid={err ? true : undefined} placeholder={t === 'nextResponseMinutes' ? 'none' : undefined}
                  onChange={(x) => onChange({ defaults: { ...draft.defaults, [t]: x.target.value } })}
                />
                <span className="field-hint">{humanMinutes(draft.defaults[t])}</span>
                {err && <span className="field-error">{err}</span>}
              </td>
            );
          })}
        </tr>
        {PRIORITIES.map((p) => (
          <tr key={p}>
            <th scope="row">{p}</th>
            {TARGETS.map(([t, label]) => {
              const err = errors.at(`targetsByPriority.${p}.${t}`);
              return (
                <td key={t}>
                  <input
                    inputMode="numeric" aria-label={`${p} ${label.toLowerCase()} minutes`} value={draft.byPriority[p][t]} placeholder="default"
                    aria-invalid={err ? true : undefined}
                    onChange={(x) => onChange({ byPriority: { ...draft.byPriority, [p]: { ...draft.byPriority[p], [t]: x.target.value } } })}
                  />
                  <span className="field-hint">{humanMinutes(draft.byPriority[p][t])}</span>
                  {err && <span className="field-error">{err}</span>}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SlaEditor({ policy, calendars, groups, onSaved, onClose }: {
  policy: SlaPolicy | null; calendars: Calendar[]; groups: GroupRow[]; onSaved: (p: SlaPolicy) => void; onClose: () => void;
}) {
  const [d, setD] = useState<SlaDraft>(() => (policy ? slaDraft(policy) : blankSla()));
  const set = (patch: Partial<SlaDraft>) => setD((x) => ({ ...x, ...patch }));
  const save = useSave();
  const e = save.errors;
  const submit = async () => {
    const body = slaBody(d);
    await save.act(() =>
      policy ? api.PATCH('/api/v1/sla-policies/{id}', { params: { path: { id: policy.id } }, body }) : api.POST('/api/v1/sla-policies', { body }),
      policy ? 'Saved.' : 'SLA policy created.', onSaved);
  };
  return (
    <AdminForm label={policy ? `Edit SLA policy ${policy.name}` : 'New SLA policy'} onSubmit={submit} focusFirst>
      <h2>{policy ? `Edit ${policy.name}` : 'New SLA policy'}</h2>
      <div className="form-grid">
        <Field label="Policy name" error={e.at('name')}><input value={d.name} onChange={(x) => set({ name: x.target.value })} /></Field>
        <Field label="Calendar" error={e.at('calendarId')}>
          <select value={d.calendarId} onChange={(x) => set({ calendarId: x.target.value })}>
            <option value="">24×7 (always open)</option>
            {calendars.map((c) => <option key={c.id} value={c.id}>{c.name} ({c.timezone})</option>)}
          </select>
        </Field>
        <Field label="Warn at %" hint="of a target elapsed" error={e.at('warnAtPercent')}>
          <input type="number" inputMode="numeric" value={d.warnAtPercent} onChange={(x) => set({ warnAtPercent: x.target.value })} />
        </Field>
        <Check label="Active" checked={d.isActive} onChange={(v) => set({ isActive: v })} />
      </div>
      <fieldset className="group-box">
        <legend>Targets</legend>
        <SlaTargets draft={d} onChange={set} errors={e} />
      </fieldset>
      <ConditionsBox
        fields={SLA_TEXT_CONDITIONS} text={d.text} onText={(text) => set({ text })} priorities={d.priorities} onPriorities={(v) => set({ priorities: v })}
        tiers={d.tiers} onTiers={(v) => set({ tiers: v })} errors={e}
      />
      <fieldset className="group-box">
        <legend>On a breach</legend>
        <div className="form-grid">
          <Check label="Notify the assignee and supervisors" checked={d.notify} onChange={(v) => set({ notify: v })} />
          <Check label="Raise the priority" checked={d.raisePriority} onChange={(v) => set({ raisePriority: v })} />
          <Field label="Move to group" error={e.at('escalation.moveToGroup')}>
            <select value={d.moveToGroup} onChange={(x) => set({ moveToGroup: x.target.value })}>
              <option value="">(stay)</option>
              {groups.map((g) => <option key={g.slug} value={g.slug}>{g.name}</option>)}
            </select>
          </Field>
        </div>
      </fieldset>
      <EditorButtons save={save} label={policy ? 'Save policy' : 'Create policy'} onClose={onClose} />
    </AdminForm>
  );
}
