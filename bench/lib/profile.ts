import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** sampled milliseconds, idle excluded */
  busyMs: number;
  /** share of busy time by where the code lives: an npm package, a src/ file, Node internals, GC … */
  byOrigin: { origin: string; pct: number }[];
  /** functions with the most self time */
  topFunctions: { fn: string; origin: string; pct: number }[];
}

function origin(url: string, fn: string): string {
  if (!url) {
    if (fn === '(garbage collector)' || fn === '(program)' || fn === '(idle)' || fn === '(root)') return fn;
    return '(native)';
  }
  if (url.startsWith('wasm://')) return 'wasm (PGlite)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1];
  const src = /\/(src\/.+)$/.exec(url);
  if (src) return src[1];
  if (url.startsWith('node:')) return 'node (internals)';
  return url.replace(/^file:\/\//, '');
}

/** Self time of a V8 .cpuprofile (from `node --cpu-prof`) grouped by origin and by function. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const origins = new Map<string, number>();
  const fns = new Map<string, { origin: string; us: number }>();
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const o = origin(n.callFrame.url, n.callFrame.functionName);
    if (o === '(idle)') continue;
    busy += us;
    origins.set(o, (origins.get(o) ?? 0) + us);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${o}:${n.callFrame.lineNumber + 1}`;
    const f = fns.get(key) ?? { origin: o, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const pct = (us: number) => (100 * us) / Math.max(1, busy);
  return {
    file,
    busyMs: busy / 1000,
    byOrigin: [...origins].sort((a, b) => b[1] - a[1]).slice(0, top).map(([o, us]) => ({ origin: o, pct: pct(us) })),
    topFunctions: [...fns].sort((a, b) => b[1].us - a[1].us).slice(0, top).map(([fn, f]) => ({ fn, origin: f.origin, pct: pct(f.us) })),
  };
}
