/**
 * bench:routing's world: groups, agents, a backlog of open tickets and a rule
 * set, written in a few set-based statements (generate_series) so that 100,000
 * tickets take seconds, on PGlite and on PostgreSQL alike; the ticket bodies
 * the load sends; and the capacity check made after the run.
 */
import type { Db } from '../../src/db/client.ts';
import { rng, ticketBodies } from './bodies.ts';

/** One category per group; created tickets pick one of them, so every rule gets traffic. */
export const CATEGORIES = [
  'billing', 'refunds', 'payments', 'invoicing', 'account', 'login', 'security', 'privacy', 'integrations', 'api',
  'performance', 'mobile', 'shipping', 'returns', 'orders', 'onboarding', 'reporting', 'exports', 'notifications', 'general',
] as const;

/** Categories routed skill-based (by the skills of `category_skills`), the others alternate round robin / least busy. */
export const SKILL_RULES: Record<string, { skills: string[]; withGroup: boolean; holders: string }> = {
  // within the security group, only agents holding the clearance (3 in 5 of its members)
  security: { skills: ['security-clearance'], withGroup: true, holders: '3 in 5 members of team-security' },
  // over every agent (no group): the members of team-api and team-integrations hold "api"
  api: { skills: ['api'], withGroup: false, holders: 'every member of team-api and team-integrations' },
};

export interface RoutingSizes {
  groups: number;
  agents: number;
  /** open tickets (new/open/in_progress — what counts as load) */
  openTickets: number;
  /** of those, waiting unassigned in a group's queue */
  queuedTickets: number;
  /** pending, resolved and closed tickets besides (not load) */
  otherTickets: number;
  requesters: number;
}

export const DEFAULT_SIZES: RoutingSizes = {
  groups: 20,
  agents: 500,
  openTickets: 100_000,
  queuedTickets: 1_000,
  otherTickets: 25_000,
  requesters: 20_000,
};

export interface RuleSpec {
  name: string;
  conditions: Record<string, string[]>;
  action: { type: string; group?: string };
}

export function categoryOf(i: number): string {
  return i < CATEGORIES.length ? CATEGORIES[i] : `category-${i + 1}`;
}

export function groupSlug(category: string): string {
  return `team-${category}`;
}

/** The rules, in order: two specific ones first (VIP escalations, a keyword), then one per group by category. */
export function ruleSpecs(groups: number): RuleSpec[] {
  const rules: RuleSpec[] = [
    { name: 'VIP critical → account team', conditions: { tags: ['vip'], priorities: ['critical'] }, action: { type: 'group_least_busy', group: groupSlug(categoryOf(4 % groups)) } },
    { name: 'GDPR requests → privacy team', conditions: { keywords: ['gdpr', 'data deletion request'] }, action: { type: 'group_round_robin', group: groupSlug(categoryOf(7 % groups)) } },
  ];
  for (let i = 0; i < groups; i++) {
    const category = categoryOf(i);
    const skill = SKILL_RULES[category];
    const action = skill
      ? { type: 'skill_based', ...(skill.withGroup ? { group: groupSlug(category) } : {}) }
      : { type: i % 2 === 0 ? 'group_round_robin' : 'group_least_busy', group: groupSlug(category) };
    rules.push({ name: `${category} tickets`, conditions: { categories: [category] }, action });
  }
  return rules;
}

export interface SeedSummary {
  seconds: number;
  groups: number;
  agents: number;
  openTickets: number;
  queuedTickets: number;
  otherTickets: number;
  requesters: number;
  rules: number;
  /** free slots over all agents after seeding (capacity − load, summed) */
  freeSlots: number;
  loadMin: number;
  loadMax: number;
  capacityMin: number;
  capacityMax: number;
}

/**
 * Fills a migrated, empty database. Deterministic (setseed) apart from the
 * database-generated UUIDs. Ends with VACUUM (ANALYZE): current planner
 * statistics and a visibility map for index-only counts.
 */
