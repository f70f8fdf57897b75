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
/** How a statement is run. */
export interface QueryOptions {
  /**
   * Plan it with its values every time. Statements are prepared once per connection (see
   * statementName), and after five runs PostgreSQL may settle on a generic plan that ignores the
   * values; for a search, where the best plan depends on how many tickets a word or a filter
   * matches, the generic plan was 10–100× slower (bench:search). PGlite plans every query anew.
   */
  customPlan?: boolean;
}

export interface Db {
  readonly kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  readonly inTransaction: boolean;
  /**
   * A value derived only from configuration tables (CONFIG_TABLES), kept in this
   * process and loaded again only when the database's `config_version` has moved
   * (triggers bump it on every write to those tables, migration 0009): several
   * processes on one database never act on stale settings, rules or policies. In a
   * transaction the version is the one read when it began (on a PostgreSQL server,
   * in the same round trip as BEGIN); a transaction that wrote a configuration table
   * always loads afresh. Callers must not mutate what they get.
   */
  cached<T>(key: string, load: (db: Db) => Promise<T>): Promise<T>;
  /** Turns the cache on once the schema has `config_version` (called after migrating). */
  enableConfigCache(): Promise<void>;
  close(): Promise<void>;
}

/** The tables whose writes move `config_version` (kept in step with migration 0009's triggers). */
export const CONFIG_TABLES = [
  'settings', 'assignment_rules', 'category_skills', 'sla_policies', 'calendars', 'mailboxes', 'auto_responses',
] as const;

const WRITES_CONFIG = new RegExp(
  `\\b(?:insert\\s+into|update|delete\\s+from|truncate(?:\\s+table)?)\\s+(?:only\\s+)?(?:${CONFIG_TABLES.join('|')})\\b`,
  'i',
);

/** The process-wide cache of one database (shared by its transactions). */
class ConfigCache {
  enabled = false;
  readonly entries = new Map<string, { version: number; value: unknown }>();

  async get<T>(version: number | null, key: string, load: () => Promise<T>): Promise<T> {
    if (version === null) return load();
    const hit = this.entries.get(key);
    if (hit && hit.version === version) return hit.value as T;
    const value = await load();
    // A version is never reused (it comes from a sequence), so an entry loaded inside a
    // transaction that later rolls back can never be mistaken for another state.
    this.entries.set(key, { version, value });
    return value;
  }
}

const VERSION_SQL = 'SELECT version FROM config_version';

async function enableCache(db: Db, cache: ConfigCache): Promise<void> {
  const r = await db.query<{ ok: boolean }>("SELECT to_regclass('config_version') IS NOT NULL AS ok");
  cache.enabled = r.rows[0].ok;
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
const configWriters = new Map<string, boolean>();

/** Whether a statement writes a configuration table (decided once per distinct text). */
function writesConfig(sql: string): boolean {
  let w = configWriters.get(sql);
  if (w === undefined) {
    w = WRITES_CONFIG.test(sql);
    if (configWriters.size < MAX_NAMED_STATEMENTS) configWriters.set(sql, w);
  }
  return w;
}

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
  /** in a transaction: config_version when it began (null: cache off), and whether it wrote configuration */
  private configVersion: number | null = null;
  private wroteConfig = false;
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: ConfigCache,
    private readonly client?: pg.PoolClient,
  ) {
    this.inTransaction = client !== undefined;
  }

  async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
    if (this.client && !this.wroteConfig && writesConfig(sql)) this.wroteConfig = true;
    // an unnamed statement is planned with its values each time it runs
    const name = options?.customPlan ? undefined : statementName(sql);
    const r = await (this.client ?? this.pool).query(name ? { name, text: sql, values: params } : { text: sql, values: params });
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    if (this.client) this.wroteConfig = true;
    await (this.client ?? this.pool).query(sql);
  }

  async cached<T>(key: string, load: (db: Db) => Promise<T>): Promise<T> {
    if (!this.cache.enabled || this.wroteConfig) return load(this);
    const version = this.client ? this.configVersion : (await this.query<{ version: number }>(VERSION_SQL)).rows[0].version;
    return this.cache.get(version, key, () => load(this));
  }

  enableConfigCache(): Promise<void> {
    return enableCache(this, this.cache);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        const tx = new PgDb(this.pool, this.cache, client);
        if (this.cache.enabled) {
          // one round trip: BEGIN and the configuration version this transaction starts from
          const r = (await client.query(`BEGIN; ${VERSION_SQL}`)) as unknown as pg.QueryResult<{ version: number }>[];
          tx.configVersion = r[1].rows[0].version;
        } else {
          await client.query('BEGIN');
        }
        const result = await fn(tx);
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
  /** in a transaction: config_version read at its first cached() call, and whether it wrote configuration */
  private configVersion: number | undefined;
  private wroteConfig = false;
  constructor(
    private readonly pglite: PGlite,
    private readonly cache: ConfigCache,
    private readonly tx?: Transaction,
    private readonly release?: () => Promise<void>,
  ) {
    this.inTransaction = tx !== undefined;
  }

  async cached<T>(key: string, load: (db: Db) => Promise<T>): Promise<T> {
    if (!this.cache.enabled || this.wroteConfig) return load(this);
    // in-process: reading the version costs no round trip worth saving
    let version = this.configVersion;
    if (version === undefined) {
      version = (await this.query<{ version: number }>(VERSION_SQL)).rows[0].version;
      if (this.tx) this.configVersion = version;
    }
    return this.cache.get(version, key, () => load(this));
  }

  enableConfigCache(): Promise<void> {
    return enableCache(this, this.cache);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    if (this.tx && !this.wroteConfig && writesConfig(sql)) this.wroteConfig = true;
    const r = await (this.tx ?? this.pglite).query<T>(sql, params);
    // PGlite reports affectedRows 0 for a SELECT; pg reports the rows returned. Behave like pg.
    return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
  }

  async exec(sql: string): Promise<void> {
    if (this.tx) this.wroteConfig = true;
    await (this.tx ?? this.pglite).exec(sql);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.tx) return fn(this);
    // PGlite runs in this thread and answers through promises alone: a loop of
    // transactions (a job worker in a burst) would never let the event loop
    // read a socket. Each transaction first waits one turn of the event loop.
    await yieldToEventLoop();
    return this.pglite.transaction((tx) => fn(new PgliteDb(this.pglite, this.cache, tx)));
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
    const db = new PgDb(pool, new ConfigCache());
    await db.query('SELECT 1');
    return db;
  }
  if (!opts.dataDir) return new PgliteDb(await PGlite.create({ extensions: PGLITE_EXTENSIONS }), new ConfigCache());
  const release = await lockDataDir(opts.dataDir);
  try {
    const pglite = await PGlite.create(join(opts.dataDir, 'db'), { extensions: PGLITE_EXTENSIONS });
    return new PgliteDb(pglite, new ConfigCache(), undefined, release);
  } catch (err) {
    await release();
    throw err;
  }
}
