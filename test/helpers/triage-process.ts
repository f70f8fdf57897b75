/**
 * Runs the real `triage` CLI as a child process (bin/triage.mjs), for tests of
 * what only a process shows: start-up, restart, the data-folder lock, signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/triage.mjs', import.meta.url));

/** Variables a child must not inherit from the test runner's environment. */
const SCRUBBED = ['DATABASE_URL', 'DATA_DIR', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'SEED_DEMO', 'SEED_DEMO_TICKETS', 'PORT', 'HOST'];

const children = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TriageProcess {
  child: ChildProcess;
  url: string;
  output(): { stdout: string; stderr: string };
  /** resolves when the process has exited */
  exited: Promise<Exit>;
  /** sends `signal` (SIGTERM by default) and waits for the exit */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const k of SCRUBBED) delete base[k];
  return { ...base, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env };
}

function launch(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Runs a CLI command to its end. */
export async function runTriage(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<Exit & { stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const p = launch(args, env);
  const exit = await p.exited;
  return { ...exit, ...p.output(), ms: Date.now() - started };
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `triage start` on a free port; resolves once /readyz answers 200. Polling a
 * process's readiness is fine here: it is the process starting, not domain time.
 */
export async function startTriage(env: Record<string, string | undefined>, readyTimeoutMs = 90_000): Promise<TriageProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = launch(['start'], { ...env, PORT: String(port) });
  let exit: Exit | undefined;
  void p.exited.then((e) => (exit = e));
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exit) throw new Error(`triage start exited (${JSON.stringify(exit)}) before it was ready:\n${p.output().stderr}${p.output().stdout}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`triage start was not ready within ${readyTimeoutMs} ms:\n${p.output().stderr}`);
    }
    await pause(100);
  }
  return {
    ...p,
    url,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
      return p.exited;
    },
  };
}

/** Kills every child still running (for afterAll). */
export async function killAllTriage(): Promise<void> {
  const waits = [...children].map((c) => new Promise((r) => {
    c.once('exit', r);
    c.kill('SIGKILL');
  }));
  await Promise.all(waits);
}

/** A small JSON client for one running Triage, signed in through a Bearer token. */
export class Client {
  token?: string;

  constructor(readonly url: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(this.url + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** Logs in with e-mail and password, then creates an API token for the later calls (cookie + CSRF token once). */
  async signIn(email: string, password: string): Promise<{ status: number; body: any }> {
    const login = await this.request('POST', '/api/v1/auth/login', { email, password });
    if (login.status !== 200) return login;
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const token = await this.request('POST', '/api/v1/api-tokens', { name: 'process test' }, { cookie, 'x-csrf-token': login.body.csrfToken });
    if (token.status !== 201) throw new Error(`api-token: ${token.status} ${JSON.stringify(token.body)}`);
    this.token = token.body.token;
    return login;
  }
}
