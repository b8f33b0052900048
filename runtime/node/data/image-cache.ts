// The decoded-image cache: a split's images after the deterministic transforms, as 8-bit images, kept on disk
// so that a rerun skips decoding. An entry is keyed by everything that decides its bytes: the cache format,
// the colour mode, the transforms (as JSON) and the content of every file, in order (SHA-256 of each), so an
// edited, added, removed or reordered image, another transform or another mode is another entry. Reading
// the files to hash them costs far less than decoding them.
//
// Where: $CNNC_CACHE_DIR, else $XDG_CACHE_HOME/cnnc/images, else ~/.cache/cnnc/images; CNNC_CACHE=off turns
// it off. Best effort: an entry that cannot be written is skipped, one that does not read back whole and
// consistent is ignored (and rewritten); neither stops a run.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ColorMode, Image8 } from '../../data/image.js';
import type { TransformSpec } from '../../data/transforms/types.js';
import { writeFileAtomic } from '../atomic.js';

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

/** The entry's images, or null when there is none or it does not read back whole (then it is ignored). */
export function readCachedImages(dir: string, key: string, count: number): Image8[] | null {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(join(dir, `${key}.bin`));
  } catch {
    return null;
  }
  // Layout: MAGIC, uint32 n, n × (uint32 width, uint32 height, uint32 channels), then the images' bytes.
  const head = MAGIC.length + 4;
  if (bytes.length < head || !MAGIC.every((b, i) => bytes[i] === b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(MAGIC.length, true);
  if (n !== count || bytes.length < head + 12 * n) return null;
  const images: Image8[] = [];
  let at = head + 12 * n;
  for (let i = 0; i < n; i++) {
    const width = view.getUint32(head + 12 * i, true);
    const height = view.getUint32(head + 12 * i + 4, true);
    const channels = view.getUint32(head + 12 * i + 8, true);
    const size = width * height * channels;
    if ((channels !== 1 && channels !== 3) || width === 0 || height === 0 || at + size > bytes.length) return null;
    images.push({ width, height, channels: channels as 1 | 3, data: bytes.slice(at, at + size) });
    at += size;
  }
  return at === bytes.length ? images : null;
}

/** Stores the images under `key`; false (and nothing left behind) when it cannot. */
export function writeCachedImages(dir: string, key: string, images: readonly Image8[]): boolean {
  const head = MAGIC.length + 4 + 12 * images.length;
  const out = new Uint8Array(head + images.reduce((a, im) => a + im.data.length, 0));
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(MAGIC.length, images.length, true);
  let at = head;
  images.forEach((im, i) => {
    const base = MAGIC.length + 4 + 12 * i;
    view.setUint32(base, im.width, true);
    view.setUint32(base + 4, im.height, true);
    view.setUint32(base + 8, im.channels, true);
    out.set(im.data, at);
    at += im.data.length;
  });
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, `${key}.bin`), out);
    return true;
  } catch {
    return false;
  }
}
