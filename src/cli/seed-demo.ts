/**
 * `triage seed-demo`: fills an empty help desk with realistic demo data — 4
 * groups, 30 agents and a demo admin, 200 organizations across tiers, 2,000
 * requesters and 20,000 tickets over the last 90 days with their comments and
 * history — deterministically from a seed number, in batched transactions.
 */
import cliProgress from 'cli-progress';
import { createRule, setCategorySkills } from '../domain/routing/commands.ts';
import { SYSTEM_ACTOR, type Ctx } from '../domain/context.ts';
import { CATEGORIES } from './demo/words.ts';
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { hashPassword } from '../domain/auth/secrets.ts';
import { Random } from './demo/random.ts';
import {
  DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_AGENT_PASSWORD, generatePeople,
} from './demo/generate-people.ts';
import { creationTimes, DemoWorld, generateTicket } from './demo/generate-tickets.ts';
import { claimDemoMarker, completeDemoMarker, countTickets, insertPeople, insertTickets, readDemoMarker } from '../db/repositories/demo.ts';

export { DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_AGENT_PASSWORD };

export const DEFAULT_DEMO_SIZES = { tickets: 20_000, organizations: 200, requesters: 2_000 } as const;
export const DEFAULT_DEMO_SEED = 20_261_128;
/** Tickets per transaction: about 500 tickets, 1,400 comments and 4,400 history rows. */
const BATCH = 500;

export interface SeedDemoOptions {
  /** number of tickets (default 20,000) */
  tickets?: number;
  organizations?: number;
  requesters?: number;
  /** the PRNG seed: the same seed (and clock) gives the same data */
  seed?: number;
  /** show a progress bar on stderr */
  progress?: boolean;
}

export interface SeedDemoResult {
  seed: number;
  groups: number;
  agents: number;
  organizations: number;
  requesters: number;
  tickets: number;
  comments: number;
  history: number;
  /** the demo admin's login; password null when that account existed already (its password was left alone) */
  admin: { email: string; password: string | null };
  /** the password of every demo agent this run created */
  agentPassword: string;
  ms: number;
}

/** The database already holds tickets or demo data: seeding again would duplicate. */
export class DemoDataExistsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoDataExistsError';
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return n;
}

/**
 * Seeds demo data into a database with no tickets. Throws DemoDataExistsError
 * (and writes nothing) when it has tickets or was seeded before.
 */
/**
 * Demo routing, like a real desk's: technical tickets go to the technical
 * agent holding the subcategory's skill (least busy first), every other
 * category to its group (least busy).
 */
async function seedRoutingRules(ctx: Ctx): Promise<void> {
  const technicalSkills = { bug: 'bugs', integration: 'integrations', performance: 'performance', api: 'api', mobile: 'mobile' };
  for (const [subcategory, skill] of Object.entries(technicalSkills)) await setCategorySkills(ctx, 'technical', subcategory, [skill]);
  let position = 10;
  for (const [category, c] of Object.entries(CATEGORIES)) {
    await createRule(ctx, {
      name: `${category.replace('_', ' ')} → ${c.group}`, position: position++,
      conditions: { categories: [category] },
      action: category === 'technical' ? { type: 'skill_based', group: c.group } : { type: 'group_least_busy', group: c.group },
    });
  }
}

