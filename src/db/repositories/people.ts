import { isUniqueViolation, type Db } from '../client.ts';

export type Tier = 'free' | 'standard' | 'premium' | 'enterprise';

export interface OrganizationRow {
  id: string;
  name: string;
  tier: Tier;
  created_at: Date;
  updated_at: Date;
}

export interface RequesterRow {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  user_id: string | null;
  organization_id: string | null;
  organization: string | null;
  /** own tier, or null to inherit the organization's */
  tier: Tier | null;
  effective_tier: Tier;
  /** set when mail to this address bounced permanently: Triage sends it nothing until cleared */
  email_bouncing_at: Date | null;
  email_bounce_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const REQUESTER_SELECT = `
  SELECT r.id, r.name, r.email, r.phone, r.user_id, r.organization_id, o.name AS organization, r.tier,
         coalesce(r.tier, o.tier, 'standard') AS effective_tier, r.email_bouncing_at, r.email_bounce_reason,
         r.created_at, r.updated_at
    FROM requesters r LEFT JOIN organizations o ON o.id = r.organization_id`;

/**
 * Finds an organization by name (case-insensitive) or creates it, race-safely:
 * concurrent callers with one new name get one row.
 */
export async function findOrCreateOrganization(db: Db, name: string, now: Date): Promise<OrganizationRow> {
  const found = await db.query<OrganizationRow>('SELECT * FROM organizations WHERE lower(name) = lower($1)', [name]);
  if (found.rows[0]) return found.rows[0];
  const inserted = await db.query<OrganizationRow>(
    `INSERT INTO organizations (name, created_at, updated_at) VALUES ($1, $2, $2)
     ON CONFLICT ((lower(name))) DO NOTHING RETURNING *`,
    [name, now],
  );
  if (inserted.rows[0]) return inserted.rows[0];
  // Another transaction inserted it first and has committed (ON CONFLICT waited for it).
  return (await db.query<OrganizationRow>('SELECT * FROM organizations WHERE lower(name) = lower($1)', [name])).rows[0];
}

export async function getOrganization(db: Db, id: string): Promise<OrganizationRow | undefined> {
  return (await db.query<OrganizationRow>('SELECT * FROM organizations WHERE id = $1', [id])).rows[0];
}

export async function listOrganizations(db: Db, limit: number, offset: number): Promise<{ rows: OrganizationRow[]; total: number }> {
  const rows = (await db.query<OrganizationRow>('SELECT * FROM organizations ORDER BY lower(name) LIMIT $1 OFFSET $2', [limit, offset])).rows;
  const total = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM organizations')).rows[0].n;
  return { rows, total };
}

export async function insertOrganization(db: Db, o: { name: string; tier: Tier }, now: Date): Promise<OrganizationRow | undefined> {
  return (
    await db.query<OrganizationRow>(
      `INSERT INTO organizations (name, tier, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT ((lower(name))) DO NOTHING RETURNING *`,
      [o.name, o.tier, now],
    )
  ).rows[0];
}

export async function updateOrganization(
  db: Db,
  id: string,
  patch: { name?: string; tier?: Tier },
  now: Date,
): Promise<OrganizationRow | undefined | 'name_taken'> {
  try {
    return (
      await db.query<OrganizationRow>(
        `UPDATE organizations SET name = coalesce($2, name), tier = coalesce($3, tier), updated_at = $4
          WHERE id = $1 RETURNING *`,
        [id, patch.name ?? null, patch.tier ?? null, now],
      )
    ).rows[0];
  } catch (err) {
    if (isUniqueViolation(err, 'organizations_name_key')) return 'name_taken';
    throw err;
  }
}

export async function findRequesterByEmail(db: Db, email: string): Promise<RequesterRow | undefined> {
  return (await db.query<RequesterRow>(`${REQUESTER_SELECT} WHERE r.email = $1`, [email.toLowerCase()])).rows[0];
}

export async function getRequester(db: Db, id: string): Promise<RequesterRow | undefined> {
  return (await db.query<RequesterRow>(`${REQUESTER_SELECT} WHERE r.id = $1`, [id])).rows[0];
}

export async function listRequesters(
  db: Db,
  f: { email?: string; organizationId?: string; q?: string; limit: number; offset: number },
): Promise<{ rows: RequesterRow[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.email) where.push(`r.email = $${params.push(f.email.toLowerCase())}`);
  if (f.organizationId) where.push(`r.organization_id = $${params.push(f.organizationId)}`);
  if (f.q) where.push(`(r.name ILIKE $${params.push(`%${escapeLike(f.q)}%`)} OR r.email ILIKE $${params.length})`);
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const rows = (
    await db.query<RequesterRow>(
      `${REQUESTER_SELECT} ${clause} ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, f.limit, f.offset],
    )
  ).rows;
  const total = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM requesters r ${clause}`, params)).rows[0].n;
  return { rows, total };
}

/** A requester as embedded in a ticket. */
export interface RequesterSummary {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  organization: string | null;
  organizationId: string | null;
  tier: Tier;
}

const SUMMARY_SELECT = `
  SELECT r.id, r.name, r.email, r.phone, o.name AS organization, o.id AS "organizationId",
         coalesce(r.tier, o.tier, 'standard') AS tier
    FROM requesters r LEFT JOIN organizations o ON o.id = r.organization_id
   WHERE r.email = $1`;

/**
 * Finds a requester by e-mail (lower-cased) or creates it, in one statement
 * on the hot path: insert unless the e-mail exists, else read the existing row.
 * Race-safe without holding a lock: when a concurrent transaction inserts the
 * same e-mail, ON CONFLICT waits for it and this statement's snapshot cannot
 * see its row, so the fallback re-reads once it has committed.
 * An existing requester without an organization is linked to the one given.
 */
export async function findOrCreateRequester(
  db: Db,
  r: { name: string; email: string; phone?: string | null; organization?: OrganizationRow | null },
  now: Date,
  opts: { historyWindowDays?: number } = {},
): Promise<RequesterSummary & { created: boolean; history?: { recentTickets: number; lastTicketAt: Date | null } }> {
  const email = r.email.toLowerCase();
  const org = r.organization ?? null;
  const withHistory = opts.historyWindowDays !== undefined;
  // With `historyWindowDays`, the same round trip also counts the requester's recent tickets
  // (the priority calculator's input); a requester created here has none.
  const upsert = await db.query<RequesterSummary & { created: boolean; recent_tickets?: number; last_ticket_at?: Date | null }>(
    `WITH ins AS (
       INSERT INTO requesters (name, email, phone, organization_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (email) DO NOTHING
       RETURNING id, name, email, phone, organization_id, tier, true AS created),
     r AS (
       SELECT * FROM ins
       UNION ALL
       SELECT id, name, email, phone, organization_id, tier, false FROM requesters WHERE email = $2)
     SELECT r.id, r.name, r.email, r.phone, o.name AS organization, o.id AS "organizationId",
            coalesce(r.tier, o.tier, 'standard') AS tier, r.created${withHistory ? `,
            CASE WHEN r.created THEN 0 ELSE (SELECT count(*)::int FROM tickets t WHERE t.requester_id = r.id
                                               AND t.created_at > $5::timestamptz - make_interval(days => $6::int)) END AS recent_tickets,
            CASE WHEN NOT r.created THEN (SELECT max(t.created_at) FROM tickets t WHERE t.requester_id = r.id) END AS last_ticket_at` : ''}
       FROM r LEFT JOIN organizations o ON o.id = r.organization_id
      LIMIT 1`,
    [r.name, email, r.phone ?? null, org?.id ?? null, now, ...(withHistory ? [opts.historyWindowDays] : [])],
  );
  const first = upsert.rows[0];
  if (first && !(org && !first.organizationId)) {
    const { recent_tickets, last_ticket_at, ...row } = first;
    return withHistory ? { ...row, history: { recentTickets: recent_tickets ?? 0, lastTicketAt: last_ticket_at ?? null } } : row;
  }
  const row = first ?? { ...(await db.query<RequesterSummary>(SUMMARY_SELECT, [email])).rows[0], created: false };
  if (org && !row.organizationId) {
    await db.query('UPDATE requesters SET organization_id = $2, updated_at = $3 WHERE id = $1 AND organization_id IS NULL', [row.id, org.id, now]);
    return { ...(await db.query<RequesterSummary>(SUMMARY_SELECT, [email])).rows[0], created: row.created };
  }
  return row;
}

export async function updateRequester(
  db: Db,
  id: string,
  patch: { name?: string; phone?: string | null; organizationId?: string | null; tier?: Tier | null; clearBouncing?: boolean },
  now: Date,
): Promise<boolean> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  if (patch.name !== undefined) sets.push(`name = $${params.push(patch.name)}`);
  if (patch.phone !== undefined) sets.push(`phone = $${params.push(patch.phone)}`);
  if (patch.organizationId !== undefined) sets.push(`organization_id = $${params.push(patch.organizationId)}`);
  if (patch.tier !== undefined) sets.push(`tier = $${params.push(patch.tier)}`);
  if (patch.clearBouncing) sets.push('email_bouncing_at = NULL', 'email_bounce_reason = NULL');
  sets.push(`updated_at = $${params.push(now)}`);
  const r = await db.query(`UPDATE requesters SET ${sets.join(', ')} WHERE id = $1`, params);
  return r.rowCount > 0;
}

/** Escapes LIKE wildcards so a user's `%` or `_` matches literally. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
