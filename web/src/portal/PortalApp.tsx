import { useEffect, useState } from 'react';
import { navigate, useLocation } from '../lib/router';
import { portalApi, portalCsrf, signedOut, type PortalMe } from './client';
import { RequestSignIn, RedeemLink } from './SignIn';
import { PortalTicketList } from './TicketList';
import { PortalTicketPage } from './TicketPage';
import { NewRequest } from './NewRequest';
import { PortalLink } from './Link';
import './portal.css';

/**
 * The customer portal at /portal: sign in by an e-mailed link, your tickets, one ticket's
 * public conversation with a reply box, and the "New request" form (which works signed out).
 */
export function PortalApp() {
  const { path, search } = useLocation();
  const [me, setMe] = useState<PortalMe | null | undefined>(undefined);

  useEffect(() => {
    // the link page signs in by itself; anywhere else, ask who is signed in (once)
    if (location.pathname !== '/portal/sign-in') {
      portalApi.GET('/api/v1/portal/me').then(({ data }) => setMe(data ?? null), () => setMe(null));
    }
    const out = () => setMe(null);
    signedOut.addEventListener('401', out);
    return () => signedOut.removeEventListener('401', out);
  }, []);

  const signOut = async () => {
    await portalApi.DELETE('/api/v1/portal/sessions');
    portalCsrf.set(null);
    setMe(null);
    navigate('/portal');
  };

  const ticket = /^\/portal\/tickets\/(\d+)$/.exec(path);
  let page;
  if (path === '/portal/sign-in') page = <RedeemLink token={search.get('token') ?? ''} next={search.get('next')} onDone={setMe} />;
  else if (path === '/portal/new') page = <NewRequest me={me ?? null} />;
  else if (me === undefined) page = <p className="portal-loading" aria-busy="true">Loading…</p>;
  else if (me === null) page = <RequestSignIn returnTo={ticket ? path : undefined} />;
  else if (ticket) page = <PortalTicketPage key={ticket[1]} number={Number(ticket[1])} />;
  else page = <PortalTicketList me={me} organization={search.get('scope') === 'organization'} />;

  return (
    <div className="portal">
      <header className="portal-header">
        <PortalLink className="portal-brand" to="/portal">Support</PortalLink>
        <nav aria-label="Portal">
          <PortalLink to="/portal">My requests</PortalLink>
          <PortalLink to="/portal/new">New request</PortalLink>
          {me && <button type="button" onClick={signOut}>Sign out</button>}
        </nav>
      </header>
      <main className="portal-main">{page}</main>
    </div>
  );
}
