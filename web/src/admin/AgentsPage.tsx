import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, CheckList, ConfirmButton, EditorButtons, Field, ListActions, LoadProblem, numberOrUndefined, splitList, useEditing, useLoad, useSave } from './form';
import { PRESENCE, ROLES, type AgentRow, type CreateAgent, type GroupRow } from './types';

interface Draft {
  name: string; email: string; role: AgentRow['role']; status: AgentRow['status'];
  groups: string[]; skills: string; maxConcurrentTickets: string; password: string;
}

const blank: Draft = { name: '', email: '', role: 'agent', status: 'offline', groups: [], skills: '', maxConcurrentTickets: '10', password: '' };
const draftOf = (a: AgentRow): Draft => ({
  name: a.name, email: a.email, role: a.role, status: a.status, groups: a.groups, skills: a.skills.join(', '),
  maxConcurrentTickets: String(a.maxConcurrentTickets), password: '',
});

/** The request body of the agent form; a blank password is left out (a stored one stays). */
export function agentBody(d: Draft): CreateAgent {
  return {
    name: d.name, email: d.email, role: d.role, status: d.status, groups: d.groups, skills: splitList(d.skills),
    maxConcurrentTickets: numberOrUndefined(d.maxConcurrentTickets),
    ...(d.password ? { password: d.password } : {}),
  };
}

/**
 * Agents: who they are, their role, groups, skills and capacity (how many open tickets routing gives
 * them at most). A leaver is deactivated, not deleted: signed out, tokens refused, their open tickets
 * routed to others; they stay listed (greyed) and can be reactivated.
 */
export function AgentsPage() {
  const agents = useLoad(() => api.GET('/api/v1/agents', { params: { query: { limit: 200, includeInactive: 'true' } } }));
  const groups = useLoad(() => api.GET('/api/v1/groups'));
  const editing = useEditing<AgentRow>();
  const activation = useSave();
  const setActive = (a: AgentRow, active: boolean) =>
    activation.act(() => api.PATCH('/api/v1/agents/{id}', { params: { path: { id: a.id } }, body: { active } }),
      active ? `${a.name} reactivated.` : `${a.name} deactivated.`, () => agents.reload());
  return (
    <>
      <LoadProblem problem={agents.problem} what="agents" />
      <ListActions newLabel="New agent" onNew={() => editing.open('new')} status={activation} />
      <AdminTable columns={['Name', 'E-mail', 'Role', 'Groups', 'Skills', 'Load', 'Status']} empty={agents.data?.agents.length === 0 && 'No agents.'}>
        {agents.data?.agents.map((a) => (
          <tr key={a.id} data-agent={a.email} className={a.active ? undefined : 'inactive'}>
            <td>{a.name}{a.active ? '' : ' (deactivated)'}</td><td>{a.email}</td><td>{a.role}</td><td>{a.groups.join(', ')}</td><td>{a.skills.join(', ')}</td>
            <td className="num">{a.currentTickets}/{a.maxConcurrentTickets}</td><td>{a.status}</td>
            <td>
              <button type="button" onClick={() => editing.open(a)} aria-label={`Edit ${a.name}`}>Edit</button>{' '}
              {a.active
                ? <ConfirmButton label="Deactivate" what={a.name} onConfirm={() => void setActive(a, false)} />
                : <button type="button" onClick={() => void setActive(a, true)} aria-label={`Reactivate ${a.name}`}>Reactivate</button>}
            </td>
          </tr>
        ))}
      </AdminTable>
      {editing.item && (
        <AgentEditor
          key={editing.key} agent={editing.item === 'new' ? null : editing.item} groups={groups.data?.groups ?? []}
          onSaved={(a) => { agents.reload(); editing.saved(a); }} onClose={editing.close}
        />
      )}
    </>
  );
}

function AgentEditor({ agent, groups, onSaved, onClose }: { agent: AgentRow | null; groups: GroupRow[]; onSaved: (a: AgentRow) => void; onClose: () => void }) {
  const [d, setD] = useState<Draft>(agent ? draftOf(agent) : blank);
  const save = useSave();
  const set = (patch: Partial<Draft>) => setD((x) => ({ ...x, ...patch }));
  const e = save.errors;
  const submit = async () => {
    const body = agentBody(d);
    await save.act(() =>
      agent ? api.PATCH('/api/v1/agents/{id}', { params: { path: { id: agent.id } }, body }) : api.POST('/api/v1/agents', { body }),
      agent ? 'Saved.' : 'Agent created.', onSaved);
  };
  return (
    <AdminForm label={agent ? `Edit agent ${agent.name}` : 'New agent'} onSubmit={submit} focusFirst>
      <h2>{agent ? `Edit ${agent.name}` : 'New agent'}</h2>
      <div className="form-grid">
        <Field label="Name" error={e.at('name')}><input value={d.name} onChange={(x) => set({ name: x.target.value })} /></Field>
        <Field label="E-mail" error={e.at('email')}><input type="email" value={d.email} onChange={(x) => set({ email: x.target.value })} /></Field>
        <Field label="Role" error={e.at('role')}>
          <select value={d.role} onChange={(x) => set({ role: x.target.value as Draft['role'] })}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        </Field>
        <Field label="Status" error={e.at('status')}>
          <select value={d.status} onChange={(x) => set({ status: x.target.value as Draft['status'] })}>{PRESENCE.map((p) => <option key={p}>{p}</option>)}</select>
        </Field>
        <Field label="Skills" hint="comma-separated" error={e.at('skills')}><input value={d.skills} onChange={(x) => set({ skills: x.target.value })} /></Field>
        <Field label="Capacity" hint="open tickets at most" error={e.at('maxConcurrentTickets')}>
          <input type="number" inputMode="numeric" value={d.maxConcurrentTickets} onChange={(x) => set({ maxConcurrentTickets: x.target.value })} />
        </Field>
        <Field label={agent ? 'New password' : 'Password'} hint={agent ? 'leave blank to keep' : 'optional: without one the agent cannot sign in'} error={e.at('password')}>
          <input type="password" autoComplete="new-password" value={d.password} onChange={(x) => set({ password: x.target.value })} />
        </Field>
      </div>
      <CheckList legend="Groups" options={groups.map((g) => g.slug)} labels={Object.fromEntries(groups.map((g) => [g.slug, g.name]))} value={d.groups} onChange={(v) => set({ groups: v })} error={e.at('groups')} />
      <EditorButtons save={save} label={agent ? 'Save agent' : 'Create agent'} onClose={onClose} />
    </AdminForm>
  );
}
