import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { lockDataDir } from './data-dir-lock.ts';

export { DataDirLockedError } from './data-dir-lock.ts';

/** Result of one statement: the rows and how many rows were written. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * The one database interface the repositories use, the same on PGlite and on a
 * PostgreSQL server. Inside `transaction` the callback receives a Db bound to
 * that transaction; calling `transaction` on it again joins the same one.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  readonly inTransaction: boolean;
  close(): Promise<void>;
}

// int8 (counts, ticket numbers) as JS numbers, like PGlite does; numeric as float.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** A unique-index violation (SQLSTATE 23505), optionally of one named constraint (PGlite may not name it). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === undefined || e.constraint === constraint);
}

// Serialization failures and deadlocks are retried: the transaction is safe to replay.
const RETRYABLE = new Set(['40001', '40P01']);

const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 2_000;

/**
 * Every query text gets a stable name, so node-postgres prepares it once per
 * connection and then only binds and executes it: the server skips parsing and
 * planning, which halves its CPU per command (measured with pgbench, see
 * bench/RESULTS.md). Past a cap of distinct texts, new ones run unnamed.
 */
function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `t_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
}

class PgDb implements Db {
  readonly kind = 'postgres' as const;
  readonly inTransaction: boolean;
  constructor(
    private readonly pool: pg.Pool,
    private readonly client?: pg.PoolClient,
  ) {
    this.inTransaction = client !== undefined;
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const name = statementName(sql);
    const r = await (this.client ?? this.pool).query(name ? { name, text: sql, values: params } : { text: sql, values: params });
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await (this.client ?? this.pool).query(sql);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(new PgDb(this.pool, client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (attempt < 5 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        client.release();
      }
    }
  }

  async close(): Promise<void> {
    if (!this.client) await this.pool.end();
  }
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly inTransaction: boolean;
  constructor(
    private readonly pglite: PGlite,
    private readonly tx?: Transaction,
    private readonly release?: () => Promise<void>,
  ) {
    this.inTransaction = tx !== undefined;
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const r = await (this.tx ?? this.pglite).query<T>(sql, params);
    // PGlite reports affectedRows 0 for a SELECT; pg reports the rows returned. Behave like pg.
    return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await (this.tx ?? this.pglite).exec(sql);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.tx) return fn(this);
    // PGlite runs in this thread and answers through promises alone: a loop of
    // transactions (a job worker in a burst) would never let the event loop
    // read a socket. Each transaction first waits one turn of the event loop.
    await yieldToEventLoop();
    return this.pglite.transaction((tx) => fn(new PgliteDb(this.pglite, tx)));
  }

  async close(): Promise<void> {
    if (this.tx) return;
    await this.pglite.close();
    await this.release?.();
  }
}

// Extensions the migrations create (0005: full-text search with unaccent, fuzzy requester matching with pg_trgm).
const PGLITE_EXTENSIONS = { pg_trgm, unaccent };

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface OpenOptions {
  databaseUrl?: string;
  /** Folder of the embedded database; undefined = in memory (tests). */
  dataDir?: string;
  poolSize?: number;
}

/**
 * Opens the system of record: a PostgreSQL server when `databaseUrl` is set,
 * otherwise PGlite under `<dataDir>/db`, locked so that a second process fails at once.
 */
export async function openDatabase(opts: OpenOptions): Promise<Db> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    pool.on('error', () => undefined); // an idle client's error must not crash the process
    const db = new PgDb(pool);
    await db.query('SELECT 1');
    return db;
  }
  if (!opts.dataDir) return new PgliteDb(await PGlite.create({ extensions: PGLITE_EXTENSIONS }));
  const release = await lockDataDir(opts.dataDir);
  try {
    const pglite = await PGlite.create(join(opts.dataDir, 'db'), { extensions: PGLITE_EXTENSIONS });
    return new PgliteDb(pglite, undefined, release);
  } catch (err) {
    await release();
    throw err;
  }
}
