/**
 * bench:sla's background load: a closed loop of ticket creations (like
 * lib/load.ts: N workers over keep-alive HTTP/1.1, each sending its next
 * request when the previous answer is in) that runs until stopped and keeps
 * every request's start and end instant, so that the rate and latency can be
 * cut into windows afterwards — before the deadlines, during the burst, after.
 */
import http from 'node:http';
import { percentile } from './load.ts';

export interface RequestRecord {
  /** epoch ms when the request was sent */
  start: number;
  /** epoch ms when the answer was complete */
  end: number;
  ok: boolean;
}

export interface WindowStats {
  fromMs: number;
  toMs: number;
  seconds: number;
  /** successful requests that ended in the window, per second */
  rps: number;
  requests: number;
  errors: number;
  /** of requests that started in the window */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const epochNow = () => performance.timeOrigin + performance.now();

export class CreateLoad {
  readonly records: RequestRecord[] = [];
  readonly errorSamples: string[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly agent: http.Agent;

  constructor(
    private readonly baseUrl: string,
    private readonly concurrency: number,
    private readonly next: (i: number) => { method: string; path: string; headers: Record<string, string>; body?: string },
    private readonly expectStatus = 201,
  ) {
    const url = new URL(baseUrl);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`load generator is loopback-only, got ${url.hostname}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  start(): void {
    this.running = true;
    let issued = 0;
    const url = new URL(this.baseUrl);
    const worker = async () => {
      while (this.running) {
        const spec = this.next(issued++);
        const start = epochNow();
        let ok = false;
        try {
          const { status, text } = await send(this.agent, url, spec);
          ok = status === this.expectStatus;
          if (!ok && this.errorSamples.length < 5) this.errorSamples.push(`${spec.method} ${spec.path} → ${status}: ${text.slice(0, 300)}`);
        } catch (err) {
          if (this.errorSamples.length < 5) this.errorSamples.push(`${spec.method} ${spec.path} → ${(err as Error).message}`);
        }
        this.records.push({ start, end: epochNow(), ok });
      }
    };
    this.workers = Array.from({ length: this.concurrency }, worker);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.agent.destroy();
  }

  /** `finishedWithin`: latency only of requests that also ended in the window (the state before an event, not requests it caught) */
  window(fromMs: number, toMs: number, finishedWithin = false): WindowStats {
    const ended = this.records.filter((r) => r.end >= fromMs && r.end < toMs);
    const started = this.records.filter((r) => r.start >= fromMs && r.start < toMs && (!finishedWithin || r.end < toMs));
    const lat = Float64Array.from(started.map((r) => r.end - r.start)).sort();
    const seconds = (toMs - fromMs) / 1000;
    return {
      fromMs, toMs, seconds,
      rps: ended.filter((r) => r.ok).length / seconds,
      requests: started.length,
      errors: started.filter((r) => !r.ok).length,
      p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1] : NaN,
    };
  }
}

function send(agent: http.Agent, url: URL, spec: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = Buffer.byteLength(spec.body);
    const req = http.request({ agent, host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: res.statusCode === 201 ? '' : Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(spec.body);
  });
}

/**
 * GET /healthz (no database) every `everyMs`, one at a time: how long the
 * server's event loop takes to answer a trivial request. On PGlite the
 * database runs on that same thread, so a busy worker shows up here.
 */
export class HealthProbe {
  readonly records: RequestRecord[] = [];
  private running = false;
  private loop?: Promise<void>;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly baseUrl: string,
    private readonly everyMs = 200,
  ) {}

  start(): void {
    this.running = true;
    const url = new URL(this.baseUrl);
    this.loop = (async () => {
      while (this.running) {
        const start = epochNow();
        let ok = false;
        try {
          ok = (await send(this.agent, url, { method: 'GET', path: '/healthz', headers: {} })).status === 200;
        } catch {
          /* counted as not ok */
        }
        this.records.push({ start, end: epochNow(), ok });
        await new Promise((r) => setTimeout(r, this.everyMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.agent.destroy();
  }

  window(fromMs: number, toMs: number, finishedWithin = false): { n: number; p50: number; p99: number; max: number } {
    const lat = Float64Array.from(
      this.records.filter((r) => r.start >= fromMs && r.start < toMs && (!finishedWithin || r.end < toMs)).map((r) => r.end - r.start),
    ).sort();
    return { n: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1] : NaN };
  }
}
