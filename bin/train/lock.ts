// One process per run directory: `DIR/.cnnc-train.lock` holds the PID of the `cnnc train` that owns
// DIR. It appears with its PID already in it (written to a temp file, then hard-linked to the lock's
// name, which fails with EEXIST if another holds it: O_EXCL semantics without an empty-lock window).
// A lock whose PID no longer runs (a run killed with SIGKILL, a power cut) is taken over; the lock
// is removed when the run ends, also on an error, a second Ctrl-C or a closed pipe (process.exit).
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processAlive } from '../../runtime/node/atomic.js';
import { fileError } from '../fs-errors.js';

export const LOCK_FILE = '.cnnc-train.lock';

/** The run directory is in use by another live process. */
export class RunLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`${dir} is in use by another cnnc train (PID ${pid}); wait for it to finish, stop it, or train into another --out`);
    this.name = 'RunLockedError';
  }
}

/** Locks this process holds, by path: a lock with our own PID that is not here is a dead run's (a reused PID). */
const held = new Set<string>();
let exitHook = false;

/** Takes `dir`'s lock or throws RunLockedError naming the PID that holds it. Returns the release. */
export function lockRunDirectory(dir: string): () => void {
  const lock = resolve(dir, LOCK_FILE);
  if (held.has(lock)) throw new RunLockedError(dir, process.pid); // a second train() in this process
  // Named as atomic.ts names its temps (.NAME.PID.tmp), so that removeStaleTemps clears a killed start's.
  const mine = join(dir, `.cnnc-train.lock.new.${process.pid}.tmp`);
  try {
    writeFileSync(mine, `${process.pid}\n`);
  } catch (e) {
    throw fileError('write', lock, e);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        create(mine, lock);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw fileError('create', join(dir, LOCK_FILE), e);
      }
      const holder = readPid(lock);
      if (holder === undefined) continue; // released between our link and our read: try again
      if (live(holder, lock)) throw new RunLockedError(dir, holder);
      takeOver(dir, lock, holder);
    }
  } finally {
    quietly(() => unlinkSync(mine));
  }
  held.add(lock);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const l of held) release(l);
    });
  }
  return () => {
    if (held.delete(lock)) release(lock);
  };
}

/** The lock, with our PID in it; EEXIST if it exists. */
function create(mine: string, lock: string): void {
  createWith(mine, lock, `${process.pid}\n`);
}

/** `lock` as a hard link to `file` (which holds `text`), or where there are none, made with O_EXCL and `text` written. */
function createWith(file: string, lock: string, text: string): void {
  try {
    linkSync(file, lock);
    return;
  } catch (e) {
    if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
  // A file system without hard links (FAT, some network mounts): O_EXCL, then the PID. Another start
  // that reads the lock in between sees it empty and takes it for a dead one's; a window of one write.
  const fd = openSync(lock, 'wx', 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Moves a dead holder's lock aside, then checks that what it moved is still that dead PID's: two
 * processes that saw the same dead lock must not remove the one the faster of them just took. If it
 * moved a live lock, the lock is put back and the run refused.
 */
function takeOver(dir: string, lock: string, dead: number): void {
  const aside = join(dir, `.cnnc-train.lock.stale.${process.pid}.tmp`);
  try {
    renameSync(lock, aside);
  } catch {
    return; // gone already: another start took it over or it was released; the caller tries again
  }
  const moved = readPid(aside);
  try {
    if (moved !== undefined && moved !== dead && live(moved, lock)) {
      quietly(() => createWith(aside, lock, `${moved}\n`));
      throw new RunLockedError(dir, moved);
    }
  } finally {
    quietly(() => unlinkSync(aside));
  }
}

function live(pid: number, lock: string): boolean {
  if (pid === process.pid) return held.has(lock);
  return processAlive(pid);
}

/** The PID in a lock file; undefined if it is gone; NaN (dead) if it holds anything else. */
function readPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return /^\d+\n?$/.test(text) ? Number(text.trim()) : Number.NaN;
}

/** Removes the lock if it is still ours. */
function release(lock: string): void {
  if (readPid(lock) === process.pid) quietly(() => unlinkSync(lock));
}

function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // a lock file already gone
  }
}
