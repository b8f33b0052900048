// A directory of the four standard IDX files (MNIST, Fashion-MNIST), each optionally `.gz`.
// Debian's `dataset-fashion-mnist` installs them gzipped under /usr/share/datasets/fashion-mnist.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { idxImagesAndLabels, type LabeledImages } from '../../data/idx.js';
import { DataFileError, readMaybeGzip } from './read-maybe-gzip.js';

export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface Splits {
  readonly train: LabeledImages;
  readonly test: LabeledImages;
  /** Where the data came from, for messages and checkpoints. */
  readonly description: string;
}

/** The path of `name` or `name.gz` in `dir` (the plain file wins), or a clear error naming both. */
export function findIdxFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  if (!existsSync(dir)) throw new DataFileError(`${dir}: no such directory (expected the IDX files ${Object.values(IDX_FILES).join(', ')})`);
  throw new DataFileError(`${dir}: missing ${name} (or ${name}.gz)`);
}

export function loadIdxDirectory(dir: string, classes: number): Splits {
  const paths = Object.fromEntries(
    Object.entries(IDX_FILES).map(([key, name]) => [key, findIdxFile(dir, name)]),
  ) as Record<keyof typeof IDX_FILES, string>;
  const load = (images: string, labels: string): LabeledImages =>
    idxImagesAndLabels({ bytes: readMaybeGzip(images), file: images }, { bytes: readMaybeGzip(labels), file: labels }, classes);
  return {
    train: load(paths.trainImages, paths.trainLabels),
    test: load(paths.testImages, paths.testLabels),
    description: `idx:${dir}`,
  };
}
