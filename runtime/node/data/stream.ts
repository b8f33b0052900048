// Whether a user's images stream from the decoded-image cache instead of being held in memory. Held, a split
// costs its float32 tensors (4 bytes a pixel and channel) and, with augmentation, its 8-bit images again; a
// data set larger than memory cannot train that way. Streamed, each batch's images are read from the cache
// entry at the offsets of its header (image-store.ts): resident memory is a batch and the index, whatever the
// data set's size, and the batches are the same bytes.
//
// CNNC_STREAM=on streams, CNNC_STREAM=off never does; by default (auto) a run streams when its splits' tensors
// would take more than a quarter of the memory the process may use (the cgroup's limit where there is one,
// else the machine's).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DataFileError } from './read-maybe-gzip.js';

/** The memory a process may use: the machine's, or less under a cgroup limit. */
export function memoryLimit(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

/** Stream or not, for splits whose tensors in memory would take `bytes`. */
export function streamingChoice(bytes: number, env: NodeJS.ProcessEnv = process.env, limit: number = memoryLimit()): boolean {
  const set = env['CNNC_STREAM'] ?? 'auto';
  if (set === 'on') return true;
  if (set === 'off') return false;
  if (set !== 'auto' && set !== '') throw new DataFileError(`CNNC_STREAM=${set}: want on, off or auto`);
  return bytes > limit / 4;
}

let scratch: string | null = null;

/** Where a streamed run keeps its entries when the cache is off (CNNC_CACHE=off): a temporary folder of this
 *  process, removed when it exits. */
export function streamDir(): string {
  if (scratch === null) {
    const dir = mkdtempSync(join(tmpdir(), 'cnnc-stream-'));
    scratch = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}
