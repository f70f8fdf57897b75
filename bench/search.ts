/**
 * npm run bench:search — issue 6's benchmark: a help desk of 10,000 and
 * 1,000,000 tickets (three comments each on average, two years of realistic
 * text, lib/search-data.ts) on PostgreSQL, and 10,000 on PGlite; over HTTP at
 * concurrency 1, p50/p95/p99 of a free-text search, a 3-filter search, filters
 * + free text, the first and the 1,000th page of a saved view and a 90-day
 * report; the searches' throughput at concurrency 8; EXPLAIN ANALYZE of the SQL
 * each one runs (bench/out/search-explain-*.txt). Writes bench/RESULTS.md and
 * bench/out/search-last.json. See bench/README.md.
 */
import { mkdirSync } from 'node:fs';
import { readOptions, commandLine } from './lib/options.ts';
import { requestJson, runLoad, type RequestSpec } from './lib/load.ts';
import { OUT_DIR, ProcSampler, openBenchDb, startTriage, type RunningServer, type Usage } from './lib/server.ts';
import { freshDatabase, postgresSettings, postgresVersion } from './lib/databases.ts';
import { fmt, machine, machineLine, table, targetsTable, writeResults, type TargetCheck } from './lib/report.ts';
import { checkpoint, errorNotes, log, runsTable, type Run } from './lib/common.ts';
import { rng } from './lib/bodies.ts';
import { GROUPS, QUERY_WORDS, checkConsistency, errorCode, searchSizes, seedSearch, type SearchSeedSummary } from './lib/search-data.ts';
import { explainSearches, type ExplainSummary } from './lib/search-explain.ts';

const { options, extra } = readOptions('bench:search', {
  tickets: { type: 'string', env: 'BENCH_SEARCH_TICKETS', help: 'comma-separated ticket counts on PostgreSQL (default 10000,1000000)' },
  'pglite-tickets': { type: 'string', env: 'BENCH_SEARCH_PGLITE_TICKETS', help: 'comma-separated ticket counts on PGlite (default 10000)' },
  requests: { type: 'string', env: 'BENCH_SEARCH_REQUESTS', help: 'measured requests per search/view measurement at c=1 (default 200)' },
  'report-requests': { type: 'string', env: 'BENCH_SEARCH_REPORT_REQUESTS', help: 'measured 90-day reports at c=1 (default 30)' },
  'throughput-seconds': { type: 'string', env: 'BENCH_SEARCH_THROUGHPUT_SECONDS', help: 'seconds per search at c=8 (default 10; 0 = skip)' },
  label: { type: 'string', env: 'BENCH_SEARCH_LABEL', help: 'a note in the RESULTS.md heading' },
  'view-limit': { type: 'string', env: 'BENCH_SEARCH_VIEW_LIMIT', help: 'tickets per view page (default 10: with 10,000 tickets page 1,000 is the last)' },
});
const list = (v: unknown, dflt: string) => String(v ?? dflt).split(',').map((x) => Math.round(Number(x.trim()))).filter((x) => x > 0);
const scales: Record<'postgres' | 'pglite', number[]> = { postgres: list(extra.tickets, '10000,1000000'), pglite: list(extra['pglite-tickets'], '10000') };
const N = Number(extra.requests ?? 200);
const N_REPORT = Number(extra['report-requests'] ?? 30);
const THROUGHPUT_S = Number(extra['throughput-seconds'] ?? 10);
const THROUGHPUT_C = 8;
const VIEW_LIMIT = Number(extra['view-limit'] ?? 10);
const DEEP_PAGE = 1000;
const TARGET_P95_MS = 50;
const TARGET_REPORT_P95_MS = 1000;
const TARGET_GROWTH = 2;

const KINDS = ['free text', '3 filters', 'filters + free text', 'view page 1', `view page ${DEEP_PAGE.toLocaleString('en-US')}`, '90-day report'] as const;
type Kind = (typeof KINDS)[number];
const SEARCH_KINDS: Kind[] = ['free text', '3 filters', 'filters + free text'];

interface Measurement extends Run {
  kind: Kind;
  /** a sample answer's total and whether it was the estimate (searches and views) */
  matches?: string;
}
interface ScaleResult {
  database: 'pglite' | 'postgres';
  tickets: number;
  seed?: SearchSeedSummary;
  consistency?: Awaited<ReturnType<typeof checkConsistency>>;
  runs: Measurement[];
  throughput: Measurement[];
  /** following nextCursor from page 1 to page 1,000: seconds, and the mean per page */
  deepWalk?: { seconds: number; pages: number };
  explain?: ExplainSummary;
  peakRssMb?: number;
  error?: string;
}