export async function seedDemo(db: Db, clock: Clock, opts: SeedDemoOptions = {}): Promise<SeedDemoResult> {
  const started = Date.now();
  const ticketCount = positive('tickets', opts.tickets, DEFAULT_DEMO_SIZES.tickets);
  const sizes = {
    organizations: positive('organizations', opts.organizations, DEFAULT_DEMO_SIZES.organizations),
    requesters: positive('requesters', opts.requesters, DEFAULT_DEMO_SIZES.requesters),
  };
  const seed = opts.seed ?? DEFAULT_DEMO_SEED;
  const now = clock.now();
  const rng = new Random(seed);
  const people = generatePeople(rng, now, sizes);

  // every demo agent gets its own salted hash of the shared demo password
  const accounts = [people.admin, ...people.agents];
  const hashes = new Map(
    await Promise.all(accounts.map(async (a) => [a.email, await hashPassword(a === people.admin ? DEMO_ADMIN_PASSWORD : DEMO_AGENT_PASSWORD)] as const)),
  );

  const createdAgents = await db.transaction(async (tx) => {
    const existing = await countTickets(tx);
    if (existing > 0) {
      throw new DemoDataExistsError(
        `This database already has ${existing} ticket${existing === 1 ? '' : 's'}; seed-demo only fills an empty help desk. ` +
          'Use a new DATA_DIR (or a new database for DATABASE_URL) to try the demo data.',
      );
    }
    const marker = { seed, tickets: ticketCount, startedAt: now.toISOString() };
    if (!(await claimDemoMarker(tx, marker, now))) {
      const previous = await readDemoMarker(tx);
      throw new DemoDataExistsError(
        `Demo data was already seeded into this database (started ${String(previous?.startedAt)}` +
          `${previous?.completedAt ? '' : ', not finished'}); seed-demo does not add it twice.`,
      );
    }
    const inserted = await insertPeople(tx, people, hashes, now);
    await seedRoutingRules({ db: tx, clock, actor: SYSTEM_ACTOR });
    return inserted;
  });

  const world = new DemoWorld(people);
  const times = creationTimes(rng, now, ticketCount);
  const bar = opts.progress
    ? new cliProgress.SingleBar({ format: 'Tickets |{bar}| {value}/{total} ({percentage}%) {duration_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(ticketCount, 0);
  let comments = 0;
  let history = 0;
  try {
    for (let i = 0; i < ticketCount; i += BATCH) {
      const tickets = times.slice(i, i + BATCH).map((t) => generateTicket(rng, world, t, now.getTime()));
      await db.transaction((tx) => insertTickets(tx, tickets));
      for (const k of tickets) {
        comments += k.comments.length;
        history += k.history.length;
      }
      bar?.update(Math.min(ticketCount, i + BATCH));
    }
  } finally {
    bar?.stop();
  }
  await completeDemoMarker(db, { completedAt: clock.now().toISOString() }, clock.now());
  // Fresh statistics for the planner and a visibility map for index-only counts: PGlite has
  // no autovacuum, and a server's may not have run yet when the first agent opens a list.
  await db.exec('VACUUM (ANALYZE)');

  return {
    seed,
    groups: people.groups.length,
    agents: accounts.length,
    organizations: people.organizations.length,
    requesters: people.requesters.length,
    tickets: ticketCount,
    comments,
    history,
    admin: { email: DEMO_ADMIN_EMAIL, password: createdAgents.has(DEMO_ADMIN_EMAIL) ? DEMO_ADMIN_PASSWORD : null },
    agentPassword: DEMO_AGENT_PASSWORD,
    ms: Date.now() - started,
  };
}

/** Human-readable summary of a seed run, with the logins to try. */
export function describeSeed(r: SeedDemoResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    `Seeded demo data in ${(r.ms / 1000).toFixed(1)} s: ${n(r.tickets)} tickets (${n(r.comments)} comments, ${n(r.history)} history rows), ` +
      `${n(r.agents)} agents in ${r.groups} groups, ${n(r.requesters)} requesters in ${n(r.organizations)} organizations.`,
    r.admin.password
      ? `Sign in as ${r.admin.email} / ${r.admin.password}`
      : `The demo admin ${r.admin.email} existed already; its password was not changed.`,
    `Demo agents (e.g. from GET /api/v1/agents) sign in with the password ${r.agentPassword}`,
  ].join('\n');
}

/**
 * On start with SEED_DEMO=1: seeds demo data if the database has no tickets
 * and was never seeded, and logs the logins; otherwise does nothing.
 */
export async function seedDemoIfEmpty(db: Db, clock: Clock, logger: Logger, opts: SeedDemoOptions = {}): Promise<SeedDemoResult | null> {
  if ((await countTickets(db)) > 0 || (await readDemoMarker(db))) {
    logger.info('SEED_DEMO: the database is not empty; no demo data added');
    return null;
  }
  logger.info({ tickets: opts.tickets ?? DEFAULT_DEMO_SIZES.tickets }, 'SEED_DEMO: seeding demo data before listening');
  try {
    const result = await seedDemo(db, clock, { ...opts, progress: false });
    logger.info(
      { tickets: result.tickets, comments: result.comments, history: result.history, ms: result.ms, admin: result.admin.email, adminPassword: result.admin.password, agentPassword: result.agentPassword },
      describeSeed(result).replace(/\n/g, ' '),
    );
    return result;
  } catch (err) {
    // another process seeded it between our check and our claim: fine, the data is there
    if (err instanceof DemoDataExistsError) {
      logger.info(err.message);
      return null;
    }
    throw err;
  }
}
