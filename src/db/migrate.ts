import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './client.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works; it only has to be the same in every Triage process.
const MIGRATION_LOCK = 7_104_212_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The numbered SQL files, in order. File names are `NNNN_name.sql`. */
export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.replace(/\.sql$/, ''), sql: readFileSync(dir + f, 'utf8') }));
}

/**
 * Applies the migrations not yet applied, each in its own transaction, and
 * returns their names. On a PostgreSQL server an advisory lock makes several
 * processes starting at once apply each migration exactly once.
 */
export async function migrate(db: Db, migrations = listMigrations()): Promise<string[]> {
  const applied: string[] = [];
  const run = async (conn: Db) => {
    await conn.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await conn.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await conn.transaction(async (tx) => {
        await tx.exec(m.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      });
      applied.push(m.name);
    }
  };
  if (db.kind === 'pglite') {
    await run(db);
    await db.enableConfigCache();
    return applied;
  }
  // The advisory lock is per session: hold one connection for the whole run.
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await run(tx);
  });
  await db.enableConfigCache();
  return applied;
}
