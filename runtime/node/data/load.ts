// Which data a run uses: `--data DIR` (IDX files) wins over the spec's `data:`; the default is the
// embedded mnist10k digits.
import { dirname, resolve } from 'node:path';
import { assertNever } from '../../assert-never.js';
import type { DataDescription, DataTask } from '../../contracts.js';
import type { LabeledImages } from '../../data/idx.js';
import { deriveTask } from '../../data/tasks.js';
import { spacedIndex } from '../../data/idx-samples.js';
import { loadIdxDirectory, readIdxDirectory, type Splits } from './idx-files.js';
import { loadMnist10k } from './mnist10k.js';

/** `mnist10k` or `idx:<absolute dir>`, prefixed `<task>+` for a derived task (`segmentation+mnist10k`,
 *  `real-vs-fake+idx:/dir`); what a checkpoint records. */
export type DataSource = string;

const TASKS: readonly DataTask[] = ['real-vs-fake', 'segmentation'];

export function chooseData(spec: DataDescription, specFile: string, flag?: string): DataSource {
  const base = flag !== undefined ? `idx:${resolve(flag)}` : baseSource(spec, specFile);
  return spec.task === 'classification' ? base : `${spec.task}+${base}`;
}

function baseSource(spec: DataDescription, specFile: string): DataSource {
  switch (spec.source) {
    case 'mnist':
      return 'mnist10k';
    case 'idx':
      return `idx:${resolve(dirname(specFile), spec.path)}`;
    default:
      return assertNever(spec, 'data source');
  }
}

/**
 * The splits, with the task's labels (runtime/data/tasks.ts). `classes`: the model's output channels.
 * `limit`: evenly spaced subsets of that many samples of each split, exactly `subset(split, limit)`
 * of the whole; IDX files are then read keeping only those (their images are not all converted).
 * loadDataAsync streams the files too (inflating chunk by chunk): what `cnnc train` and `eval` use.
 */
export function loadData(source: DataSource, classes: number, limit?: number): Splits {
  const { task, base, baseClasses, early } = plan(source, classes, limit);
  return finish(loadBase(base, baseClasses, early), task, baseClasses, limit);
}

export async function loadDataAsync(source: DataSource, classes: number, limit?: number): Promise<Splits> {
  const { task, base, baseClasses, early } = plan(source, classes, limit);
  const splits = base.startsWith('idx:') ? await readIdxDirectory(base.slice(4), baseClasses, early) : loadBase(base, baseClasses, early);
  return finish(splits, task, baseClasses, limit);
}

function plan(source: DataSource, classes: number, limit: number | undefined) {
  const task = TASKS.find((t) => source.startsWith(`${t}+`)) ?? 'classification';
  const base = task === 'classification' ? source : source.slice(task.length + 1);
  // The images' own classes: segmentation's background is the last class; real-vs-fake drops them.
  const baseClasses = task === 'segmentation' ? classes - 1 : task === 'real-vs-fake' ? 256 : classes;
  // Subset while reading where that is the same as subsetting the task's samples: not for
  // real-vs-fake, whose samples are pairs and whose fakes are drawn in sequence over all images.
  const early = task === 'real-vs-fake' ? undefined : limit;
  return { task, base, baseClasses, early };
}

function finish(splits: Splits, task: DataTask, baseClasses: number, limit: number | undefined): Splits {
  const derived = task === 'classification' ? splits : {
    train: deriveTask(splits.train, task, 'train', baseClasses),
    test: deriveTask(splits.test, task, 'test', baseClasses),
    description: `${task}+${splits.description}`,
  };
  if (limit === undefined) return derived;
  return { ...derived, train: subset(derived.train, limit), test: subset(derived.test, limit) };
}

function loadBase(source: DataSource, classes: number, limit: number | undefined): Splits {
  if (source === 'mnist10k') return loadMnist10k(); // embedded and small: finish() subsets it
  if (source.startsWith('idx:')) return loadIdxDirectory(source.slice(4), classes, limit);
  throw new Error(`cnnc internal error: unknown data source ${source}`);
}

/** An evenly spaced subset of `n` samples (class-balanced for sorted data such as mnist10k). */
export function subset(data: LabeledImages, n: number): LabeledImages {
  if (n >= data.n) return data;
  const size = data.images.length / data.n;
  const ls = data.labels.length / data.n;
  const images = new Float32Array(n * size);
  const labels = new Int32Array(n * ls);
  for (let i = 0; i < n; i++) {
    const k = spacedIndex(i, data.n, n);
    images.set(data.images.subarray(k * size, (k + 1) * size), i * size);
    labels.set(data.labels.subarray(k * ls, (k + 1) * ls), i * ls);
  }
  return { images, labels, n, shape: data.shape, ...(data.labelShape === undefined ? {} : { labelShape: data.labelShape }) };
}
