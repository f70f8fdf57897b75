/**
 * Bulk writes of the demo data. Each table gets one `INSERT … SELECT FROM
 * unnest($1::type[], $2::type[], …)` per batch: one parameter per column
 * whatever the number of rows, so a batch of a thousand tickets with their
 * comments and history is three statements, on PGlite and PostgreSQL alike.
 * Timestamps travel as ISO strings (millisecond precision, UTC).
 */
import type { Db } from '../client.ts';
import type { DemoAgent, DemoPeople } from '../../cli/demo/generate-people.ts';
import type { DemoTicket } from '../../cli/demo/ticket-life.ts';

/** The settings row that marks a database as seeded (see claimDemoMarker). */
export const DEMO_MARKER_KEY = 'demo_data';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A PostgreSQL array literal of text values ('{"a","b"}'), for array columns passed through unnest. */
export function textArrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** Columns as arrays: unnest zips them back into rows. */
function columns<T>(rows: T[], pick: (row: T) => unknown[]): unknown[][] {
  const cols: unknown[][] = [];
  for (const row of rows) {
    const values = pick(row);
    values.forEach((v, i) => (cols[i] ??= []).push(v));
  }
  return cols;
}

export async function countTickets(db: Db): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows[0].n;
}

export async function readDemoMarker(db: Db): Promise<Record<string, unknown> | undefined> {
  return (await db.query<{ value: Record<string, unknown> }>('SELECT value FROM settings WHERE key = $1', [DEMO_MARKER_KEY])).rows[0]?.value;
}

/**
 * Writes the "demo data seeded" marker; false if it was already there. The
 * unique key makes two seeders started at once on one server agree: the
 * second waits for the first's transaction and then finds the marker.
 */
