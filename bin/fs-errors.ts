// File-system faults are the user's to fix (a full disk, a read-only or unwritable folder, a file
// where a folder should be): one line naming the path and the cause, exit 1, never a stack trace.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic, writeFilesAtomic } from '../runtime/node/atomic.js';

export class FileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileError';
  }
}

const WHY: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EBUSY: 'device or resource busy',
  EXDEV: 'not on the same file system',
};

/** A Node file-system error (it has an errno code and a syscall). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!) && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** `no space left on the device (ENOSPC)` */
export function why(e: NodeJS.ErrnoException): string {
  const code = e.code ?? 'error';
  return `${WHY[code] ?? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')} (${code})`;
}

/** `cannot write runs/mnist/checkpoint.safetensors: no space left on the device (ENOSPC)` */
export function fileError(verb: string, path: string, e: unknown): Error {
  return isFsError(e) ? new FileError(`cannot ${verb} ${path}: ${why(e)}`) : (e as Error);
}

/** writeFileAtomic, its errors as FileErrors naming `path`. */
export function writeFile(path: string, data: Uint8Array | string): void {
  try {
    writeFileAtomic(path, data);
  } catch (e) {
    throw fileError('write', path, e);
  }
}

/** All files or none (runtime/node/atomic.ts); the error names the file it is about. */
export function writeFiles(files: readonly { readonly path: string; readonly data: Uint8Array | string }[]): void {
  try {
    writeFilesAtomic(files);
  } catch (e) {
    throw fileError('write', isFsError(e) && e.path !== undefined ? e.path : files[0]?.path ?? '?', e);
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time: mkdirSync's recursive mode reports a
 * read-only parent as ENOENT. `what` says what the folder is for, in the error.
 */
export function makeDirectory(dir: string, what: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError('use', at, e);
      missing.unshift(at);
      const up = dirname(at);
      if (up === at) break;
      at = up;
      continue;
    }
    if (!isDir) throw new FileError(`cannot use ${at === resolve(dir) ? dir : at} ${at === resolve(dir) ? `as ${what}` : `in ${what} ${dir}`}: it is a file, not a directory`);
    break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(`create ${what}`, level === resolve(dir) ? dir : level, e);
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw fileError(`write to ${what}`, dir, e);
  }
}
