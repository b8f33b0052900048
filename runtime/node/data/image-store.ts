// A split's 8-bit images after the deterministic transforms, where they live for training: in shared memory
// (the whole split, read from the decoded-image cache or just decoded), or on disk in the cache entry, read image
// by image at the offsets of its header (a split larger than memory: resident memory stays one image). Either
// source is plain data that a worker thread takes (prefetch.ts): shared memory is not copied, a file is opened
// again there.
import { closeSync, openSync, readSync } from 'node:fs';
import type { Image8 } from '../../data/image.js';
import type { CacheEntry, StoreIndex } from './image-cache.js';
import { DataFileError } from './read-maybe-gzip.js';

export type StoreSource =
  | { readonly kind: 'memory'; readonly bytes: SharedArrayBuffer; readonly index: StoreIndex }
  | ({ readonly kind: 'file' } & CacheEntry);

/** Images in shared memory, with their index (what the decoder gave, packed). */
export function memorySource(images: readonly Image8[]): StoreSource {
  const n = images.length;
  const width = new Uint32Array(n);
  const height = new Uint32Array(n);
  const channels = new Uint8Array(n);
  const offset = new Float64Array(n);
  let at = 0;
  images.forEach((im, i) => {
    [width[i], height[i], channels[i], offset[i]] = [im.width, im.height, im.channels, at];
    at += im.data.length;
  });
  const bytes = new SharedArrayBuffer(at);
  const all = new Uint8Array(bytes);
  images.forEach((im, i) => all.set(im.data, offset[i]!));
  return { kind: 'memory', bytes, index: { width, height, channels, offset, bytes: at } };
}

const closing = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
});

export class ImageStore {
  private fd: number | null = null;
  private scratch = new Uint8Array(0);
  private readonly all: Uint8Array | null;

  constructor(readonly source: StoreSource) {
    this.all = source.kind === 'memory' ? new Uint8Array(source.bytes) : null;
  }

  get n(): number {
    return this.source.index.width.length;
  }

  /** Image k's size, without reading it. */
  sizeOf(k: number): { width: number; height: number; channels: 1 | 3 } {
    const ix = this.source.index;
    return { width: ix.width[k]!, height: ix.height[k]!, channels: ix.channels[k] as 1 | 3 };
  }

  /** Image k. From a file, its bytes are read into a buffer this store reuses: valid until the next get(). */
  get(k: number): Image8 {
    const { width, height, channels } = this.sizeOf(k);
    const size = width * height * channels;
    const at = this.source.index.offset[k]!;
    if (this.all !== null) return { width, height, channels, data: this.all.subarray(at, at + size) };
    const src = this.source as Extract<StoreSource, { kind: 'file' }>;
    if (this.scratch.length < size) this.scratch = new Uint8Array(Math.max(size, 2 * this.scratch.length));
    const data = this.scratch.subarray(0, size);
    try {
      if (this.fd === null) {
        this.fd = openSync(src.path, 'r');
        closing.register(this, this.fd, this);
      }
      for (let done = 0; done < size;) {
        const got = readSync(this.fd, data, done, size - done, src.dataStart + at + done);
        if (got === 0) throw Object.assign(new Error('shorter than its header says'), { code: 'it is shorter than its header says' });
        done += got;
      }
    } catch (e) {
      throw new DataFileError(`${src.path}: cannot read image ${k} of the decoded-image cache (${(e as NodeJS.ErrnoException).code ?? String(e)}); remove the file to decode again`);
    }
    return { width, height, channels, data };
  }

  /** Closes the file, if one is open (it is closed too once the store is collected). */
  close(): void {
    if (this.fd === null) return;
    closing.unregister(this);
    closeSync(this.fd);
    this.fd = null;
  }
}
