/**
 * The embedded database's folder lock. PGlite lets two processes open one
 * folder and silently loses one's writes, so only one Triage process may have
 * a DATA_DIR open at a time.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

/** Raised when a second process tries to open the same embedded data folder. */
export class DataDirLockedError extends Error {
  constructor(dir: string, pid?: number) {
    super(
      `The data folder ${dir} is already in use by another Triage process${pid ? ` (pid ${pid})` : ''}. ` +
        'The embedded database allows only one process; stop the other one, or use DATABASE_URL with a PostgreSQL server to run several.',
    );
    this.name = 'DataDirLockedError';
  }
}

interface LockOwner {
  pid: number;
  host: string;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
};

/** Data folders this process has open: the pid in their owner file is ours and alive. */
const heldHere = new Set<string>();

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data folder's lock (`triage.lock`, kept fresh every 2 s) and
 * records the owner's pid beside it (`triage.pid`). A lock whose owner is a
 * process of this host that no longer exists (killed with SIGKILL, OOM) is
 * stale and taken over at once, so a crashed Triage restarts immediately
 * instead of waiting for the lock to age; any other lock is a live process.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, 'triage.lock');
  const ownerPath = join(dir, 'triage.pid');
  const take = () =>
    lockfile.lock(dir, {
      lockfilePath: lockPath,
      stale: 10_000,
      update: 2_000,
      onCompromised: (err) => {
        // Someone else took the folder: continuing would lose writes.
        console.error(`Lost the lock on ${dir}: ${err.message}`);
        process.exit(70);
      },
    });
  let release: () => Promise<void>;
  try {
    release = await take();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ELOCKED') throw err;
    const owner = readOwner(ownerPath);
    // our own pid in the file without us holding the folder: an earlier life of this pid
    // (a restarted container's pid 1), which is gone
    const dead = (o: LockOwner | undefined) =>
      o !== undefined && o.host === hostname() && (o.pid === process.pid ? !heldHere.has(dir) : !isAlive(o.pid));
    if (!dead(owner)) throw new DataDirLockedError(dir, owner?.pid);
    release = await takeOver(dir, lockPath, () => {
      const again = readOwner(ownerPath);
      return again?.pid === owner!.pid && dead(again);
    }, take);
  }
  writeFileSync(ownerPath, JSON.stringify({ pid: process.pid, host: hostname() } satisfies LockOwner));
  heldHere.add(dir);
  return async () => {
    heldHere.delete(dir);
    rmSync(ownerPath, { force: true });
    await release();
  };
}

/**
 * Replaces a dead owner's lock. Only one process at a time may do this (the
 * `triage.lock.takeover` folder, made with an atomic mkdir), and it looks at
 * the owner again first: the owner file is written just after the lock is
 * taken, so a process that has only just locked the folder is not mistaken
 * for the dead one.
 */
async function takeOver(
  dir: string,
  lockPath: string,
  stillDead: () => boolean,
  take: () => Promise<() => Promise<void>>,
): Promise<() => Promise<void>> {
  const mutex = `${lockPath}.takeover`;
  try {
    mkdirSync(mutex);
  } catch {
    // another process is taking over right now; a takeover folder left by a crash is cleared after a minute
    try {
      if (Date.now() - statSync(mutex).mtimeMs > 60_000) rmSync(mutex, { recursive: true, force: true });
    } catch {
      // gone already
    }
    throw new DataDirLockedError(dir);
  }
  try {
    await new Promise((r) => setTimeout(r, 300));
    if (!stillDead()) throw new DataDirLockedError(dir, readOwner(join(dir, 'triage.pid'))?.pid);
    rmSync(lockPath, { recursive: true, force: true });
    try {
      return await take();
    } catch (err) {
      if ((err as { code?: string }).code === 'ELOCKED') throw new DataDirLockedError(dir);
      throw err;
    }
  } finally {
    rmSync(mutex, { recursive: true, force: true });
  }
}
