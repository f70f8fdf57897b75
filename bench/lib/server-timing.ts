/**
 * What lib/load.ts does not keep: the `Server-Timing: routing;dur=<ms>` header
 * of each create (the routing decision itself, lock waits included) and the
 * routing method in its answer. Read through node:http's diagnostics channels,
 * so the load generator stays as it is: every response the process receives
 * while a window is open is seen once, before load.ts reads it.
 */
import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

export interface TapWindow {
  /** Server-Timing routing durations, ms (answers that carried one) */
  routingMs: number[];
  /** request start → response headers, ms, every answer of the window (with or without the header) */
  httpMs: number[];
  /** routing durations by the method in the answer's `assignment` (round_robin, least_busy …) */
  byMethod: Map<string, number[]>;
  /** answers whose assignment says the ticket waits in the queue (no agent free) */
  queued: number;
  answers: number;
}

// the assignment comes back as stored (jsonb: keys by length, then name): method and queued come before the candidates
const METHOD_RE = /"method":"([a-z_]+)"/;
const QUEUED_RE = /"queued":true/;

export class ServerTimingTap {
  private window?: TapWindow;
  private readonly starts = new WeakMap<ClientRequest, number>();
  private readonly onStart = (m: unknown) => {
    if (this.window) this.starts.set((m as { request: ClientRequest }).request, performance.now());
  };
  private readonly onFinish = (m: unknown) => {
    const w = this.window;
    if (!w) return;
    const { request, response } = m as { request: ClientRequest; response: IncomingMessage };
    const t0 = this.starts.get(request);
    if (t0 === undefined) return; // started before the window opened
    w.answers++;
    w.httpMs.push(performance.now() - t0);
    const st = response.headers['server-timing'];
    const dur = typeof st === 'string' ? /(?:^|,)\s*routing;dur=([\d.]+)/.exec(st)?.[1] : undefined;
    if (dur === undefined) return;
    const ms = Number(dur);
    w.routingMs.push(ms);
    // the method is in the body: listen alongside load.ts (attached before its listener, same chunks)
    const chunks: Buffer[] = [];
    response.on('data', (c: Buffer) => chunks.push(c));
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const at = text.indexOf('"assignment":{');
      const head = at >= 0 ? text.slice(at, at + 600) : '';
      const method = METHOD_RE.exec(head)?.[1] ?? 'unknown';
      if (QUEUED_RE.test(head)) w.queued++;
      let list = w.byMethod.get(method);
      if (!list) w.byMethod.set(method, (list = []));
      list.push(ms);
    });
  };

  constructor() {
    dc.subscribe('http.client.request.start', this.onStart);
    dc.subscribe('http.client.response.finish', this.onFinish);
  }

  /** Starts recording (call at the start of the measured phase). */
  begin(): void {
    this.window = { routingMs: [], httpMs: [], byMethod: new Map(), queued: 0, answers: 0 };
  }

  /** Stops recording and returns what the window saw. */
  end(): TapWindow {
    const w = this.window!;
    this.window = undefined;
    return w;
  }

  close(): void {
    dc.unsubscribe('http.client.request.start', this.onStart);
    dc.unsubscribe('http.client.response.finish', this.onFinish);
  }
}
