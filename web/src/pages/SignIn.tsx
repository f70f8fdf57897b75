import { useState } from 'react';
import { api, csrf, problemMessage, type Agent } from '../api/client';

/** E-mail and password sign-in: the API sets the HttpOnly session cookie and returns the CSRF token. */
export function SignIn({ onSignedIn }: { onSignedIn: (me: Agent) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin">
      <form
        aria-labelledby="signin-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          const { data, error: problem, response } = await api.POST('/api/v1/auth/login', { body: { email, password } });
          setBusy(false);
          if (data) {
            csrf.set(data.csrfToken);
            onSignedIn(data.user);
          } else setError(response.status === 401 ? 'Wrong e-mail or password.' : problemMessage(problem));
        }}
      >
        <h1 id="signin-title">Sign in to Triage</h1>
        <label>
          E-mail
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
    </main>
  );
}
