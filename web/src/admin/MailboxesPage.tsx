import { useState } from 'react';
import { api } from '../api/client';
import { AdminForm, AdminTable, Check, ConfirmButton, EditorButtons, Field, ListActions, LoadProblem, numberOrUndefined, useEditing, useLoad, useSave } from './form';
import type { CreateMailbox, GroupRow, Mailbox } from './types';

interface Draft {
  address: string; name: string; group: string; category: string; autoAcknowledge: boolean; isActive: boolean;
  inboundType: 'smtp' | 'imap'; imapHost: string; imapPort: string; imapSecure: boolean; imapUser: string; imapPassword: string; imapFolder: string;
  ownOutbound: boolean; smtpHost: string; smtpPort: string; smtpSecure: boolean; smtpUser: string; smtpPassword: string;
}

function draftOf(m: Mailbox | null): Draft {
  const imap = m?.inbound.type === 'imap' ? m.inbound : null;
  const out = m?.outbound ?? null;
  return {
    address: m?.address ?? '', name: m?.name ?? '', group: m?.group ?? '', category: m?.category ?? '',
    autoAcknowledge: m?.autoAcknowledge ?? true, isActive: m?.isActive ?? true,
    inboundType: imap ? 'imap' : 'smtp', imapHost: imap?.host ?? '', imapPort: String(imap?.port ?? 993), imapSecure: imap?.secure ?? true,
    imapUser: imap?.user ?? '', imapPassword: '', imapFolder: imap?.folder ?? 'INBOX',
    ownOutbound: !!out, smtpHost: out?.host ?? '', smtpPort: String(out?.port ?? 587), smtpSecure: out?.secure ?? false, smtpUser: out?.user ?? '', smtpPassword: '',
  };
}

/** The mailbox body; passwords are write-only: a blank one is left out, so the stored one stays. */
export function mailboxBody(d: Draft): CreateMailbox {
  const inbound: CreateMailbox['inbound'] = d.inboundType === 'smtp' ? { type: 'smtp' } : {
    type: 'imap', host: d.imapHost, port: numberOrUndefined(d.imapPort) as number, secure: d.imapSecure, user: d.imapUser,
    ...(d.imapPassword ? { password: d.imapPassword } : {}), ...(d.imapFolder ? { folder: d.imapFolder } : {}),
  };
  const outbound: CreateMailbox['outbound'] = d.ownOutbound ? {
    host: d.smtpHost, port: numberOrUndefined(d.smtpPort) as number, secure: d.smtpSecure,
    ...(d.smtpUser ? { user: d.smtpUser } : {}), ...(d.smtpPassword ? { password: d.smtpPassword } : {}),
  } : null;
  return {
    address: d.address, name: d.name, group: d.group || null, category: d.category || null, inbound, outbound,
    autoAcknowledge: d.autoAcknowledge, isActive: d.isActive,
  };
}

/** Mailboxes: the addresses mail arrives at (SMTP listener or IMAP polling) and their outbound relay. */
export function MailboxesPage() {
  const mailboxes = useLoad(() => api.GET('/api/v1/mailboxes'));
  const groups = useLoad(() => api.GET('/api/v1/groups'));
  const editing = useEditing<Mailbox>();
  const removal = useSave();
  return (
    <>
      <LoadProblem problem={mailboxes.problem} what="mailboxes" />
      <ListActions newLabel="New mailbox" onNew={() => editing.open('new')} status={removal} />
      <AdminTable columns={['Address', 'Name', 'Inbound', 'Outbound', 'Group', 'Active']} empty={mailboxes.data?.mailboxes.length === 0 && 'No mailboxes yet.'}>
        {mailboxes.data?.mailboxes.map((m) => (
          <tr key={m.id} data-mailbox={m.address}>
            <td>{m.address}</td><td>{m.name}</td>
            <td>{m.inbound.type === 'imap' ? `IMAP ${m.inbound.user}@${m.inbound.host}:${m.inbound.port}` : 'SMTP listener'}</td>
            <td>{m.outbound ? `${m.outbound.host}:${m.outbound.port}` : 'default relay'}</td>
            <td>{m.group ?? '—'}</td><td>{m.isActive ? 'yes' : 'no'}</td>
            <td>
              <button type="button" onClick={() => editing.open(m)} aria-label={`Edit ${m.address}`}>Edit</button>{' '}
              <ConfirmButton label="Delete" what={m.address} onConfirm={() => removal.act(() => api.DELETE('/api/v1/mailboxes/{id}', { params: { path: { id: m.id } } }), 'Mailbox deleted.', mailboxes.reload)} />
            </td>
          </tr>
        ))}
      </AdminTable>
      {editing.item && (
        <MailboxEditor
          key={editing.key} mailbox={editing.item === 'new' ? null : editing.item} groups={groups.data?.groups ?? []}
          onSaved={(m) => { mailboxes.reload(); editing.saved(m); }} onClose={editing.close}
        />
      )}
    </>
  );
}

