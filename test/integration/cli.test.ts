import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { listMigrations } from '../../src/db/migrate.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { FakeClock } from '../../src/platform/clock.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { SYSTEM_ACTOR } from '../../src/domain/context.ts';
import { createTicket } from '../../src/domain/tickets/commands.ts';
import { TICKET_PRIORITIES, TICKET_SOURCES, TICKET_STATUSES } from '../../src/domain/tickets/lifecycle.ts';
import {
  DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_AGENT_PASSWORD, DemoDataExistsError, seedDemo, seedDemoIfEmpty, type SeedDemoResult,
} from '../../src/cli/seed-demo.ts';
import { Random } from '../../src/cli/demo/random.ts';
import { generatePeople } from '../../src/cli/demo/generate-people.ts';
import { creationTimes, DemoWorld, generateTicket } from '../../src/cli/demo/generate-tickets.ts';
import { CATEGORIES } from '../../src/cli/demo/words.ts';
import { createServerDatabase, createTestDatabase, DB_KIND, TEST_DATABASE_URL } from '../helpers/db.ts';
import { runTriage } from '../helpers/triage-process.ts';

const NOW = new Date('2026-03-02T10:30:00.000Z');
const TICKETS = 1_000;

async function count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  return (await db.query<{ n: number }>(sql, params)).rows[0].n;
}

