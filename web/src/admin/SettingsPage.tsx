import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { AdminForm, Check, EditorButtons, Field, FieldMessage, LoadProblem, useLoad, useSave } from './form';
import { TIERS, type PrioritySettings, type RoutingSettings } from './types';

type NumberKey = { [K in keyof PrioritySettings]: PrioritySettings[K] extends number ? K : never }[keyof PrioritySettings];
const NUMBERS: [NumberKey, string, string?][] = [
  ['otherCategory', 'Other categories'], ['keywordPoints', 'Per urgent keyword'], ['attachmentPoints', 'Attachments'],
  ['frequentRequesterTickets', 'Frequent requester: more than', 'tickets'], ['recentWindowDays', 'in the last', 'days'],
  ['frequentRequesterPoints', 'Frequent requester'], ['repeatWithinHours', 'Repeat requester: within', 'hours'], ['repeatPoints', 'Repeat requester'],
];

/** Text → number for the settings form; text that is no number is sent as typed, for the server to name the field. */
const num = (s: string): number | string => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s);

/** The priority calculator (weights and thresholds) and the routing switches. */
export function SettingsPage() {
  const priority = useLoad(() => api.GET('/api/v1/settings/priority'));
  const routing = useLoad(() => api.GET('/api/v1/settings/routing'));
  return (
    <>
      <LoadProblem problem={priority.problem} what="priority settings" />
      {priority.data && <PriorityForm initial={priority.data} />}
      <LoadProblem problem={routing.problem} what="routing settings" />
      {routing.data && <RoutingForm initial={routing.data} />}
    </>
  );
}

function PriorityForm({ initial }: { initial: PrioritySettings }) {
  const toText = (s: PrioritySettings) => ({
    tiers: Object.fromEntries(TIERS.map((t) => [t, String(s.tiers[t])])) as Record<(typeof TIERS)[number], string>,
    categories: Object.entries(s.categories).map(([k, v]) => ({ name: k, points: String(v) })),
    numbers: Object.fromEntries(NUMBERS.map(([k]) => [k, String(s[k])])) as Record<NumberKey, string>,
    urgentKeywords: s.urgentKeywords.join('\n'),
    thresholds: { critical: String(s.thresholds.critical), high: String(s.thresholds.high), normal: String(s.thresholds.normal) },
    explicitPriorityWins: s.explicitPriorityWins,
  });
  const [d, setD] = useState(() => toText(initial));
  const save = useSave();
  const e = save.errors;
  const submit = async () => {
    const body = {
      tiers: Object.fromEntries(TIERS.map((t) => [t, num(d.tiers[t])])),
      categories: Object.fromEntries(d.categories.filter((c) => c.name.trim()).map((c) => [c.name.trim(), num(c.points)])),
      ...Object.fromEntries(NUMBERS.map(([k]) => [k, num(d.numbers[k])])),
      urgentKeywords: d.urgentKeywords.split('\n').map((k) => k.trim()).filter(Boolean),
      thresholds: { critical: num(d.thresholds.critical), high: num(d.thresholds.high), normal: num(d.thresholds.normal) },
      explicitPriorityWins: d.explicitPriorityWins,
    };
    const saved = await save.run(() => api.PUT('/api/v1/settings/priority', { body }));
    if (saved) setD(toText(saved));
  };
  return (
    <AdminForm label="Priority settings" onSubmit={submit}>
      <h2>Priority calculator <span className="muted">(points add up; the thresholds map the score to a priority)</span></h2>
      <fieldset className="group-box">
        <legend>Thresholds (lowest score of each level; below normal is low)</legend>
        <div className="form-grid">
          {(['critical', 'high', 'normal'] as const).map((t) => (
            <Field key={t} label={`${t[0].toUpperCase()}${t.slice(1)} from`} error={e.at(`thresholds.${t}`)}>
              <input type="number" value={d.thresholds[t]} onChange={(x) => setD({ ...d, thresholds: { ...d.thresholds, [t]: x.target.value } })} />
            </Field>
          ))}
        </div>
        <FieldMessage text={e.at('thresholds', true)} />
      </fieldset>
      <fieldset className="group-box">
        <legend>Points per requester tier</legend>
        <div className="form-grid">
          {TIERS.map((t) => (
            <Field key={t} label={`Tier ${t}`} error={e.at(`tiers.${t}`)}>
              <input type="number" value={d.tiers[t]} onChange={(x) => setD({ ...d, tiers: { ...d.tiers, [t]: x.target.value } })} />
            </Field>
          ))}
        </div>
      </fieldset>
      <fieldset className="group-box">
        <legend>Points per category</legend>
        <ul className="pairs">
          {d.categories.map((c, i) => (
            <li key={i}>
              <Field label="Category"><input value={c.name} onChange={(x) => setD({ ...d, categories: d.categories.map((y, j) => (j === i ? { ...y, name: x.target.value } : y)) })} /></Field>
              <Field label="Points" error={e.at(`categories.${c.name.trim()}`)}>
                <input type="number" value={c.points} onChange={(x) => setD({ ...d, categories: d.categories.map((y, j) => (j === i ? { ...y, points: x.target.value } : y)) })} />
              </Field>
              <button type="button" onClick={() => setD({ ...d, categories: d.categories.filter((_, j) => j !== i) })} aria-label={`Remove category ${c.name || i + 1}`}>Remove</button>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => setD({ ...d, categories: [...d.categories, { name: '', points: '0' }] })}>Add category</button>
        <FieldMessage text={e.at('categories')} />
      </fieldset>
      <fieldset className="group-box">
        <legend>Other factors</legend>
        <div className="form-grid">
          {NUMBERS.map(([k, label, unit]) => (
            <Field key={k} label={unit ? `${label} (${unit})` : `${label} (points)`} error={e.at(k)}>
              <input type="number" value={d.numbers[k]} onChange={(x) => setD({ ...d, numbers: { ...d.numbers, [k]: x.target.value } })} />
            </Field>
          ))}
        </div>
        <Field label="Urgent keywords" hint="one per line; matched on word boundaries in subject and description" error={e.at('urgentKeywords')} className="wide">
          <textarea rows={4} value={d.urgentKeywords} onChange={(x) => setD({ ...d, urgentKeywords: x.target.value })} />
        </Field>
        <Check label="An explicit priority from the caller wins over the calculated one" checked={d.explicitPriorityWins} onChange={(v) => setD({ ...d, explicitPriorityWins: v })} />
      </fieldset>
      <EditorButtons save={save} label="Save priority settings" />
    </AdminForm>
  );
}

function RoutingForm({ initial }: { initial: RoutingSettings }) {
  const [d, setD] = useState(initial);
  useEffect(() => setD(initial), [initial]);
  const save = useSave();
  const submit = async () => {
    const saved = await save.run(() => api.PUT('/api/v1/settings/routing', { body: d }));
    if (saved) setD(saved);
  };
  return (
    <AdminForm label="Routing settings" onSubmit={submit}>
      <h2>Routing</h2>
      <div className="form-grid">
        <Check label="Route new tickets automatically" checked={d.enabled} onChange={(v) => setD({ ...d, enabled: v })} />
        <Check label="Pending tickets count as load" checked={d.pendingCountsAsLoad} onChange={(v) => setD({ ...d, pendingCountsAsLoad: v })} />
        <Check label="Going offline returns an agent's tickets to the queue" checked={d.returnTicketsOnOffline} onChange={(v) => setD({ ...d, returnTicketsOnOffline: v })} />
      </div>
      <EditorButtons save={save} label="Save routing settings" />
    </AdminForm>
  );
}
