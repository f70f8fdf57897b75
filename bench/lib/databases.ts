import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Target } from './server.ts';

export interface BenchDatabase {
  target: Target;
  /** PostgreSQL only: the database name, for pgbench */
  name?: string;
  /** removes the temporary folder and drops the database */
  dispose(): Promise<void>;
}

const cleanups = new Set<() => Promise<void>>();
let hooked = false;

/** Interrupting a benchmark (Ctrl-C) still drops its databases and folders. */
function hookSignals() {
  if (hooked) return;
  hooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, async () => {
      console.error(`\n${sig}: cleaning up benchmark databases …`);
      for (const c of cleanups) await c().catch(() => undefined);
      process.exit(130);
    });
  }
}

function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `triage-bench-${label}-`));
}

/** A fresh PGlite folder, or a fresh database on the PostgreSQL server (both removed by `dispose`). */
export async function freshDatabase(kind: 'pglite' | 'postgres', adminUrl: string, label: string): Promise<BenchDatabase> {
  hookSignals();
  const dataDir = tempDir(label);
  const removeDir = async () => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'pglite') {
    cleanups.add(removeDir);
    return {
      target: { kind, dataDir },
      dispose: async () => {
        cleanups.delete(removeDir);
        await removeDir();
      },
    };
  }
  const name = `triage_bench_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await removeDir();
  };
  cleanups.add(drop);
  return {
    target: { kind, dataDir, databaseUrl: url.toString() },
    name,
    dispose: async () => {
      cleanups.delete(drop);
      await drop();
    },
  };
}

export async function adminQuery<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** fsync, synchronous_commit, shared_buffers … as one line, or undefined when the server cannot be reached. */
export async function postgresSettings(adminUrl: string): Promise<string | undefined> {
  try {
    const rows = await adminQuery<{ name: string; setting: string }>(
      adminUrl,
      `SELECT name, current_setting(name) AS setting FROM pg_settings
        WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections', 'jit') ORDER BY name`,
    );
    return rows.map((r) => `${r.name}=${r.setting}`).join(', ');
  } catch {
    return undefined;
  }
}

/** "15.20" — or undefined when the server cannot be reached. */
export async function postgresVersion(adminUrl: string): Promise<string | undefined> {
  try {
    return (await adminQuery<{ server_version: string }>(adminUrl, 'SHOW server_version'))[0]?.server_version;
  } catch {
    return undefined;
  }
}
