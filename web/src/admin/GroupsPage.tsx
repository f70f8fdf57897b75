import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, EditorButtons, Field, ListActions, LoadProblem, useEditing, useLoad, useSave } from './form';
import type { GroupRow } from './types';

/** Groups (queues): members with their live load, waiting tickets; create and rename. Membership is edited on the agent. */
export function GroupsPage() {
  const groups = useLoad(() => api.GET('/api/v1/groups'));
  const editing = useEditing<GroupRow>();
  return (
    <>
      <LoadProblem problem={groups.problem} what="groups" />
      <ListActions newLabel="New group" onNew={() => editing.open('new')} />
      <AdminTable columns={['Name', 'Slug', 'Members (load/capacity)', 'Load', 'Waiting']} empty={groups.data?.groups.length === 0 && 'No groups yet.'}>
        {groups.data?.groups.map((g) => (
          <tr key={g.id} data-group={g.slug}>
            <td>{g.name}{g.description && <div className="muted">{g.description}</div>}</td>
            <td><code>{g.slug}</code></td>
            <td>{g.members?.map((m) => `${m.name} (${m.load}/${m.capacity}, ${m.status})`).join(', ') || <span className="muted">no members</span>}</td>
            <td className="num">{g.load ?? 0}/{g.capacity ?? 0}</td>
            <td className="num">{g.waiting ?? 0}</td>
            <td><button type="button" onClick={() => editing.open(g)} aria-label={`Edit ${g.name}`}>Edit</button></td>
          </tr>
        ))}
      </AdminTable>
      {editing.item && (
        <GroupEditor key={editing.key} group={editing.item === 'new' ? null : editing.item} onSaved={(g) => { groups.reload(); editing.saved(g); }} onClose={editing.close} />
      )}
    </>
  );
}

function GroupEditor({ group, onSaved, onClose }: { group: GroupRow | null; onSaved: (g: GroupRow) => void; onClose: () => void }) {
  const [name, setName] = useState(group?.name ?? '');
  const [slug, setSlug] = useState(group?.slug ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const save = useSave();
  const e = save.errors;
  const submit = async () => {
    await save.act(() =>
      group
        ? api.PATCH('/api/v1/groups/{slug}', { params: { path: { slug: group.slug } }, body: { name, description: description || null } })
        : api.POST('/api/v1/groups', { body: { name, ...(slug ? { slug } : {}), ...(description ? { description } : {}) } }),
      group ? 'Saved.' : 'Group created.', onSaved);
  };
  return (
    <AdminForm label={group ? `Edit group ${group.name}` : 'New group'} onSubmit={submit} focusFirst>
      <h2>{group ? `Edit ${group.name}` : 'New group'}</h2>
      <div className="form-grid">
        <Field label="Name" error={e.at('name')}><input value={name} onChange={(x) => setName(x.target.value)} /></Field>
        <Field label="Slug" hint={group ? 'fixed once created' : 'optional: defaults to the name'} error={e.at('slug')}>
          <input value={slug} readOnly={!!group} onChange={(x) => setSlug(x.target.value)} />
        </Field>
        <Field label="Description" error={e.at('description')} className="wide"><input value={description} onChange={(x) => setDescription(x.target.value)} /></Field>
      </div>
      <EditorButtons save={save} label={group ? 'Save group' : 'Create group'} onClose={onClose} />
    </AdminForm>
  );
}
