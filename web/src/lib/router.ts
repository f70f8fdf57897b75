import { useEffect, useState } from 'react';

const NAVIGATE = 'triage:navigate';

/** Moves the SPA to `path` (history.pushState; the server answers any such URL with index.html). */
export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** The current path and query, re-rendered on navigation and on Back/Forward. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const read = () => ({ path: location.pathname, search: new URLSearchParams(location.search) });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return loc;
}

let listUrl = '/';
/** Remembers the list's URL (query, sort, view), for the ticket page's way back. */
export const rememberListUrl = (url: string) => void (listUrl = url);
export const lastListUrl = () => listUrl;