function MailboxEditor({ mailbox, groups, onSaved, onClose }: { mailbox: Mailbox | null; groups: GroupRow[]; onSaved: (m: Mailbox) => void; onClose: () => void }) {
  const [d, setD] = useState<Draft>(() => draftOf(mailbox));
  const set = (patch: Partial<Draft>) => setD((x) => ({ ...x, ...patch }));
  const save = useSave();
  const e = save.errors;
  const stored = (has: boolean | undefined) => (has ? 'a password is stored: leave blank to keep it' : 'write-only: never shown again');
  const submit = async () => {
    const body = mailboxBody(d);
    const saved = await save.run(() =>
      mailbox ? api.PATCH('/api/v1/mailboxes/{id}', { params: { path: { id: mailbox.id } }, body }) : api.POST('/api/v1/mailboxes', { body }),
      mailbox ? 'Saved.' : 'Mailbox created.');
    if (saved) {
      set({ imapPassword: '', smtpPassword: '' });
      onSaved(saved);
    }
  };
  return (
    <AdminForm label={mailbox ? `Edit mailbox ${mailbox.address}` : 'New mailbox'} onSubmit={submit} focusFirst>
      <h2>{mailbox ? `Edit ${mailbox.address}` : 'New mailbox'}</h2>
      <div className="form-grid">
        <Field label="Address" error={e.at('address')}><input type="email" value={d.address} onChange={(x) => set({ address: x.target.value })} /></Field>
        <Field label="Display name" error={e.at('name')}><input value={d.name} onChange={(x) => set({ name: x.target.value })} /></Field>
        <Field label="Group" hint="new tickets go to this queue" error={e.at('group')}>
          <select value={d.group} onChange={(x) => set({ group: x.target.value })}>
            <option value="">(none)</option>
            {groups.map((g) => <option key={g.slug} value={g.slug}>{g.name}</option>)}
          </select>
        </Field>
        <Field label="Category" error={e.at('category')}><input value={d.category} onChange={(x) => set({ category: x.target.value })} /></Field>
        <Check label="Send auto-responses" checked={d.autoAcknowledge} onChange={(v) => set({ autoAcknowledge: v })} />
        <Check label="Active" checked={d.isActive} onChange={(v) => set({ isActive: v })} />
      </div>
      <fieldset className="group-box">
        <legend>Inbound</legend>
        <div className="form-grid">
          <Field label="Receive by" error={e.at('inbound.type')}>
            <select value={d.inboundType} onChange={(x) => set({ inboundType: x.target.value as Draft['inboundType'] })}>
              <option value="smtp">SMTP (mail is delivered to Triage)</option>
              <option value="imap">IMAP (Triage polls a mailbox)</option>
            </select>
          </Field>
          {d.inboundType === 'imap' && (
            <>
              <Field label="IMAP host" error={e.at('inbound.host')}><input value={d.imapHost} onChange={(x) => set({ imapHost: x.target.value })} /></Field>
              <Field label="IMAP port" error={e.at('inbound.port')}><input type="number" value={d.imapPort} onChange={(x) => set({ imapPort: x.target.value })} /></Field>
              <Check label="IMAP over TLS" checked={d.imapSecure} onChange={(v) => set({ imapSecure: v })} />
              <Field label="IMAP user" error={e.at('inbound.user')}><input value={d.imapUser} autoComplete="off" onChange={(x) => set({ imapUser: x.target.value })} /></Field>
              <Field label="IMAP password" hint={stored(mailbox?.inbound.type === 'imap' && mailbox.inbound.hasPassword)} error={e.at('inbound.password')}>
                <input type="password" autoComplete="new-password" value={d.imapPassword} onChange={(x) => set({ imapPassword: x.target.value })} />
              </Field>
              <Field label="Folder" error={e.at('inbound.folder')}><input value={d.imapFolder} onChange={(x) => set({ imapFolder: x.target.value })} /></Field>
            </>
          )}
        </div>
      </fieldset>
      <fieldset className="group-box">
        <legend>Outbound</legend>
        <Check label="Own SMTP relay (otherwise the server's default)" checked={d.ownOutbound} onChange={(v) => set({ ownOutbound: v })} />
        {d.ownOutbound && (
          <div className="form-grid">
            <Field label="SMTP host" error={e.at('outbound.host')}><input value={d.smtpHost} onChange={(x) => set({ smtpHost: x.target.value })} /></Field>
            <Field label="SMTP port" error={e.at('outbound.port')}><input type="number" value={d.smtpPort} onChange={(x) => set({ smtpPort: x.target.value })} /></Field>
            <Check label="SMTP over TLS" checked={d.smtpSecure} onChange={(v) => set({ smtpSecure: v })} />
            <Field label="SMTP user" error={e.at('outbound.user')}><input value={d.smtpUser} autoComplete="off" onChange={(x) => set({ smtpUser: x.target.value })} /></Field>
            <Field label="SMTP password" hint={stored(mailbox?.outbound?.hasPassword)} error={e.at('outbound.password')}>
              <input type="password" autoComplete="new-password" value={d.smtpPassword} onChange={(x) => set({ smtpPassword: x.target.value })} />
            </Field>
          </div>
        )}
      </fieldset>
      <EditorButtons save={save} label={mailbox ? 'Save mailbox' : 'Create mailbox'} onClose={onClose} />
    </AdminForm>
  );
}