/** The free-text mix: half common words, a quarter common + medium word, an eighth error codes, an eighth accent-free foreign words. */
function freeText(r: () => number): string {
  const of = (xs: string[]) => xs[Math.floor(r() * xs.length)];
  const x = r();
  if (x < 0.5) return of(QUERY_WORDS.common);
  if (x < 0.75) return `${of(QUERY_WORDS.common)} ${of(QUERY_WORDS.medium)}`;
  if (x < 0.875) return errorCode(Math.floor(r() * 100_000));
  return of(QUERY_WORDS.foreign);
}

function queries(kind: Kind, seed: number): (i: number) => string {
  const r = rng(seed);
  const group = () => GROUPS[Math.floor(r() * GROUPS.length)];
  const status = () => ['open', 'pending', 'closed', 'resolved'][Math.floor(r() * 4)];
  switch (kind) {
    case 'free text':
      return () => freeText(r);
    case '3 filters':
      return () => `status:${status()} priority>=high group:${group()}`;
    case 'filters + free text':
      return () => `status:${status()} group:${group()} ${freeText(r)}`;
    default:
      return () => '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const day = (d: Date) => d.toISOString().slice(0, 10);

async function measure(server: RunningServer, sampler: ProcSampler, kind: Kind, o: { c: number; requests?: number; seconds?: number; spec: (i: number) => RequestSpec; label: string }): Promise<Measurement> {
  let usage: Usage | undefined;
  const r = await runLoad({
    baseUrl: server.baseUrl,
    concurrency: o.c,
    durationS: o.seconds ?? 600,
    maxRequests: o.requests,
    warmupS: Math.min(2, options.warmupS),
    next: o.spec,
    expectStatus: 200,
    timeoutMs: 120_000,
    onMeasureStart: () => sampler.begin(),
    onMeasureEnd: () => (usage = sampler.end()),
  });
  return { ...r, ...usage!, label: o.label, kind };
}

async function sampleTotal(server: RunningServer, path: string): Promise<string> {
  const { body } = await requestJson<{ total: number; totalIsEstimate: boolean }>(server.baseUrl, { method: 'GET', path, headers: { authorization: `Bearer ${server.token}` } }, 200);
  return `${body.totalIsEstimate ? '≈' : ''}${fmt.n(body.total)}`;
}

async function runScale(res: ScaleResult): Promise<void> {
  const { database, tickets } = res;
  const bdb = await freshDatabase(database, options.pgAdminUrl, `search${tickets}`);
  const now = new Date();
  try {
    const sizes = searchSizes(tickets);
    log(`${database} ${fmt.n(tickets)}: seeding ${fmt.n(tickets)} tickets, ~${fmt.n(tickets * sizes.commentsPerTicket)} comments …`);
    {
      const db = await openBenchDb(bdb.target);
      try {
        res.seed = await seedSearch(db, sizes, { now, log });
        res.consistency = await checkConsistency(db);
      } finally {
        await db.close();
      }
    }
    const sd = res.seed;
    log(`${database} ${fmt.n(tickets)}: seeded in ${fmt.n(sd.seconds, 1)} s — ${fmt.n(sd.tickets)} tickets, ${fmt.n(sd.comments)} comments (${fmt.n(sd.internalNotes)} internal), ${fmt.n(sd.last90Days)} in the last 90 days; consistency ${res.consistency.factMismatches + res.consistency.documentMismatches} mismatches in ${res.consistency.checked}`);

    // the bulk load leaves gigabytes of dirty pages: flush them now, or the checkpointer writes them
    // during the measurements (reads then wait behind the writes: 10–20× slower at a million tickets)
    if (bdb.target.kind === 'postgres') await checkpoint(bdb.target.databaseUrl);
    const server = await startTriage(bdb.target, { name: `search-${database}-${tickets}`, profile: options.profile, roles: options.roles, poolSize: options.poolSize });
    const sampler = new ProcSampler(server.pid, bdb.name);
    const auth = { authorization: `Bearer ${server.token}` };
    try {
      const get = (path: string): RequestSpec => ({ method: 'GET', path, headers: auth });
      const view = await requestJson<{ id: string }>(
        server.baseUrl,
        { method: 'POST', path: '/api/v1/views', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'All tickets, newest first', query: '', sortBy: 'createdAt', sortOrder: 'desc', visibility: 'all' }) },
        201,
      );
      const viewPath = `/api/v1/views/${view.body.id}/tickets?limit=${VIEW_LIMIT}`;
      // the 1,000th page's cursor, by following nextCursor as a client would
      const w0 = performance.now();
      let cursor: string | null = null;
      for (let page = 1; page < DEEP_PAGE; page++) {
        const r: { body: { nextCursor: string | null } } = await requestJson(server.baseUrl, get(cursor ? `${viewPath}&cursor=${encodeURIComponent(cursor)}` : viewPath), 200);
        cursor = r.body.nextCursor;
        if (!cursor) throw new Error(`the view ends at page ${page}: ${VIEW_LIMIT} per page needs ${fmt.n(VIEW_LIMIT * DEEP_PAGE)} tickets`);
      }
      res.deepWalk = { seconds: (performance.now() - w0) / 1000, pages: DEEP_PAGE - 1 };
      const deepPath = `${viewPath}&cursor=${encodeURIComponent(cursor!)}`;
      const end = new Date(now.getTime());
      const start = new Date(now.getTime() - 89 * 86400_000);
      const reportPath = `/api/v1/reports?startDate=${day(start)}&endDate=${day(end)}`;

      const specs: Record<Kind, (i: number) => RequestSpec> = {
        'free text': ((q) => (i: number) => get(`/api/v1/search?query=${encodeURIComponent(q(i))}`))(queries('free text', 61)),
        '3 filters': ((q) => (i: number) => get(`/api/v1/search?query=${encodeURIComponent(q(i))}`))(queries('3 filters', 62)),
        'filters + free text': ((q) => (i: number) => get(`/api/v1/search?query=${encodeURIComponent(q(i))}`))(queries('filters + free text', 63)),
        'view page 1': () => get(viewPath),
        [`view page ${DEEP_PAGE.toLocaleString('en-US')}`]: () => get(deepPath),
        '90-day report': () => get(reportPath),
      } as Record<Kind, (i: number) => RequestSpec>;
      for (const kind of KINDS) {
        const isReport = kind === '90-day report';
        const m = await measure(server, sampler, kind, { c: 1, requests: isReport ? N_REPORT : N, spec: specs[kind], label: `${database} ${fmt.n(tickets)}: ${kind}` });
        if (!isReport) m.matches = await sampleTotal(server, specs[kind](7).path);
        res.runs.push(m);
        log(`${m.label}: p50 ${fmt.ms(m.latencyMs.p50)} ms, p95 ${fmt.ms(m.latencyMs.p95)} ms, p99 ${fmt.ms(m.latencyMs.p99)} ms (${m.requests} requests, ${m.errors} errors${m.matches ? `, e.g. ${m.matches} matches` : ''})`);
      }
      if (THROUGHPUT_S > 0) {
        for (const kind of SEARCH_KINDS) {
          const m = await measure(server, sampler, kind, { c: THROUGHPUT_C, seconds: THROUGHPUT_S, spec: specs[kind], label: `${database} ${fmt.n(tickets)}: ${kind}` });
          res.throughput.push(m);
          log(`${m.label} c=${THROUGHPUT_C}: ${fmt.n(m.rps)} searches/s, p95 ${fmt.ms(m.latencyMs.p95)} ms, errors ${m.errors}`);
        }
      }
    } finally {
      sampler.close();
      res.peakRssMb = sampler.peakOverall / 1024;
      await server.stop();
    }
    // after the server (PGlite allows one process): the plans of the SQL each measurement runs
    const db = await openBenchDb(bdb.target);
    try {
      res.explain = await explainSearches(db, { name: `${database}-${tickets}`, now, viewLimit: VIEW_LIMIT, queries: Object.fromEntries(SEARCH_KINDS.map((k, j) => [k, queries(k, 90 + j)(0)])) });
    } finally {
      await db.close();
    }
  } finally {
    await bdb.dispose();
    await sleep(100);
  }
}

