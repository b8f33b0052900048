import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IdxError, idxImageAt, idxImagesAndLabels, parseIdx } from '../../runtime/data/idx.js';
import { loadIdxDirectory } from '../../runtime/node/data/idx-files.js';
import { DataFileError, readMaybeGzip } from '../../runtime/node/data/read-maybe-gzip.js';
import { idxBytes, idxPair } from './idx-bytes.js';

const file = (bytes: Uint8Array) => ({ bytes, file: 'x.idx' });

describe('parseIdx', () => {
  it('reads the header big-endian and views the elements', () => {
    const t = parseIdx(idxBytes([2, 3, 1], [1, 2, 3, 4, 5, 6]), 'a');
    expect(t).toMatchObject({ dtype: 'ubyte', dims: [2, 3, 1], dataOffset: 16 });
    expect(Array.from(t.bytes)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseIdx(idxBytes([1, 2], [0, 0, 0, 0, 0, 0, 0, 0], 0x0c), 'b').dtype).toBe('int');
  });

  it.each([
    ['bad magic', Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0), 0, /bad magic 1f 8b 08 00.*gzipped/],
    ['unknown element type', Uint8Array.of(0, 0, 0x42, 1, 0, 0, 0, 1, 0), 2, /unknown element type 0x42/],
    ['zero dimensions', Uint8Array.of(0, 0, 8, 0), 3, /absurd number of dimensions 0/],
    ['a truncated header', Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1), 8, /truncated header/],
    ['a truncated body', idxBytes([3, 4], [1, 2, 3]), 15, /truncated: the header announces \[3, 4\] ubyte \(24 bytes\), the file has 15/],
    ['trailing bytes', Uint8Array.of(...idxBytes([2], [1, 2]), 9), 10, /1 unexpected trailing bytes/],
    ['an absurd dimension', idxBytes([0xffffffff], []), 4, /absurd size 4294967295 for dimension 0/],
    ['a zero dimension', idxBytes([0, 5], []), 4, /absurd size 0/],
    ['too many elements', idxBytes([60000, 60000, 60000], []), 8, /absurd dimensions/],
    ['fewer than 4 bytes', Uint8Array.of(0, 0), 2, /truncated: 2 bytes/],
  ])('refuses %s, naming the file and byte offset', (_what, bytes, offset, message) => {
    const err = catchIdx(() => parseIdx(bytes, 'data/t.idx'));
    expect(err.offset).toBe(offset);
    expect(err.message).toMatch(new RegExp(`^data/t\\.idx: byte ${offset}: `));
    expect(err.message).toMatch(message);
  });
});

describe('idxImagesAndLabels', () => {
  it('scales pixels by 1/255 into [n, 1, H, W] and reads labels', () => {
    const images = idxBytes([2, 1, 2], [0, 255, 51, 102]);
    const labels = idxBytes([2], [7, 3]);
    const d = idxImagesAndLabels(file(images), file(labels), 10);
    expect(d.n).toBe(2);
    expect(d.shape).toEqual([1, 1, 2]);
    expect(Array.from(d.images)).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
    expect(Array.from(d.labels)).toEqual([7, 3]);
  });

  it('refuses counts that disagree', () => {
    const { images } = idxPair(5);
    const err = catchIdx(() => idxImagesAndLabels({ bytes: images, file: 'img' }, { bytes: idxBytes([4], [0, 1, 2, 3]), file: 'lab' }, 10));
    expect(err.message).toBe('lab: byte 4: 4 labels, but img holds 5 images');
  });

  it('refuses a label out of range with its byte offset', () => {
    const { images } = idxPair(3);
    const err = catchIdx(() => idxImagesAndLabels({ bytes: images, file: 'img' }, { bytes: idxBytes([3], [1, 12, 2]), file: 'lab' }, 10));
    expect(err.message).toBe('lab: byte 9: label 12 of sample 1 is out of range: the model has 10 classes (0 to 9)');
    // Fewer classes than 10: label 3 is out of range for a 3-class model.
    expect(() => idxImagesAndLabels(file(images), file(idxBytes([3], [0, 3, 1])), 3)).toThrow(/label 3 of sample 1/);
  });

  it('refuses images that are not 3-D ubyte', () => {
    expect(() => idxImagesAndLabels(file(idxBytes([4], [1, 2, 3, 4])), file(idxBytes([4], [1, 2, 3, 4])), 10)).toThrow(/expected images as 3-D ubyte/);
  });

  it('picks one image by index, refusing an index past the end', () => {
    const { images } = idxPair(3, 2, 2);
    expect(Array.from(idxImageAt(images, 'img', 1).image)).toEqual([28, 35, 42, 49].map((v) => Math.fround(v / 255)));
    expect(() => idxImageAt(images, 'img', 3)).toThrow('img: byte 4: sample index 3 is out of range: the file holds 3 images (0 to 2)');
  });
});

describe('IDX files on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnc-idx-'));
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, name), bytes);

  it('recognizes gzip by its magic bytes, not its name', () => {
    const raw = idxBytes([3], [1, 2, 3]);
    write('plain-named-but-gzipped', gzipSync(raw));
    write('plain', raw);
    expect(new Uint8Array(readMaybeGzip(join(dir, 'plain-named-but-gzipped')))).toEqual(raw);
    expect(new Uint8Array(readMaybeGzip(join(dir, 'plain')))).toEqual(raw);
  });

  it('refuses a gzip bomb with the file name, without inflating it', () => {
    write('bomb.gz', gzipSync(new Uint8Array(1 << 20))); // 1 MiB of zeros in ~1 KiB
    const path = join(dir, 'bomb.gz');
    expect(() => readMaybeGzip(path, 64 * 1024)).toThrow(new DataFileError(`${path}: refused: it inflates to more than 65536 bytes (a gzip bomb, or not a data set)`));
  });

  it('refuses corrupt gzip data with the file name', () => {
    write('broken.gz', gzipSync(idxBytes([3], [1, 2, 3])).subarray(0, 12));
    expect(() => readMaybeGzip(join(dir, 'broken.gz'))).toThrow(/broken\.gz: corrupt gzip data/);
  });

  it('loads the four standard files, gzipped or not', () => {
    const d = mkdtempSync(join(tmpdir(), 'cnnc-idxdir-'));
    const train = idxPair(6, 28, 28);
    const test = idxPair(4, 28, 28, (i) => 9 - i);
    writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(train.images));
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), train.labels);
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), test.images);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte.gz'), gzipSync(test.labels));
    const s = loadIdxDirectory(d, 10);
    expect([s.train.n, s.test.n]).toEqual([6, 4]);
    expect(Array.from(s.test.labels)).toEqual([9, 8, 7, 6]);
    expect(s.train.shape).toEqual([1, 28, 28]);
  });

  it('names the directory and the missing file', () => {
    const d = mkdtempSync(join(tmpdir(), 'cnnc-idxdir-'));
    writeFileSync(join(d, 'train-images-idx3-ubyte'), idxPair(1).images);
    expect(() => loadIdxDirectory(d, 10)).toThrow(new DataFileError(`${d}: missing train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz)`));
    expect(() => loadIdxDirectory(join(d, 'nope'), 10)).toThrow(/nope: no such directory/);
  });
});

function catchIdx(f: () => unknown): IdxError {
  try {
    f();
  } catch (e) {
    if (e instanceof IdxError) return e;
    throw e;
  }
  throw new Error('expected an IdxError');
}
