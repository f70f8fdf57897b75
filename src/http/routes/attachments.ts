import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Errors } from '../../domain/errors.ts';
import { getAttachment } from '../../db/repositories/conversation.ts';
import type { FileStore } from '../../platform/storage.ts';
import type { Deps } from '../helpers.ts';
import { problems, UuidParams } from '../schemas/common.ts';

/** RFC 6266 filename: an ASCII fallback plus the exact UTF-8 name. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  // RFC 5987 attr-chars: encodeURIComponent leaves ' ( ) * unescaped, and ' delimits the value
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Sends a stored file as a download (never rendered inline), cacheable for good: files never change. */
export function sendStoredFile(
  reply: FastifyReply,
  store: FileStore,
  a: { file_name: string; sha256: string; file_size: number; mime_type: string },
): FastifyReply {
  reply
    .header('Content-Type', a.mime_type)
    .header('Content-Length', String(a.file_size))
    .header('Content-Disposition', contentDisposition(a.file_name))
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', "default-src 'none'; sandbox")
    .header('Cache-Control', 'private, max-age=31536000, immutable');
  return reply.send(store.open(a.sha256) as never);
}

export async function attachmentRoutes(app: FastifyInstance, deps: Deps & { store: FileStore }) {
  app.withTypeProvider<ZodTypeProvider>().get('/attachments/:id', {
    schema: { tags: ['tickets'], summary: 'Download an attachment (always as a download, never rendered inline)', params: UuidParams, response: problems(401, 404) },
  }, async (req, reply) => {
    const a = await getAttachment(deps.db, req.params.id);
    if (!a) throw Errors.notFound('attachment', req.params.id);
    return sendStoredFile(reply, deps.store, a);
  });
}