mkdirSync(OUT_DIR, { recursive: true });
const startedAt = new Date();
const command = commandLine('bench:search');
const pgVersion = await postgresVersion(options.pgAdminUrl);
const m = machine(pgVersion, pgVersion ? await postgresSettings(options.pgAdminUrl) : undefined);
log(`bench:search — ${options.databases.map((d) => `${d} ${scales[d].map((n) => fmt.n(n)).join(' and ')} tickets`).join('; ')}; ${N} requests per measurement at c=1 (${N_REPORT} reports)`);
log(`machine: ${machineLine(m)}`);

const results: ScaleResult[] = [];
for (const database of options.databases) {
  for (const tickets of scales[database]) {
    const res: ScaleResult = { database, tickets, runs: [], throughput: [] };
    results.push(res);
    try {
      if (database === 'postgres' && !pgVersion) throw new Error(`PostgreSQL is not reachable at ${options.pgAdminUrl}`);
      await runScale(res);
    } catch (err) {
      res.error = (err as Error).stack ?? String(err);
      log(`${database} ${fmt.n(tickets)} failed: ${res.error}`);
    }
  }
}

// ---------------------------------------------------------------------------
const checks: TargetCheck[] = [];
for (const r of results) {
  for (const kind of KINDS) {
    const run = r.runs.find((x) => x.kind === kind);
    const limit = kind === '90-day report' ? TARGET_REPORT_P95_MS : TARGET_P95_MS;
    checks.push({
      target: `${r.database} ${fmt.n(r.tickets)} tickets: ${kind} p95 ≤ ${fmt.n(limit)} ms`,
      measured: run ? `${fmt.ms(run.latencyMs.p95)} ms` : '—',
      met: run ? run.latencyMs.p95 <= limit && run.errors === 0 : null,
    });
  }
}
for (const database of options.databases) {
  const rs = results.filter((r) => r.database === database && r.runs.length).sort((a, b) => a.tickets - b.tickets);
  if (rs.length < 2) continue;
  const small = rs[0];
  const big = rs[rs.length - 1];
  for (const kind of KINDS.filter((k) => k !== '90-day report')) {
    const a = small.runs.find((x) => x.kind === kind);
    const b = big.runs.find((x) => x.kind === kind);
    const ratio = a && b ? b.latencyMs.p95 / a.latencyMs.p95 : NaN;
    checks.push({
      target: `${database}: ${kind} p95 at ${fmt.n(big.tickets)} ≤ ${TARGET_GROWTH}× p95 at ${fmt.n(small.tickets)}`,
      measured: a && b ? `${fmt.n(ratio, 2)}× (${fmt.ms(a.latencyMs.p95)} → ${fmt.ms(b.latencyMs.p95)} ms)` : '—',
      met: a && b ? ratio <= TARGET_GROWTH : null,
    });
  }
}
const allRuns = results.flatMap((r) => [...r.runs, ...r.throughput]);
checks.push({ target: 'no failed requests', measured: String(allRuns.reduce((a, r) => a + r.errors, 0)), met: allRuns.length ? allRuns.every((r) => r.errors === 0) : null });

