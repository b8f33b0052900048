// IDX files read as a stream, keeping only the samples `--limit` asks for (issue 14, item 7: 0.5 MB of
// gzipped IDX, 637,000 zero images, took 3.0 GB for `--limit 32`). What is proved: the kept samples
// are exactly subset() of the whole, however the bytes are chunked; the file is still refused as
// parseIdx refuses it; gunzip output goes by in bounded chunks and only limit × rows × cols image
// bytes are kept and converted.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdxError, parseIdx } from '../../runtime/data/idx.js';
import { IdxSampleReader, readIdxSamples, spacedIndex } from '../../runtime/data/idx-samples.js';
import { readIdxDirectory } from '../../runtime/node/data/idx-files.js';
import { loadData, loadDataAsync, subset } from '../../runtime/node/data/load.js';
import { DataFileError, streamMaybeGzip } from '../../runtime/node/data/read-maybe-gzip.js';
import { idxBytes, idxPair } from './idx-bytes.js';

/** The file pushed in chunks of the given sizes (cycled), then ended. */
function chunked(bytes: Uint8Array, sizes: number[], limit?: number) {
  const reader = new IdxSampleReader('f.idx', limit);
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length]!;
    reader.push(bytes.subarray(at, at + size));
    at += size;
  }
  return reader.end();
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof IdxError) return e.message;
    throw e;
  }
  throw new Error('expected an IdxError');
}

describe('IdxSampleReader', () => {
  it('keeps exactly the samples subset() takes, whatever the chunking (fast-check)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 5 }),
      (n, limit, sizes) => {
        const { images } = idxPair(n, 2, 3);
        const whole = parseIdx(images, 'f.idx').bytes;
        const got = chunked(images, sizes, limit);
        const kept = Math.min(limit, n);
        const want = new Uint8Array(kept * 6);
        for (let i = 0; i < kept; i++) want.set(whole.subarray(spacedIndex(i, n, kept) * 6, spacedIndex(i, n, kept) * 6 + 6), i * 6);
        expect(got).toMatchObject({ total: n, count: kept });
        expect(Array.from(got.bytes)).toEqual(Array.from(want));
      },
    ));
  });

  it.each([
    ['bad magic', Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0)],
    ['a truncated header', Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1)],
    ['a truncated body', idxBytes([3, 4], [1, 2, 3])],
    ['trailing bytes', Uint8Array.of(...idxBytes([2], [1, 2]), 9)],
    ['an absurd dimension', idxBytes([0xffffffff], [])],
    ['fewer than 4 bytes', Uint8Array.of(0, 0)],
  ])('refuses %s as parseIdx does, even one byte at a time', (_, bytes) => {
    const want = refusal(() => parseIdx(bytes, 'f.idx'));
    expect(refusal(() => chunked(bytes, [1], 1))).toBe(want);
    expect(refusal(() => readIdxSamples(bytes, 'f.idx', 1))).toBe(want);
  });
});

describe('streaming gzipped IDX files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnc-idx-stream-'));

  it('100,000 zero images (0.08 MB of gzip, 78 MB inflated), --limit 32: chunks of at most 64 KiB go by, 32 images are kept', async () => {
    const n = 100_000;
    const images = idxBytes([n, 28, 28], new Uint8Array(n * 784));
    const labels = idxBytes([n], new Uint8Array(n));
    for (const split of ['train', 't10k']) {
      writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(images, { level: 1 }));
      writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(labels, { level: 1 }));
    }
    let largest = 0;
    let inflated = 0;
    await streamMaybeGzip(join(dir, 'train-images-idx3-ubyte.gz'), (c) => {
      largest = Math.max(largest, c.length);
      inflated += c.length;
    });
    expect(inflated).toBe(images.length);
    expect(largest).toBeLessThanOrEqual(64 * 1024);
    const s = await readIdxDirectory(dir, 10, 32);
    expect([s.train.n, s.test.n]).toEqual([32, 32]);
    expect(s.train.images.length).toBe(32 * 784);
    expect(s.train.images.every((v) => v === 0)).toBe(true);
  });

  it('loadDataAsync with a limit is subset() of the whole, bit for bit (classification and segmentation)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cnnc-idx-stream-'));
    const train = idxPair(97, 28, 28, (i) => (i * 3) % 10);
    const test = idxPair(41, 28, 28, (i) => 9 - (i % 10));
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(train.images));
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), train.labels);
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), test.images);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(test.labels));
    for (const [source, classes] of [[`idx:${d}`, 10], [`segmentation+idx:${d}`, 11], [`real-vs-fake+idx:${d}`, 1]] as const) {
      const whole = loadData(source, classes);
      for (const limit of [1, 13, 40, 500]) {
        const streamed = await loadDataAsync(source, classes, limit);
        expect(streamed.train).toEqual(subset(whole.train, limit));
        expect(streamed.test).toEqual(subset(whole.test, limit));
        expect(loadData(source, classes, limit).train).toEqual(subset(whole.train, limit));
      }
    }
  });

  it('keeps the refusals: a label out of range outside the kept samples, a gzip bomb, corrupt gzip', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cnnc-idx-stream-'));
    const pair = idxPair(10, 28, 28, (i) => (i === 7 ? 12 : 1));
    for (const split of ['train', 't10k']) {
      writeFileSync(join(d, `${split}-images-idx3-ubyte.gz`), gzipSync(pair.images));
      writeFileSync(join(d, `${split}-labels-idx1-ubyte.gz`), gzipSync(pair.labels));
    }
    // --limit 1 keeps sample 0 only; sample 7's label is still checked
    await expect(readIdxDirectory(d, 10, 1)).rejects.toThrow('train-labels-idx1-ubyte.gz: byte 15: label 12 of sample 7 is out of range');
    const bomb = join(d, 'bomb.gz');
    writeFileSync(bomb, gzipSync(new Uint8Array(1 << 20)));
    await expect(streamMaybeGzip(bomb, () => {}, 64 * 1024)).rejects.toThrow(
      new DataFileError(`${bomb}: refused: it inflates to more than 65536 bytes (a gzip bomb, or not a data set)`));
    const broken = join(d, 'broken.gz');
    writeFileSync(broken, gzipSync(idxBytes([3], [1, 2, 3])).subarray(0, 12));
    await expect(streamMaybeGzip(broken, () => {})).rejects.toThrow(/broken\.gz: corrupt gzip data/);
    await expect(streamMaybeGzip(join(d, 'nope.gz'), () => {})).rejects.toThrow(`${join(d, 'nope.gz')}: cannot read: ENOENT`);
  });
});
