// Streaming a split from the decoded-image cache instead of holding it (runtime/node/data/stream.ts,
// image-store.ts) and making training batches ahead on worker threads (prefetch.ts): every path gives the bytes
// of the in-memory one — the same tensors, the same augmentation draws, the same batches at 0, 1, 2 or 3
// workers — and a worker's failure is the main thread's one-line error naming the file.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataPipeline } from '../../runtime/contracts.js';
import type { LabeledImages } from '../../runtime/data/idx.js';
import { listImageFolder } from '../../runtime/node/data/image-files.js';
import { loadImages, type ImageLoadOptions } from '../../runtime/node/data/images.js';
import { loaderWorkers } from '../../runtime/node/data/prefetch.js';
import { streamingChoice } from '../../runtime/node/data/stream.js';
import { epochPermutation } from '../../runtime/train/shuffle.js';

const root = mkdtempSync(join(tmpdir(), 'cnnc-stream-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 2 classes × `per` RGB PNGs of seeded pixels and sizes 18–21 × 16 (train), and 4 test images. */
function folder(name: string, per: number): string {
  const dir = join(root, name);
  let s = 11;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  for (const [split, count] of [['train', per], ['test', 2]] as const) {
    for (const c of ['cat', 'dog']) {
      mkdirSync(join(dir, split, c), { recursive: true });
      for (let i = 0; i < count; i++) {
        const width = 18 + (i % 4);
        const data = Uint8Array.from({ length: width * 16 * 3 }, next);
        writeFileSync(join(dir, split, c, `${i}.png`), encode({ width, height: 16, data, channels: 3, depth: 8 }));
      }
    }
  }
  return dir;
}

const NORM = { kind: 'normalize' as const, mean: [0.5, 0.4, 0.3], std: [0.25, 0.2, 0.3] };
const AUGMENT: DataPipeline = {
  eval: [{ kind: 'resize', size: [12, 12] }, NORM],
  train: [{ kind: 'resize', size: [14, 14] }, { kind: 'random_crop', size: 12, padding: 1 }, { kind: 'random_horizontal_flip' }, { kind: 'color_jitter', brightness: 0.3, contrast: 0.2, saturation: 0.2 }, NORM],
};
const PLAIN: DataPipeline = { eval: AUGMENT.eval, train: AUGMENT.eval };
const SIZE = 3 * 12 * 12;

function load(dir: string, transforms: DataPipeline, o: Partial<ImageLoadOptions> = {}) {
  return loadImages(listImageFolder(dir), { shape: [3, 12, 12], transforms, seed: 5, ...o });
}

/** Each sample as the loop would take it without a feed, for `epoch`. */
function samples(split: LabeledImages, epoch: number): Float32Array {
  const out = new Float32Array(split.n * SIZE);
  for (let k = 0; k < split.n; k++) {
    if (split.sample !== undefined) split.sample(k, epoch, out, k * SIZE);
    else if (split.read !== undefined) split.read(k, out, k * SIZE);
    else out.set(split.images.subarray(k * SIZE, (k + 1) * SIZE), k * SIZE);
  }
  return out;
}

/** An epoch's batches from the feed, from batch `first` on, laid out as `samples` in the permuted order. */
async function fed(split: LabeledImages, epoch: number, batch: number, first = 0): Promise<{ data: Float32Array; order: Uint32Array }> {
  const order = epochPermutation(5, epoch, split.n);
  const stream = split.batches!.open(order, epoch, batch, first);
  const data = new Float32Array(split.n * SIZE);
  try {
    for (let j = first; j * batch < split.n; j++) {
      const x = await stream.next();
      expect(x.length).toBe(Math.min(batch, split.n - j * batch) * SIZE);
      data.set(x, j * batch * SIZE);
    }
  } finally {
    stream.close();
  }
  return { data, order };
}

function permuted(all: Float32Array, order: Uint32Array, from = 0): Float32Array {
  const out = new Float32Array(all.length);
  for (let i = from; i < order.length; i++) out.set(all.subarray(order[i]! * SIZE, (order[i]! + 1) * SIZE), i * SIZE);
  return out;
}

const saved = { cache: process.env['CNNC_CACHE'], dir: process.env['CNNC_CACHE_DIR'] };
let cacheDir: string;
beforeEach(() => {
  cacheDir = mkdtempSync(join(root, 'cache-'));
  delete process.env['CNNC_CACHE'];
  process.env['CNNC_CACHE_DIR'] = cacheDir;
});
afterEach(() => {
  for (const [k, v] of [['CNNC_CACHE', saved.cache], ['CNNC_CACHE_DIR', saved.dir]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('a split streamed from the cache', () => {
  it('reads the tensors and draws the augmentation of the in-memory split bit for bit, with `images` left empty', () => {
    const dir = folder('same', 12);
    for (const transforms of [AUGMENT, PLAIN]) {
      const held = load(dir, transforms, { stream: false, workers: 0 });
      const streamed = load(dir, transforms, { stream: true, workers: 0 });
      expect(streamed.train.images.length).toBe(0);
      expect(streamed.test.images.length).toBe(0);
      expect(held.train.read).toBeUndefined();
      expect(samples(streamed.test, 0)).toEqual(held.test.images);
      for (const epoch of [0, 3]) expect(samples(streamed.train, epoch)).toEqual(samples(held.train, epoch));
      expect(streamed.train.labels).toEqual(held.train.labels);
    }
  });

  it('streams with the cache off too, from a folder of its own', () => {
    const dir = folder('off', 6);
    const held = load(dir, AUGMENT, { stream: false, workers: 0 });
    const entries = readdirSync(cacheDir);
    rmSync(cacheDir, { recursive: true });
    process.env['CNNC_CACHE'] = 'off';
    const streamed = load(dir, AUGMENT, { stream: true, workers: 0 });
    expect(samples(streamed.train, 1)).toEqual(samples(held.train, 1));
    expect(samples(streamed.test, 0)).toEqual(held.test.images);
    expect(entries.length).toBeGreaterThan(0);
    expect(() => readdirSync(cacheDir)).toThrow(/ENOENT/); // nothing written into the cache
  });

  it('is chosen by CNNC_STREAM, else when the tensors would take over a quarter of the memory', () => {
    expect(streamingChoice(10, { CNNC_STREAM: 'on' }, 1000)).toBe(true);
    expect(streamingChoice(10 ** 9, { CNNC_STREAM: 'off' }, 1000)).toBe(false);
    expect(streamingChoice(250, {}, 1000)).toBe(false);
    expect(streamingChoice(251, {}, 1000)).toBe(true);
    expect(() => streamingChoice(1, { CNNC_STREAM: 'yes' })).toThrow('CNNC_STREAM=yes: want on, off or auto');
    expect(loaderWorkers({ CNNC_LOADER_WORKERS: '0' })).toBe(0);
    expect(loaderWorkers({})).toBeGreaterThanOrEqual(1);
    expect(() => loaderWorkers({ CNNC_LOADER_WORKERS: '-1' })).toThrow('CNNC_LOADER_WORKERS=-1: want a whole number from 0 to 64');
  });
});

describe('batches made ahead on worker threads', () => {
  it('are the main thread\'s bytes at 1, 2 or 3 workers, held or streamed, augmented or not, from any batch on', async () => {
    const dir = folder('workers', 21); // 42 images: batches of 8, the last one of 2
    for (const transforms of [AUGMENT, PLAIN]) {
      for (const stream of [false, true]) {
        const reference = load(dir, transforms, { stream, workers: 0 });
        expect(reference.train.batches).toBeUndefined();
        for (const workers of [1, 2, 3]) {
          const data = load(dir, transforms, { stream, workers });
          if (!stream && transforms === PLAIN) {
            expect(data.train.batches).toBeUndefined(); // held and plain: a batch is a copy, made in the loop
            continue;
          }
          expect((data.train.batches as { workers?: number }).workers).toBe(workers);
          for (const epoch of [0, 2]) {
            const { data: got, order } = await fed(data.train, epoch, 8);
            expect(got).toEqual(permuted(samples(reference.train, epoch), order));
          }
          const resumed = await fed(data.train, 1, 8, 3);
          expect(resumed.data).toEqual(permuted(samples(reference.train, 1), resumed.order, 24));
        }
      }
    }
  });

  it("a worker's failure is the one-line error the main thread gives, naming the file", async () => {
    const dir = folder('broken', 6);
    const data = load(dir, AUGMENT, { stream: true, workers: 2 });
    for (const f of readdirSync(cacheDir)) truncateSync(join(cacheDir, f), 2000);
    let main = '';
    try {
      samples(data.train, 0);
    } catch (e) {
      main = (e as Error).message;
    }
    expect(main).toMatch(/^\S+\.bin: cannot read image \d+ of the decoded-image cache \(.+\); remove the file to decode again$/);
    const stream = data.train.batches!.open(Uint32Array.from({ length: data.train.n }, (_, i) => data.train.n - 1 - i), 0, 4, 0);
    try {
      await expect(stream.next()).rejects.toThrow(/cannot read image \d+ of the decoded-image cache/);
    } finally {
      stream.close();
    }
    const err = await (async () => {
      const s = data.train.batches!.open(Uint32Array.from({ length: data.train.n }, (_, i) => i), 0, data.train.n, 0);
      try {
        await s.next();
        return null;
      } catch (e) {
        return e as Error;
      } finally {
        s.close();
      }
    })();
    expect(err?.name).toBe('DataFileError');
    expect(err?.message).toBe(main);
  });
});
