import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, Errors } from '../domain/errors.ts';
import { FileTooLargeError, type FileStore, type StagedFile, type StoredFile } from '../platform/storage.ts';
import { assertStorable } from './plugins/input.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** files uploaded with a multipart request: staged until the body is valid, then in the store */
    uploadedFiles: StoredFile[];
  }
}

const staged = new WeakMap<FastifyRequest, { store: FileStore; files: StagedFile[] }>();

/** True for errors that say the client sent a broken multipart body (busboy's own messages). */
function isMalformedMultipart(err: unknown): boolean {
  if (err instanceof AppError || err instanceof FileTooLargeError) return false;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string') return false; // fastify-multipart limits and I/O errors keep their own meaning
  return typeof e?.message === 'string' && /multipart|boundary|unexpected end/i.test(e.message);
}

function parseDataField(value: unknown): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw Errors.validation([{ path: 'data', message: 'The data field must hold a JSON object' }], 'Malformed JSON in the data field.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw Errors.validation([{ path: 'data', message: 'The data field must hold a JSON object' }], 'The data field is not a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/**
 * preValidation hook for routes that take files: a multipart request's files
 * are staged (hashed, sniffed, size-checked), its `data` field (JSON) or plain
 * fields become the body, and the route's schema then validates that body as
 * if it had come as JSON. The staged files enter the store only once the body
 * is valid (see registerUploads); on any failure before that, nothing is kept.
 */
export function multipartBody(store: FileStore) {
  return async (req: FastifyRequest) => {
    req.uploadedFiles = [];
    if (!req.isMultipart()) return;
    const files: StagedFile[] = [];
    staged.set(req, { store, files });
    let body: Record<string, unknown> = {};
    try {
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          files.push(await store.stage(part.file, part.filename ?? ''));
          continue;
        }
        if (part.valueTruncated || part.fieldnameTruncated) throw Errors.tooLarge(`The field ${part.fieldname} is too large.`);
        if (part.fieldname === 'data') body = { ...body, ...parseDataField(part.value) };
        else body[part.fieldname] = part.value;
      }
    } catch (err) {
      if (isMalformedMultipart(err)) {
        throw new AppError(400, 'request.malformed', 'Malformed multipart body', 'The multipart/form-data body could not be read.');
      }
      throw err;
    }
    assertStorable(body);
    req.body = body;
  };
}

/**
 * Commits staged uploads once the request passed validation (before the
 * handler, so an attachment row never points to a missing file), and deletes
 * them when the request failed earlier (validation, size limit, malformed body).
 */
export function registerUploads(app: FastifyInstance): void {
  app.decorateRequest('uploadedFiles', null as unknown as StoredFile[]);
  // callback style: on the hot path of every request, and most have no files
  app.addHook('preHandler', (req, _reply, done) => {
    const s = staged.get(req);
    if (!s) return done();
    // On failure the entry stays, so the error hooks discard what was not committed.
    Promise.all(s.files.map((f) => s.store.commit(f))).then(
      (files) => {
        staged.delete(req);
        req.uploadedFiles = files;
        done();
      },
      (err: Error) => done(err),
    );
  });
  const cleanUp = async (req: FastifyRequest) => {
    const s = staged.get(req);
    if (!s) return;
    staged.delete(req);
    await Promise.all(s.files.map((f) => s.store.discard(f)));
  };
  // onError runs before the error response is sent, so a client that sees the 4xx sees a clean store;
  // onResponse and onRequestAbort catch whatever is left.
  app.addHook('onError', async (req) => cleanUp(req));
  app.addHook('onResponse', (req, _reply, done) => {
    if (!staged.has(req)) return done();
    cleanUp(req).then(() => done(), (err: Error) => done(err));
  });
  app.addHook('onRequestAbort', cleanUp);
}
