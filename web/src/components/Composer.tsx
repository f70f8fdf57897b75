import { forwardRef, useImperativeHandle, useRef, useState } from 'react';
import { api, problemMessage } from '../api/client';

export interface ComposerHandle {
  /** focuses the text box in public-reply (`r`) or internal-note (`n`) mode */
  start(mode: 'public' | 'internal'): void;
}

/**
 * The reply box: a public reply (e-mailed to the requester) or an internal note (agents only),
 * with attachments dropped on it or chosen with the file button (sent as multipart).
 */
export const Composer = forwardRef<ComposerHandle, { ticketId: string; onSent: (ticketVersion: number) => void }>(function Composer({ ticketId, onSent }, ref) {
  const [mode, setMode] = useState<'public' | 'internal'>('public');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [dragging, setDragging] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const addFiles = (list: FileList | null) => {
    // copied now: the input's FileList is emptied when its value is reset
    const added = Array.from(list ?? []);
    if (added.length) setFiles((old) => [...old, ...added]);
  };
  useImperativeHandle(ref, () => ({
    start(m) {
      setMode(m);
      box.current?.focus();
    },
  }));
  const internal = mode === 'internal';
  return (
    <form
      className={`composer composer-${mode}${dragging ? ' dragging' : ''}`}
      aria-label="Reply"
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        if (!e.dataTransfer.files.length) return;
        e.preventDefault();
        setDragging(false);
        addFiles(e.dataTransfer.files);
      }}
      onSubmit={async (e) => {
        e.preventDefault();
        if (!text.trim()) return;
        setBusy(true);
        let body: { content: string; isInternal: boolean } | FormData = { content: text, isInternal: internal };
        if (files.length) {
          const form = new FormData();
          form.append('content', text);
          form.append('isInternal', String(internal));
          for (const f of files) form.append('files', f, f.name);
          body = form;
        }
        const { data, error: problem } = await api.POST('/api/v1/tickets/{id}/comments', {
          params: { path: { id: ticketId } },
          // FormData goes as multipart (the browser sets the boundary); the route validates its fields like JSON
          body: body as { content: string; isInternal: boolean },
        });
        setBusy(false);
        if (!data) return setError(problemMessage(problem));
        setError(null);
        setText('');
        setFiles([]);
        onSent(data.ticketVersion);
      }}
    >
      <fieldset className="mode">
        <legend className="visually-hidden">Reply or note</legend>
        <label><input type="radio" name="mode" checked={!internal} onChange={() => setMode('public')} /> Public reply <kbd>r</kbd></label>
        <label><input type="radio" name="mode" checked={internal} onChange={() => setMode('internal')} /> Internal note <kbd>n</kbd></label>
      </fieldset>
      <textarea
        ref={box}
        aria-label={internal ? 'Internal note' : 'Public reply'}
        placeholder={internal ? 'Note for agents only…' : 'Reply to the requester…'}
        value={text}
        rows={5}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') e.currentTarget.blur();
        }}
      />
      {files.length > 0 && (
        <ul className="pending-files" aria-label="Files to attach">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              {f.name} <span className="size">{Math.ceil(f.size / 1024)} KB</span>
              <button type="button" aria-label={`Remove ${f.name}`} onClick={() => setFiles((old) => old.filter((_, j) => j !== i))}>×</button>
            </li>
          ))}
        </ul>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      <div className="composer-actions">
        <span className="drop-hint">Drop files here or</span>
        <button type="button" onClick={() => picker.current?.click()}>Attach files…</button>
        <input ref={picker} type="file" multiple hidden aria-label="Attach files" onChange={(e) => { addFiles(e.target.files); e.target.value = ''; }} />
        <span className="spacer" />
        <button type="submit" disabled={busy || !text.trim()}>{internal ? 'Add note' : 'Send reply'}</button>
      </div>
    </form>
  );
});
