import { parseArgs } from 'node:util';

/** Settings shared by the benchmarks: each flag also has a BENCH_* environment variable. */
export interface BenchOptions {
  /** measured seconds per run */
  durationS: number;
  /** unmeasured seconds before each run (JIT, caches, pool connections) */
  warmupS: number;
  concurrency: number[];
  databases: ('pglite' | 'postgres')[];
  /** maintenance URL of the PostgreSQL server (a fresh database is created next to it) */
  pgAdminUrl: string;
  /** start the server with --cpu-prof and summarise where its CPU time went */
  profile: boolean;
  /** write bench/RESULTS.md (the JSON in bench/out/ is always written) */
  writeResults: boolean;
  /** TRIAGE_ROLES for the server under test (default: what `triage start` runs) */
  roles?: string;
  /** DATABASE_POOL_SIZE for the server under test (default: the server's own default) */
  poolSize?: string;
}

export interface FlagSpec {
  [name: string]: { type: 'string' | 'boolean'; env: string; help: string };
}

const COMMON: FlagSpec = {
  duration: { type: 'string', env: 'BENCH_DURATION', help: 'measured seconds per run (default 20)' },
  warmup: { type: 'string', env: 'BENCH_WARMUP', help: 'warm-up seconds before each run (default 10% of the duration, 0.5–2)' },
  concurrency: { type: 'string', env: 'BENCH_CONCURRENCY', help: 'comma-separated concurrency levels (default 1,16)' },
  db: { type: 'string', env: 'BENCH_DB', help: 'comma-separated: pglite,postgres (default both)' },
  'pg-url': { type: 'string', env: 'BENCH_PG_URL', help: 'PostgreSQL maintenance URL (default postgres://postgres@127.0.0.1:5432/postgres)' },
  profile: { type: 'boolean', env: 'BENCH_PROFILE', help: 'run the server with --cpu-prof and summarise the profile' },
  'no-results': { type: 'boolean', env: 'BENCH_NO_RESULTS', help: 'do not write bench/RESULTS.md' },
  roles: { type: 'string', env: 'BENCH_ROLES', help: 'TRIAGE_ROLES of the server under test' },
  'pool-size': { type: 'string', env: 'BENCH_POOL_SIZE', help: 'DATABASE_POOL_SIZE of the server under test' },
  help: { type: 'boolean', env: 'BENCH_HELP', help: 'show this help' },
};

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
  return n;
}

/**
 * Reads the flags (which win) and BENCH_* variables. `extra` adds a script's
 * own flags; their raw values come back in `extra`.
 */
export function readOptions(
  script: string,
  extra: FlagSpec = {},
): { options: BenchOptions; extra: Record<string, string | boolean | undefined> } {
  const specs = { ...COMMON, ...extra };
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { type: s.type }])),
    strict: true,
  });
  const get = (name: string): string | boolean | undefined => {
    const v = values[name];
    if (v !== undefined) return v as string | boolean;
    const env = process.env[specs[name].env];
    if (env === undefined || env === '') return undefined;
    return specs[name].type === 'boolean' ? truthy(env) : env;
  };
  if (get('help')) {
    console.log(`Usage: npm run ${script} -- [flags]\n`);
    for (const [k, s] of Object.entries(specs)) console.log(`  --${k.padEnd(14)} ${s.env.padEnd(20)} ${s.help}`);
    process.exit(0);
  }
  const durationS = positive('duration', String(get('duration') ?? '20'));
  const warmupRaw = get('warmup');
  const warmupS = warmupRaw !== undefined ? Number(warmupRaw) : Math.min(2, Math.max(0.5, durationS / 10));
  const concurrency = String(get('concurrency') ?? '1,16').split(',').map((c) => Math.round(positive('concurrency', c.trim())));
  const databases = String(get('db') ?? 'pglite,postgres').split(',').map((d) => d.trim().toLowerCase());
  for (const d of databases) if (d !== 'pglite' && d !== 'postgres') throw new Error(`db: unknown database "${d}" (pglite or postgres)`);
  const options: BenchOptions = {
    durationS,
    warmupS,
    concurrency,
    databases: databases as BenchOptions['databases'],
    pgAdminUrl: String(get('pg-url') ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
    profile: Boolean(get('profile')),
    writeResults: !get('no-results'),
    roles: get('roles') as string | undefined,
    poolSize: get('pool-size') as string | undefined,
  };
  const extraValues = Object.fromEntries(Object.keys(extra).map((k) => [k, get(k)]));
  return { options, extra: extraValues };
}

/** The command as someone would type it again: the BENCH_* variables set, npm script and flags. */
export function commandLine(script: string): string {
  const env = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const args = process.argv.slice(2);
  const run = process.env.npm_lifecycle_event === script ? `npm run ${script}` : `node bin/run-ts.mjs ${process.argv[1]?.replace(/^.*\/bench\//, 'bench/')}`;
  return [...env, run, ...(args.length && run.startsWith('npm') ? ['--', ...args] : args)].join(' ');
}
