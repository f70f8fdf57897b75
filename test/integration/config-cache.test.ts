/**
 * The configuration cache (Db.cached, migration 0009): a value derived from
 * configuration tables is loaded once and reused while config_version stands
 * still; any write to those tables — from this process, another process or a
 * raw statement — makes the next transaction load it again; a transaction that
 * wrote configuration sees its own write; a rolled-back write changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_TABLES, openDatabase, type Db } from '../../src/db/client.ts';
import { createTestDatabase, DB_KIND } from '../helpers/db.ts';

let db: Db;
let url: string | undefined;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, url, drop } = await createTestDatabase());
});
afterAll(async () => {
  await drop();
});

/** A cached read of the routing settings that counts how often it really went to the database. */
function counter(key: string) {
  const calls = { n: 0 };
  const read = (d: Db) =>
    d.cached(key, async (c) => {
      calls.n++;
      return (await c.query<{ value: unknown }>("SELECT value FROM settings WHERE key = 'routing'")).rows[0]?.value ?? null;
    });
  return { calls, read };
}

const putRouting = (d: Db, value: object) =>
  d.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ('routing', $1::jsonb, now())
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [JSON.stringify(value)],
  );

describe(`configuration cache (${DB_KIND})`, () => {
  it('loads once while the configuration does not change, in and out of transactions', async () => {
    const { calls, read } = counter('t1');
    await putRouting(db, { enabled: true, marker: 1 });
    expect(await db.transaction(read)).toEqual({ enabled: true, marker: 1 });
    expect(await db.transaction(read)).toEqual({ enabled: true, marker: 1 });
    expect(await read(db)).toEqual({ enabled: true, marker: 1 });
    // unrelated writes (tickets, agents) do not move the version
    await db.query("INSERT INTO agents (name, email) VALUES ('Cache Probe', 'cache-probe@example.test')");
    expect(await db.transaction(read)).toEqual({ enabled: true, marker: 1 });
    expect(calls.n).toBe(1);
  });

  it('a committed write to any configuration table makes the next transaction load again', async () => {
    const { calls, read } = counter('t2');
    await db.transaction(read);
    expect(calls.n).toBe(1);
    await putRouting(db, { enabled: true, marker: 2 });
    expect(await db.transaction(read)).toEqual({ enabled: true, marker: 2 });
    expect(calls.n).toBe(2);
    // every configuration table moves the version, not only the one read
    for (const table of CONFIG_TABLES) {
      const before = calls.n;
      await db.query(`DELETE FROM ${table} WHERE false`); // a statement-level trigger fires even for no rows
      await db.transaction(read);
      expect(calls.n, table).toBe(before + 1);
    }
  });

  it('a transaction that writes configuration reads its own write, and a rollback leaves the cache right', async () => {
    const { calls, read } = counter('t3');
    await putRouting(db, { enabled: true, marker: 3 });
    expect(await db.transaction(read)).toEqual({ enabled: true, marker: 3 });
    const seen = await db
      .transaction(async (tx) => {
        expect(await read(tx)).toEqual({ enabled: true, marker: 3 }); // before the write: the cached value
        await putRouting(tx, { enabled: false, marker: 4 });
        const inside = await read(tx);
        throw Object.assign(new Error('roll back'), { inside });
      })
      .catch((e: { inside: unknown }) => e.inside);
    expect(seen).toEqual({ enabled: false, marker: 4 });
    // rolled back: the database still says marker 3, and so does the cache
    expect(await db.transaction(read)).toEqual({ enabled: true, marker: 3 });
    expect(calls.n).toBe(2);
  });

  if (DB_KIND === 'postgres') {
    it('another process’s change is seen by the next transaction here (two pools on one database)', async () => {
      const other = await openDatabase({ databaseUrl: url!, poolSize: 2 });
      try {
        await other.enableConfigCache();
        const { calls, read } = counter('t4');
        await putRouting(db, { enabled: true, marker: 5 });
        expect(await db.transaction(read)).toEqual({ enabled: true, marker: 5 });
        expect(await db.transaction(read)).toEqual({ enabled: true, marker: 5 });
        expect(calls.n).toBe(1);
        await other.transaction((tx) => putRouting(tx, { enabled: true, marker: 6 }));
        expect(await db.transaction(read)).toEqual({ enabled: true, marker: 6 });
        expect(calls.n).toBe(2);
      } finally {
        await other.close();
      }
    });

    it('many transactions at once during configuration changes never see an older value than the one committed before they began', async () => {
      const { read } = counter('t5');
      await putRouting(db, { enabled: true, marker: 100 });
      let committed = 0;
      const writer = (async () => {
        for (let i = 1; i <= 30; i++) {
          await putRouting(db, { enabled: true, marker: 100 + i });
          committed = i;
        }
      })();
      const readers = Array.from({ length: 8 }, async () => {
        for (let k = 0; k < 30; k++) {
          const floor = committed;
          const v = (await db.transaction(read)) as { marker: number };
          expect(v.marker).toBeGreaterThanOrEqual(100 + floor);
        }
      });
      await Promise.all([writer, ...readers]);
      expect(await db.transaction(read)).toEqual({ enabled: true, marker: 130 });
    });
  }
});
