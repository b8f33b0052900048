// Reading a spec file the user named: its bytes or one line saying why not. Bounded, so that a device or
// pipe that never ends (/dev/full, /dev/zero) is refused instead of filling memory.
import { mebibytes, readBounded } from '../../runtime/node/read-bounded.js';

/** No spec is this large; past it, a file that is not a regular one (a pipe, /dev/zero) is refused. */
export const SPEC_MAX_BYTES = 64 * 2 ** 20;

/** A spec file's bytes, or why they cannot be read (one line naming the file): a missing file, a directory,
 *  or a device or pipe that goes on past SPEC_MAX_BYTES (/dev/full would be read forever). */
export function readSpecBytes(path: string): { readonly bytes: Uint8Array } | { readonly error: string } {
  try {
    const read = readBounded(path, SPEC_MAX_BYTES);
    if (!read.ok) return { error: `cannot read ${path}: it is not a regular file and goes on past ${mebibytes(read.max)}, which no spec does` };
    return { bytes: read.bytes };
  } catch (e) {
    return { error: `cannot read ${path}: ${readError(e)}` };
  }
}

function readError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}
