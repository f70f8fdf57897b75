/**
 * npm run bench:ui — the web UI's first load of the ticket list on a 20,000-ticket demo
 * database (issue 7: "first load of the ticket list under 1 s"), in Debian's Chromium
 * through playwright-core, on PGlite and on PostgreSQL. Each sample is a new browser
 * context (empty cache, the signed-in session's cookie): `page.goto('/')` until the first
 * row of the list is shown — HTML, scripts, styles, the views with their live counts and
 * the first page of tickets. Also the same with a warm cache (a reload in one context).
 * Writes bench/RESULTS.md and bench/out/ui-last.json. See bench/README.md.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { readOptions, commandLine } from './lib/options.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, OUT_DIR, runTriageCli, startTriage, type RunningServer } from './lib/server.ts';
import { freshDatabase, postgresSettings, postgresVersion } from './lib/databases.ts';
import { percentile } from './lib/load.ts';
import { fmt, machine, machineLine, table, targetsTable, writeResults, type TargetCheck } from './lib/report.ts';
import { log } from './lib/common.ts';

const { options, extra } = readOptions('bench:ui', {
  tickets: { type: 'string', env: 'BENCH_TICKETS', help: 'demo tickets in the database (default 20000)' },
  samples: { type: 'string', env: 'BENCH_SAMPLES', help: 'page loads per database and cache state (default 20)' },
});
const tickets = Number(extra.tickets ?? 20_000);
const samples = Number(extra.samples ?? 20);
const TARGET_MS = 1000;

interface DbResult {
  database: 'pglite' | 'postgres';
  seedSeconds?: number;
  cold: number[];
  warm: number[];
  error?: string;
}

async function signedInState(browser: Browser, url: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel('E-mail').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-row="0"]').waitFor({ timeout: 30_000 });
  const state = await context.storageState();
  await context.close();
  return state;
}

async function measure(browser: Browser, server: RunningServer): Promise<{ cold: number[]; warm: number[] }> {
  const state = await signedInState(browser, server.baseUrl);
  const cold: number[] = [];
  for (let i = 0; i < samples; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, storageState: state });
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(server.baseUrl);
    await page.locator('[data-row="0"]').waitFor({ timeout: 30_000 });
    cold.push(performance.now() - t0);
    await context.close();
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, storageState: state });
  const page = await context.newPage();
  await page.goto(server.baseUrl);
  await page.locator('[data-row="0"]').waitFor({ timeout: 30_000 });
  const warm: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await page.reload();
    await page.locator('[data-row="0"]').waitFor({ timeout: 30_000 });
    warm.push(performance.now() - t0);
  }
  await context.close();
  return { cold, warm };
}

mkdirSync(OUT_DIR, { recursive: true });
const startedAt = new Date();
const command = commandLine('bench:ui');
const pgVersion = await postgresVersion(options.pgAdminUrl);
const m = machine(pgVersion, pgVersion ? await postgresSettings(options.pgAdminUrl) : undefined);
log(`bench:ui — first load of the ticket list, ${tickets.toLocaleString('en-US')} demo tickets, ${samples} loads per cache state, on ${options.databases.join(' and ')}`);
log(`machine: ${machineLine(m)}`);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results: DbResult[] = [];
for (const database of options.databases) {
  const res: DbResult = { database, cold: [], warm: [] };
  results.push(res);
  const db = await freshDatabase(database, options.pgAdminUrl, 'ui');
  let server: RunningServer | undefined;
  try {
    log(`${database}: seed-demo --tickets ${tickets} …`);
    const seed = await runTriageCli(db.target, ['seed-demo', '--tickets', String(tickets)], { name: `ui-seed-${database}`, timeoutMs: 1_200_000 });
    if (seed.code !== 0) throw new Error(`seed-demo exited with ${seed.code} (see ${seed.logFile})`);
    res.seedSeconds = seed.seconds;
    server = await startTriage(db.target, { name: `ui-${database}` });
    Object.assign(res, await measure(browser, server));
    const p = (xs: number[], q: number) => fmt.ms(percentile([...xs].sort((a, b) => a - b), q));
    log(`${database}: cold p50 ${p(res.cold, 50)} ms, p95 ${p(res.cold, 95)} ms; warm p50 ${p(res.warm, 50)} ms, p95 ${p(res.warm, 95)} ms`);
  } catch (err) {
    res.error = (err as Error).stack ?? String(err);
    log(`${database}: failed: ${(err as Error).message}`);
  } finally {
    await server?.stop();
    await db.dispose();
  }
}
await browser.close();

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const rows = results.flatMap((r) =>
  (['cold', 'warm'] as const).map((k) => {
    const xs = sorted(r[k]);
    return [r.database, k === 'cold' ? 'empty cache (new context)' : 'warm cache (reload)', xs.length,
      fmt.ms(percentile(xs, 50)), fmt.ms(percentile(xs, 95)), fmt.ms(xs[xs.length - 1] ?? NaN)];
  }),
);
const checks: TargetCheck[] = results.map((r) => {
  const p95 = percentile(sorted(r.cold), 95);
  return { target: `${r.database}: first load of the ticket list ≤ 1 s (p95, empty cache)`, measured: r.error ? 'failed' : `${fmt.ms(p95)} ms`, met: !r.error && p95 <= TARGET_MS };
});
const md = [
  `## Web UI first load — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Command: \`${command}\``,
  '',
  `Machine: ${machineLine(m)}.`,
  '',
  `Database: \`triage seed-demo --tickets ${tickets}\` (${results.map((r) => `${r.database} ${r.seedSeconds ? `${r.seedSeconds.toFixed(0)} s` : '—'}`).join(', ')}), then \`node bin/triage.mjs start\`. ` +
    `Debian's Chromium (headless, playwright-core), 1280×800, on the same machine. A load is \`page.goto('/')\` with the signed-in session's cookie until the first ticket row is shown: ` +
    `the HTML, the built scripts and styles, the views with their live counts and the first page of tickets. "Empty cache" opens a new browser context per load; "warm cache" reloads one page.`,
  '',
  table(['database', 'cache', 'loads', 'p50 ms', 'p95 ms', 'max ms'], rows),
  '',
  'Targets:',
  '',
  targetsTable(checks),
];
for (const r of results) if (r.error) md.push('', `**${r.database} failed:** \`${r.error.split('\n')[0]}\``);
const written = writeResults({
  markdown: md.join('\n'),
  jsonName: 'ui-last.json',
  writeMarkdown: options.writeResults,
  json: { kind: 'ui', startedAt: startedAt.toISOString(), command, machine: m, options, tickets, samples, results, targets: checks },
});
log(`wrote ${[written.markdown, written.json].filter(Boolean).join(' and ')}`);
console.log(`\n${targetsTable(checks)}\n`);
process.exit(results.some((r) => r.error) ? 1 : 0);
