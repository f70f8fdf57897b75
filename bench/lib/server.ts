import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { requestJson } from './load.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { loadConfig } from '../../src/platform/config.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const OUT_DIR = join(REPO, 'bench', 'out');

export const ADMIN_EMAIL = 'bench-admin@triage.test';
export const ADMIN_PASSWORD = 'bench-password-123456';

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Where the server under test keeps its data: a PGlite folder or a PostgreSQL URL. */
export type Target = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; dataDir: string; databaseUrl: string };

/** Environment for a `triage` child process on `target`; nothing leaks in from the caller's DATABASE_URL/DATA_DIR. */
export function triageEnv(target: Target, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'SEED_DEMO', 'TRIAGE_ROLES', 'DATABASE_POOL_SIZE']) delete env[k];
  env.DATA_DIR = target.dataDir;
  if (target.kind === 'postgres') env.DATABASE_URL = target.databaseUrl;
  env.LOG_LEVEL = 'warn';
  env.ADMIN_EMAIL = ADMIN_EMAIL;
  env.ADMIN_PASSWORD = ADMIN_PASSWORD;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface RunningServer {
  pid: number;
  baseUrl: string;
  /** Bearer token of the bootstrap admin */
  token: string;
  logFile: string;
  profileDir?: string;
  /** SIGTERM, wait for the graceful exit (SIGKILL after 30 s); returns the exit code */
  stop(): Promise<number | null>;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts `node bin/triage.mjs start` as a child process (the real server, the
 * way operators run it), waits for /readyz, signs in as the bootstrap admin and
 * creates an API token through the API.
 */
export async function startTriage(
  target: Target,
  o: { name: string; profile?: boolean; roles?: string; poolSize?: string },
): Promise<RunningServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logFile = join(OUT_DIR, `server-${o.name}.log`);
  const profileDir = o.profile ? join(OUT_DIR, 'profiles', o.name) : undefined;
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  const fd = openSync(logFile, 'w');
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, join(REPO, 'bin', 'triage.mjs'), 'start'], {
    cwd: REPO,
    env: triageEnv(target, { PORT: String(port), HOST: '127.0.0.1', TRIAGE_ROLES: o.roles, DATABASE_POOL_SIZE: o.poolSize }),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res((exited = code))));

  const stop = async () => {
    if (exited !== undefined) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exit;
    clearTimeout(timer);
    return code;
  };

  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (exited !== undefined) throw new Error(`triage start exited with code ${exited} before it was ready:\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`triage start was not ready within 180 s:\n${tail(logFile)}`);
      try {
        const r = await fetch(`${baseUrl}/readyz`);
        await r.arrayBuffer();
        if (r.ok) break;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const token = await createToken(baseUrl);
    return { pid: child.pid!, baseUrl, token, logFile, profileDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** POST /auth/login, then POST /api-tokens with the session cookie and its CSRF token. */
export async function createToken(baseUrl: string): Promise<string> {
  const login = await requestJson<{ csrfToken: string }>(
    baseUrl,
    { method: 'POST', path: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }) },
    200,
  );
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const created = await requestJson<{ token: string }>(
    baseUrl,
    {
      method: 'POST',
      path: '/api/v1/api-tokens',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': login.body.csrfToken },
      body: JSON.stringify({ name: 'benchmark' }),
    },
    201,
  );
  return created.body.token;
}

/** Runs a `triage` CLI command (migrate, seed-demo …) to completion. */
export async function runTriageCli(
  target: Target,
  args: string[],
  o: { name: string; timeoutMs: number },
): Promise<{ code: number | null; logFile: string; seconds: number }> {
  const logFile = join(OUT_DIR, `cli-${o.name}.log`);
  const fd = openSync(logFile, 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(REPO, 'bin', 'triage.mjs'), ...args], { cwd: REPO, env: triageEnv(target), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs);
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  clearTimeout(timer);
  return { code, logFile, seconds: (performance.now() - t0) / 1000 };
}

export { tail };

// ---------------------------------------------------------------------------

const TICK = 100; // USER_HZ: clock ticks per second in /proc (100 on Linux x86)

/** utime + stime of a process, in clock ticks */
export function processTicks(pid: number): number {
  return procCpuTicks(pid);
}

function procCpuTicks(pid: number): number {
  // fields after the parenthesised command name; utime and stime are the 14th and 15th overall
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/**
 * CPU ticks of the PostgreSQL backends serving `database` (their command line
 * names it: "postgres: 15/main: postgres <database> 127.0.0.1(port) …").
 */
export function backendTicks(database: string): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${database} `)) ticks.set(Number(pid), procCpuTicks(Number(pid)));
    } catch {
      /* gone */
    }
  }
  return ticks;
}

function pgBackendTicks(database: string): number {
  let sum = 0;
  for (const t of backendTicks(database).values()) sum += t;
  return sum;
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** The CPU and memory a process used in one window; machine CPU is over all cores (100% = all busy). */
export interface Usage {
  peakRssMb: number;
  /** % of one core */
  serverCpuPct: number;
  /** PostgreSQL backends of the benchmark database, % of one core (PostgreSQL runs only) */
  pgCpuPct?: number;
  machineCpuPct: number;
}

/**
 * Samples VmRSS of the server every 100 ms (the peak of each window is kept)
 * and its CPU time and the machine's over each window.
 */
export class ProcSampler {
  private timer?: NodeJS.Timeout;
  private peak = 0;
  private start?: { at: number; cpu: number; pg: number; machine: { busy: number; total: number } };
  peakOverall = 0;

  /** `pgDatabase`: also measure the CPU of that database's PostgreSQL backends */
  constructor(
    readonly pid: number,
    readonly pgDatabase?: string,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample() {
    try {
      const kb = rssKb(this.pid);
      this.peak = Math.max(this.peak, kb);
      this.peakOverall = Math.max(this.peakOverall, kb);
    } catch {
      /* the process is gone */
    }
  }

  begin(): void {
    this.peak = 0;
    this.sample();
    this.start = { at: performance.now(), cpu: procCpuTicks(this.pid), pg: this.pgDatabase ? pgBackendTicks(this.pgDatabase) : 0, machine: machineTicks() };
  }

  end(): Usage {
    this.sample();
    const s = this.start!;
    const seconds = (performance.now() - s.at) / 1000;
    const cpu = (procCpuTicks(this.pid) - s.cpu) / TICK;
    const m = machineTicks();
    return {
      peakRssMb: this.peak / 1024,
      serverCpuPct: (cpu / seconds) * 100,
      ...(this.pgDatabase ? { pgCpuPct: ((pgBackendTicks(this.pgDatabase) - s.pg) / TICK / seconds) * 100 } : {}),
      machineCpuPct: ((m.busy - s.machine.busy) / Math.max(1, m.total - s.machine.total)) * 100,
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * The main thread's .cpuprofile in `dir`: node writes one per thread (tsx's
 * loader runs in a worker); the main thread's is the largest.
 */
export function latestProfile(dir: string | undefined): string | undefined {
  if (!dir) return undefined;
  try {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ f: join(dir, f), size: statSync(join(dir, f)).size }))
      .sort((a, b) => b.size - a.size);
    return files[0]?.f;
  } catch {
    return undefined;
  }
}

/** The benchmark's own connection to a target's database, migrated (the server under test is a separate process). */
export async function openBenchDb(target: Target, poolSize = 10): Promise<Db> {
  const config = loadConfig(triageEnv(target));
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize });
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
