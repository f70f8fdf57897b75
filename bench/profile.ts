/**
 * Summarises V8 CPU profiles (node --cpu-prof, or `npm run bench:create -- --profile`):
 *   node bin/run-ts.mjs bench/profile.ts bench/out/profiles/create-postgres/CPU.*.cpuprofile [--top 30]
 */
import { parseArgs } from 'node:util';
import { summarizeProfile } from './lib/profile.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
if (!positionals.length) {
  console.error('usage: node bin/run-ts.mjs bench/profile.ts FILE.cpuprofile… [--top N]');
  process.exit(2);
}
for (const file of positionals) {
  const p = summarizeProfile(file, Number(values.top ?? 25));
  console.log(`\n${file}: ${(p.busyMs / 1000).toFixed(1)} s busy (idle excluded)\n\nby origin:`);
  for (const o of p.byOrigin) console.log(`${o.pct.toFixed(1).padStart(6)}%  ${o.origin}`);
  console.log('\nfunctions by self time:');
  for (const f of p.topFunctions) console.log(`${f.pct.toFixed(1).padStart(6)}%  ${f.fn}`);
}