async function login(db: Db, email: string, password: string): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-cli-'));
  const app = await buildApp({ db, clock: new FakeClock(NOW), config: { ...loadConfig({}), dataDir, logLevel: 'silent' }, logger: false });
  try {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    return res.statusCode;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe(`seed-demo (${DB_KIND})`, () => {
  let db: Db;
  let drop: () => Promise<void>;
  let result: SeedDemoResult;
  const clock = new FakeClock(NOW);

  beforeAll(async () => {
    ({ db, drop } = await createTestDatabase());
    result = await seedDemo(db, clock, { tickets: TICKETS });
  }, 120_000);
  afterAll(async () => drop?.());

  it('sets up routing: one rule per category to its group, technical by skill', async () => {
    const rules = (await db.query<{ conditions: { categories: string[] }; action: { type: string; group: string } }>(
      'SELECT conditions, action FROM assignment_rules WHERE is_active ORDER BY position',
    )).rows;
    expect(rules.map((r) => [r.conditions.categories[0], r.action.type, r.action.group])).toEqual([
      ['billing', 'group_least_busy', 'billing'],
      ['technical', 'skill_based', 'technical'],
      ['account', 'group_least_busy', 'accounts'],
      ['feature_request', 'group_least_busy', 'general'],
      ['general', 'group_least_busy', 'general'],
    ]);
    expect(await count(db, `SELECT count(*)::int AS n FROM category_skills WHERE category = 'technical'`)).toBe(5);
  });

  it('creates the default people: 30 agents and an admin in 4 groups, 200 organizations in every tier, 2,000 requesters', async () => {
    expect(result).toMatchObject({ groups: 4, agents: 31, organizations: 200, requesters: 2_000, tickets: TICKETS });
    expect(await count(db, 'SELECT count(*)::int AS n FROM agents')).toBe(31);
    expect(await count(db, `SELECT count(*)::int AS n FROM agents WHERE role = 'admin'`)).toBe(1);
    expect(await count(db, `SELECT count(*)::int AS n FROM agents WHERE role = 'supervisor'`)).toBeGreaterThanOrEqual(2);
    expect(await count(db, `SELECT count(DISTINCT status)::int AS n FROM agents`)).toBe(4);
    expect(await count(db, `SELECT count(*)::int AS n FROM agents WHERE role <> 'admin' AND cardinality(skills) = 0`)).toBe(0);
    const groups = (await db.query<{ slug: string; members: number }>(
      `SELECT g.slug, count(ag.agent_id)::int AS members FROM groups g LEFT JOIN agent_groups ag ON ag.group_id = g.id GROUP BY g.slug ORDER BY g.slug`,
    )).rows;
    expect(groups.map((g) => g.slug)).toEqual(['accounts', 'billing', 'general', 'technical']);
    for (const g of groups) expect(g.members).toBeGreaterThanOrEqual(5);
    // every non-admin agent is in at least one group
    expect(await count(db, `SELECT count(*)::int AS n FROM agents a WHERE role <> 'admin' AND NOT EXISTS (SELECT 1 FROM agent_groups ag WHERE ag.agent_id = a.id)`)).toBe(0);
    expect(await count(db, 'SELECT count(*)::int AS n FROM organizations')).toBe(200);
    const tiers = (await db.query<{ tier: string }>('SELECT DISTINCT tier FROM organizations ORDER BY tier')).rows.map((r) => r.tier);
    expect(tiers).toEqual(['enterprise', 'free', 'premium', 'standard']);
    expect(await count(db, 'SELECT count(*)::int AS n FROM requesters')).toBe(2_000);
    expect(await count(db, `SELECT count(*)::int AS n FROM organizations o WHERE NOT EXISTS (SELECT 1 FROM requesters r WHERE r.organization_id = o.id)`)).toBe(0);
  });

  it('writes N tickets across every status, priority, category and source, with tags, over the last 90 days', async () => {
    expect(await count(db, 'SELECT count(*)::int AS n FROM tickets')).toBe(TICKETS);
    const distinct = async (col: string) => (await db.query<{ v: string }>(`SELECT DISTINCT ${col} AS v FROM tickets ORDER BY 1`)).rows.map((r) => r.v);
    expect(await distinct('status')).toEqual([...TICKET_STATUSES].sort());
    expect(await distinct('priority')).toEqual([...TICKET_PRIORITIES].sort());
    expect(await distinct('source')).toEqual([...TICKET_SOURCES].sort());
    expect(await distinct('category')).toEqual(Object.keys(CATEGORIES).sort());
    expect(await count(db, 'SELECT count(DISTINCT tag)::int AS n FROM tickets, unnest(tags) AS tag')).toBeGreaterThanOrEqual(20);
    const span = (await db.query<{ first: Date; last: Date }>('SELECT min(created_at) AS first, max(created_at) AS last FROM tickets')).rows[0];
    expect(span.first.getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 90 * 86_400_000);
    expect(span.last.getTime()).toBeLessThanOrEqual(NOW.getTime());
    // ticket numbers follow creation time
    expect(await count(db, `SELECT count(*)::int AS n FROM (SELECT created_at, lag(created_at) OVER (ORDER BY number) AS prev FROM tickets) s WHERE created_at < prev`)).toBe(0);
    // millisecond precision, never finer (keyset cursors carry milliseconds)
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets WHERE extract(microseconds FROM created_at)::bigint % 1000 <> 0`)).toBe(0);
    expect(await count(db, `SELECT count(DISTINCT extract(milliseconds FROM created_at)::bigint % 1000)::int AS n FROM tickets`)).toBeGreaterThan(100);
    // nothing happened after "now"
    for (const [table, col] of [['tickets', 'updated_at'], ['ticket_comments', 'created_at'], ['ticket_history', 'created_at'], ['tickets', 'closed_at']]) {
      expect(await count(db, `SELECT count(*)::int AS n FROM ${table} WHERE ${col} > $1`, [NOW])).toBe(0);
    }
  });

  it('keeps lifecycle timestamps consistent with the status', async () => {
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets WHERE status IN ('resolved','closed') AND NOT (resolved_at >= created_at)`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets WHERE status = 'closed' AND NOT (closed_at >= resolved_at)`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets WHERE status = 'resolved' AND closed_at IS NOT NULL`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets WHERE status NOT IN ('resolved','closed') AND (resolved_at IS NOT NULL OR closed_at IS NOT NULL)`)).toBe(0);
    // the stamps are those of the last resolve / close in the history
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t WHERE status IN ('resolved','closed') AND resolved_at IS DISTINCT FROM
      (SELECT max(created_at) FROM ticket_history h WHERE h.ticket_id = t.id AND h.change_type = 'resolved')`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t WHERE status = 'closed' AND closed_at IS DISTINCT FROM
      (SELECT max(created_at) FROM ticket_history h WHERE h.ticket_id = t.id AND h.change_type = 'closed')`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t WHERE updated_at <> (SELECT max(created_at) FROM ticket_history h WHERE h.ticket_id = t.id)`)).toBe(0);
  });

  it('gives every ticket exactly one `created` history row, by the creator, at creation time', async () => {
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t WHERE
      (SELECT count(*) FROM ticket_history h WHERE h.ticket_id = t.id AND h.change_type = 'created') <> 1`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t JOIN ticket_history h ON h.ticket_id = t.id AND h.change_type = 'created'
      WHERE h.created_at <> t.created_at OR h.changed_by IS DISTINCT FROM t.created_by OR (h.changed_to->>'number')::bigint <> t.number`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id WHERE h.created_at < t.created_at`)).toBe(0);
    // an agent's row names the agent; the requester's and the system's rows name nobody
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_history WHERE (actor_type = 'agent') <> (changed_by IS NOT NULL)`)).toBe(0);
    const types = (await db.query<{ t: string }>('SELECT DISTINCT change_type AS t FROM ticket_history ORDER BY 1')).rows.map((r) => r.t);
    expect(types).toEqual(['assigned', 'cancelled', 'closed', 'commented', 'created', 'reopened', 'resolved', 'status_changed', 'updated']);
  });

  it('assigns tickets only to agents of the ticket’s group, as the last `assigned` row says', async () => {
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets WHERE assignee_id IS NOT NULL`)).toBeGreaterThan(TICKETS / 2);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t WHERE assignee_id IS NOT NULL AND NOT EXISTS
      (SELECT 1 FROM agent_groups ag WHERE ag.agent_id = t.assignee_id AND ag.group_id = t.assignee_group_id)`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t WHERE assignee_group_id IS NOT NULL AND
      (SELECT h.changed_to->>'assigneeId' FROM ticket_history h WHERE h.ticket_id = t.id AND h.change_type = 'assigned'
        ORDER BY h.created_at DESC LIMIT 1) IS DISTINCT FROM t.assignee_id::text`)).toBe(0);
    // a ticket with an assignee is never `new` (assigning opens it)
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets WHERE assignee_id IS NOT NULL AND status = 'new'`)).toBe(0);
  });

  it('writes 0–6 comments per ticket, public replies and internal notes, each with its `commented` row by its author', async () => {
    const perTicket = (await db.query<{ n: number }>(`SELECT (SELECT count(*) FROM ticket_comments c WHERE c.ticket_id = t.id)::int AS n FROM tickets t`)).rows.map((r) => r.n);
    expect(Math.min(...perTicket)).toBe(0);
    expect(Math.max(...perTicket)).toBe(6);
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_comments WHERE is_internal`)).toBeGreaterThan(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_comments WHERE NOT is_internal AND author_type = 'agent'`)).toBeGreaterThan(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_comments WHERE author_type = 'requester'`)).toBeGreaterThan(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_comments c WHERE NOT EXISTS (
      SELECT 1 FROM ticket_history h WHERE h.ticket_id = c.ticket_id AND h.change_type = 'commented'
        AND h.changed_to->>'commentId' = c.id::text AND (h.changed_to->>'isInternal')::boolean = c.is_internal
        AND h.created_at = c.created_at AND h.actor_type = c.author_type
        AND h.changed_by IS NOT DISTINCT FROM (CASE WHEN c.author_type = 'agent' THEN c.author_id END))`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_history WHERE change_type = 'commented'`)).toBe(
      await count(db, 'SELECT count(*)::int AS n FROM ticket_comments'),
    );
    // requester comments come from the ticket's requester, agent comments from real agents
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_comments c JOIN tickets t ON t.id = c.ticket_id
      WHERE c.author_type = 'requester' AND c.author_id <> t.requester_id`)).toBe(0);
    expect(await count(db, `SELECT count(*)::int AS n FROM ticket_comments c WHERE c.author_type = 'agent'
      AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = c.author_id)`)).toBe(0);
  });

  it('counts one version per command: every history row but `created`, less the status rows that ride along another command', async () => {
    // assigning a new ticket, an agent's first public reply and a requester's answer to a pending
    // ticket each write their status change in the same command (one version)
    expect(await count(db, `SELECT count(*)::int AS n FROM tickets t WHERE t.version - 1 <> (
      SELECT count(*) FILTER (WHERE change_type <> 'created')
           - count(*) FILTER (WHERE change_type = 'status_changed' AND comment IN ('assigned', 'first public reply', 'requester replied'))
        FROM ticket_history h WHERE h.ticket_id = t.id)`)).toBe(0);
    expect(await count(db, 'SELECT max(version)::int AS n FROM tickets')).toBeGreaterThan(5);
  });

  it('gives the demo admin and the demo agents working logins', async () => {
    expect(result.admin).toEqual({ email: DEMO_ADMIN_EMAIL, password: DEMO_ADMIN_PASSWORD });
    expect(await login(db, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)).toBe(200);
    const agent = (await db.query<{ email: string }>(`SELECT email FROM agents WHERE role = 'agent' ORDER BY email LIMIT 1`)).rows[0];
    expect(await login(db, agent.email, DEMO_AGENT_PASSWORD)).toBe(200);
    expect(await login(db, agent.email, DEMO_ADMIN_PASSWORD)).toBe(401);
  });

  it('refuses to seed twice and adds nothing', async () => {
    const before = await count(db, `SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM agents) + (SELECT count(*) FROM requesters) AS n`);
    await expect(seedDemo(db, clock, { tickets: 10 })).rejects.toThrow(DemoDataExistsError);
    await expect(seedDemo(db, clock, { tickets: 10 })).rejects.toThrow(/already has 1000 tickets/);
    expect(await seedDemoIfEmpty(db, clock, createLogger('silent'), { tickets: 10 })).toBeNull();
    expect(await count(db, `SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM agents) + (SELECT count(*) FROM requesters) AS n`)).toBe(before);
  });
});

