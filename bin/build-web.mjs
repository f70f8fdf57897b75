#!/usr/bin/env node
// Builds the web UI (web/ → web/dist) with Vite. `--if-stale` (what `npm start` runs first)
// builds only when web/dist is missing or older than a source file, so a start after a build
// costs one walk of web/src (a few milliseconds).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));
const STAMP = join(WEB, 'dist', '.build-stamp');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

/** True when web/dist is missing or a source (web/src, web/public, index.html, the configs, the lockfile) is newer. */
export function webIsStale() {
  if (!existsSync(STAMP) || !existsSync(join(WEB, 'dist', 'index.html'))) return true;
  const built = statSync(STAMP).mtimeMs;
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'tsconfig.json', '../package-lock.json'].map((p) => join(WEB, p)).filter(existsSync);
  return sources.some((p) => newest(p) > built);
}

/** Runs the Vite production build and stamps web/dist. */
export async function buildWeb() {
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.error('triage: Vite is not installed (npm install), so the web UI cannot be built; the API runs without it.');
    return false;
  }
  const started = Date.now();
  await vite.build({ root: WEB, configFile: join(WEB, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(STAMP, new Date().toISOString() + '\n');
  console.log(`triage: web UI built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--if-stale') && !webIsStale()) process.exit(0);
  process.exit((await buildWeb()) ? 0 : process.argv.includes('--if-stale') ? 0 : 1);
}
