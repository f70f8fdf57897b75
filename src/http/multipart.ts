import type { FastifyRequest } from 'fastify';
import { Errors } from '../domain/errors.ts';
import type { FileStore, StoredFile } from '../platform/storage.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** files uploaded with a multipart request, already in the store */
    uploadedFiles: StoredFile[];
  }
}

/**
 * preValidation hook for routes that take files: a multipart request's files
 * go to the store, its `data` field (JSON) or plain fields become the body, and
 * the route's schema then validates that body as if it had come as JSON.
 */
export function multipartBody(store: FileStore) {
  return async (req: FastifyRequest) => {
    req.uploadedFiles = [];
    if (!req.isMultipart()) return;
    let body: Record<string, unknown> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        req.uploadedFiles.push(await store.save(part.file, part.filename));
      } else if (part.fieldname === 'data') {
        try {
          body = { ...body, ...(JSON.parse(String(part.value)) as Record<string, unknown>) };
        } catch {
          throw Errors.validation([{ path: 'data', message: 'The data field must hold a JSON object' }], 'Malformed JSON in the data field.');
        }
      } else {
        body[part.fieldname] = part.value;
      }
    }
    req.body = body;
  };
}