describe('seed-demo data generation', () => {
  const sample = (seed: number) => {
    const rng = new Random(seed);
    const people = generatePeople(rng, NOW, { organizations: 20, requesters: 100 });
    const world = new DemoWorld(people);
    const tickets = creationTimes(rng, NOW, 50).map((t) => generateTicket(rng, world, t, NOW.getTime()));
    return { people, tickets };
  };

  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(sample(7))).toBe(JSON.stringify(sample(7)));
    expect(JSON.stringify(sample(7))).not.toBe(JSON.stringify(sample(8)));
  });

  it('makes valid, unique ids and e-mails', () => {
    const { people, tickets } = sample(11);
    const ids = [...people.agents, ...people.requesters, ...people.organizations, ...tickets].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const emails = people.requesters.map((r) => r.email);
    expect(new Set(emails).size).toBe(emails.length);
    for (const e of emails) expect(e).toBe(e.toLowerCase());
  });
});

describe(`seed-demo on a help desk already in use (${DB_KIND})`, () => {
  let db: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db, drop } = await createTestDatabase());
  });
  afterAll(async () => drop?.());

  it('refuses when the database has tickets, and writes nothing', async () => {
    const clock = new FakeClock(NOW);
    await createTicket({ db, clock, actor: SYSTEM_ACTOR }, {
      subject: 'Real ticket', description: 'Not demo data', requester: { name: 'Real Person', email: 'real@customer.test' }, category: 'general', source: 'email',
    });
    await expect(seedDemo(db, clock, { tickets: 10 })).rejects.toThrow(/already has 1 ticket;/);
    expect(await count(db, 'SELECT count(*)::int AS n FROM agents')).toBe(0);
    expect(await count(db, 'SELECT count(*)::int AS n FROM tickets')).toBe(1);
    expect(await count(db, `SELECT count(*)::int AS n FROM settings WHERE key = 'demo_data'`)).toBe(0);
    expect(await seedDemoIfEmpty(db, clock, createLogger('silent'), { tickets: 10 })).toBeNull();
    expect(await count(db, 'SELECT count(*)::int AS n FROM agents')).toBe(0);
  });
});

