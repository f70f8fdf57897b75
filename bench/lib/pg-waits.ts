/**
 * What the benchmark database's backends are doing, sampled from
 * pg_stat_activity every 50 ms during a measured run: running (on a CPU or
 * waiting for one), waiting for a lock (which kind), for the WAL, or idle in a
 * transaction while the application works between two statements. The means
 * are "backends in that state at any moment"; by Little's law, the share of a
 * state is the share of the transactions' time spent in it.
 */
import pg from 'pg';

export interface WaitSample {
  /** "active: running", "active: Lock/transactionid", "idle in transaction: Client/ClientRead" … */
  state: string;
  /** mean number of backends in that state */
  mean: number;
}

export class PgWaitSampler {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private counts = new Map<string, number>();
  private samples = 0;
  private busy = false;

  constructor(
    private readonly url: string,
    private readonly database: string,
  ) {}

  async open(): Promise<void> {
    this.client = new pg.Client({ connectionString: this.url, application_name: 'bench-wait-sampler' });
    await this.client.connect();
  }

  begin(): void {
    this.counts = new Map();
    this.samples = 0;
    this.timer = setInterval(() => void this.sample(), 50);
  }

  private async sample(): Promise<void> {
    if (this.busy || !this.client) return;
    this.busy = true;
    try {
      const r = await this.client.query<{ state: string; n: number }>(
        `SELECT state || ': ' || coalesce(wait_event_type || '/' || wait_event, 'running') AS state, count(*)::int AS n
           FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()
            AND application_name <> 'bench-wait-sampler'
          GROUP BY 1`,
        [this.database],
      );
      this.samples++;
      for (const row of r.rows) this.counts.set(row.state, (this.counts.get(row.state) ?? 0) + row.n);
    } catch {
      /* a sample lost */
    } finally {
      this.busy = false;
    }
  }

  end(): WaitSample[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const n = Math.max(1, this.samples);
    return [...this.counts].map(([state, c]) => ({ state, mean: c / n })).sort((a, b) => b.mean - a.mean);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client?.end().catch(() => undefined);
  }
}
