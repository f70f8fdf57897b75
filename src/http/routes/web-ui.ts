import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where `npm run build:web` (and `npm start`, when stale) writes the built UI. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * The UI's Content-Security-Policy: scripts, styles, images, fonts and API calls from this
 * server only. Inline styles set through the DOM (React's `style` prop) are not covered by
 * CSP, so no 'unsafe-inline' is needed. `frame-src` stays 'self' for the e-mail frames: they
 * are `srcdoc` documents (sandboxed, and they inherit this policy).
 */
export const UI_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "font-src 'self'",
  "connect-src 'self'", "frame-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

// Vite names every built asset by its content hash: such a file never changes.
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The first path segments the SPA routes itself (deep links, reloads). Any other path that is
 * no file of web/dist stays a 404 problem, as before the UI existed: scanners and typos get a
 * real 404, not a 200 page.
 */
export const CLIENT_ROUTES = new Set(['tickets', 'views', 'search', 'login', 'portal', 'dashboard', 'admin']);

/**
 * Serves the web UI (web/dist) at `/`: its files as they are, and index.html for `/` and the
 * client's routes (CLIENT_ROUTES), which the SPA routes itself. Paths whose first segment is
 * `api` never match these routes, so unknown API paths keep their 404 problem (and their 401
 * first); other unknown paths keep theirs too.
 * Without a built UI the API still runs; `/` then says how to build it.
 */
export async function webUiRoutes(app: FastifyInstance, opts: { distDir?: string } = {}) {
  const dist = opts.distDir ?? WEB_DIST;
  const built = existsSync(join(dist, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: dist, serve: false, index: false });

  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = safeDecode(req.url.split('?')[0]).replace(/^\/+/, '');
    const first = path.split('/')[0];
    const file = built && path ? normalize(join(dist, path)) : '';
    const isAsset = file !== '' && file.startsWith(dist.endsWith(sep) ? dist : dist + sep) && isFile(file);
    if (!isAsset && path !== '' && !CLIENT_ROUTES.has(first)) return reply.callNotFound();
    reply.header('Content-Security-Policy', UI_CSP);
    if (!built) {
      return reply.code(503).type('text/plain; charset=utf-8').header('Cache-Control', 'no-store')
        .send('The web UI is not built: run `npm run build:web` (npm start does it), then reload. The API is at /api/v1.');
    }
    if (isAsset) {
      reply.header('Cache-Control', path.startsWith('assets/') ? IMMUTABLE : 'no-cache');
      return reply.sendFile(path, { cacheControl: false });
    }
    reply.header('Cache-Control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  };

  const hide = { schema: { hide: true } };
  app.get('/', hide, serve);
  // the first segment is anything but "api" (a negative look-ahead in the router's regexp parameter)
  app.get('/:first(^(?!api$).*)', hide, serve);
  app.get('/:first(^(?!api$).*)/*', hide, serve);
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
