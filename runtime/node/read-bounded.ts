// Reading a file the user named, with a bound. A regular file is read whole (its size is known and
// finite). Anything else — a pipe (`--weights <(curl …)`), a terminal, a device — is read to its end
// or to `max` bytes, whichever comes first: /dev/zero and /dev/full never end, and readFileSync on
// them fills memory instead of answering (`cnnc build /dev/full` hung).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

export type BoundedRead = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly max: number };

const CHUNK = 1 << 20;

/** The file's bytes, or `{ ok: false }` when it is not a regular file and goes on past `max` bytes.
 *  File-system errors (ENOENT, EISDIR, EACCES…) are thrown as Node throws them. */
export function readBounded(path: string, max: number): BoundedRead {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).isFile()) return { ok: true, bytes: new Uint8Array(readFileSync(fd)) };
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(CHUNK, max + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > max) return { ok: false, max };
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return { ok: true, bytes };
  } finally {
    closeSync(fd);
  }
}

/** `64 MiB` */
export function mebibytes(n: number): string {
  return `${Math.ceil(n / 2 ** 20).toLocaleString('en-US')} MiB`;
}
