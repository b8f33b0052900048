// The decoded-image cache (runtime/node/data/image-cache.ts): a rerun reads a split's images from the cache
// instead of decoding them, to the same tensors and the same augmentation bit for bit; an entry is another one
// when a file's content, the transforms or the colour mode change; a damaged entry is ignored and rewritten;
// an unwritable cache or CNNC_CACHE=off never stops a run.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataPipeline } from '../../runtime/contracts.js';
import { imageCacheDir } from '../../runtime/node/data/image-cache.js';
import { listImageFolder } from '../../runtime/node/data/image-files.js';
import { loadImages, type ImageLoadOptions } from '../../runtime/node/data/images.js';

const root = mkdtempSync(join(tmpdir(), 'cnnc-cache-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder of 2 classes × 3 RGB PNGs of 20×16 seeded pixels, under root/name. */
function folder(name: string): string {
  const dir = join(root, name);
  let s = 7;
  for (const split of ['train', 'test']) {
    for (const c of ['cat', 'dog']) {
      mkdirSync(join(dir, split, c), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const data = Uint8Array.from({ length: 20 * 16 * 3 }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24));
        writeFileSync(join(dir, split, c, `${i}.png`), encode({ width: 20, height: 16, data, channels: 3, depth: 8 }));
      }
    }
  }
  return dir;
}

const EVAL: DataPipeline['eval'] = [{ kind: 'resize', size: [12, 12] }, { kind: 'normalize', mean: [0.5], std: [0.25] }];
const AUGMENT: DataPipeline = {
  eval: EVAL,
  train: [{ kind: 'resize', size: [12, 12] }, { kind: 'random_crop', size: 12, padding: 2 }, { kind: 'random_horizontal_flip' }, { kind: 'normalize', mean: [0.5], std: [0.25] }],
};

function load(dir: string, transforms: DataPipeline = AUGMENT, shape = [3, 12, 12]) {
  const progress: string[] = [];
  const o: ImageLoadOptions = { shape, transforms, seed: 3, onProgress: (split, done, total) => done === total && progress.push(split) };
  const data = loadImages(listImageFolder(dir), o);
  const drawn = new Float32Array(shape.reduce((a, b) => a * b, 1) * data.train.n);
  for (let k = 0; k < data.train.n; k++) data.train.sample!(k, 1, drawn, k * (drawn.length / data.train.n));
  return { data, progress, drawn };
}

let cacheDir: string;
const saved = { cache: process.env['CNNC_CACHE'], dir: process.env['CNNC_CACHE_DIR'] };
beforeEach(() => {
  cacheDir = mkdtempSync(join(root, 'cache-'));
  delete process.env['CNNC_CACHE']; // vitest.config.ts turns it off for every other test
  process.env['CNNC_CACHE_DIR'] = cacheDir;
});
afterEach(() => {
  for (const [k, v] of [['CNNC_CACHE', saved.cache], ['CNNC_CACHE_DIR', saved.dir]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('the decoded-image cache', () => {
  it('a rerun reads every split from the cache, to the same tensors and the same augmented draws bit for bit', () => {
    const dir = folder('rerun');
    const first = load(dir);
    expect(first.progress).toEqual(['train', 'test']);
    expect(readdirSync(cacheDir).length).toBeGreaterThan(0);
    const second = load(dir);
    expect(second.progress).toEqual(['train (from the cache)', 'test (from the cache)']);
    expect(second.data.train.images).toEqual(first.data.train.images);
    expect(second.data.test.images).toEqual(first.data.test.images);
    expect(second.drawn).toEqual(first.drawn);
    // and the same as with no cache at all
    process.env['CNNC_CACHE'] = 'off';
    const none = load(dir);
    expect(none.progress).toEqual(['train', 'test']);
    expect(none.drawn).toEqual(first.drawn);
    expect(none.data.test.images).toEqual(first.data.test.images);
  });

  it('is keyed by content, transforms and mode: an edited file, another resize or gray input decode again', () => {
    const dir = folder('keys');
    load(dir);
    writeFileSync(join(dir, 'test', 'dog', '2.png'), encode({ width: 20, height: 16, data: new Uint8Array(20 * 16 * 3).fill(9), channels: 3, depth: 8 }));
    expect(load(dir).progress).toEqual(['train (from the cache)', 'test']);
    const other: DataPipeline = { eval: [{ kind: 'resize', size: [10, 10] }], train: [{ kind: 'resize', size: [10, 10] }, { kind: 'random_horizontal_flip' }] };
    expect(load(dir, other, [3, 10, 10]).progress).toEqual(['train', 'test']);
    expect(load(dir, AUGMENT, [1, 12, 12]).progress).toEqual(['train', 'test']);
  });

  it('a damaged entry is ignored and rewritten; CNNC_CACHE=off writes nothing; an unwritable cache does not stop the load', () => {
    const dir = folder('damage');
    const first = load(dir);
    for (const f of readdirSync(cacheDir)) truncateSync(join(cacheDir, f), 100);
    const again = load(dir);
    expect(again.progress).toEqual(['train', 'test']);
    expect(again.drawn).toEqual(first.drawn);
    expect(load(dir).progress).toEqual(['train (from the cache)', 'test (from the cache)']);

    const off = mkdtempSync(join(root, 'off-'));
    process.env['CNNC_CACHE'] = 'off';
    process.env['CNNC_CACHE_DIR'] = off;
    expect(imageCacheDir()).toBeNull();
    load(dir);
    expect(readdirSync(off)).toEqual([]);

    // A cache directory that cannot be made (under a file: ENOTDIR, even for root): loads as without one.
    delete process.env['CNNC_CACHE'];
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    process.env['CNNC_CACHE_DIR'] = join(file, 'sub');
    expect(load(dir).drawn).toEqual(first.drawn);
  });

  it('lives in $CNNC_CACHE_DIR, else $XDG_CACHE_HOME/cnnc/images, else ~/.cache/cnnc/images', () => {
    expect(imageCacheDir({ CNNC_CACHE_DIR: '/x' })).toBe('/x');
    expect(imageCacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/cnnc/images');
    expect(imageCacheDir({ HOME: '/h' })).toMatch(/\.cache\/cnnc\/images$/);
    expect(imageCacheDir({ CNNC_CACHE: 'off', CNNC_CACHE_DIR: '/x' })).toBeNull();
  });
});
