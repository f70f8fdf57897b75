import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, Check, ConfirmButton, EditorButtons, Field, ListActions, LoadProblem, numberOrUndefined, useEditing, useLoad, useSave } from './form';
import type { AutoResponse, Mailbox } from './types';

const VARIABLES = '{{ ticket.number }}, {{ ticket.subject }}, {{ ticket.status }}, {{ ticket.priority }}, {{ ticket.category }}, {{ requester.name }}, {{ requester.email }}, {{ sla.responseDue }}, {{ sla.resolutionDue }}';
const SAMPLE_BODY = 'Hello {{ requester.name }},\n\nwe received your request "{{ ticket.subject }}" (ticket #{{ ticket.number }}) and will answer soon.\n';

/** Auto-responses: acknowledgement e-mails written as Liquid templates, matched by mailbox and category in order. */
export function AutoResponsesPage() {
  const list = useLoad(() => api.GET('/api/v1/auto-responses'));
  const mailboxes = useLoad(() => api.GET('/api/v1/mailboxes'));
  const editing = useEditing<AutoResponse>();
  const removal = useSave();
  const boxes = mailboxes.data?.mailboxes ?? [];
  return (
    <>
      <LoadProblem problem={list.problem} what="auto-responses" />
      <ListActions newLabel="New auto-response" onNew={() => editing.open('new')} status={removal} />
      <AdminTable columns={['Position', 'Name', 'Mailbox', 'Category', 'Subject', 'Active']} empty={list.data?.autoResponses.length === 0 && 'No auto-responses yet.'}>
        {list.data?.autoResponses.map((a) => (
          <tr key={a.id} data-auto-response={a.name}>
            <td className="num">{a.position}</td><td>{a.name}</td><td>{boxes.find((m) => m.id === a.mailbox)?.address ?? 'any'}</td><td>{a.category ?? 'any'}</td>
            <td><code>{a.subject}</code></td><td>{a.isActive ? 'yes' : 'no'}</td>
            <td>
              <button type="button" onClick={() => editing.open(a)} aria-label={`Edit ${a.name}`}>Edit</button>{' '}
              <ConfirmButton label="Delete" what={a.name} onConfirm={() => removal.act(() => api.DELETE('/api/v1/auto-responses/{id}', { params: { path: { id: a.id } } }), 'Deleted.', list.reload)} />
            </td>
          </tr>
        ))}
      </AdminTable>
      {editing.item && (
        <AutoResponseEditor key={editing.key} item={editing.item === 'new' ? null : editing.item} mailboxes={boxes} onSaved={(a) => { list.reload(); editing.saved(a); }} onClose={editing.close} />
      )}
    </>
  );
}

function AutoResponseEditor({ item, mailboxes, onSaved, onClose }: { item: AutoResponse | null; mailboxes: Mailbox[]; onSaved: (a: AutoResponse) => void; onClose: () => void }) {
  const [name, setName] = useState(item?.name ?? '');
  const [mailbox, setMailbox] = useState(item?.mailbox ?? '');
  const [category, setCategory] = useState(item?.category ?? '');
  const [subject, setSubject] = useState(item?.subject ?? 'Re: {{ ticket.subject }} [#{{ ticket.number }}]');
  const [body, setBody] = useState(item?.body ?? SAMPLE_BODY);
  const [position, setPosition] = useState(String(item?.position ?? ''));
  const [isActive, setActive] = useState(item?.isActive ?? true);
  const save = useSave();
  const e = save.errors;
  const submit = async () => {
    const pos = numberOrUndefined(position);
    const payload = { name, mailbox: mailbox || null, category: category || null, subject, body, isActive, ...(pos !== undefined ? { position: pos } : {}) };
    await save.act(() =>
      item ? api.PATCH('/api/v1/auto-responses/{id}', { params: { path: { id: item.id } }, body: payload }) : api.POST('/api/v1/auto-responses', { body: payload }),
      item ? 'Saved.' : 'Auto-response created.', onSaved);
  };
  return (
    <AdminForm label={item ? `Edit auto-response ${item.name}` : 'New auto-response'} onSubmit={submit} focusFirst>
      <h2>{item ? `Edit ${item.name}` : 'New auto-response'}</h2>
      <div className="form-grid">
        <Field label="Name" error={e.at('name')}><input value={name} onChange={(x) => setName(x.target.value)} /></Field>
        <Field label="Mailbox" error={e.at('mailbox')}>
          <select value={mailbox} onChange={(x) => setMailbox(x.target.value)}>
            <option value="">any mailbox</option>
            {mailboxes.map((m) => <option key={m.id} value={m.id}>{m.address}</option>)}
          </select>
        </Field>
        <Field label="Category" hint="blank: any" error={e.at('category')}><input value={category} onChange={(x) => setCategory(x.target.value)} /></Field>
        <Field label="Position" hint="lower is tried first" error={e.at('position')}><input type="number" value={position} onChange={(x) => setPosition(x.target.value)} /></Field>
        <Check label="Active" checked={isActive} onChange={setActive} />
      </div>
      <Field label="Subject template" error={e.at('subject')} className="wide"><input className="mono" value={subject} onChange={(x) => setSubject(x.target.value)} /></Field>
      <Field label="Body template (Liquid)" hint={`Variables: ${VARIABLES}`} error={e.at('body')} className="wide">
        <textarea className="mono" rows={8} value={body} onChange={(x) => setBody(x.target.value)} spellCheck={false} />
      </Field>
      <EditorButtons save={save} label={item ? 'Save auto-response' : 'Create auto-response'} onClose={onClose} />
    </AdminForm>
  );
}