const md: string[] = [
  `## Search, views and reports — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${extra.label ? ` (${String(extra.label)})` : ''}`,
  '',
  `Command: \`${command}\``,
  '',
  `Machine: ${machineLine(m)}.`,
  '',
  `Data (bench/lib/search-data.ts, loaded in SQL before the server starts): tickets over two years (volume growing towards now), ~3 comments each (public replies, a fifth of the agents' comments internal notes), text drawn from a pool of template sentences with a skewed support vocabulary, ${fmt.n(25)} product names, 3,000 error codes (E1000–E3999) and words with accents in seven languages; statuses by age (old tickets closed), skewed priorities, 18 categories in ${GROUPS.length} groups, assignees from the group, 0–2 tags, organizations with tiers; ticket_facts and ticket_search built from the rows with the triggers' own functions (per-row triggers off during the load, indexes rebuilt after), then VACUUM (ANALYZE) and, on PostgreSQL, a CHECKPOINT before the server starts. No SLA rows (ticket_sla, sla_events stay empty).`,
  '',
  table(
    ['database', 'tickets', 'comments', 'last 90 days', 'statuses', 'load time', 'slowest steps', 'sizes MiB (tickets / comments / search / facts)', 'sampled rows vs the triggers\' definitions'],
    results.filter((r) => r.seed).map((r) => {
      const s = r.seed!;
      return [
        r.database, fmt.n(s.tickets), fmt.n(s.comments), fmt.n(s.last90Days), Object.entries(s.statuses).map(([k, v]) => `${k} ${fmt.n(v)}`).join(', '),
        `${fmt.n(s.seconds, 0)} s`, [...s.steps].sort((a, b) => b.seconds - a.seconds).slice(0, 3).map((x) => `${x.step} ${fmt.n(x.seconds, 0)} s`).join('; '),
        ['tickets', 'ticket_comments', 'ticket_search', 'ticket_facts'].map((t) => fmt.n(s.sizesMiB[t] ?? NaN)).join(' / '),
        r.consistency ? `${r.consistency.factMismatches + r.consistency.documentMismatches} mismatches in ${r.consistency.checked}` : '—',
      ];
    }),
  ),
  '',
  `Measurements: the real server (\`node bin/triage.mjs start\`), one per database and size, an API token, closed loop over keep-alive HTTP on loopback, concurrency 1, ${N} measured requests each (${N_REPORT} for the report) after a warm-up. **free text**: \`GET /api/v1/search?query=…\` (relevance order, 20 per page, highlights) — half single common words (please, account, error …), a quarter a common and a rarer word, an eighth an error code, an eighth a foreign word typed without its accents; **3 filters**: \`status:<open|pending|closed|resolved> priority>=high group:<one of ${GROUPS.length}>\`; **filters + free text**: \`status:… group:… <free text as above>\`; **view**: a saved view "All tickets, newest first" (empty query), ${VIEW_LIMIT} per page, \`GET /api/v1/views/:id/tickets\` — page 1, and page ${fmt.n(DEEP_PAGE)} with the cursor reached by following \`nextCursor\` ${DEEP_PAGE - 1} times (only the ${fmt.n(DEEP_PAGE)}th request timed); **90-day report**: \`GET /api/v1/reports?startDate=…&endDate=…\` (today and the 89 days before). "matches" is the total of one sample answer (≈: the planner's estimate, beyond 10,000).`,
  '',
  table(
    ['database', 'tickets', 'measurement', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'matches (sample)', 'errors', 'server CPU', 'PostgreSQL CPU'],
    results.flatMap((r) => r.runs.map((x) => [
      r.database, fmt.n(r.tickets), x.kind, fmt.n(x.requests), fmt.ms(x.latencyMs.p50), fmt.ms(x.latencyMs.p95), fmt.ms(x.latencyMs.p99), fmt.ms(x.latencyMs.max),
      x.matches ?? '—', x.errors, fmt.pct(x.serverCpuPct), x.pgCpuPct !== undefined ? fmt.pct(x.pgCpuPct) : '—',
    ])),
  ),
];
const walks = results.filter((r) => r.deepWalk);
if (walks.length) md.push('', `Walking the view from page 1 to page ${fmt.n(DEEP_PAGE)} (each page's request and its count): ${walks.map((r) => `${r.database} ${fmt.n(r.tickets)} ${fmt.n(r.deepWalk!.seconds, 1)} s (${fmt.ms((r.deepWalk!.seconds * 1000) / r.deepWalk!.pages)} ms a page)`).join(', ')}.`);
const tput = results.flatMap((r) => r.throughput);
if (tput.length) md.push('', `Throughput: the three searches at concurrency ${THROUGHPUT_C}, ${THROUGHPUT_S} s each:`, '', runsTable(tput, 'database, tickets and search', 'searches'));
for (const r of results) if (r.error) md.push('', `**${r.database} ${fmt.n(r.tickets)} failed:** \`${r.error.split('\n')[0]}\``);
const errs = errorNotes(allRuns);
if (errs) md.push('', errs);
const explained = results.filter((r) => r.explain);
if (explained.length) {
  md.push(
    '',
    'Where the time goes (EXPLAIN ANALYZE of the statements each measurement sends, run in-process after the server stopped with one representative query each; the plans are in `bench/out/search-explain-<database>-<tickets>.txt`):',
    '',
    table(
      ['database', 'tickets', 'measurement', 'statements', 'execution ms (sum)', 'costliest statement', 'its ms'],
      explained.flatMap((r) => r.explain!.items.map((e) => [r.database, fmt.n(r.tickets), e.kind, e.statements, fmt.ms(e.totalMs), `\`${e.costliest.replace(/\|/g, '\\|')}\``, fmt.ms(e.costliestMs)])),
    ),
  );
}
md.push('', `Targets (issue 6: p95 ≤ ${TARGET_P95_MS} ms for searches and views, ≤ 1 s for the 90-day report; latency at the largest size within ${TARGET_GROWTH}× of the smallest):`, '', targetsTable(checks));

const written = writeResults({
  markdown: md.join('\n'),
  jsonName: 'search-last.json',
  writeMarkdown: options.writeResults,
  json: { kind: 'search', startedAt: startedAt.toISOString(), command, machine: m, options, scales, requests: N, reportRequests: N_REPORT, viewLimit: VIEW_LIMIT, results, targets: checks },
});
log(`wrote ${[written.markdown, written.json].filter(Boolean).join(' and ')}`);
console.log(`\n${targetsTable(checks)}\n`);
process.exit(results.some((r) => r.error) || allRuns.some((r) => r.errors > 0) ? 1 : 0);
