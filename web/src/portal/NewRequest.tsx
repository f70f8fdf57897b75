import { useEffect, useState } from 'react';
import { problemMessage, type Problem } from '../api/client';
import { portalApi, type PortalMe } from './client';
import { PortalLink } from './Link';

/**
 * The web form: works signed out (name and e-mail asked) and signed in. Its spam guard is a
 * form token fetched when the form opens, a hidden "website" field people leave empty, and
 * the server's per-IP limit.
 */
export function NewRequest({ me }: { me: PortalMe | null }) {
  const [formToken, setFormToken] = useState<string | null>(null);
  const [fields, setFields] = useState({ name: '', email: '', subject: '', description: '', website: '' });
  const [files, setFiles] = useState<File[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ number: number } | null>(null);

  useEffect(() => {
    portalApi.GET('/api/v1/portal/form-token').then(({ data }) => setFormToken(data?.formToken ?? null));
  }, [created]);

  if (created) {
    return (
      <section className="portal-card" aria-labelledby="created-title">
        <h1 id="created-title">Thank you</h1>
        <p role="status">We received your request <strong>#{created.number}</strong> and will answer by e-mail.</p>
        {me ? <PortalLink to={`/portal/tickets/${created.number}`}>See your request</PortalLink> : <PortalLink to="/portal">Sign in to follow your requests</PortalLink>}
      </section>
    );
  }

  const set = (k: keyof typeof fields) => (e: { target: { value: string } }) => setFields({ ...fields, [k]: e.target.value });
  const fieldError = (k: string) => errors[k] && <span className="error" id={`err-${k}`}>{errors[k]}</span>;
  return (
    <section className="portal-card portal-wide">
      <form
        aria-labelledby="new-request-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          const data = { subject: fields.subject, description: fields.description, formToken: formToken ?? '', website: fields.website,
            ...(me ? {} : { name: fields.name, email: fields.email }) };
          let body: typeof data | FormData = data;
          if (files.length) {
            const form = new FormData();
            form.append('data', JSON.stringify(data));
            for (const f of files) form.append('files', f, f.name);
            body = form;
          }
          const { data: ok, error: problem } = await portalApi.POST('/api/v1/portal/tickets', { body: body as typeof data });
          setBusy(false);
          if (ok) return setCreated(ok);
          const p = problem as Problem | undefined;
          setErrors(Object.fromEntries((p?.errors ?? []).map((x) => [x.path, x.message])));
          setError(problemMessage(problem));
        }}
      >
        <h1 id="new-request-title">New request</h1>
        {me ? <p className="portal-muted">As {me.name} ({me.email})</p> : (
          <>
            <label>Your name<input name="name" autoComplete="name" required value={fields.name} onChange={set('name')} aria-describedby={errors.name ? 'err-name' : undefined} />{fieldError('name')}</label>
            <label>E-mail<input type="email" name="email" autoComplete="email" required value={fields.email} onChange={set('email')} aria-describedby={errors.email ? 'err-email' : undefined} />{fieldError('email')}</label>
          </>
        )}
        <label>Subject<input name="subject" required maxLength={500} value={fields.subject} onChange={set('subject')} />{fieldError('subject')}</label>
        <label>How can we help?<textarea name="description" rows={7} required value={fields.description} onChange={set('description')} />{fieldError('description')}</label>
        <label>Attach files<input type="file" multiple onChange={(e) => setFiles([...(e.target.files ?? [])])} /></label>
        {/* the honeypot: hidden from people and screen readers; robots fill it */}
        <div className="portal-honeypot" aria-hidden="true">
          <label>Website<input name="website" tabIndex={-1} autoComplete="off" value={fields.website} onChange={set('website')} /></label>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy || !formToken}>Send request</button>
      </form>
    </section>
  );
}
