import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import type { Db } from '../db/client.ts';
import type { Config } from '../platform/config.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { attachmentStore } from '../platform/storage.ts';
import { frameworkErrorHandler, registerErrorHandling, sendProblem } from './plugins/errors.ts';
import { registerInputGuards } from './plugins/input.ts';
import { registerAuth } from './plugins/auth.ts';
import { databaseRateLimitStore } from './plugins/rate-limit-store.ts';
import { ticketRoutes } from './routes/tickets.ts';
import { authRoutes } from './routes/auth.ts';
import { peopleRoutes } from './routes/people.ts';
import { attachmentRoutes } from './routes/attachments.ts';
import { routingRoutes } from './routes/routing.ts';
import { slaRoutes } from './routes/sla.ts';
import { adminJobRoutes } from './routes/admin-jobs.ts';
import { emailRoutes } from './routes/email.ts';
import { searchRoutes } from './routes/search.ts';
import { viewRoutes } from './routes/views.ts';
import { reportRoutes } from './routes/reports.ts';
import { registerUploads } from './multipart.ts';
import { eventRoutes } from './routes/events.ts';
import { createLiveHub } from './routes/live-hub.ts';
import { webUiRoutes } from './routes/web-ui.ts';
import { portalRoutes } from './routes/portal.ts';
import type { JobQueue } from '../jobs/queue.ts';

export interface AppDeps {
  db: Db;
  clock: Clock;
  config: Config;
  logger?: Logger | false;
  /** the job queue: commands enqueue through it, admins inspect it (absent: the admin job routes answer 503) */
  jobs?: JobQueue;
}

const VERSION = '0.1.0';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the HTTP application (no listening): plugins first, then the error
 * handler, authentication and the /api/v1 routes (fastify/demo's order).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { db, clock, config } = deps;
  const app = Fastify({
    loggerInstance: (deps.logger || undefined) as FastifyBaseLogger | undefined,
    logger: deps.logger === false ? false : undefined,
    bodyLimit: config.bodyLimitBytes,
    // behind a reverse proxy, the client's address (for the login rate limit) comes from X-Forwarded-For
    trustProxy: config.trustProxy,
    // An incoming X-Request-Id is kept (for tracing across services) when it looks like an id;
    // anything else (too long, odd characters that would pollute logs) is replaced.
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // a URL the router cannot decode is answered as a problem document too
    frameworkErrors: frameworkErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  // The API speaks JSON (and multipart for files): anything else is 415, not a string body.
  app.removeContentTypeParser('text/plain');
  // Responses are shaped by presenters; schemas document them, JSON.stringify writes them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onSend', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });

  // Before any plugin registers routes: a child context keeps the error handler
  // it was created with, and every route must answer with problem documents.
  registerErrorHandling(app);
  registerInputGuards(app);
  // The docs page only renders the public OpenAPI document, so it is public too.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/docs')) route.config = { ...route.config, public: true };
  });

  const store = attachmentStore(config);
  await app.register(cookie);
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await app.register(rateLimit, { global: false, store: databaseRateLimitStore(db, clock) });
  await app.register(multipart, { limits: { fileSize: config.attachmentMaxBytes, files: 20, fields: 50, fieldSize: config.bodyLimitBytes } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Triage API', version: VERSION, description: 'Customer-support help desk: tickets, people, accounts, routing.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token from POST /api/v1/api-tokens' },
          session: { type: 'apiKey', in: 'cookie', name: 'triage_session' },
          portalSession: { type: 'apiKey', in: 'cookie', name: 'triage_portal_session', description: 'requester session of the customer portal (/api/v1/portal only)' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });

  registerAuth(app, { db, clock, tokenCacheMs: config.authCacheSeconds * 1000 });
  registerUploads(app);

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (req, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok', database: db.kind };
    } catch (err) {
      req.log.warn({ err }, 'readiness check: database unreachable');
      return sendProblem(reply, req, { status: 503, code: 'server.database_unreachable', title: 'Database unreachable', detail: 'The database does not answer.' });
    }
  });
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  // live updates: the ticket events the database's triggers record (migration 0013), read until the app closes
  const hub = createLiveHub({ db, logger: deps.logger || undefined });
  app.addHook('onClose', async () => hub.close());
  await app.register(
    async (api) => {
      const routeDeps = { db, clock, store, jobs: deps.jobs };
      await api.register(eventRoutes, { ...routeDeps, hub });
      await api.register(authRoutes, { ...routeDeps, sessionTtlSeconds: config.sessionTtlSeconds, cookieSecure: config.cookieSecure, loginRateLimit: config.loginRateLimit });
      await api.register(ticketRoutes, routeDeps);
      await api.register(peopleRoutes, routeDeps);
      await api.register(attachmentRoutes, routeDeps);
      await api.register(routingRoutes, routeDeps);
      await api.register(slaRoutes, routeDeps);
      await api.register(adminJobRoutes, routeDeps);
      await api.register(emailRoutes, { ...routeDeps, config });
      await api.register(searchRoutes, routeDeps);
      await api.register(viewRoutes, routeDeps);
      await api.register(reportRoutes, routeDeps);
      await api.register(portalRoutes, { ...routeDeps, config });
    },
    { prefix: '/api/v1' },
  );
  // the web UI (web/dist) at / for every path outside /api
  await app.register(webUiRoutes);
  return app;
}
