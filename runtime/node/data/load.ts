// Which data a run uses: `--data DIR` (IDX files) wins over the spec's `data:`; the default is the
// embedded mnist10k digits.
import { dirname, resolve } from 'node:path';
import type { DataIR } from '../../../compiler/ir/types.js';
import { assertNever } from '../../../compiler/ir/types.js';
import type { LabeledImages } from '../../data/idx.js';
import { loadIdxDirectory, type Splits } from './idx-files.js';
import { loadMnist10k } from './mnist10k.js';

/** `mnist10k`, or `idx:<absolute dir>`; what a checkpoint records. */
export type DataSource = string;

export function chooseData(spec: DataIR, specFile: string, flag?: string): DataSource {
  if (flag !== undefined) return `idx:${resolve(flag)}`;
  switch (spec.source) {
    case 'mnist':
      return 'mnist10k';
    case 'idx':
      return `idx:${resolve(dirname(specFile), spec.path)}`;
    default:
      return assertNever(spec, 'data source');
  }
}

export function loadData(source: DataSource, classes: number): Splits {
  if (source === 'mnist10k') return loadMnist10k();
  if (source.startsWith('idx:')) return loadIdxDirectory(source.slice(4), classes);
  throw new Error(`cnnc internal error: unknown data source ${source}`);
}

/** An evenly spaced subset of `n` samples (class-balanced for sorted data such as mnist10k). */
export function subset(data: LabeledImages, n: number): LabeledImages {
  if (n >= data.n) return data;
  const size = data.images.length / data.n;
  const images = new Float32Array(n * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor((i * data.n) / n);
    images.set(data.images.subarray(k * size, (k + 1) * size), i * size);
    labels[i] = data.labels[k]!;
  }
  return { images, labels, n, shape: data.shape };
}