/**
 * The CLI as a user runs it, against a database no test has migrated: a new
 * DATA_DIR, or a new empty database on the PostgreSQL server.
 */
describe(`triage CLI: migrate, create-admin, seed-demo (${DB_KIND})`, () => {
  let env: Record<string, string>;
  let open: () => Promise<Db>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (TEST_DATABASE_URL) {
      const server = await createServerDatabase('triage_cli');
      env = { DATABASE_URL: server.url };
      open = () => openDatabase({ databaseUrl: server.url });
      cleanup = server.drop;
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'triage-cli-'));
      env = { DATA_DIR: dataDir };
      open = () => openDatabase({ dataDir });
      cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
    }
  });
  afterAll(async () => cleanup?.());

  /** Opens the CLI's database in this process (the CLI has exited, so the folder is free), runs `fn`, closes it. */
  async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const db = await open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  it('prints usage and fails on an unknown command or bad options', async () => {
    const unknown = await runTriage(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain('Usage: triage');
    const badTickets = await runTriage(['seed-demo', '--tickets', 'many'], env);
    expect(badTickets.code).toBe(2);
    expect(badTickets.stderr).toContain('--tickets must be a positive integer');
    const noPassword = await runTriage(['create-admin', '--email', 'x@y.test'], env);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('--password');
  }, 60_000);

  it('`triage migrate` applies every migration, and the second run is a no-op', async () => {
    const names = listMigrations().map((m) => m.name);
    const first = await runTriage(['migrate'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Applied ${names.length} migration(s): ${names.join(', ')}.`);
    const appliedAt = await withDb(async (db) => {
      const rows = (await db.query<{ version: number; applied_at: Date }>('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows;
      expect(rows.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));
      expect(await count(db, 'SELECT count(*)::int AS n FROM tickets')).toBe(0);
      return rows.map((r) => r.applied_at.toISOString());
    });

    const second = await runTriage(['migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No pending migrations.');
    await withDb(async (db) => {
      const rows = (await db.query<{ applied_at: Date }>('SELECT applied_at FROM schema_migrations ORDER BY version')).rows;
      expect(rows.map((r) => r.applied_at.toISOString())).toEqual(appliedAt);
    });
  }, 90_000);

  it('`triage create-admin` creates an admin who can log in; a second call changes nothing', async () => {
    const first = await runTriage(['create-admin', '--email', 'Boss@Example.test', '--password', 'first-password-1', '--name', 'The Boss'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Admin Boss@Example.test created.');
    const hash = await withDb(async (db) => {
      const rows = (await db.query<{ id: string; role: string; name: string; password_hash: string }>(
        `SELECT a.id, a.role, a.name, c.password_hash FROM agents a JOIN credentials c ON c.agent_id = a.id WHERE a.email = 'boss@example.test'`,
      )).rows;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ role: 'admin', name: 'The Boss' });
      return rows[0].password_hash;
    });

    const second = await runTriage(['create-admin', '--email', 'boss@example.test', '--password', 'other-password-2'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already exists; nothing changed');
    await withDb(async (db) => {
      expect(await count(db, `SELECT count(*)::int AS n FROM agents WHERE email = 'boss@example.test'`)).toBe(1);
      expect((await db.query<{ h: string }>(`SELECT c.password_hash AS h FROM credentials c JOIN agents a ON a.id = c.agent_id WHERE a.email = 'boss@example.test'`)).rows[0].h).toBe(hash);
      expect(await login(db, 'boss@example.test', 'first-password-1')).toBe(200);
      expect(await login(db, 'boss@example.test', 'other-password-2')).toBe(401);
    });
  }, 90_000);

  it('`triage seed-demo --tickets N` seeds and prints the logins; a second run refuses with a clear message', async () => {
    const first = await runTriage(['seed-demo', '--tickets', '60'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('60 tickets');
    expect(first.stdout).toContain(`${DEMO_ADMIN_EMAIL} / ${DEMO_ADMIN_PASSWORD}`);
    expect(first.stdout).toContain(DEMO_AGENT_PASSWORD);

    const second = await runTriage(['seed-demo', '--tickets', '60'], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already has 60 tickets; seed-demo only fills an empty help desk/);
    await withDb(async (db) => {
      expect(await count(db, 'SELECT count(*)::int AS n FROM tickets')).toBe(60);
      // the admin from create-admin is still the only one with that e-mail, beside the demo admin
      expect(await count(db, `SELECT count(*)::int AS n FROM agents WHERE role = 'admin'`)).toBe(2);
    });
  }, 90_000);
});
