import type { LoadResult } from './load.ts';
import { fmt, table } from './report.ts';
import type { Usage } from './server.ts';
import { adminQuery } from './databases.ts';

export type Run = LoadResult & Usage & { label: string };

export function log(msg: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/** "59% (0.97 ms/req)": CPU as % of one core and per successful request. */
export function cpuCell(pct: number | undefined, rps: number): string {
  if (pct === undefined || !Number.isFinite(pct)) return '—';
  return `${fmt.pct(pct)} (${rps > 0 ? (pct / 100 / rps * 1000).toFixed(2) : '—'} ms/req)`;
}

export function runLine(r: Run, unit: string): string {
  return `${r.label} c=${r.concurrency}: ${fmt.n(r.rps)} ${unit}/s, p50 ${fmt.ms(r.latencyMs.p50)} ms, p95 ${fmt.ms(r.latencyMs.p95)} ms, p99 ${fmt.ms(r.latencyMs.p99)} ms, errors ${r.errors}, server RSS ≤ ${fmt.n(r.peakRssMb)} MiB, server CPU ${cpuCell(r.serverCpuPct, r.rps)}${r.pgCpuPct !== undefined ? `, PostgreSQL CPU ${cpuCell(r.pgCpuPct, r.rps)}` : ''}, machine CPU ${fmt.pct(r.machineCpuPct)}`;
}

export function runsTable(runs: Run[], first: string, unit: string): string {
  return table(
    [first, 'clients', `${unit}/s`, 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'requests', 'errors', 'server peak RSS MiB', 'server CPU', 'PostgreSQL CPU', 'machine CPU (all cores)', 'load generator CPU'],
    runs.map((r) => [
      r.label, r.concurrency, fmt.n(r.rps), fmt.ms(r.latencyMs.p50), fmt.ms(r.latencyMs.p95), fmt.ms(r.latencyMs.p99), fmt.ms(r.latencyMs.max),
      fmt.n(r.requests), r.errors, fmt.n(r.peakRssMb), cpuCell(r.serverCpuPct, r.rps), cpuCell(r.pgCpuPct, r.rps), fmt.pct(r.machineCpuPct), fmt.pct(r.clientCpuPct),
    ]),
  );
}

export function errorNotes(runs: Run[]): string {
  const bad = runs.filter((r) => r.errors > 0);
  if (!bad.length) return '';
  return ['Errors (first samples):', '', ...bad.flatMap((r) => r.errorSamples.map((s) => `- ${r.label} c=${r.concurrency}: \`${s.replace(/`/g, "'").slice(0, 300)}\``))].join('\n');
}

/** Flushes dirty buffers so that one run does not pay for the previous run's writes. */
export async function checkpoint(databaseUrl: string): Promise<void> {
  await adminQuery(databaseUrl, 'CHECKPOINT').catch(() => undefined);
}

/** The run at `concurrency` if there is one, else the one with the most clients. */
export function runAt(runs: Run[], concurrency: number): Run | undefined {
  return runs.find((r) => r.concurrency === concurrency) ?? [...runs].sort((a, b) => b.concurrency - a.concurrency)[0];
}

/** "pglite 862 MiB, postgres 205 MiB" */
export function startupPeaks(results: { database: string; peakRssMb?: number }[]): string {
  return results.filter((r) => r.peakRssMb).map((r) => `${r.database} ${fmt.n(r.peakRssMb!)} MiB`).join(', ');
}
