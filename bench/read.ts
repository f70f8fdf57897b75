/**
 * npm run bench:read — GET /tickets/:id (random ids) and the first page of
 * GET /tickets with 20,000 tickets in the database, on PGlite and on PostgreSQL,
 * at each concurrency level. The tickets come from `triage seed-demo` (with
 * comments and history) when it works, else through the API. Writes
 * bench/RESULTS.md and bench/out/read-last.json. See bench/README.md.
 */
import { mkdirSync } from 'node:fs';
import { readOptions, commandLine } from './lib/options.ts';
import { requestJson, runLoad } from './lib/load.ts';
import { OUT_DIR, ProcSampler, latestProfile, runTriageCli, startTriage, tail, type RunningServer, type Usage } from './lib/server.ts';
import { adminQuery, freshDatabase, postgresSettings, postgresVersion } from './lib/databases.ts';
import { rng, ticketBodies } from './lib/bodies.ts';
import { summarizeProfile, type ProfileSummary } from './lib/profile.ts';
import { fmt, machine, machineLine, profileMarkdown, targetsTable, writeResults, type TargetCheck } from './lib/report.ts';
import { checkpoint, errorNotes, log, startupPeaks, runLine, runsTable, type Run } from './lib/common.ts';

const { options, extra } = readOptions('bench:read', {
  tickets: { type: 'string', env: 'BENCH_TICKETS', help: 'tickets in the database (default 20000)' },
  seed: { type: 'string', env: 'BENCH_SEED', help: 'how to fill it: auto (seed-demo, else the API), demo, api (default auto)' },
  'seed-timeout': { type: 'string', env: 'BENCH_SEED_TIMEOUT', help: 'seconds allowed for seed-demo (default 1200)' },
});
const tickets = Number(extra.tickets ?? 20_000);
const seedMode = String(extra.seed ?? 'auto');
if (!['auto', 'demo', 'api'].includes(seedMode)) throw new Error(`seed: auto, demo or api, got "${seedMode}"`);
const seedTimeoutS = Number(extra['seed-timeout'] ?? 1200);

type Endpoint = 'GET /tickets/:id' | 'GET /tickets';
const ENDPOINTS: Endpoint[] = ['GET /tickets/:id', 'GET /tickets'];

interface DbResult {
  database: 'pglite' | 'postgres';
  population?: { source: string; tickets: number; seconds: number; note?: string };
  runs: (Run & { endpoint: Endpoint })[];
  peakRssMb?: number;
  profile?: ProfileSummary;
  error?: string;
}

/** Fills the database: seed-demo before the server starts (PGlite allows one process), the API after. */
async function seedDemo(target: Parameters<typeof runTriageCli>[0], database: string) {
  const r = await runTriageCli(target, ['seed-demo', '--tickets', String(tickets)], { name: `seed-demo-${database}`, timeoutMs: seedTimeoutS * 1000 });
  return r;
}

async function topUpThroughApi(server: RunningServer, missing: number): Promise<number> {
  const body = ticketBodies(`fill${Date.now().toString(36)}`, 7);
  const r = await runLoad({
    baseUrl: server.baseUrl,
    concurrency: 16,
    durationS: 3600,
    maxRequests: missing,
    next: (i) => ({ method: 'POST', path: '/api/v1/tickets', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: body(i) }),
    expectStatus: 201,
  });
  if (r.errors) throw new Error(`filling through the API failed: ${r.errorSamples.join('; ')}`);
  return r.ok;
}

async function ticketIds(server: RunningServer): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let cursor: string | null | undefined;
  let total = 0;
  do {
    const q = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
    const { body } = await requestJson<{ tickets: { id: string }[]; total: number; nextCursor: string | null }>(
      server.baseUrl,
      { method: 'GET', path: `/api/v1/tickets?${q}`, headers: { authorization: `Bearer ${server.token}` } },
      200,
    );
    for (const t of body.tickets) ids.push(t.id);
    total = body.total;
    cursor = body.nextCursor;
  } while (cursor);
  return { ids, total };
}

