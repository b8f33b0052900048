// The decoded-image cache: a split's images after the deterministic transforms, as 8-bit images, kept on disk
// so that a rerun skips decoding. An entry is keyed by everything that decides its bytes: the cache format,
// the colour mode, the transforms (as JSON) and the content of every file, in order (SHA-256 of each), so an
// edited, added, removed or reordered image, another transform or another mode is another entry. Reading
// the files to hash them costs far less than decoding them.
//
// Where: $CNNC_CACHE_DIR, else $XDG_CACHE_HOME/cnnc/images, else ~/.cache/cnnc/images; CNNC_CACHE=off turns
// it off. Best effort: an entry that cannot be written is skipped, one that does not read back whole and
// consistent is ignored (and rewritten); neither stops a run. An entry's header says where each image lies, so a
// split too large for memory is read from it image by image (image-store.ts) instead of whole.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ColorMode, Image8 } from '../../data/image.js';
import type { TransformSpec } from '../../data/transforms/types.js';

const FORMAT = 'cnnc-image-cache-1';
const MAGIC = new TextEncoder().encode('CNNCIMG1');

/** The cache directory, or null when the cache is off. */
export function imageCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['CNNC_CACHE'] === 'off') return null;
  if (env['CNNC_CACHE_DIR']) return env['CNNC_CACHE_DIR'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'cnnc', 'images');
}

/** SHA-256 of each file's bytes, in order (what the keys are made of). */
export function hashFiles(files: readonly string[], read: (file: string, index: number) => Uint8Array = (f) => readFileSync(f)): string[] {
  return files.map((f, i) => createHash('sha256').update(read(f, i)).digest('hex'));
}

/** The key of a split's images after `ops` in `mode`. */
export function cacheKey(fileHashes: readonly string[], mode: ColorMode, ops: readonly TransformSpec[]): string {
  const h = createHash('sha256');
  h.update(`${FORMAT}\n${mode}\n${JSON.stringify(ops)}\n${fileHashes.length}\n`);
  for (const f of fileHashes) h.update(`${f}\n`);
  return h.digest('hex');
}

/** Where each image of an entry lies: its size, and its byte offset from the start of the images' bytes. */
export interface StoreIndex {
  readonly width: Uint32Array;
  readonly height: Uint32Array;
  readonly channels: Uint8Array;
  readonly offset: Float64Array;
  /** The images' bytes in all. */
  readonly bytes: number;
}

/** An entry on disk: its file, where its images' bytes start, and the index. */
export interface CacheEntry {
  readonly path: string;
  readonly dataStart: number;
  readonly index: StoreIndex;
}

// Layout of an entry: MAGIC, uint32 n, n × (uint32 width, uint32 height, uint32 channels), then the images'
// bytes in order (HWC each). Fixed-size header records, so one image is found without reading the others.
const headLength = (n: number) => MAGIC.length + 4 + 12 * n;

/** The entry's index from its header alone (its images stay on disk), or null when there is none or it is not
 *  whole and consistent (then it is ignored). */
export function readCacheEntry(dir: string, key: string, count: number): CacheEntry | null {
  const path = join(dir, `${key}.bin`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const head = headLength(count);
    if (size < head) return null;
    const bytes = new Uint8Array(head);
    if (readSync(fd, bytes, 0, head, 0) !== head || !MAGIC.every((b, i) => bytes[i] === b)) return null;
    const view = new DataView(bytes.buffer);
    if (view.getUint32(MAGIC.length, true) !== count) return null;
    const width = new Uint32Array(count);
    const height = new Uint32Array(count);
    const channels = new Uint8Array(count);
    const offset = new Float64Array(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const base = MAGIC.length + 4 + 12 * i;
      width[i] = view.getUint32(base, true);
      height[i] = view.getUint32(base + 4, true);
      const c = view.getUint32(base + 8, true);
      if ((c !== 1 && c !== 3) || width[i] === 0 || height[i] === 0) return null;
      channels[i] = c;
      offset[i] = at;
      at += width[i]! * height[i]! * c;
    }
    return head + at === size ? { path, dataStart: head, index: { width, height, channels, offset, bytes: at } } : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The entry's images' bytes read into shared memory (worker threads read them without a copy), or null where
 *  the file does not read back whole. */
export function readEntryBytes(entry: CacheEntry): SharedArrayBuffer | null {
  const shared = new SharedArrayBuffer(entry.index.bytes);
  const out = new Uint8Array(shared);
  try {
    const fd = openSync(entry.path, 'r');
    try {
      for (let at = 0; at < out.length;) {
        const got = readSync(fd, out, at, Math.min(out.length - at, 2 ** 30), entry.dataStart + at);
        if (got === 0) return null;
        at += got;
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  return shared;
}

/**
 * Writes an entry image by image, so that a split larger than memory is never held whole: a temp file
 * (`.KEY.bin.PID.tmp`, which removeStaleTemps recognises) with room for the header, each image appended as
 * it is decoded, the header last, then fsync and a rename into place. Best effort: a failure leaves nothing
 * behind and makes finish() return null.
 */
export class CacheWriter {
  private fd: number | null = null;
  private readonly tmp: string;
  private readonly sizes: Uint32Array;
  private at: number;
  private added = 0;

  constructor(private readonly dir: string, private readonly key: string, private readonly count: number) {
    this.tmp = join(dir, `.${key}.bin.${process.pid}.tmp`);
    this.sizes = new Uint32Array(3 * count);
    this.at = headLength(count);
    try {
      mkdirSync(dir, { recursive: true });
      this.fd = openSync(this.tmp, 'w');
    } catch {
      this.fail();
    }
  }

  add(im: Image8): void {
    this.sizes.set([im.width, im.height, im.channels], 3 * this.added++);
    if (this.fd === null) return;
    try {
      for (let done = 0; done < im.data.length;) done += writeSync(this.fd, im.data, done, im.data.length - done, this.at + done);
      this.at += im.data.length;
    } catch {
      this.fail();
    }
  }

  /** The entry as written (its index), or null where it could not be. */
  finish(): CacheEntry | null {
    if (this.fd === null || this.added !== this.count) {
      this.fail();
      return null;
    }
    const head = new Uint8Array(headLength(this.count));
    head.set(MAGIC, 0);
    const view = new DataView(head.buffer);
    view.setUint32(MAGIC.length, this.count, true);
    for (let i = 0; i < 3 * this.count; i++) view.setUint32(MAGIC.length + 4 + 4 * i, this.sizes[i]!, true);
    const path = join(this.dir, `${this.key}.bin`);
    try {
      for (let done = 0; done < head.length;) done += writeSync(this.fd, head, done, head.length - done, done);
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
      renameSync(this.tmp, path);
    } catch {
      this.fail();
      return null;
    }
    return readCacheEntry(this.dir, this.key, this.count);
  }

  private fail(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = null;
    try {
      unlinkSync(this.tmp);
    } catch {
      // never made
    }
  }
}
