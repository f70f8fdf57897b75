/** One field-level problem, `path` in JSON-pointer-ish form ("requester/email"). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * The one error type the domain throws. `code` is stable (clients may switch on
 * it); the HTTP layer turns it into an RFC 9457 problem document.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }
}

/** The error catalogue: every error the API can answer, by stable code. */
export const Errors = {
  validation: (errors: FieldError[], detail = 'The request is not valid.') =>
    new AppError(400, 'request.invalid', 'Invalid request', detail, errors),
  notFound: (what: string, id?: string) =>
    new AppError(404, `${what}.not_found`, `${capitalize(what)} not found`, id ? `No ${what} ${id}.` : `No such ${what}.`),
  unauthenticated: () =>
    new AppError(401, 'auth.required', 'Authentication required', 'Sign in, or send Authorization: Bearer <token>.'),
  badCredentials: () => new AppError(401, 'auth.invalid_credentials', 'Invalid credentials', 'E-mail or password is wrong.'),
  forbidden: (detail = 'You may not do this.') => new AppError(403, 'auth.forbidden', 'Forbidden', detail),
  csrf: () =>
    new AppError(403, 'auth.csrf', 'Cross-site request refused', 'Send the X-CSRF-Token returned at login, or a same-origin Origin header.'),
  conflict: (code: string, detail: string, errors?: FieldError[]) => new AppError(409, code, 'Conflict', detail, errors),
  transition: (from: string, to: string) =>
    new AppError(409, 'ticket.transition_invalid', 'Impossible status change', `A ticket cannot go from ${from} to ${to}.`, undefined, {
      from,
      to,
    }),
  stale: (current: number) =>
    new AppError(412, 'ticket.version_stale', 'The ticket changed since you read it', 'Reload it and apply your change again.', undefined, {
      currentVersion: current,
    }),
  idempotencyMismatch: () =>
    new AppError(422, 'idempotency.key_reused', 'Idempotency-Key reused', 'This Idempotency-Key was used with a different request.'),
  tooLarge: (detail: string) => new AppError(413, 'request.too_large', 'Payload too large', detail),
};

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ');
}
