import { useState } from 'react';
import { api } from '../api/client';
import { ConfirmButton, ListActions, LoadProblem, useEditing, useLoad, useSave } from './form';
import { ACTIONS, reorder } from './rules';
import { RuleEditor } from './RuleEditor';
import { Simulator } from './Simulator';
import type { AgentRow, Rule } from './types';

const actionLabel = (r: Rule, agents: AgentRow[]) => {
  const a = r.action;
  const label = ACTIONS.find((x) => x.type === a.type)?.label ?? a.type;
  const who = a.agentId ? agents.find((x) => x.id === a.agentId)?.name ?? a.agentId : null;
  return [label, a.group, who, a.skills?.length ? `skills: ${a.skills.join(', ')}` : null].filter(Boolean).join(' · ');
};
const conditionsLabel = (r: Rule) =>
  Object.entries(r.conditions).filter(([, v]) => v.length).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ') || 'every ticket';

/** Assignment rules in evaluation order (first match wins), reordered with up/down, an editor, and the routing simulator. */
export function RulesPage() {
  const rules = useLoad(() => api.GET('/api/v1/assignment-rules'));
  const agents = useLoad(() => api.GET('/api/v1/agents', { params: { query: { limit: 200 } } }));
  const groups = useLoad(() => api.GET('/api/v1/groups'));
  const editing = useEditing<Rule>();
  const order = useSave();
  const [busy, setBusy] = useState(false);
  const list = rules.data?.rules ?? [];
  const agentList = agents.data?.agents ?? [];

  const move = async (index: number, by: -1 | 1) => {
    setBusy(true);
    for (const { id, position } of reorder(list, index, by)) {
      if (!(await order.run(() => api.PATCH('/api/v1/assignment-rules/{id}', { params: { path: { id } }, body: { position } }), 'Order saved.'))) break;
    }
    setBusy(false);
    rules.reload();
  };
  const remove = async (r: Rule) => {
    if (await order.run(() => api.DELETE('/api/v1/assignment-rules/{id}', { params: { path: { id: r.id } } }), 'Rule deleted.') !== undefined) rules.reload();
  };

  return (
    <>
      <LoadProblem problem={rules.problem} what="assignment rules" />
      <ListActions newLabel="New rule" onNew={() => editing.open('new')} status={order} />
      <ol className="rule-list" aria-label="Assignment rules in order">
        {list.map((r, i) => (
          <li key={r.id} data-rule={r.name} className={r.isActive ? undefined : 'inactive'}>
            <span className="rule-pos num">{i + 1}</span>
            <div className="rule-text">
              <strong>{r.name}</strong>{!r.isActive && <span className="badge">inactive</span>}
              <div className="muted">When {conditionsLabel(r)} → {actionLabel(r, agentList)}</div>
            </div>
            <span className="rule-buttons">
              <button type="button" disabled={busy || i === 0} onClick={() => move(i, -1)} aria-label={`Move ${r.name} up`}>↑</button>
              <button type="button" disabled={busy || i === list.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${r.name} down`}>↓</button>
              <button type="button" onClick={() => editing.open(r)} aria-label={`Edit ${r.name}`}>Edit</button>
              <ConfirmButton label="Delete" what={r.name} onConfirm={() => remove(r)} />
            </span>
          </li>
        ))}
      </ol>
      {rules.data && list.length === 0 && <p className="empty">No rules: every ticket goes round robin to the eligible agents.</p>}
      {editing.item && (
        <RuleEditor
          key={editing.key} rule={editing.item === 'new' ? null : editing.item} agents={agentList} groups={groups.data?.groups ?? []}
          onSaved={(r) => { rules.reload(); editing.saved(r); }} onClose={editing.close}
        />
      )}
      <Simulator />
    </>
  );
}