async function countTickets(server: RunningServer): Promise<number> {
  const { body } = await requestJson<{ total: number }>(
    server.baseUrl,
    { method: 'GET', path: '/api/v1/tickets?limit=1', headers: { authorization: `Bearer ${server.token}` } },
    200,
  );
  return body.total;
}

mkdirSync(OUT_DIR, { recursive: true });
const startedAt = new Date();
const command = commandLine('bench:read');
const pgVersion = await postgresVersion(options.pgAdminUrl);
const m = machine(pgVersion, pgVersion ? await postgresSettings(options.pgAdminUrl) : undefined);
log(`bench:read — ${tickets.toLocaleString('en-US')} tickets, ${options.durationS} s per run (+${options.warmupS} s warm-up), concurrency ${options.concurrency.join(', ')}, on ${options.databases.join(' and ')}`);
log(`machine: ${machineLine(m)}`);
if (options.durationS < 20) log('note: runs shorter than 20 s check that the benchmark works; they are not results.');

const results: DbResult[] = [];
for (const database of options.databases) {
  const res: DbResult = { database, runs: [] };
  results.push(res);
  try {
    if (database === 'postgres' && !pgVersion) throw new Error(`PostgreSQL is not reachable at ${options.pgAdminUrl}`);
    const db = await freshDatabase(database, options.pgAdminUrl, 'read');
    try {
      let source = 'API (POST /tickets, no comments)';
      let note: string | undefined;
      let seedSeconds = 0;
      if (seedMode !== 'api') {
        log(`${database}: triage seed-demo --tickets ${tickets} …`);
        const s = await seedDemo(db.target, database);
        seedSeconds = s.seconds;
        if (s.code === 0) {
          source = 'triage seed-demo';
          log(`${database}: seed-demo done in ${s.seconds.toFixed(0)} s`);
        } else {
          note = `seed-demo exited with ${s.code} after ${s.seconds.toFixed(0)} s (log: ${s.logFile}): ${tail(s.logFile, 3).replace(/\s+/g, ' ').slice(0, 300)}`;
          if (seedMode === 'demo') throw new Error(note);
          log(`${database}: ${note}; filling through the API instead`);
        }
      }
      const server = await startTriage(db.target, { name: `read-${database}`, profile: options.profile, roles: options.roles, poolSize: options.poolSize });
      const sampler = new ProcSampler(server.pid, db.name);
      try {
        const present = await countTickets(server);
        if (present < tickets) {
          log(`${database}: ${present} tickets present, creating ${tickets - present} through the API (c=16) …`);
          const t0 = performance.now();
          await topUpThroughApi(server, tickets - present);
          seedSeconds += (performance.now() - t0) / 1000;
          if (present > 0) source += ` + API for ${tickets - present}`;
          else source = 'API (POST /tickets, no comments)';
        }
        const { ids, total } = await ticketIds(server);
        res.population = { source, tickets: total, seconds: seedSeconds, note };
        log(`${database}: ${total} tickets (${source}); measuring`);
        if (db.target.kind === 'postgres') {
          // what autovacuum does within a minute or two of a bulk load; doing it now makes runs repeatable
          await adminQuery(db.target.databaseUrl, 'VACUUM (ANALYZE)');
          await checkpoint(db.target.databaseUrl);
        }
        for (const endpoint of ENDPOINTS) {
          for (const c of options.concurrency) {
            const r = rng(42 + c);
            let usage: Usage | undefined;
            const auth = { authorization: `Bearer ${server.token}` };
            const result = await runLoad({
              baseUrl: server.baseUrl,
              concurrency: c,
              durationS: options.durationS,
              warmupS: options.warmupS,
              next: endpoint === 'GET /tickets/:id'
                ? () => ({ method: 'GET', path: `/api/v1/tickets/${ids[Math.floor(r() * ids.length)]}`, headers: auth })
                : () => ({ method: 'GET', path: '/api/v1/tickets', headers: auth }),
              expectStatus: 200,
              onMeasureStart: () => sampler.begin(),
              onMeasureEnd: () => (usage = sampler.end()),
            });
            const run = { ...result, ...usage!, label: `${database} ${endpoint}`, endpoint };
            res.runs.push(run);
            log(`${runLine(run, 'requests')}, ${fmt.n(run.meanResponseBytes / 1024, 1)} KiB per answer`);
          }
        }
      } finally {
        sampler.close();
        res.peakRssMb = sampler.peakOverall / 1024;
        await server.stop();
      }
      const prof = latestProfile(server.profileDir);
      if (prof) res.profile = summarizeProfile(prof);
    } finally {
      await db.dispose();
    }
  } catch (err) {
    res.error = (err as Error).stack ?? String(err);
    log(`${database}: FAILED — ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------

const checks: TargetCheck[] = [];
for (const r of results) {
  for (const run of r.runs) {
    checks.push({ target: `${run.label}: p99 ≤ 10 ms at c=${run.concurrency}`, measured: `${fmt.ms(run.latencyMs.p99)} ms`, met: run.latencyMs.p99 <= 10 });
  }
  if (!r.runs.length) checks.push({ target: `${r.database}: reads p99 ≤ 10 ms`, measured: '—', met: null });
}
const allRuns = results.flatMap((r) => r.runs);
checks.push({
  target: 'no failed requests',
  measured: allRuns.length ? String(allRuns.reduce((a, r) => a + r.errors, 0)) : '—',
  met: allRuns.length && results.every((r) => !r.error) ? allRuns.every((r) => r.errors === 0) : false,
});

const md: string[] = [
  `## Reads — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Command: \`${command}\``,
  '',
  `Machine: ${machineLine(m)}.`,
  '',
  `Database: ${results.map((r) => `${r.database} — ${r.population ? `${fmt.n(r.population.tickets)} tickets from ${r.population.source} (${fmt.n(r.population.seconds)} s)` : 'not filled'}`).join('; ')}. \`GET /tickets/:id\` asks for a random ticket (by UUID) each time; \`GET /tickets\` is the first page with the default filters (20 newest, with the total count). On PostgreSQL the database is vacuumed and analysed after filling (as autovacuum would soon do); PGlite runs PostgreSQL in single-user mode, without autovacuum, and is measured as it is. Each run: ${options.warmupS} s warm-up, then ${options.durationS} s measured, closed loop over keep-alive HTTP on loopback, API token auth. In a closed loop the mean latency is clients ÷ throughput (Little's law), so p99 ≤ 10 ms at c=16 needs well over 1,600 requests/s.${options.durationS < 20 ? ' **Short run: a check that the benchmark works, not a result.**' : ''}`,
  '',
  runsTable(allRuns, 'database and request', 'requests'),
  '',
  `Server peak RSS over its whole life once ready (start-up garbage included until the first major GC): ${startupPeaks(results) || '—'}.`,
];
for (const r of results) {
  if (r.population?.note) md.push('', `${r.database}: ${r.population.note}`);
  if (r.error) md.push('', `**${r.database} failed:** \`${r.error.split('\n')[0]}\``);
}
const errs = errorNotes(allRuns);
if (errs) md.push('', errs);
md.push('', 'Targets:', '', targetsTable(checks));
for (const r of results) if (r.profile) md.push('', profileMarkdown(`${r.database}, whole server lifetime`, r.profile));

const written = writeResults({
  markdown: md.join('\n'),
  jsonName: 'read-last.json',
  writeMarkdown: options.writeResults,
  json: { kind: 'read', startedAt: startedAt.toISOString(), command, machine: m, options, tickets, seedMode, results, targets: checks },
});
log(`wrote ${[written.markdown, written.json].filter(Boolean).join(' and ')}`);
console.log(`\n${targetsTable(checks)}\n`);
process.exit(results.some((r) => r.error) || allRuns.some((r) => r.errors > 0) ? 1 : 0);
