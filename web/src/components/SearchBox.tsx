import { useEffect, useId, useState } from 'react';

/** A query error the API reported: its message and the character position it points at. */
export interface QueryError {
  message: string;
  position?: number;
}

/**
 * The query-language search box. Enter runs the query; an error from the API (400 problem
 * `search.query_invalid`, with `errors[0].position`) is shown under the box with the query
 * repeated and the offending character marked, and the box is flagged invalid for assistive tech.
 */
export function SearchBox({ value, onSearch, error }: { value: string; onSearch: (q: string) => void; error?: QueryError | null }) {
  const [text, setText] = useState(value);
  const errorId = useId();
  useEffect(() => setText(value), [value]);
  return (
    <form
      className="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(text.trim());
      }}
    >
      <input
        type="search"
        aria-label="Search tickets"
        placeholder="status:open priority>=high assignee:me tag:vip …   ( / to focus )"
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        spellCheck={false}
        data-search-input
      />
      <button type="submit">Search</button>
      {error && <QueryErrorView id={errorId} query={value} error={error} />}
    </form>
  );
}

/**
 * The query with the word at the error's position marked (from the position to the next white
 * space; a blank past the end when the query ended too soon).
 */
export function QueryErrorView({ id, query, error }: { id?: string; query: string; error: QueryError }) {
  const pos = error.position;
  const hasPos = typeof pos === 'number' && pos >= 0;
  const at = hasPos ? Math.min(pos!, query.length) : -1;
  const space = hasPos ? query.slice(at).search(/\s/) : -1;
  const end = hasPos ? (space < 0 ? query.length : at + Math.max(space, 1)) : -1;
  return (
    <div className="query-error" id={id} role="alert">
      {hasPos && (
        <code className="query-echo">
          {query.slice(0, at)}
          <mark className="query-error-at">{query.slice(at, end) || ' '}</mark>
          {query.slice(end)}
        </code>
      )}
      <span className="query-error-message">{error.message}</span>
    </div>
  );
}
