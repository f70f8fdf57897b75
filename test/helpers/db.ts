import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

/** Which database the suite runs on: TEST_DATABASE_URL (a PostgreSQL server) or embedded PGlite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const DB_KIND: 'postgres' | 'pglite' = TEST_DATABASE_URL ? 'postgres' : 'pglite';

let counter = 0;

/** Creates an empty database on the test server; returns its URL and a function that drops it. */
export async function createServerDatabase(prefix = 'triage_t'): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('createServerDatabase needs TEST_DATABASE_URL');
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A fresh, migrated database for one test file: a new database on the
 * PostgreSQL server (dropped by `drop`), or a new in-memory PGlite.
 */
export async function createTestDatabase(): Promise<{ db: Db; url?: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) {
    const db = await openDatabase({});
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const server = await createServerDatabase();
  const url = new URL(server.url);
  const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 20 });
  await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      await server.drop();
    },
  };
}

/**
 * Agents whose load as the database keeps it (agent_loads, migration 0015)
 * differs from a count of their tickets made here — empty when it is exact.
 */
export async function loadDrift(db: Db): Promise<{ agent_id: string; stored: string | null; counted: string }[]> {
  const r = await db.query<{ agent_id: string; stored: string | null; counted: string }>(
    `SELECT a.id AS agent_id, l.open_count || '/' || l.pending_count AS stored, c.open || '/' || c.pending AS counted
       FROM agents a
       LEFT JOIN agent_loads l ON l.agent_id = a.id
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE t.status IN ('new','open','in_progress')) AS open,
                count(*) FILTER (WHERE t.status = 'pending') AS pending
           FROM tickets t WHERE t.assignee_id = a.id) c
      WHERE l.agent_id IS NULL OR l.open_count <> c.open OR l.pending_count <> c.pending`,
  );
  return r.rows;
}
