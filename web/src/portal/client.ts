import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../api/schema';

/** The portal's API types, from the server's OpenAPI document. */
export type PortalMe = paths['/api/v1/portal/me']['get']['responses']['200']['content']['application/json'];
export type PortalTicket = paths['/api/v1/portal/tickets/{number}']['get']['responses']['200']['content']['application/json'];
export type PortalTicketRow = paths['/api/v1/portal/tickets']['get']['responses']['200']['content']['application/json']['tickets'][number];

const CSRF_KEY = 'triage.portal.csrf';

/** The requester session's CSRF token (from the link exchange); after a reload the same-origin Origin header suffices. */
export const portalCsrf = {
  get: () => sessionStorage.getItem(CSRF_KEY),
  set: (t: string | null) => (t ? sessionStorage.setItem(CSRF_KEY, t) : sessionStorage.removeItem(CSRF_KEY)),
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const csrfHeader: Middleware = {
  onRequest({ request }) {
    const token = portalCsrf.get();
    if (UNSAFE.has(request.method) && token) request.headers.set('X-CSRF-Token', token);
    return request;
  },
};

/** Told when a portal call answers 401 (the requester's session ended). */
export const signedOut = new EventTarget();
const sessionWatch: Middleware = {
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/portal/sessions')) signedOut.dispatchEvent(new Event('401'));
    return response;
  },
};

/** The typed client of /api/v1/portal (requester cookie, same origin). The agent client is a different instance. */
export const portalApi = createClient<paths>({ baseUrl: globalThis.location?.origin ?? 'http://localhost', credentials: 'same-origin' });
portalApi.use(csrfHeader, sessionWatch);

/** Status words a customer understands. */
export const STATUS_LABEL: Record<string, string> = {
  new: 'Received', open: 'In progress', in_progress: 'In progress', pending: 'Waiting for your reply',
  resolved: 'Solved', closed: 'Closed', cancelled: 'Cancelled',
};
