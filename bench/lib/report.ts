import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { OUT_DIR, REPO } from './server.ts';
import type { ProfileSummary } from './profile.ts';

export interface Machine {
  cpus: number;
  cpuModel: string;
  ramGiB: number;
  kernel: string;
  node: string;
  postgres?: string;
  /** settings of the PostgreSQL server that move the figures */
  postgresSettings?: string;
  pglite: string;
  loadAvgAtStart: number[];
  commit: string;
  /** files changed in the working tree relative to the commit */
  uncommittedFiles: number;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', ['--no-optional-locks', ...args], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machine(postgres: string | undefined, postgresSettings?: string): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const pgliteVersion = (() => {
    try {
      return (JSON.parse(readFileSync(join(REPO, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  })();
  return {
    cpus: os.availableParallelism(),
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?',
    ramGiB: os.totalmem() / 2 ** 30,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
    postgresSettings,
    pglite: pgliteVersion,
    loadAvgAtStart: os.loadavg(),
    commit: git(['rev-parse', '--short', 'HEAD']) || '?',
    uncommittedFiles: git(['status', '--porcelain']).split('\n').filter(Boolean).length,
  };
}

export function machineLine(m: Machine): string {
  return [
    `${m.cpus} × ${m.cpuModel}`,
    `${m.ramGiB.toFixed(1)} GiB RAM`,
    m.kernel,
    `Node ${m.node}`,
    `PostgreSQL ${m.postgres ?? 'n/a'} (server${m.postgresSettings ? `: ${m.postgresSettings}` : ''})`,
    `PGlite ${m.pglite}`,
    `load average at start ${m.loadAvgAtStart.map((l) => l.toFixed(2)).join(' ')}`,
    `commit ${m.commit}${m.uncommittedFiles ? ` + ${m.uncommittedFiles} uncommitted files` : ''}`,
  ].join('; ');
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

export const fmt = {
  n: (v: number, digits = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—'),
  ms: (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)) : '—'),
  pct: (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)}%` : '—'),
};

export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function targetsTable(checks: TargetCheck[]): string {
  return table(
    ['target', 'measured', 'verdict'],
    checks.map((c) => [c.target, c.measured, c.met === null ? 'not measured' : c.met ? '**met**' : '**not met**']),
  );
}

export function profileMarkdown(label: string, p: ProfileSummary): string {
  return [
    `<details><summary>Server CPU profile, ${label} (${fmt.n(p.busyMs / 1000, 1)} s busy; idle excluded)</summary>`,
    '',
    table(['origin', 'self time'], p.byOrigin.map((o) => [o.origin, fmt.pct(o.pct)])),
    '',
    table(['function', 'self time'], p.topFunctions.map((f) => [`\`${f.fn.replace(/\|/g, '\\|')}\``, `${f.pct.toFixed(1)}%`])),
    '',
    '</details>',
  ].join('\n');
}

const RESULTS = join(REPO, 'bench', 'RESULTS.md');
const HEADER = `# Benchmark results

Written by the scripts in bench/ (see bench/README.md); newest run first. Each
section names the command, the machine and the load on it when the run started.
Runs shorter than 20 s per measurement, or on a busy machine, are checks that
the scripts work, not results.
`;

/** Puts a section at the top of bench/RESULTS.md (below the header) and the JSON into bench/out/. */
export function writeResults(o: { markdown: string; json: unknown; jsonName: string; writeMarkdown: boolean }): { json: string; markdown?: string } {
  mkdirSync(OUT_DIR, { recursive: true });
  const jsonFile = join(OUT_DIR, o.jsonName);
  writeFileSync(jsonFile, `${JSON.stringify(o.json, null, 2)}\n`);
  if (!o.writeMarkdown) return { json: jsonFile };
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : HEADER;
  const body = previous.startsWith(HEADER) ? previous.slice(HEADER.length).replace(/^\n+/, '') : previous.replace(/^# Benchmark results\n/, '');
  writeFileSync(RESULTS, `${HEADER}\n${o.markdown.trim()}\n\n${body}`.replace(/\n{3,}/g, '\n\n').trimEnd() + '\n');
  return { json: jsonFile, markdown: RESULTS };
}
