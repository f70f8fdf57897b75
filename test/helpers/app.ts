import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { systemClock, type Clock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/db/client.ts';
import { createAgent } from '../../src/domain/people/commands.ts';
import { createApiToken } from '../../src/domain/auth/commands.ts';
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/context.ts';
import { writeSettings } from '../../src/domain/routing/commands.ts';
import type { AgentRole } from '../../src/db/repositories/agents.ts';
import { createTestDatabase } from './db.ts';
import { createJobs, type JobQueue, type JobRun } from '../../src/jobs/queue.ts';
import { registerHandlers } from '../../src/jobs/worker.ts';
import pino from 'pino';

export interface TestAgent {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  password: string;
  /** Bearer token for this agent */
  token: string;
}

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  clock: Clock;
  /** an admin with a token, created for every test app */
  admin: TestAgent;
  /**
   * The job queue, on the test clock's timeline: jobs sent without `startAfter`
   * start at `clock.now()`, and retries back off from it. Nothing polls unless
   * `jobs: { background: true }` was asked for: tests run jobs with `runJobs`.
   */
  jobs: JobQueue;
  /** Runs every job due at `now` (default: the test clock's now), retries included, and returns the attempts. */
  runJobs(now?: Date): Promise<JobRun[]>;
  /** app.inject with JSON body and Bearer token (admin's unless `as` is given) */
  request(method: string, url: string, opts?: { body?: unknown; as?: TestAgent | null; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** Creates an agent with a password and an API token. */
  makeAgent(opts?: Partial<{ role: AgentRole; name: string; email: string; groups: string[]; skills: string[]; maxConcurrentTickets: number; status: 'online' | 'away' | 'busy' | 'offline' }>): Promise<TestAgent>;
  /** Starts listening on a free port of 127.0.0.1 and returns the base URL (for real concurrent HTTP). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

let seq = 0;

/** A Triage app on a fresh database (see db.ts), with an admin, for HTTP-level tests through `inject` or real HTTP. */
export async function createTestApp(
  opts: { clock?: Clock; config?: Partial<Config>; routing?: boolean; jobs?: { background?: boolean } } = {},
): Promise<TestApp> {
  const { db, drop } = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-test-'));
  const config: Config = { ...loadConfig({}), dataDir, logLevel: 'silent', ...opts.config };
  const clock = opts.clock ?? systemClock;
  const jobs = await createJobs(db, { clock, timeline: 'clock', pollingIntervalSeconds: 0.5, stopTimeoutMs: 5_000 });
  await registerHandlers(jobs, { db, clock, logger: pino({ level: 'silent' }), webhookUrl: config.slaWebhookUrl, config });
  if (opts.jobs?.background) await jobs.start();
  const app = await buildApp({ db, clock, config, logger: false, jobs });
  await app.ready();
  const system = { db, clock, actor: SYSTEM_ACTOR };
  if (opts.routing === false) await writeSettings(system, 'routing', { enabled: false });

  async function makeAgent(o: Parameters<TestApp['makeAgent']>[0] = {}): Promise<TestAgent> {
    const n = ++seq;
    const role = o.role ?? 'agent';
    const password = `password-${n}-secret`;
    const email = o.email ?? `${role}${n}-${Date.now().toString(36)}@triage.test`;
    const row = await createAgent(system, {
      name: o.name ?? `${role} ${n}`, email, role, password, groups: o.groups, skills: o.skills,
      maxConcurrentTickets: o.maxConcurrentTickets, status: o.status,
    });
    const actor: Actor = { type: 'agent', id: row.id, name: row.name, role: row.role };
    const { token } = await createApiToken({ db, clock, actor }, 'test');
    return { id: row.id, email: row.email, name: row.name, role, password, token };
  }

  const admin = await makeAgent({ role: 'admin', name: 'Ada Admin' });

  const request: TestApp['request'] = (method, url, o = {}) => {
    const who = o.as === undefined ? admin : o.as;
    const headers: Record<string, string> = { ...(who ? { authorization: `Bearer ${who.token}` } : {}), ...o.headers };
    const inject: InjectOptions = { method: method as InjectOptions['method'], url, headers };
    if (o.body !== undefined) {
      if (typeof o.body === 'string' || Buffer.isBuffer(o.body)) inject.payload = o.body;
      else {
        inject.payload = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    return app.inject(inject);
  };

  let listening = false;
  return {
    app, db, config, clock, admin, request, makeAgent, jobs,
    runJobs: (now) => jobs.runDue(now),
    async listen() {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      listening = true;
      return address;
    },
    async close() {
      await app.close();
      await jobs.stop();
      void listening;
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Minimal valid ticket body; override any field. */
export function ticketBody(over: Record<string, unknown> = {}) {
  seq++;
  return {
    subject: `Cannot log in (${seq})`,
    description: 'The login page says my password is wrong.',
    requester: { name: 'Ann Customer', email: `ann${seq}-${Date.now().toString(36)}@example.com` },
    category: 'account',
    source: 'web',
    ...over,
  };
}
