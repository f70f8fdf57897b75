import { useCallback, useEffect, useState } from 'react';
import { problemMessage } from '../api/client';
import { formatTime } from '../lib/time';
import { portalApi, STATUS_LABEL, type PortalTicket } from './client';
import { PortalLink } from './Link';

type Files = PortalTicket['attachments'];

function FileList({ files }: { files: Files }) {
  if (!files.length) return null;
  return (
    <ul className="portal-files" aria-label="Attachments">
      {files.map((f) => <li key={f.id}><a href={f.url} download={f.fileName}>{f.fileName}</a> <span className="portal-muted">({Math.max(1, Math.round(f.size / 1024))} KB)</span></li>)}
    </ul>
  );
}

/** One ticket: the request, the public conversation, the reply box and "Mark as solved". */
export function PortalTicketPage({ number }: { number: number }) {
  const [ticket, setTicket] = useState<PortalTicket | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    portalApi.GET('/api/v1/portal/tickets/{number}', { params: { path: { number } } }).then(({ data, error: problem, response }) => {
      if (data) return setTicket(data);
      setError(response.status === 404 ? 'We could not find this request.' : problemMessage(problem));
    });
  }, [number]);
  useEffect(load, [load]);

  if (error && !ticket) return <p className="error" role="alert">{error} <PortalLink to="/portal">Back to my requests</PortalLink></p>;
  if (!ticket) return <p aria-busy="true">Loading…</p>;
  const final = ticket.status === 'closed' || ticket.status === 'cancelled';
  const solved = ticket.status === 'resolved';

  const solve = async () => {
    const { data, error: problem } = await portalApi.POST('/api/v1/portal/tickets/{number}/solve', { params: { path: { number } } });
    if (data) setTicket(data);
    else setError(problemMessage(problem));
  };

  return (
    <article className="portal-ticket" aria-labelledby="portal-ticket-title">
      <PortalLink to="/portal">← My requests</PortalLink>
      <h1 id="portal-ticket-title">{ticket.subject}</h1>
      <p className="portal-meta">
        <span className={`portal-status portal-status-${ticket.status}`} data-status={ticket.status}>{STATUS_LABEL[ticket.status] ?? ticket.status}</span>
        <span>#{ticket.number}</span>
        <span>Opened {formatTime(ticket.createdAt)}</span>
      </p>
      <ol className="portal-conversation" aria-label="Conversation">
        <li className="portal-message portal-message-requester">
          <header><strong>{ticket.requesterName}</strong><time dateTime={ticket.createdAt}>{formatTime(ticket.createdAt)}</time></header>
          <div className="content">{ticket.description}</div>
          <FileList files={ticket.attachments} />
        </li>
        {ticket.comments.map((c) => (
          <li key={c.id} className={`portal-message portal-message-${c.author.type}`}>
            <header>
              <strong>{c.author.name || (c.author.type === 'requester' ? 'You' : 'Support')}</strong>
              {c.author.type !== 'requester' && <span className="portal-badge">Support team</span>}
              <time dateTime={c.createdAt}>{formatTime(c.createdAt)}</time>
            </header>
            <div className="content">{c.content}</div>
            <FileList files={c.attachments} />
          </li>
        ))}
      </ol>
      {error && <p className="error" role="alert">{error}</p>}
      {final ? (
        <p className="portal-muted">This request is {ticket.status}. To follow it up, <PortalLink to="/portal/new">open a new request</PortalLink>.</p>
      ) : (
        <>
          <ReplyBox number={number} reopens={solved} onSent={(t) => { setError(null); setTicket(t); }} />
          {!solved && (
            <div className="portal-solve">
              <button type="button" onClick={solve}>Mark as solved</button>
              <span className="portal-muted">if you need nothing more on this request</span>
            </div>
          )}
        </>
      )}
    </article>
  );
}

/** The requester's reply, with files (multipart when there are any). */
function ReplyBox({ number, reopens, onSent }: { number: number; reopens: boolean; onSent: (t: PortalTicket) => void }) {
  const [text, setText] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [inputKey, setInputKey] = useState(0);
  return (
    <form
      className="portal-reply"
      aria-label="Reply"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!text.trim()) return setError('Write a message first.');
        setBusy(true);
        let body: { content: string } | FormData = { content: text };
        if (files.length) {
          const form = new FormData();
          form.append('content', text);
          for (const f of files) form.append('files', f, f.name);
          body = form;
        }
        // FormData goes as multipart (the browser sets the boundary); the route validates its fields like JSON
        const { data, error: problem } = await portalApi.POST('/api/v1/portal/tickets/{number}/comments', {
          params: { path: { number } }, body: body as { content: string },
        });
        setBusy(false);
        if (!data) return setError(problemMessage(problem));
        setError(null);
        setText('');
        setFiles([]);
        setInputKey((k) => k + 1);
        onSent(data);
      }}
    >
      <label>
        Your reply
        <textarea rows={5} value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <label>
        Attach files
        <input key={inputKey} type="file" multiple onChange={(e) => setFiles([...(e.target.files ?? [])])} />
      </label>
      {reopens && <p className="portal-muted">Replying reopens this request.</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>Send reply</button>
    </form>
  );
}
