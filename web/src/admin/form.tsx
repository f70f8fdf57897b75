import { cloneElement, useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactElement, type ReactNode } from 'react';
import type { Problem } from '../api/client';

/** What a call through the typed client gives back: the data, or the server's problem document. */
export type Result<T> = { data?: T; error?: unknown; response?: Response };

/** A problem document from whatever the client returned as `error` (a network failure becomes one too). */
export function asProblem(error: unknown, status = 0): Problem {
  const p = error as Partial<Problem> | undefined;
  if (p && typeof p === 'object' && typeof p.title === 'string') return { status: p.status ?? status, code: p.code ?? 'unknown', title: p.title, detail: p.detail, errors: p.errors };
  return { status, code: 'network', title: 'The server could not be reached.', detail: String(error ?? '') || undefined };
}

/**
 * The field errors of a problem, looked up by the path a form field edits: a field claims the
 * errors at its path and below it (`hours.mon` claims `hours.mon.0.1`), and whatever no field
 * claimed is listed beside the Save button, so no message is ever lost.
 */
export class FieldErrors {
  private readonly claimed = new Set<number>();
  constructor(readonly problem: Problem | null) {}

  /** The messages at `path` or below it (`exact`: at it only), joined; undefined when there are none. */
  at(path: string, exact = false): string | undefined {
    const found: string[] = [];
    this.problem?.errors?.forEach((e, i) => {
      if (e.path === path || (!exact && e.path.startsWith(`${path}.`))) {
        this.claimed.add(i);
        found.push(e.path === path ? e.message : `${e.path.slice(path.length + 1)}: ${e.message}`);
      }
    });
    return found.length ? found.join('; ') : undefined;
  }

  /** The errors no field claimed (read after the fields have rendered). */
  unclaimed(): { path: string; message: string }[] {
    return (this.problem?.errors ?? []).filter((_, i) => !this.claimed.has(i));
  }
}

/** A labelled control with its server error below it (aria-invalid, aria-describedby). */
export function Field({ label, error, hint, children, className }: {
  label: ReactNode; error?: string; hint?: ReactNode; children: ReactElement<Record<string, unknown>>; className?: string;
}) {
  const id = useId();
  const described = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described })}
      {hint && <span className="field-hint" id={`${id}-hint`}>{hint}</span>}
      {error && <span className="field-error" id={`${id}-error`} data-error-for={typeof label === 'string' ? label : undefined}>{error}</span>}
    </div>
  );
}

/** A checkbox with its label on the right. */
export function Check({ label, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

/** A set of checkboxes for a list of values (priorities, tiers, groups). */
export function CheckList<T extends string>({ legend, options, value, onChange, error, labels }: {
  legend: string; options: readonly T[]; value: T[]; onChange: (v: T[]) => void; error?: string; labels?: Partial<Record<T, string>>;
}) {
  const id = useId();
  return (
    <fieldset className={`checklist${error ? ' field-invalid' : ''}`} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {options.length === 0 && <span className="empty">none yet</span>}
      {options.map((o) => (
        <label key={o} className="check">
          <input type="checkbox" checked={value.includes(o)} onChange={(e) => onChange(e.target.checked ? [...value, o] : value.filter((v) => v !== o))} />{' '}
          {labels?.[o] ?? o}
        </label>
      ))}
      {error && <span className="field-error" id={`${id}-error`}>{error}</span>}
    </fieldset>
  );
}

/** "a, b ,c" → ['a','b','c'] (blank items dropped). */
export const splitList = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);
/** A number input's text → number, or undefined when blank. */
export const numberOrUndefined = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

/** The state of a form that saves through the API: its problem, whether it is saving, and "Saved" after success. */
export function useSave() {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const live = useRef(true);
  useEffect(() => () => void (live.current = false), []);

  /** Runs the call; on success clears the problem, shows `message` (or what it makes of the data) and returns the data (null for none). */
  const run = useCallback(async <T,>(call: () => Promise<Result<T>>, message: string | ((data: T) => string) = 'Saved.'): Promise<T | undefined> => {
    setSaving(true);
    setSaved(null);
    try {
      const { data, error, response } = await call();
      if (!live.current) return undefined;
      if (error !== undefined || (response && !response.ok)) {
        setProblem(asProblem(error, response?.status));
        return undefined;
      }
      setProblem(null);
      setSaved(typeof message === 'function' ? message(data as T) : message);
      return (data ?? null) as T;
    } catch (e) {
      if (live.current) setProblem(asProblem(e));
      return undefined;
    } finally {
      if (live.current) setSaving(false);
    }
  }, []);
  /** Runs the call and, when it succeeded, `then` with its data (a reload, or the editor's onSaved). */
  const act = useCallback(async <T,>(call: () => Promise<Result<T>>, message: string | ((data: T) => string), then: (data: T) => void) => {
    const data = await run(call, message);
    if (data !== undefined) then(data);
  }, [run]);
  return { problem, saving, saved, run, act, errors: new FieldErrors(problem) };
}
export type Save = ReturnType<typeof useSave>;

/** An editor's buttons: save (its label), close, and the form's problem or saved state. */
export function EditorButtons({ save, label, onClose }: { save: Save; label: string; onClose?: () => void }) {
  return (
    <div className="form-buttons">
      <button type="submit" disabled={save.saving}>{label}</button>
      {onClose && <button type="button" onClick={onClose}>Close</button>}
      <FormStatus problem={save.problem} errors={save.errors} saved={save.saved} />
    </div>
  );
}

/** Above a list: its "New …" button, other controls, and the state of the list's actions (delete, replay …). */
export function ListActions({ newLabel, onNew, status, children }: { newLabel?: string; onNew?: () => void; status?: Save; children?: ReactNode }) {
  return (
    <div className="admin-actions">
      {newLabel && <button type="button" onClick={onNew}>{newLabel}</button>}
      {children}
      {status && <FormStatus problem={status.problem} errors={status.errors} saved={status.saved} />}
    </div>
  );
}

/** The form's problem (title, detail, errors no field showed) and its saved state, beside the buttons. */
export function FormStatus({ problem, errors, saved }: { problem: Problem | null; errors: FieldErrors; saved: string | null }) {
  if (problem) {
    const rest = errors.unclaimed();
    return (
      <div className="form-problem" role="alert">
        <strong>{problem.status === 403 ? 'Not allowed: ' : ''}{problem.detail ?? problem.title}</strong>
        {rest.length > 0 && <ul>{rest.map((e, i) => <li key={i}><code>{e.path}</code>: {e.message}</li>)}</ul>}
      </div>
    );
  }
  return saved ? <span className="saved" role="status">{saved}</span> : <span role="status" />;
}

/**
 * A form that never uses the browser's own validation (the server's messages show beside each
 * field). `focusFirst`: an editor opened by a button takes the focus to its first field.
 */
export function AdminForm({ label, onSubmit, children, className, focusFirst }: {
  label: string; onSubmit: () => void; children: ReactNode; className?: string; focusFirst?: boolean;
}) {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (focusFirst) ref.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, [focusFirst]);
  return (
    <form
      ref={ref} className={`admin-form${className ? ` ${className}` : ''}`} aria-label={label} noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}

/** Loads something once (and on `reload()`), keeping the problem (403 included) to show. */
export function useLoad<T>(load: () => Promise<Result<T>>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      ({ data: d, error, response }) => {
        if (!live) return;
        if (d !== undefined && !error) {
          setData(d);
          setProblem(null);
        } else setProblem(asProblem(error, response?.status));
      },
      (e) => live && setProblem(asProblem(e)),
    );
    return () => void (live = false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, ...deps]);
  return { data, problem, reload: useCallback(() => setTick((t) => t + 1), []), setData };
}

