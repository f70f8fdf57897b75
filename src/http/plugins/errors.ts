import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type FieldError } from '../../domain/errors.ts';
import { FileTooLargeError } from '../../platform/storage.ts';

const TYPE_BASE = 'https://triage.dev/problems/';

/** Writes an RFC 9457 problem document. */
export function sendProblem(
  reply: FastifyReply,
  req: FastifyRequest,
  p: { status: number; code: string; title: string; detail?: string; errors?: FieldError[]; extra?: Record<string, unknown> },
) {
  return reply
    .code(p.status)
    .type('application/problem+json')
    // set here too: framework errors (bad URL) are answered outside the route hooks
    .header('X-Request-Id', req.id)
    .send({
      type: TYPE_BASE + p.code.replace(/\./g, '/'),
      title: p.title,
      status: p.status,
      detail: p.detail,
      code: p.code,
      instance: req.url,
      requestId: req.id,
      ...(p.errors ? { errors: p.errors } : {}),
      ...p.extra,
    });
}

/** Turns the validator's issues into `{path, message}` pairs, one per unknown key. */
function fieldErrors(err: FastifyError): FieldError[] {
  // query and path parameters are prefixed ("query.status"); body fields are not ("requester.email")
  const context = err.validationContext === 'querystring' ? 'query' : err.validationContext;
  const prefix = context && context !== 'body' ? `${context}.` : '';
  const out: FieldError[] = [];
  for (const v of err.validation ?? []) {
    const keys = (v.params as { keys?: string[] } | undefined)?.keys;
    const base = (v.instancePath ?? '').split('/').filter(Boolean).join('.');
    if (v.keyword === 'unrecognized_keys' && keys) {
      for (const k of keys) out.push({ path: prefix + (base ? `${base}.${k}` : k), message: 'Unknown field' });
      continue;
    }
    out.push({ path: prefix + base || prefix.replace(/\.$/, '') || '(body)', message: v.message ?? 'Invalid value' });
  }
  return out;
}

// Fastify's own client errors, by code: the status and a stable code of ours.
const FASTIFY_ERRORS: Record<string, { status: number; code: string; title: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'request.unsupported_media_type', title: 'Unsupported media type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'request.too_large', title: 'Payload too large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'request.malformed', title: 'Malformed request body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'request.malformed', title: 'Malformed request body' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'request.too_large', title: 'Payload too large' },
  FST_FILES_LIMIT: { status: 413, code: 'request.too_large', title: 'Too many files' },
  FST_FIELDS_LIMIT: { status: 413, code: 'request.too_large', title: 'Too many fields' },
  FST_PROTO_VIOLATION: { status: 400, code: 'request.malformed', title: 'Malformed multipart body' },
  FST_MP_PREMATURE_CLOSE: { status: 400, code: 'request.malformed', title: 'Malformed multipart body' },
  FST_PARTS_LIMIT: { status: 413, code: 'request.too_large', title: 'Too many parts' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'request.unsupported_media_type', title: 'Unsupported media type' },
  FST_ERR_BAD_URL: { status: 400, code: 'request.bad_url', title: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'request.uri_too_long', title: 'URI too long' },
};

/**
 * A PostgreSQL "data exception" (SQLSTATE class 22: a value out of range, an
 * impossible date, a byte the encoding cannot hold). Validation should stop
 * such values first; this is the net under it, so bad input is a 400, never a 500.
 */
function isDataException(err: { code?: unknown }): boolean {
  return typeof err.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code);
}

/** Answers an error raised before routing (FST_ERR_BAD_URL …) as a problem document (Fastify's `frameworkErrors`). */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const known = (err.code && FASTIFY_ERRORS[err.code]) || { status: 400, code: 'request.bad', title: 'Bad request' };
  return sendProblem(reply, req, { ...known, detail: err.message });
}

/** One error handler for the whole API (STYLE.md habit 5): no stack trace or SQL ever leaves. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      return sendProblem(reply, req, { status: err.status, code: err.code, title: err.title, detail: err.message, errors: err.errors, extra: err.extra });
    }
    if (hasZodFastifySchemaValidationErrors(err) || err.validation) {
      return sendProblem(reply, req, {
        status: 400,
        code: 'request.invalid',
        title: 'Invalid request',
        detail: `The request ${err.validationContext ?? 'body'} is not valid.`,
        errors: fieldErrors(err),
      });
    }
    if (err instanceof FileTooLargeError) {
      return sendProblem(reply, req, { status: 413, code: 'request.too_large', title: 'Payload too large', detail: err.message });
    }
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return sendProblem(reply, req, {
        status: 400, code: 'request.malformed', title: 'Malformed JSON',
        detail: 'The body is not valid JSON (or holds a forbidden "__proto__" or "constructor.prototype" key).',
      });
    }
    if (isDataException(err)) {
      req.log.warn({ err }, 'database refused a value that validation let through');
      return sendProblem(reply, req, {
        status: 400, code: 'request.invalid', title: 'Invalid value', detail: 'A value in the request is outside what Triage can store.',
      });
    }
    const known = err.code ? FASTIFY_ERRORS[err.code] : undefined;
    if (known) return sendProblem(reply, req, { ...known, detail: err.message });
    if (err.statusCode === 429) {
      return sendProblem(reply, req, { status: 429, code: 'request.rate_limited', title: 'Too many requests', detail: err.message });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const title = STATUS_CODES[err.statusCode] ?? 'Bad request';
      return sendProblem(reply, req, { status: err.statusCode, code: 'request.bad', title, detail: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, req, { status: 500, code: 'server.error', title: 'Internal server error', detail: 'Something went wrong; it was logged.' });
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, req, { status: 404, code: 'route.not_found', title: 'Not found', detail: `No route ${req.method} ${req.url.split('?')[0]}.` }),
  );
}