export async function claimDemoMarker(db: Db, value: Record<string, unknown>, now: Date): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, $3) ON CONFLICT (key) DO NOTHING RETURNING key`,
    [DEMO_MARKER_KEY, JSON.stringify(value), now],
  );
  return r.rowCount === 1;
}

export async function completeDemoMarker(db: Db, patch: Record<string, unknown>, now: Date): Promise<void> {
  await db.query(`UPDATE settings SET value = value || $2::jsonb, updated_at = $3 WHERE key = $1`, [DEMO_MARKER_KEY, JSON.stringify(patch), now]);
}

/**
 * Inserts groups, agents (with credentials and group memberships),
 * organizations and requesters. Rows that already exist (same group slug,
 * agent e-mail, organization name or requester e-mail) are kept as they are,
 * and the demo objects take their ids, so tickets point at what is really
 * there. Returns the e-mails of the agents this call created.
 */
export async function insertPeople(db: Db, people: DemoPeople, passwordHashes: Map<string, string>, now: Date): Promise<Set<string>> {
  const g = columns(people.groups, (x) => [x.id, x.slug, x.name, x.description]);
  await db.query(
    `INSERT INTO groups (id, slug, name, description, created_at, updated_at)
     SELECT id, slug, name, description, $5, $5 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(id, slug, name, description)
     ON CONFLICT (slug) DO NOTHING`,
    [...g, now],
  );
  const groupIds = await idsBy(db, 'SELECT id, slug AS key FROM groups WHERE slug = ANY($1::text[])', people.groups.map((x) => x.slug));
  for (const x of people.groups) x.id = groupIds.get(x.slug)!;

  const agents: DemoAgent[] = [people.admin, ...people.agents];
  const a = columns(agents, (x) => [
    x.id, x.name, x.email, x.role, textArrayLiteral(x.skills), x.maxConcurrentTickets, x.status, iso(x.lastActiveAt), iso(x.createdAt),
  ]);
  const created = await db.query<{ email: string }>(
    `INSERT INTO agents (id, name, email, role, skills, max_concurrent_tickets, status, last_active_at, created_at, updated_at)
     SELECT id, name, email, role, skills::text[], max, status, last_active_at, created_at, created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::timestamptz[])
            AS u(id, name, email, role, skills, max, status, last_active_at, created_at)
     ON CONFLICT (email) DO NOTHING RETURNING email`,
    a,
  );
  const agentIds = await idsBy(db, 'SELECT id, email AS key FROM agents WHERE email = ANY($1::text[])', agents.map((x) => x.email));
  for (const x of agents) x.id = agentIds.get(x.email)!;
  await db.query(
    `INSERT INTO credentials (agent_id, password_hash, updated_at) SELECT id, hash, $3 FROM unnest($1::uuid[], $2::text[]) AS u(id, hash)
     ON CONFLICT (agent_id) DO NOTHING`,
    [agents.map((x) => x.id), agents.map((x) => passwordHashes.get(x.email)!), now],
  );
  const memberships = agents.flatMap((x) => x.groups.map((slug) => [x.id, groupIds.get(slug)!]));
  await db.query(
    `INSERT INTO agent_groups (agent_id, group_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`,
    [memberships.map((m) => m[0]), memberships.map((m) => m[1])],
  );

  const o = columns(people.organizations, (x) => [x.id, x.name, x.tier, iso(x.createdAt)]);
  await db.query(
    `INSERT INTO organizations (id, name, tier, created_at, updated_at)
     SELECT id, name, tier, created_at, created_at FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS u(id, name, tier, created_at)
     ON CONFLICT DO NOTHING`,
    o,
  );
  const orgIds = await idsBy(db, 'SELECT id, lower(name) AS key FROM organizations WHERE lower(name) = ANY($1::text[])', people.organizations.map((x) => x.name.toLowerCase()));
  const orgIdMap = new Map(people.organizations.map((x) => [x.id, orgIds.get(x.name.toLowerCase())!]));
  for (const x of people.organizations) x.id = orgIdMap.get(x.id)!;
  for (const r of people.requesters) if (r.organizationId) r.organizationId = orgIdMap.get(r.organizationId)!;

  const r = columns(people.requesters, (x) => [x.id, x.name, x.email, x.phone, x.organizationId, x.tier, iso(x.createdAt)]);
  await db.query(
    `INSERT INTO requesters (id, name, email, phone, organization_id, tier, created_at, updated_at)
     SELECT id, name, email, phone, organization_id, tier, created_at, created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::timestamptz[])
            AS u(id, name, email, phone, organization_id, tier, created_at)
     ON CONFLICT (email) DO NOTHING`,
    r,
  );
  const requesterIds = await idsBy(db, 'SELECT id, email AS key FROM requesters WHERE email = ANY($1::text[])', people.requesters.map((x) => x.email));
  for (const x of people.requesters) x.id = requesterIds.get(x.email)!;
  return new Set(created.rows.map((row) => row.email));
}

async function idsBy(db: Db, sql: string, keys: string[]): Promise<Map<string, string>> {
  const rows = (await db.query<{ id: string; key: string }>(sql, [keys])).rows;
  return new Map(rows.map((row) => [row.key, row.id]));
}

/**
 * Writes a batch of tickets with their comments and history. Numbers come
 * from the ticket sequence (so later tickets continue after them), in the
 * batch's order, which is oldest first.
 */
export async function insertTickets(db: Db, tickets: DemoTicket[]): Promise<void> {
  const numbers = (
    await db.query<{ n: number }>(`SELECT nextval('ticket_number_seq')::bigint AS n FROM generate_series(1, $1)`, [tickets.length])
  ).rows.map((row) => Number(row.n)).sort((x, y) => x - y);
  tickets.forEach((k, i) => {
    k.number = numbers[i];
    (k.history[0].changedTo as { number: number }).number = k.number;
  });

  const t = columns(tickets, (k) => [
    k.id, k.number, k.subject, k.description, k.status, k.priority, k.category, k.subcategory, k.requesterId, k.assigneeId,
    k.groupId, k.source, k.channel, textArrayLiteral(k.tags), JSON.stringify(k.customFields), iso(k.dueDate), iso(k.resolvedAt),
    iso(k.closedAt), k.version, k.createdBy, iso(k.createdAt), iso(k.updatedAt),
  ]);
  await db.query(
    `INSERT INTO tickets (id, number, subject, description, status, priority, category, subcategory, requester_id, assignee_id,
        assignee_group_id, source, channel, tags, custom_fields, due_date, resolved_at, closed_at, version, created_by, created_at, updated_at)
     SELECT id, number, subject, description, status, priority, category, subcategory, requester_id, assignee_id,
        assignee_group_id, source, channel, tags::text[], custom_fields, due_date, resolved_at, closed_at, version, created_by, created_at, updated_at
       FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid[], $10::uuid[],
                   $11::uuid[], $12::text[], $13::text[], $14::text[], $15::jsonb[], $16::timestamptz[], $17::timestamptz[],
                   $18::timestamptz[], $19::int[], $20::uuid[], $21::timestamptz[], $22::timestamptz[])
            AS u(id, number, subject, description, status, priority, category, subcategory, requester_id, assignee_id,
                 assignee_group_id, source, channel, tags, custom_fields, due_date, resolved_at, closed_at, version, created_by, created_at, updated_at)`,
    t,
  );

  const comments = tickets.flatMap((k) => k.comments.map((c) => ({ ...c, ticketId: k.id })));
  if (comments.length) {
    await db.query(
      `INSERT INTO ticket_comments (id, ticket_id, author_id, author_type, content, is_internal, created_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::boolean[], $7::timestamptz[])`,
      columns(comments, (c) => [c.id, c.ticketId, c.authorId, c.authorType, c.content, c.isInternal, iso(c.createdAt)]),
    );
  }

  const history = tickets.flatMap((k) => k.history.map((h) => ({ ...h, ticketId: k.id })));
  await db.query(
    `INSERT INTO ticket_history (ticket_id, changed_by, actor_type, change_type, field, changed_from, changed_to, comment, created_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::text[], $9::timestamptz[])`,
    columns(history, (h) => [
      h.ticketId, h.changedBy, h.actorType, h.changeType, h.field,
      // as insertHistory stores them: a JSON null, not an SQL NULL, when there is no old value
      JSON.stringify(h.changedFrom ?? null), JSON.stringify(h.changedTo ?? null), h.comment, iso(h.createdAt),
    ]),
  );
}
