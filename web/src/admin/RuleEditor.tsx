import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, Check, EditorButtons, Field, FieldMessage, useSave } from './form';
import { ConditionsBox } from './Conditions';
import { ACTIONS, actionUses, blankRule, ruleBody, ruleDraft, TEXT_CONDITIONS, type RuleDraft } from './rules';
import type { AgentRow, GroupRow, Rule } from './types';

/** The editor of one assignment rule: its conditions (all given must match) and its action. Saves through the API. */
export function RuleEditor({ rule, agents, groups, onSaved, onClose }: {
  rule: Rule | null; agents: AgentRow[]; groups: GroupRow[]; onSaved: (r: Rule) => void; onClose: () => void;
}) {
  const [d, setD] = useState<RuleDraft>(() => (rule ? ruleDraft(rule) : blankRule()));
  const set = (patch: Partial<RuleDraft>) => setD((x) => ({ ...x, ...patch }));
  const save = useSave();
  const e = save.errors;
  const uses = actionUses(d.actionType);
  const submit = async () => {
    const body = ruleBody(d);
    await save.act(() =>
      rule ? api.PATCH('/api/v1/assignment-rules/{id}', { params: { path: { id: rule.id } }, body }) : api.POST('/api/v1/assignment-rules', { body }),
      rule ? 'Saved.' : 'Rule created.', onSaved);
  };
  return (
    <AdminForm label={rule ? `Edit rule ${rule.name}` : 'New rule'} onSubmit={submit} focusFirst>
      <h2>{rule ? `Edit ${rule.name}` : 'New rule'}</h2>
      <div className="form-grid">
        <Field label="Rule name" error={e.at('name')}><input value={d.name} onChange={(x) => set({ name: x.target.value })} /></Field>
        <Check label="Active" checked={d.isActive} onChange={(v) => set({ isActive: v })} />
      </div>
      <ConditionsBox
        fields={TEXT_CONDITIONS} text={d.text} onText={(text) => set({ text })} priorities={d.priorities} onPriorities={(v) => set({ priorities: v })}
        tiers={d.tiers} onTiers={(v) => set({ tiers: v })} errors={e}
      />
      <fieldset className="group-box">
        <legend>Action</legend>
        <div className="form-grid">
          <Field label="Assign to" error={e.at('action.type')}>
            <select value={d.actionType} onChange={(x) => set({ actionType: x.target.value as RuleDraft['actionType'] })}>
              {ACTIONS.map((a) => <option key={a.type} value={a.type}>{a.label}</option>)}
            </select>
          </Field>
          {uses.group && (
            <Field label="Group" error={e.at('action.group')}>
              <select value={d.group} onChange={(x) => set({ group: x.target.value })}>
                <option value="">{d.actionType === 'skill_based' ? 'Any group' : 'Choose a group'}</option>
                {groups.map((g) => <option key={g.slug} value={g.slug}>{g.name}</option>)}
              </select>
            </Field>
          )}
          {uses.agent && (
            <Field label="Agent" error={e.at('action.agentId')}>
              <select value={d.agentId} onChange={(x) => set({ agentId: x.target.value })}>
                <option value="">Choose an agent</option>
                {agents.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
              </select>
            </Field>
          )}
          {uses.skills && (
            <Field label="Required skills" hint="comma-separated; blank: the category's skills" error={e.at('action.skills')}>
              <input value={d.skills} onChange={(x) => set({ skills: x.target.value })} />
            </Field>
          )}
        </div>
        <FieldMessage text={e.at('action', true)} />
      </fieldset>
      <EditorButtons save={save} label={rule ? 'Save rule' : 'Create rule'} onClose={onClose} />
    </AdminForm>
  );
}
