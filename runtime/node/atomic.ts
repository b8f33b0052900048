// Atomic file writes: a temp file in the same directory (so rename never crosses file systems),
// fsync, rename over the target, fsync the directory. A crash leaves the old file or the new one,
// never a half-written one; a failed write removes its temp file, and a process killed mid-write
// leaves one that removeStaleTemps() clears on the next start (its name carries the writer's PID).
//
// Only a regular file is replaced by rename. A device, FIFO or socket (/dev/stdout, a named pipe)
// is written in place, and a symbolic link is followed: renaming over /dev/stdout would replace the
// link with a regular file (it did, as root).
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A temp file of writeFileAtomic: `.NAME.PID.tmp`. */
const TEMP = /^\.(.+)\.(\d+)\.tmp$/;

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  writeFilesAtomic([{ path, data }]);
}

/**
 * Writes every file or none: all temp files are written and synced before the first rename, and a
 * rename that fails puts back the files already replaced (a generated `.js` and its `.d.ts`). An
 * error carries the path of the file it is about (`e.path`), never a temp name.
 */
export function writeFilesAtomic(files: readonly { readonly path: string; readonly data: Uint8Array | string }[]): void {
  const staged: { target: string; tmp: string; backup?: string }[] = [];
  try {
    for (const f of files) {
      const bytes = typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : f.data;
      const { target, special } = resolveTarget(f.path);
      if (special) {
        writeInPlace(f.path, bytes);
        continue;
      }
      const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
      staged.push({ target, tmp });
      as(f.path, () => writeSynced(tmp, bytes));
    }
    const done: typeof staged = [];
    try {
      for (const s of staged) {
        s.backup = backUp(s.target);
        as(s.target, () => renameSync(s.tmp, s.target));
        done.push(s);
      }
    } catch (e) {
      for (const d of done.reverse()) restore(d.target, d.backup);
      throw e;
    }
    for (const dir of new Set(staged.map((s) => dirname(s.target)))) syncDirectory(dir);
  } finally {
    for (const s of staged) {
      quietly(() => unlinkSync(s.tmp));
      if (s.backup !== undefined) quietly(() => unlinkSync(s.backup!));
    }
  }
}

/**
 * Removes the temp files in `dir` that writeFileAtomic left behind in a process that no longer runs
 * (killed mid-write); a live writer's are kept. Returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || (Number(m[2]) !== process.pid && processAlive(Number(m[2])))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // gone already, or not ours to remove: either way not a reason to stop a run
    }
  }
  return removed;
}

/** Whether a process with this id runs on this machine (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The file a rename would replace, or `special` where it must be written in place. */
function resolveTarget(path: string): { target: string; special: boolean } {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return { target: path, special: false }; // a new file (a missing folder is the open's error)
  }
  let target = path;
  // /dev/stdout → /proc/self/fd/1 → a file the shell opened (`> out.ts`): a rename would put a new
  // file beside the one the shell holds open, and the output would be lost. Write through the link.
  if (st.isSymbolicLink() && /^\/(dev|proc)\//.test(path)) return { target: path, special: true };
  if (st.isSymbolicLink()) {
    try {
      target = realpathSync(path);
      st = statSync(target);
    } catch {
      return { target: path, special: true }; // a dangling link: written through, as `>` would
    }
  }
  if (st.isDirectory()) throw errno('EISDIR', path, 'open');
  return { target, special: !st.isFile() };
}

function writeInPlace(path: string, bytes: Uint8Array): void {
  as(path, () => {
    const fd = openSync(path, 'w');
    try {
      writeAll(fd, bytes);
    } finally {
      closeSync(fd);
    }
  });
}

function writeSynced(tmp: string, bytes: Uint8Array): void {
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** A hard link to the file a rename is about to replace, so that a later failure can put it back. */
function backUp(target: string): string | undefined {
  const backup = join(dirname(target), `.${basename(target)}.old.${process.pid}.tmp`);
  try {
    linkSync(target, backup);
    return backup;
  } catch {
    return undefined; // no old file (or no hard links here): a failure removes the new one instead
  }
}

function restore(target: string, backup: string | undefined): void {
  quietly(() => (backup !== undefined ? renameSync(backup, target) : unlinkSync(target)));
}

/** Runs `f`; an error it throws names `path` (the file asked for), not a temp file's name. */
function as<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.path !== path) throw errno(err.code, path, err.syscall ?? 'write', err);
    throw e;
  }
}

function errno(code: string, path: string, syscall: string, cause?: Error): NodeJS.ErrnoException {
  const why = /^[A-Z]+: ([^,]*)/.exec(cause?.message ?? '')?.[1] ?? (code === 'EISDIR' ? 'illegal operation on a directory' : code);
  const e: NodeJS.ErrnoException = new Error(`${code}: ${why}, ${syscall} '${path}'`, cause ? { cause } : undefined);
  e.code = code;
  e.path = path;
  e.syscall = syscall;
  return e;
}

function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // cleanup of a file that may be gone
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
