import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startServer } from '../../src/server.ts';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { createServerDatabase, DB_KIND, TEST_DATABASE_URL } from '../helpers/db.ts';

/** startServer in this process, with its log lines captured. */
describe(`startServer (${DB_KIND})`, () => {
  let config: Config;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'triage-server-'));
    const server = TEST_DATABASE_URL ? await createServerDatabase('triage_srv') : undefined;
    config = { ...loadConfig({}), port: 0, host: '127.0.0.1', dataDir, databaseUrl: server?.url, logLevel: 'info' };
    cleanup = async () => {
      await server?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(async () => cleanup());

  async function run(overrides: Partial<Config>) {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const running = await startServer({ ...config, ...overrides }, { logger: pino({ level: 'info' }, sink) });
    const ready = await fetch(`${running.url}/readyz`);
    await running.stop();
    return { lines, ready: ready.status };
  }

  it('says how to create the first admin when there is none, and stops saying it once there is one', async () => {
    const bare = await run({});
    expect(bare.ready).toBe(200);
    expect(bare.lines.some((l) => l.level === 40 && l.msg.includes('No admin exists yet'))).toBe(true);

    const withAdmin = await run({ adminEmail: 'boss@example.com', adminPassword: 'a long password' });
    expect(withAdmin.lines.some((l) => l.msg === 'admin created')).toBe(true);
    expect(withAdmin.lines.some((l) => l.msg.includes('No admin exists yet'))).toBe(false);
  });
});
