import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

// the customer portal is its own small app, loaded only under /portal
const PortalApp = lazy(() => import('./portal/PortalApp').then((m) => ({ default: m.PortalApp })));
const portal = location.pathname === '/portal' || location.pathname.startsWith('/portal/');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {portal ? <Suspense fallback={<p className="loading">Loading…</p>}><PortalApp /></Suspense> : <App />}
  </StrictMode>,
);
