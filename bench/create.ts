/**
 * npm run bench:create — HTTP ticket creation against the real server (a child
 * process) on PGlite and on PostgreSQL, at each concurrency level; then, on
 * PostgreSQL, pgbench replaying the same transaction. Writes bench/RESULTS.md
 * and bench/out/create-last.json. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { readOptions, commandLine } from './lib/options.ts';
import { runLoad } from './lib/load.ts';
import { OUT_DIR, ProcSampler, latestProfile, startTriage, type Usage } from './lib/server.ts';
import { adminQuery, freshDatabase, postgresSettings, postgresVersion } from './lib/databases.ts';
import { DEFAULT_MIX, ticketBodies } from './lib/bodies.ts';
import { findPgbench, pathWeights, pgbenchScript, recordCreatePaths, runPgbench, type PgbenchMode, type PgbenchResult } from './lib/pgbench.ts';
import { summarizeProfile, type ProfileSummary } from './lib/profile.ts';
import { fmt, machine, machineLine, profileMarkdown, table, targetsTable, writeResults, type TargetCheck } from './lib/report.ts';
import { checkpoint, cpuCell, errorNotes, log, startupPeaks, runAt, runLine, runsTable, type Run } from './lib/common.ts';

const { options, extra } = readOptions('bench:create', {
  'no-pgbench': { type: 'boolean', env: 'BENCH_NO_PGBENCH', help: 'skip the pgbench comparison' },
  'pgbench-modes': { type: 'string', env: 'BENCH_PGBENCH_MODES', help: 'comma-separated pgbench -M modes (default simple,extended,prepared)' },
  'pgbench-clients': { type: 'string', env: 'BENCH_PGBENCH_CLIENTS', help: 'pgbench clients (default: the highest concurrency, 16)' },
});
const pgbenchModes = String(extra['pgbench-modes'] ?? 'simple,extended,prepared').split(',').map((m) => m.trim()) as PgbenchMode[];
for (const m of pgbenchModes) if (!['simple', 'extended', 'prepared'].includes(m)) throw new Error(`unknown pgbench mode "${m}"`);
const pgbenchClients = Number(extra['pgbench-clients'] ?? Math.max(...options.concurrency));
const HIGH = 16;

interface DbResult {
  database: 'pglite' | 'postgres';
  runs: Run[];
  serverExitCode?: number | null;
  peakRssMb?: number;
  profile?: ProfileSummary;
  pgbench?: PgbenchResult[];
  pgbenchNote?: string;
  pgbenchScripts?: string;
  error?: string;
}

mkdirSync(OUT_DIR, { recursive: true });
const startedAt = new Date();
const command = commandLine('bench:create');
const pgVersion = await postgresVersion(options.pgAdminUrl);
const m = machine(pgVersion, pgVersion ? await postgresSettings(options.pgAdminUrl) : undefined);
log(`bench:create — ${options.durationS} s per run (+${options.warmupS} s warm-up), concurrency ${options.concurrency.join(', ')}, on ${options.databases.join(' and ')}`);
log(`machine: ${machineLine(m)}`);
if (options.durationS < 20) log('note: runs shorter than 20 s check that the benchmark works; they are not results.');

const results: DbResult[] = [];
for (const database of options.databases) {
  const res: DbResult = { database, runs: [] };
  results.push(res);
  try {
    if (database === 'postgres' && !pgVersion) throw new Error(`PostgreSQL is not reachable at ${options.pgAdminUrl}`);
    const db = await freshDatabase(database, options.pgAdminUrl, 'create');
    try {
      log(`${database}: starting the server (${db.target.kind === 'postgres' ? db.name : db.target.dataDir})`);
      const server = await startTriage(db.target, { name: `create-${database}`, profile: options.profile, roles: options.roles, poolSize: options.poolSize });
      const sampler = new ProcSampler(server.pid, db.name);
      try {
        for (const c of options.concurrency) {
          if (db.target.kind === 'postgres') await checkpoint(db.target.databaseUrl);
          const body = ticketBodies(`${Date.now().toString(36)}c${c}`, 1000 + c);
          let usage: Usage | undefined;
          const r = await runLoad({
            baseUrl: server.baseUrl,
            concurrency: c,
            durationS: options.durationS,
            warmupS: options.warmupS,
            next: (i) => ({
              method: 'POST',
              path: '/api/v1/tickets',
              headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
              body: body(i),
            }),
            expectStatus: 201,
            onMeasureStart: () => sampler.begin(),
            onMeasureEnd: () => (usage = sampler.end()),
          });
          const run: Run = { ...r, ...usage!, label: database };
          res.runs.push(run);
          log(runLine(run, 'tickets'));
        }
      } finally {
        sampler.close();
        res.peakRssMb = sampler.peakOverall / 1024;
        res.serverExitCode = await server.stop();
      }
      const prof = latestProfile(server.profileDir);
      if (prof) res.profile = summarizeProfile(prof);

      if (db.target.kind === 'postgres' && !extra['no-pgbench']) {
        const bin = findPgbench();
        if (!bin) res.pgbenchNote = 'pgbench not found (PATH or /usr/lib/postgresql/*/bin)';
        else {
          const url = db.target.databaseUrl;
          const work = join(OUT_DIR, 'pgbench');
          mkdirSync(work, { recursive: true });
          // the pool of known requesters the "repeat" scripts pick from
          await adminQuery(
            url,
            `INSERT INTO requesters (name, email) SELECT 'Pgbench Known ' || g, 'pgb-rep-' || g || '@bench.test'
               FROM generate_series(1, $1::int) g ON CONFLICT (email) DO NOTHING`,
            [DEFAULT_MIX.repeatPool],
          );
          const paths = await recordCreatePaths(url);
          const weights = pathWeights(DEFAULT_MIX);
          res.pgbench = [];
          for (const mode of pgbenchModes) {
            const scripts = paths.map((p) => {
              const file = join(work, `${mode}-${p.name.replace('+', '-')}.sql`);
              writeFileSync(file, pgbenchScript(p, mode, DEFAULT_MIX.repeatPool));
              return { file, weight: weights[p.name] };
            });
            if (mode === 'extended') res.pgbenchScripts = scripts.map((s) => s.file).join(', ');
            await checkpoint(url);
            log(`postgres: pgbench -M ${mode}, ${pgbenchClients} clients, ${options.durationS} s`);
            const pb = await runPgbench({
              bin, databaseUrl: url, database: db.name!, mode, clients: pgbenchClients, threads: Math.min(pgbenchClients, os.availableParallelism()),
              durationS: options.durationS, scripts, workDir: work,
            });
            res.pgbench.push(pb);
            log(`pgbench ${mode}: ${fmt.n(pb.tps)} tx/s, p50 ${fmt.ms(pb.latencyMs.p50)} ms, p99 ${fmt.ms(pb.latencyMs.p99)} ms, failed ${pb.failed}, PostgreSQL CPU ${cpuCell(pb.pgCpuPct, pb.tps)}`);
          }
        }
      }
    } finally {
      await db.dispose();
    }
  } catch (err) {
    res.error = (err as Error).stack ?? String(err);
    log(`${database}: FAILED — ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------
// targets

const checks: TargetCheck[] = [];
const pgRes = results.find((r) => r.database === 'postgres');
const liteRes = results.find((r) => r.database === 'pglite');
if (pgRes) {
  const hi = runAt(pgRes.runs, HIGH);
  const label = hi ? `c=${hi.concurrency}` : `c=${HIGH}`;
  checks.push({ target: `PostgreSQL: ≥ 800 tickets/s at ${label}`, measured: hi ? fmt.n(hi.rps) : '—', met: hi ? hi.rps >= 800 : null });
  for (const mode of ['prepared', 'simple'] as const) {
    const pb = pgRes.pgbench?.find((p) => p.mode === mode);
    checks.push({
      target: `PostgreSQL: API at ${label} ≥ 50% of pgbench -M ${mode} (same transaction)`,
      measured: hi && pb ? `${fmt.pct((100 * hi.rps) / pb.tps)} (${fmt.n(hi.rps)} / ${fmt.n(pb.tps)})` : '—',
      met: hi && pb ? hi.rps >= 0.5 * pb.tps : null,
    });
  }
  for (const r of pgRes.runs) checks.push({ target: `PostgreSQL: p99 ≤ 50 ms at c=${r.concurrency}`, measured: `${fmt.ms(r.latencyMs.p99)} ms`, met: r.latencyMs.p99 <= 50 });
  if (!pgRes.runs.length) checks.push({ target: 'PostgreSQL: p99 ≤ 50 ms', measured: '—', met: null });
}
if (liteRes) {
  const hi = runAt(liteRes.runs, HIGH);
  checks.push({ target: `PGlite: ≥ 250 tickets/s at c=${hi?.concurrency ?? HIGH}`, measured: hi ? fmt.n(hi.rps) : '—', met: hi ? hi.rps >= 250 : null });
}
const allRuns = results.flatMap((r) => r.runs);
checks.push({
  target: 'no failed requests',
  measured: allRuns.length ? String(allRuns.reduce((a, r) => a + r.errors, 0)) : '—',
  met: allRuns.length && results.every((r) => !r.error) ? allRuns.every((r) => r.errors === 0) : false,
});

// ---------------------------------------------------------------------------
// report

const weights = pathWeights(DEFAULT_MIX);
const md: string[] = [
  `## Ticket creation — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Command: \`${command}\``,
  '',
  `Machine: ${machineLine(m)}.`,
  '',
  `Each run: ${options.warmupS} s warm-up, then ${options.durationS} s measured. Closed loop (each client sends its next request when the answer is in) over keep-alive HTTP on loopback; the load generator runs on the same machine. The server is \`node bin/triage.mjs start\` (LOG_LEVEL=warn${options.roles ? `, TRIAGE_ROLES=${options.roles}` : ''}${options.poolSize ? `, DATABASE_POOL_SIZE=${options.poolSize}` : ''}) on a fresh database, authenticated with an API token. Every body differs: ${100 - DEFAULT_MIX.repeatShare * 100}% new requesters, ${DEFAULT_MIX.repeatShare * 100}% from ${DEFAULT_MIX.repeatPool} known ones; ${DEFAULT_MIX.orgShare * 100}% name one of 40 organizations.${options.durationS < 20 ? ' **Short run: a check that the benchmark works, not a result.**' : ''}`,
  '',
  runsTable(allRuns, 'database', 'tickets'),
  '',
  `Server peak RSS over its whole life once ready (start-up garbage included until the first major GC): ${startupPeaks(results) || '—'}.`,
];
for (const r of results) if (r.error) md.push('', `**${r.database} failed:** \`${r.error.split('\n')[0]}\``);
const errs = errorNotes(allRuns);
if (errs) md.push('', errs);
if (pgRes?.pgbench?.length) {
  const hi = runAt(pgRes.runs, HIGH);
  md.push(
    '',
    `pgbench on the same database after the API runs: the transaction \`createTicket\` sends (recorded from the real command, see bench/README.md), ${pgbenchClients} clients, ${Math.min(pgbenchClients, os.availableParallelism())} threads, ${options.durationS} s; script weights new ${weights.new} / new+org ${weights['new+org']} / repeat ${weights.repeat} / repeat+org ${weights['repeat+org']} (the API mix). The API also authenticates each request (its API token is checked in the database, then remembered in-process for AUTH_CACHE_SECONDS) and runs HTTP, validation and JSON; the load generator shares the two cores, which pgbench (in C) barely uses.`,
    '',
    table(
      ['pgbench mode', 'tx/s', 'p50 ms', 'p95 ms', 'p99 ms', 'failed', 'PostgreSQL CPU', 'pgbench CPU', `API c=${hi?.concurrency ?? HIGH} / pgbench`],
      pgRes.pgbench.map((p) => [
        `-M ${p.mode}`, fmt.n(p.tps), fmt.ms(p.latencyMs.p50), fmt.ms(p.latencyMs.p95), fmt.ms(p.latencyMs.p99), p.failed + (p.exitCode ? ` (exit ${p.exitCode})` : ''),
        cpuCell(p.pgCpuPct, p.tps), cpuCell(p.clientCpuPct, p.tps),
        hi ? fmt.pct((100 * hi.rps) / p.tps) : '—',
      ]),
    ),
  );
}
if (pgRes?.pgbenchNote) md.push('', `pgbench: ${pgRes.pgbenchNote}`);
md.push('', 'Targets:', '', targetsTable(checks));
for (const r of results) if (r.profile) md.push('', profileMarkdown(`${r.database}, whole server lifetime`, r.profile));

const written = writeResults({
  markdown: md.join('\n'),
  jsonName: 'create-last.json',
  writeMarkdown: options.writeResults,
  json: { kind: 'create', startedAt: startedAt.toISOString(), command, machine: m, options, pgbenchModes, pgbenchClients, mix: DEFAULT_MIX, results, targets: checks },
});
log(`wrote ${[written.markdown, written.json].filter(Boolean).join(' and ')}`);
console.log(`\n${targetsTable(checks)}\n`);
process.exit(results.some((r) => r.error) || allRuns.some((r) => r.errors > 0) ? 1 : 0);
