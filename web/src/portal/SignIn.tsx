import { useEffect, useRef, useState } from 'react';
import { problemMessage } from '../api/client';
import { navigate } from '../lib/router';
import { portalApi, portalCsrf, type PortalMe } from './client';
import { PortalLink } from './Link';

/** A portal page a sign-in link may lead back to (the server checks the same). */
const RETURN_PATH = /^\/portal(\/tickets\/\d{1,15})?$/;

/**
 * E-mail → "check your inbox": the server always answers the same, known address or not.
 * `returnTo`: the portal page the link should open (the ticket the requester came to see).
 */
export function RequestSignIn({ returnTo }: { returnTo?: string }) {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (sent) {
    return (
      <section className="portal-card" aria-labelledby="inbox-title">
        <h1 id="inbox-title">Check your inbox</h1>
        <p role="status">If <strong>{email}</strong> has requests with us, we have sent it a sign-in link. It works once, for 15 minutes.</p>
        <button type="button" onClick={() => setSent(false)}>Use another address</button>
      </section>
    );
  }
  return (
    <section className="portal-card">
      <form
        aria-labelledby="portal-signin-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          const { error: problem, response } = await portalApi.POST('/api/v1/portal/sign-in-link', {
            body: { email, ...(returnTo && RETURN_PATH.test(returnTo) ? { returnTo } : {}) },
          });
          setBusy(false);
          if (response.status === 202) setSent(true);
          else setError(problemMessage(problem));
        }}
      >
        <h1 id="portal-signin-title">Your support requests</h1>
        <p>Enter your e-mail address and we will send you a link to sign in. No password needed.</p>
        <label>
          E-mail
          <input type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>Send me a sign-in link</button>
      </form>
      <p>No account needed to ask a question: <PortalLink to="/portal/new">open a new request</PortalLink>.</p>
    </section>
  );
}

/** /portal/sign-in?token=…: exchanges the link's token for a session, then shows the tickets (`onDone(null)`: refused). */
export function RedeemLink({ token, next, onDone }: { token: string; next: string | null; onDone: (me: PortalMe | null) => void }) {
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    // a link works once: never exchange it twice (StrictMode runs effects twice in development)
    if (started.current) return;
    started.current = true;
    // the token leaves the address bar (and the history) at once
    history.replaceState(null, '', '/portal/sign-in');
    portalApi.POST('/api/v1/portal/sessions', { body: { token } }).then(({ data, error: problem }) => {
      if (!data) {
        onDone(null);
        return setError(problemMessage(problem));
      }
      portalCsrf.set(data.csrfToken);
      onDone(data.requester);
      navigate(next && RETURN_PATH.test(next) ? next : '/portal');
    });
  }, [token, next, onDone]);
  if (!error) return <p className="portal-loading" aria-busy="true">Signing you in…</p>;
  return (
    <section className="portal-card">
      <h1>This link does not work</h1>
      <p className="error" role="alert">{error}</p>
      <PortalLink to="/portal">Ask for a new link</PortalLink>
    </section>
  );
}