export async function seedRouting(db: Db, s: RoutingSizes): Promise<SeedSummary> {
  const t0 = performance.now();
  const categories = Array.from({ length: s.groups }, (_, i) => categoryOf(i));
  const assigned = s.openTickets - s.queuedTickets;
  await db.transaction(async (tx) => {
    await tx.query('SELECT setseed(0.20261128)');
    // organizations: the 40 the load's bodies name, and 160 more; all tiers
    await tx.query(
      `INSERT INTO organizations (name, tier)
       SELECT CASE WHEN i <= 40 THEN 'Bench Customer ' || lpad(i::text, 2, '0') || ' Ltd' ELSE 'Backlog Customer ' || i END,
              (ARRAY['free','standard','standard','premium','enterprise'])[1 + i % 5]
         FROM generate_series(1, 200) i`,
    );
    await tx.query(
      `CREATE TEMP TABLE bench_orgs ON COMMIT DROP AS
         SELECT row_number() OVER (ORDER BY name)::int AS n, id FROM organizations`,
    );
    // requesters: the 500 "known" addresses the load reuses, and the backlog's
    await tx.query(
      `INSERT INTO requesters (name, email, organization_id)
       SELECT 'Requester ' || i,
              CASE WHEN i <= 500 THEN 'repeat.customer' || i || '@example.com' ELSE 'backlog.requester' || i || '@example.com' END,
              (SELECT id FROM bench_orgs WHERE n = 1 + (i * 7) % 200 AND i % 10 < 3)
         FROM generate_series(1, $1::int) i`,
      [s.requesters + 500],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_requesters ON COMMIT DROP AS
         SELECT row_number() OVER (ORDER BY email)::int AS n, id FROM requesters`,
    );
    await tx.query(
      `INSERT INTO groups (slug, name, description)
       SELECT 'team-' || c, initcap(c) || ' team', 'bench:routing group ' || n
         FROM unnest($1::text[]) WITH ORDINALITY AS x(c, n)`,
      [categories],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_groups ON COMMIT DROP AS
         SELECT n::int AS n, g.id, x.c AS category
           FROM unnest($1::text[]) WITH ORDINALITY AS x(c, n) JOIN groups g ON g.slug = 'team-' || x.c`,
      [categories],
    );
    // agents: online, 25 per group (with the defaults), capacity 250–300, their group's
    // category and a language or two as skills, the skills the skill-based rules need
    await tx.query(
      `INSERT INTO agents (name, email, role, skills, max_concurrent_tickets, status, active, last_active_at)
       SELECT 'Bench Agent ' || lpad(i::text, 4, '0'), 'bench-agent-' || lpad(i::text, 4, '0') || '@triage.test', 'agent',
              ARRAY[g.category, 'english']
                || CASE i % 3 WHEN 0 THEN ARRAY['german'] WHEN 1 THEN ARRAY['french'] ELSE '{}'::text[] END
                || CASE WHEN g.category = 'security' AND (i / $2::int) % 5 < 3 THEN ARRAY['security-clearance'] ELSE '{}'::text[] END
                || CASE WHEN g.category IN ('integrations', 'api') THEN ARRAY['api'] ELSE '{}'::text[] END,
              250 + 10 * (i % 6), 'online', true, now()
         FROM generate_series(1, $1::int) i JOIN bench_groups g ON g.n = 1 + (i - 1) % $2::int`,
      [s.agents, s.groups],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_agents ON COMMIT DROP AS
         SELECT row_number() OVER (ORDER BY email)::int AS n, id FROM agents WHERE email LIKE 'bench-agent-%'`,
    );
    await tx.query(
      `INSERT INTO agent_groups (agent_id, group_id)
       SELECT a.id, g.id FROM bench_agents a JOIN bench_groups g ON g.n = 1 + (a.n - 1) % $1`,
      [s.groups],
    );
    // the backlog: tickets spread uniformly over agents (each in its agent's group and category)
    const ticketInsert = (select: string) =>
      `INSERT INTO tickets (subject, description, status, priority, category, requester_id, assignee_id, assignee_group_id,
                            source, tags, created_at, updated_at, resolved_at, closed_at, queued_at, priority_score)
       ${select}`;
    const randomRows = (count: string) =>
      `SELECT i, 1 + floor(random() * $2::int)::int AS an, 1 + floor(random() * $3::int)::int AS rn,
              random() AS x1, random() AS x2, random() AS x3, now() - random() * interval '60 days' AS created
         FROM generate_series(1, ${count}) i`;
    const common = `'Backlog: ' || g.category || ' question #' || s.i,
                    'Seeded by bench:routing. The customer asked a question about ' || g.category || ' and waits for an answer.'`;
    // open and assigned
    await tx.query(
      ticketInsert(`
       SELECT ${common}, (ARRAY['new','open','open','in_progress','in_progress'])[1 + floor(s.x1 * 5)::int],
              (ARRAY['low','normal','normal','normal','high','critical'])[1 + floor(s.x2 * 6)::int],
              g.category, r.id, a.id, g.id, (ARRAY['email','email','web','web','chat','api','phone'])[1 + floor(s.x3 * 7)::int],
              CASE WHEN s.i % 7 = 0 THEN ARRAY['follow-up'] ELSE '{}'::text[] END, s.created, s.created, NULL, NULL, NULL, 40 + (s.i % 50)
         FROM (${randomRows('$1::int')}) s
         JOIN bench_agents a ON a.n = s.an JOIN bench_groups g ON g.n = 1 + (s.an - 1) % $4::int JOIN bench_requesters r ON r.n = s.rn`),
      [assigned, s.agents, s.requesters + 500, s.groups],
    );
    // open, unassigned, waiting in their group's queue (the routing sweep drains them)
    await tx.query(
      ticketInsert(`
       SELECT ${common}, 'new', (ARRAY['low','normal','normal','normal','high','critical'])[1 + floor(s.x2 * 6)::int],
              g.category, r.id, NULL, g.id, 'email', '{}'::text[], s.created, s.created, NULL, NULL, s.created, 50
         FROM (${randomRows('$1::int')}) s
         JOIN bench_groups g ON g.n = 1 + (s.an - 1) % $4::int JOIN bench_requesters r ON r.n = s.rn`),
      [s.queuedTickets, s.agents, s.requesters + 500, s.groups],
    );
    // pending, resolved and closed: history that is not load
    await tx.query(
      ticketInsert(`
       SELECT ${common}, (ARRAY['pending','resolved','resolved','closed','closed'])[1 + floor(s.x1 * 5)::int],
              (ARRAY['low','normal','normal','normal','high','critical'])[1 + floor(s.x2 * 6)::int],
              g.category, r.id, a.id, g.id, 'email', '{}'::text[], s.created, s.created + interval '1 day',
              CASE WHEN s.x1 >= 0.2 THEN s.created + interval '1 day' END, CASE WHEN s.x1 >= 0.6 THEN s.created + interval '2 days' END, NULL, 45
         FROM (${randomRows('$1::int')}) s
         JOIN bench_agents a ON a.n = s.an JOIN bench_groups g ON g.n = 1 + (s.an - 1) % $4::int JOIN bench_requesters r ON r.n = s.rn`),
      [s.otherTickets, s.agents, s.requesters + 500, s.groups],
    );
    // when each agent was last given a ticket (least busy's tie-break), spread over the last three hours
    await tx.query(`UPDATE agent_loads SET last_assigned_at = now() - random() * interval '3 hours'`);
    // rules and category skills
    const rules = ruleSpecs(s.groups);
    for (const [i, r] of rules.entries()) {
      await tx.query(
        `INSERT INTO assignment_rules (name, position, is_active, conditions, action) VALUES ($1, $2, true, $3::jsonb, $4::jsonb)`,
        [r.name, i + 1, JSON.stringify(r.conditions), JSON.stringify(r.action)],
      );
    }
    for (const [category, k] of Object.entries(SKILL_RULES)) {
      if (!categories.includes(category)) continue;
      await tx.query(`INSERT INTO category_skills (category, subcategory, skills) VALUES ($1, '', $2)`, [category, k.skills]);
    }
  });
  // The tickets were loaded by a few big statements, each moving every agent's load counter once per
  // ticket (migration 0015): 100,000 dead versions of 500 rows spread over a thousand pages. A help
  // desk's counters are written one ticket at a time and stay compact; so do they here.
  await db.exec('VACUUM FULL agent_loads');
  await db.exec('VACUUM (ANALYZE)');
  const cap = await capacityReport(db);
  return {
    seconds: (performance.now() - t0) / 1000,
    groups: s.groups,
    agents: s.agents,
    openTickets: s.openTickets,
    queuedTickets: s.queuedTickets,
    otherTickets: s.otherTickets,
    requesters: s.requesters + 500,
    rules: ruleSpecs(s.groups).length,
    freeSlots: cap.freeSlots,
    loadMin: cap.loadMin,
    loadMax: cap.loadMax,
    capacityMin: cap.capacityMin,
    capacityMax: cap.capacityMax,
  };
}

export interface CapacityReport {
  agents: number;
  /** agents holding more open tickets than their capacity (must be 0) */
  overCapacity: number;
  /** the worst of them: load and capacity */
  worst?: { name: string; load: number; capacity: number };
  atCapacity: number;
  freeSlots: number;
  loadMin: number;
  loadMax: number;
  capacityMin: number;
  capacityMax: number;
  /** open tickets waiting unassigned in a queue */
  queued: number;
  /** agents whose load as the database keeps it (agent_loads) differs from this count (must be 0) */
  drifted: number;
}

/** Every active agent's load, counted from the tickets, against their capacity. */
export async function capacityReport(db: Db): Promise<CapacityReport> {
  const r = await db.query<{
    agents: number; over: number; at_cap: number; free: number; load_min: number; load_max: number; cap_min: number; cap_max: number;
    worst_name: string | null; worst_load: number | null; worst_cap: number | null; queued: number; drifted: number;
  }>(
    `WITH l AS (
       SELECT a.name, a.max_concurrent_tickets AS cap,
              (SELECT count(*)::int FROM tickets t WHERE t.assignee_id = a.id AND t.status IN ('new','open','in_progress')) AS load,
              (SELECT count(*)::int FROM tickets t WHERE t.assignee_id = a.id AND t.status = 'pending') AS pending,
              (SELECT row(open_count, pending_count) FROM agent_loads WHERE agent_id = a.id) AS stored
         FROM agents a WHERE a.active AND a.email LIKE 'bench-agent-%')
     SELECT count(*)::int AS agents,
            count(*) FILTER (WHERE load > cap)::int AS over,
            count(*) FILTER (WHERE load >= cap)::int AS at_cap,
            coalesce(sum(greatest(cap - load, 0)), 0)::int AS free,
            coalesce(min(load), 0)::int AS load_min, coalesce(max(load), 0)::int AS load_max,
            coalesce(min(cap), 0)::int AS cap_min, coalesce(max(cap), 0)::int AS cap_max,
            (SELECT name FROM l WHERE load > cap ORDER BY load - cap DESC LIMIT 1) AS worst_name,
            (SELECT load FROM l WHERE load > cap ORDER BY load - cap DESC LIMIT 1) AS worst_load,
            (SELECT cap FROM l WHERE load > cap ORDER BY load - cap DESC LIMIT 1) AS worst_cap,
            (SELECT count(*)::int FROM tickets WHERE queued_at IS NOT NULL AND assignee_id IS NULL
                AND status IN ('new','open','in_progress')) AS queued,
            count(*) FILTER (WHERE stored IS DISTINCT FROM row(load, pending))::int AS drifted
       FROM l`,
  );
  const x = r.rows[0];
  return {
    agents: x.agents,
    overCapacity: x.over,
    worst: x.worst_name ? { name: x.worst_name, load: x.worst_load!, capacity: x.worst_cap! } : undefined,
    atCapacity: x.at_cap,
    freeSlots: x.free,
    loadMin: x.load_min,
    loadMax: x.load_max,
    capacityMin: x.cap_min,
    capacityMax: x.cap_max,
    queued: x.queued,
    drifted: x.drifted,
  };
}

/** What the tickets created since `since` became: assigned (by method), queued, or left unrouted. */
export async function createdOutcome(db: Db, since: Date): Promise<{ total: number; assigned: number; queued: number; unrouted: number; byMethod: Record<string, number> }> {
  const r = await db.query<{ method: string | null; assigned: boolean; queued: boolean; n: number }>(
    `SELECT assignment->>'method' AS method, assignee_id IS NOT NULL AS assigned, queued_at IS NOT NULL AS queued, count(*)::int AS n
       FROM tickets WHERE created_at >= $1
      GROUP BY 1, 2, 3`,
    [since],
  );
  const out = { total: 0, assigned: 0, queued: 0, unrouted: 0, byMethod: {} as Record<string, number> };
  for (const row of r.rows) {
    out.total += row.n;
    if (row.assigned) out.assigned += row.n;
    else if (row.queued) out.queued += row.n;
    else if (!row.method) out.unrouted += row.n;
    if (row.method) out.byMethod[row.method] = (out.byMethod[row.method] ?? 0) + row.n;
  }
  return out;
}

/**
 * The create bodies of bench:create (lib/bodies.ts: new and known requesters,
 * organizations, priorities, tags …) with the category drawn uniformly from
 * the groups' categories, so that every rule gets its share.
 */
export function routingBodies(runId: string, seed: number, groups: number): (i: number) => string {
  const base = ticketBodies(runId, seed);
  const r = rng(seed ^ 0x5bd1e995);
  return (i) => {
    const body = JSON.parse(base(i)) as Record<string, unknown>;
    body.category = categoryOf(Math.floor(r() * groups));
    delete body.subcategory;
    return JSON.stringify(body);
  };
}
