import http from 'node:http';

/** One request the generator sends. */
export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  /** http://127.0.0.1:PORT — loopback only */
  baseUrl: string;
  concurrency: number;
  durationS: number;
  warmupS?: number;
  /** stop after this many measured requests even if time is left */
  maxRequests?: number;
  /** builds request number `i` (warm-up requests included) */
  next: (i: number) => RequestSpec;
  expectStatus: number;
  timeoutMs?: number;
  /** called when the measured phase starts and ends (RSS/CPU sampling windows) */
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
}

export interface Latency {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  concurrency: number;
  /** measured wall time, seconds */
  elapsedS: number;
  requests: number;
  ok: number;
  errors: number;
  statusCounts: Record<string, number>;
  errorSamples: string[];
  /** successful requests per second */
  rps: number;
  /** milliseconds, successful and failed requests alike */
  latencyMs: Latency;
  /** CPU the load generator itself used, % of one core */
  clientCpuPct: number;
  /** mean size of a response body, bytes */
  meanResponseBytes: number;
}

interface Reply {
  status: number;
  bytes: number;
  /** decoded only when the status is not the expected one */
  text(): string;
}

function send(agent: http.Agent, url: URL, spec: RequestSpec, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = Buffer.byteLength(spec.body);
    const req = http.request(
      { agent, host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let bytes = 0;
          for (const c of chunks) bytes += c.length;
          resolve({ status: res.statusCode ?? 0, bytes, text: () => Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(spec.body);
  });
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(latencies: number[]): Latency {
  const sorted = Float64Array.from(latencies).sort();
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
  return {
    mean,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/**
 * Closed-loop load: `concurrency` workers, each sending its next request as soon
 * as the previous answer is in, over keep-alive connections. A warm-up phase runs
 * first and is not counted; then the measured phase runs for `durationS` (or
 * `maxRequests`). Every request is built by `next`, so bodies can all differ.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const url = new URL(o.baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`load generator is loopback-only, got ${url.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency, maxFreeSockets: o.concurrency });
  const timeoutMs = o.timeoutMs ?? 30_000;
  let issued = 0;

  const phase = async (seconds: number, limit: number, record: boolean) => {
    const latencies: number[] = [];
    const statusCounts: Record<string, number> = {};
    const errorSamples: string[] = [];
    let ok = 0;
    let errors = 0;
    let started = 0;
    let bytes = 0;
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    const worker = async () => {
      while (performance.now() < deadline && started < limit) {
        started++;
        const spec = o.next(issued++);
        const s = performance.now();
        let status = 'error';
        let failure: string | undefined;
        try {
          const r = await send(agent, url, spec, timeoutMs);
          status = String(r.status);
          if (record) bytes += r.bytes;
          if (r.status !== o.expectStatus) failure = `${spec.method} ${spec.path} → ${r.status}: ${r.text().slice(0, 300)}`;
        } catch (err) {
          failure = `${spec.method} ${spec.path} → ${(err as Error).message}`;
        }
        if (!record) continue;
        latencies.push(performance.now() - s);
        statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        if (failure) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(failure);
        } else ok++;
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    return { latencies, statusCounts, errorSamples, ok, errors, bytes, elapsedS: (performance.now() - t0) / 1000 };
  };

  try {
    if (o.warmupS && o.warmupS > 0) await phase(o.warmupS, Infinity, false);
    o.onMeasureStart?.();
    const cpu0 = process.cpuUsage();
    const m = await phase(o.durationS, o.maxRequests ?? Infinity, true);
    const cpu = process.cpuUsage(cpu0);
    o.onMeasureEnd?.();
    return {
      concurrency: o.concurrency,
      elapsedS: m.elapsedS,
      requests: m.ok + m.errors,
      ok: m.ok,
      errors: m.errors,
      statusCounts: m.statusCounts,
      errorSamples: m.errorSamples,
      rps: m.ok / m.elapsedS,
      latencyMs: summarize(m.latencies),
      clientCpuPct: ((cpu.user + cpu.system) / 1000 / (m.elapsedS * 1000)) * 100,
      meanResponseBytes: m.bytes / Math.max(1, m.ok + m.errors),
    };
  } finally {
    agent.destroy();
  }
}

/** A single request with a JSON answer, for set-up steps (login, token, counting). */
export async function requestJson<T = unknown>(
  baseUrl: string,
  spec: RequestSpec,
  expectStatus: number,
): Promise<{ body: T; headers: Headers }> {
  const res = await fetch(new URL(spec.path, baseUrl), { method: spec.method, headers: spec.headers, body: spec.body });
  const text = await res.text();
  if (res.status !== expectStatus) throw new Error(`${spec.method} ${spec.path} → ${res.status} (expected ${expectStatus}): ${text.slice(0, 500)}`);
  return { body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}