/** A load that failed: a 403 says plainly that the role may not see it. */
export function LoadProblem({ problem, what }: { problem: Problem | null; what: string }) {
  if (!problem) return null;
  return (
    <div className={`form-problem${problem.status === 403 ? ' forbidden' : ''}`} role="alert">
      {problem.status === 403 ? <strong>Your role may not see {what}.</strong> : <strong>{what} could not be loaded.</strong>} {problem.detail ?? problem.title}
    </div>
  );
}

/**
 * Which record the page's editor shows ('new' for a blank one). `open` starts a fresh editor;
 * `saved` swaps in the saved record without remounting, so "Saved." stays visible after a create.
 */
export function useEditing<T>() {
  const [state, setState] = useState<{ item: T | 'new' | null; key: number }>({ item: null, key: 0 });
  return {
    item: state.item,
    key: state.key,
    open: useCallback((item: T | 'new') => setState((s) => ({ item, key: s.key + 1 })), []),
    saved: useCallback((item: T) => setState((s) => ({ ...s, item })), []),
    close: useCallback(() => setState((s) => ({ item: null, key: s.key + 1 })), []),
  };
}

/** A server message about a whole group of fields (a fieldset), shown inside it. */
export const FieldMessage = ({ text }: { text?: string }) => (text ? <span className="field-error">{text}</span> : null);

/** A destructive button that asks first, in place (no window.confirm): "Delete" → "Delete Billing?" [Yes] [No]. */
export function ConfirmButton({ label, what, onConfirm, disabled }: { label: string; what: string; onConfirm: () => void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return <button type="button" disabled={disabled} onClick={() => setAsking(true)} aria-label={`${label} ${what}`}>{label}</button>;
  return (
    <span className="confirm" role="group" aria-label={`${label} ${what}?`}>
      {label} {what}?{' '}
      <button type="button" className="danger" autoFocus onClick={() => { setAsking(false); onConfirm(); }}>Yes, {label.toLowerCase()}</button>{' '}
      <button type="button" onClick={() => setAsking(false)}>No</button>
    </span>
  );
}

/** A list's table: column headings (and an unnamed last one for the row's buttons), its rows, and `empty` once loaded with none. */
export function AdminTable({ columns, actions = true, empty, label, children }: {
  columns: string[]; actions?: boolean; empty?: string | false; label?: string; children: ReactNode;
}) {
  return (
    <>
      <table className="admin-table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => <th key={c} scope="col">{c}</th>)}
            {actions && <th scope="col"><span className="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
      {empty && <p className="empty">{empty}</p>}
    </>
  );
}
