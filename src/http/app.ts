import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
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
import { FileStore } from '../platform/storage.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { registerAuth } from './plugins/auth.ts';
import { ticketRoutes } from './routes/tickets.ts';
import { authRoutes } from './routes/auth.ts';
import { peopleRoutes } from './routes/people.ts';
import { attachmentRoutes } from './routes/attachments.ts';

export interface AppDeps {
  db: Db;
  clock: Clock;
  config: Config;
  logger?: Logger | false;
}

const VERSION = '0.1.0';

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
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setValidatorCompiler(validatorCompiler);
  // The API speaks JSON (and multipart for files): anything else is 415, not a string body.
  app.removeContentTypeParser('text/plain');
  // Responses are shaped by presenters; schemas document them, JSON.stringify writes them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onSend', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });

  const store = new FileStore(join(config.dataDir, 'attachments'), config.attachmentMaxBytes);
  await app.register(cookie);
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await app.register(rateLimit, { global: false });
  await app.register(multipart, { limits: { fileSize: config.attachmentMaxBytes, files: 20, fields: 50, fieldSize: config.bodyLimitBytes } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Triage API', version: VERSION, description: 'Customer-support help desk: tickets, people, accounts.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token from POST /api/v1/api-tokens' },
          session: { type: 'apiKey', in: 'cookie', name: 'triage_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });

  registerErrorHandling(app);
  registerAuth(app, { db, clock });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok', database: db.kind };
    } catch {
      return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Database unreachable', status: 503 });
    }
  });
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      const routeDeps = { db, clock, store };
      await api.register(authRoutes, { ...routeDeps, sessionTtlSeconds: config.sessionTtlSeconds, cookieSecure: config.cookieSecure, loginRateLimit: config.loginRateLimit });
      await api.register(ticketRoutes, routeDeps);
      await api.register(peopleRoutes, routeDeps);
      await api.register(attachmentRoutes, routeDeps);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
