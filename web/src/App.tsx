import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, csrf, unauthorized, type Agent } from './api/client';
import { SignIn } from './pages/SignIn';
import { TopBar } from './components/TopBar';
import { TicketList } from './pages/TicketList';
import { TicketPage } from './pages/TicketPage';
import { useLocation } from './lib/router';

// the dashboard and its chart library load only when it is opened (the list's first load stays small)
const Dashboard = lazy(() => import('./pages/Dashboard').then((m) => ({ default: m.Dashboard })));
// the admin screens likewise (admins only; web/src/admin)
const Admin = lazy(() => import('./admin/Admin').then((m) => ({ default: m.Admin })));

/** The agent workspace: sign-in, then the ticket list (`/`), a ticket (`/tickets/:number`), the dashboard (`/dashboard`) or the admin screens (`/admin/*`). */
export function App() {
  const [me, setMe] = useState<Agent | null | undefined>(undefined);
  const { path, search } = useLocation();

  useEffect(() => {
    api.GET('/api/v1/me').then(({ data }) => setMe(data ?? null), () => setMe(null));
    const out = () => setMe(null);
    unauthorized.addEventListener('401', out);
    return () => unauthorized.removeEventListener('401', out);
  }, []);

  const signOut = useCallback(async () => {
    await api.POST('/api/v1/auth/logout');
    csrf.set(null);
    setMe(null);
  }, []);

  if (me === undefined) return <div className="loading" aria-busy="true">Loading…</div>;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  const ticket = /^\/tickets\/([^/]+)$/.exec(path);
  return (
    <div className="app">
      <TopBar me={me} path={path} onChange={setMe} onSignOut={signOut} />
      {path === '/dashboard' ? <Suspense fallback={<div className="loading" aria-busy="true">Loading…</div>}><Dashboard /></Suspense>
        : path === '/admin' || path.startsWith('/admin/') ? <Suspense fallback={<div className="loading" aria-busy="true">Loading…</div>}><Admin me={me} path={path} /></Suspense>
        : ticket ? <TicketPage key={ticket[1]} id={decodeURIComponent(ticket[1])} me={me} /> : <TicketList me={me} search={search} />}
    </div>
  );
}
