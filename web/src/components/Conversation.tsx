import type { Comment } from '../api/client';
import { formatTime } from '../lib/time';
import { EmailFrame } from './EmailFrame';

/** The ticket's description and comments, oldest first: public replies and internal notes look different and say which they are. */
export function Conversation({ comments }: { comments: Comment[] }) {
  return (
    <ol className="conversation" aria-label="Conversation">
      {comments.map((c) => {
        const kind = c.isInternal ? 'internal' : 'public';
        const label = c.isInternal ? 'Internal note' : c.author.type === 'requester' ? 'From the requester' : 'Public reply';
        return (
          <li key={c.id} className={`comment comment-${kind}`} data-comment={c.id} data-kind={kind}>
            <header>
              <strong>{c.author.name ?? c.author.type}</strong>
              <span className={`badge badge-${kind}`}>{label}</span>
              {c.email && <span className="badge badge-email" title={c.email.from?.address}>e-mail</span>}
              <time dateTime={c.createdAt}>{formatTime(c.createdAt)}</time>
            </header>
            {c.email?.bodyHtmlSanitized
              ? <EmailFrame html={c.email.bodyHtmlSanitized} title={`E-mail from ${c.email.from?.address ?? c.author.name ?? 'requester'}`} />
              : <div className="content">{c.content}</div>}
            {c.attachments.length > 0 && (
              <ul className="attachments" aria-label="Attachments">
                {c.attachments.map((a) => (
                  <li key={a.id}>
                    {a.mimeType.startsWith('image/') && <img src={a.url} alt={a.fileName} loading="lazy" />}
                    <a href={a.url} download={a.fileName}>{a.fileName}</a> <span className="size">{Math.ceil(a.size / 1024)} KB</span>
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}
