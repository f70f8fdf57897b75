import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

/** The API's types, from the server's OpenAPI document (web/src/api/schema.d.ts, `npm run gen:api`). */
export type Schemas = components['schemas'];
export type Ticket = paths['/api/v1/tickets/{id}']['get']['responses']['200']['content']['application/json'];
export type TicketRow = paths['/api/v1/search']['get']['responses']['200']['content']['application/json']['tickets'][number];
export type Comment = Ticket['comments'][number];
export type Agent = paths['/api/v1/me']['get']['responses']['200']['content']['application/json'];
export type View = paths['/api/v1/views']['get']['responses']['200']['content']['application/json']['views'][number];
export type HistoryEntry = paths['/api/v1/tickets/{id}/history']['get']['responses']['200']['content']['application/json']['history'][number];
export type Sla = NonNullable<TicketRow['sla']>;
export type Presence = Agent['status'];
export type SortBy = NonNullable<NonNullable<paths['/api/v1/search']['get']['parameters']['query']>['sortBy']>;

/** An RFC 9457 problem document as the API sends it. */
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: { path: string; message: string; position?: number; expected?: string }[];
}

const CSRF_KEY = 'triage.csrf';

/**
 * The CSRF token of the session (returned by sign-in). Kept for the tab's life; after a
 * reload without it, writes still pass: the server also accepts a same-origin Origin header.
 */
export const csrf = {
  get: () => sessionStorage.getItem(CSRF_KEY),
  set: (t: string | null) => (t ? sessionStorage.setItem(CSRF_KEY, t) : sessionStorage.removeItem(CSRF_KEY)),
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const csrfHeader: Middleware = {
  onRequest({ request }) {
    const token = csrf.get();
    if (UNSAFE.has(request.method) && token) request.headers.set('X-CSRF-Token', token);
    return request;
  },
};

/** Listeners told when any call answers 401 (the session ended): the app shows the sign-in page. */
export const unauthorized = new EventTarget();
const sessionWatch: Middleware = {
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/auth/login')) unauthorized.dispatchEvent(new Event('401'));
    return response;
  },
};

/** The typed client of /api/v1 (session cookie, same origin). */
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? 'http://localhost', credentials: 'same-origin' });
api.use(csrfHeader, sessionWatch);

/** A problem's one-line message for the UI. */
export function problemMessage(p: unknown): string {
  const prob = p as Partial<Problem> | undefined;
  if (!prob || typeof prob !== 'object') return 'Something went wrong.';
  const field = prob.errors?.[0];
  return field ? `${prob.detail ?? prob.title ?? 'Invalid request'} ${field.path}: ${field.message}` : prob.detail ?? prob.title ?? 'Something went wrong.';
}

/** The ETag (If-Match value) of a ticket version. */
export const etagOf = (version: number) => `"${version}"`;
