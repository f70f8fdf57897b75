import { useState } from 'react';
import { api, type Agent } from '../api/client';
import { AdminForm, AdminTable, Check, ConfirmButton, EditorButtons, Field, ListActions, LoadProblem, useLoad, useSave } from './form';
import { when } from './types';

/** API tokens: create one (its secret is shown once, with a copy button), list them, revoke. Admins may list everyone's. */
export function TokensPage({ me }: { me: Agent }) {
  const [all, setAll] = useState(false);
  const tokens = useLoad(() => api.GET('/api/v1/api-tokens', { params: { query: all ? { all: 'true' } : {} } }), [all]);
  const agents = useLoad(() => (me.role === 'admin' ? api.GET('/api/v1/agents', { params: { query: { limit: 200 } } }) : Promise.resolve({ data: { agents: [] as { id: string; name: string }[] } })));
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const create = useSave();
  const revoke = useSave();
  const e = create.errors;
  const owner = (id: string) => (id === me.id ? 'you' : agents.data?.agents.find((a) => a.id === id)?.name ?? id);

  const submit = async () => {
    const t = await create.run(() => api.POST('/api/v1/api-tokens', { body: { name } }), 'Token created.');
    if (t) {
      setSecret({ name: t.name, token: t.token });
      setCopied(false);
      setName('');
      tokens.reload();
    }
  };
  const copy = async () => {
    if (!secret) return;
    await navigator.clipboard.writeText(secret.token).then(() => setCopied(true), () => setCopied(false));
  };

  return (
    <>
      <AdminForm label="New API token" onSubmit={submit}>
        <div className="form-grid">
          <Field label="Token name" hint="what uses it, e.g. CRM sync" error={e.at('name')}><input value={name} onChange={(x) => setName(x.target.value)} /></Field>
        </div>
        <EditorButtons save={create} label="Create token" />
      </AdminForm>
      {secret && (
        <div className="token-once" role="region" aria-label="New token">
          <p><strong>{secret.name}</strong>: copy the token now. It is shown only once.</p>
          <div className="token-row">
            <input readOnly value={secret.token} aria-label="New token value" className="mono" onFocus={(x) => x.target.select()} />
            <button type="button" onClick={copy}>Copy</button>
            <span role="status">{copied ? 'Copied.' : ''}</span>
            <button type="button" onClick={() => setSecret(null)}>Done</button>
          </div>
        </div>
      )}
      <LoadProblem problem={tokens.problem} what="API tokens" />
      <ListActions status={revoke}>{me.role === 'admin' && <Check label="Everyone's tokens" checked={all} onChange={setAll} />}</ListActions>
      <AdminTable columns={['Name', 'Prefix', 'Owner', 'Created', 'Last used']} empty={tokens.data?.tokens.length === 0 && 'No tokens.'}>
        {tokens.data?.tokens.map((t) => (
          <tr key={t.id} data-token={t.name}>
            <td>{t.name}</td><td><code>{t.prefix}…</code></td><td>{owner(t.agentId)}</td><td>{when(t.createdAt)}</td><td>{when(t.lastUsedAt)}</td>
            <td>
              <ConfirmButton label="Revoke" what={t.name} onConfirm={() => revoke.act(() => api.DELETE('/api/v1/api-tokens/{id}', { params: { path: { id: t.id } } }), 'Token revoked.', tokens.reload)} />
            </td>
          </tr>
        ))}
      </AdminTable>
    </>
  );
}
