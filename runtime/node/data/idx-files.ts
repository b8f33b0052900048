// A directory of the four standard IDX files (MNIST, Fashion-MNIST), each optionally `.gz`.
// Debian's `dataset-fashion-mnist` installs them gzipped under /usr/share/datasets/fashion-mnist.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { idxImagesAndLabels, labeledImages, type LabeledImages } from '../../data/idx.js';
import { IdxSampleReader, type IdxSamples } from '../../data/idx-samples.js';
import { DataFileError, readMaybeGzip, streamMaybeGzip } from './read-maybe-gzip.js';

export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface Splits {
  readonly train: LabeledImages;
  readonly test: LabeledImages;
  /** Held out for validation every epoch (a val/ folder or manifest, or val_split); absent: none. */
  readonly val?: LabeledImages;
  /** The class names in index order, where the data names its classes (image folders, manifests). */
  readonly classNames?: readonly string[];
  /** Where the data came from, for messages and checkpoints. */
  readonly description: string;
}

/** The path of `name` or `name.gz` in `dir` (the plain file wins), or a clear error naming both. */
export function findIdxFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  if (!existsSync(dir)) throw new DataFileError(`${dir}: no such directory (expected the IDX files ${Object.values(IDX_FILES).join(', ')}, or image folders train/<class>/… and test/<class>/…)`);
  throw new DataFileError(`${dir}: missing ${name} (or ${name}.gz)`);
}

function idxPaths(dir: string): Record<keyof typeof IDX_FILES, string> {
  return Object.fromEntries(Object.entries(IDX_FILES).map(([key, name]) => [key, findIdxFile(dir, name)])) as Record<keyof typeof IDX_FILES, string>;
}

/** Both splits, each file read (and inflated) whole; with `limit`, only that many evenly spaced
 *  samples of each split are converted. */
export function loadIdxDirectory(dir: string, classes: number, limit?: number): Splits {
  const paths = idxPaths(dir);
  const load = (images: string, labels: string): LabeledImages =>
    idxImagesAndLabels({ bytes: readMaybeGzip(images), file: images }, { bytes: readMaybeGzip(labels), file: labels }, classes, limit);
  return {
    train: load(paths.trainImages, paths.trainLabels),
    test: load(paths.testImages, paths.testLabels),
    description: `idx:${dir}`,
  };
}

/**
 * loadIdxDirectory, streaming: each file is inflated chunk by chunk and only the `limit` evenly
 * spaced samples kept, so memory is what is kept, not the files (637,000 gzipped images and
 * `--limit 32`: 32 images). The same splits, bit for bit, as loadIdxDirectory and then subset().
 */
export async function readIdxDirectory(dir: string, classes: number, limit?: number): Promise<Splits> {
  const paths = idxPaths(dir);
  const read = async (file: string, keep?: number): Promise<IdxSamples & { file: string }> => {
    const reader = new IdxSampleReader(file, keep);
    await streamMaybeGzip(file, (chunk) => reader.push(chunk));
    return { ...reader.end(), file };
  };
  // Labels are kept whole (one byte per sample): every one of them is checked against the classes.
  const load = async (images: string, labels: string): Promise<LabeledImages> =>
    labeledImages(await read(images, limit), await read(labels), classes);
  return {
    train: await load(paths.trainImages, paths.trainLabels),
    test: await load(paths.testImages, paths.testLabels),
    description: `idx:${dir}`,
  };
}
