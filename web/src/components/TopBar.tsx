import { useState } from 'react';
import { api, problemMessage, type Agent, type Presence } from '../api/client';
import { lastListUrl, navigate } from '../lib/router';

const PRESENCE: Presence[] = ['online', 'away', 'busy', 'offline'];

const PAGES = [{ path: '/', label: 'Tickets' }, { path: '/dashboard', label: 'Dashboard' }];
const ADMIN_PAGE = { path: '/admin', label: 'Admin' };

/** The page of the top bar that `path` belongs to (the ticket list owns every other path). */
const pageOf = (path: string) => (path === '/dashboard' ? '/dashboard' : path === '/admin' || path.startsWith('/admin/') ? '/admin' : '/');

/** Always visible: home, the pages, the agent's presence switch (routing only gives tickets to online agents), sign-out. */
export function TopBar({ me, path = '/', onChange, onSignOut }: { me: Agent; path?: string; onChange: (me: Agent) => void; onSignOut: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <header className="topbar">
      <a href="/" className="brand" onClick={(e) => { e.preventDefault(); navigate('/'); }}>Triage</a>
      <nav className="pages" aria-label="Pages">
        {(me.role === 'admin' ? [...PAGES, ADMIN_PAGE] : PAGES).map((p) => (
          <a
            key={p.path} href={p.path} aria-current={pageOf(path) === p.path ? 'page' : undefined}
            onClick={(e) => { e.preventDefault(); navigate(p.path === '/' ? lastListUrl() : p.path); }}
          >{p.label}</a>
        ))}
      </nav>
      <span className="spacer" />
      <label className={`presence presence-${me.status}`}>
        <span className="dot" aria-hidden="true" />
        <span className="visually-hidden">Your status</span>
        <select
          aria-label="Your status"
          value={me.status}
          onChange={async (e) => {
            const { data, error: problem } = await api.PATCH('/api/v1/me/status', { body: { status: e.target.value as Presence } });
            if (data) onChange(data);
            setError(data ? null : problemMessage(problem));
          }}
        >
          {PRESENCE.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      {error && <span className="error" role="alert">{error}</span>}
      <span className="me" title={me.email}>{me.name}</span>
      <button type="button" onClick={onSignOut}>Sign out</button>
    </header>
  );
}
