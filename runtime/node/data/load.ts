// Which data a run uses: `--data DIR` (IDX files) wins over the spec's `data:`; the default is the
// embedded mnist10k digits.
import { dirname, resolve } from 'node:path';
import { assertNever } from '../../assert-never.js';
import type { DataDescription, DataTask } from '../../contracts.js';
import type { LabeledImages } from '../../data/idx.js';
import { deriveTask } from '../../data/tasks.js';
import { loadIdxDirectory, type Splits } from './idx-files.js';
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

/** The splits, with the task's labels (runtime/data/tasks.ts). `classes`: the model's output channels. */
export function loadData(source: DataSource, classes: number): Splits {
  const task = TASKS.find((t) => source.startsWith(`${t}+`)) ?? 'classification';
  const base = task === 'classification' ? source : source.slice(task.length + 1);
  // The images' own classes: segmentation's background is the last class; real-vs-fake drops them.
  const baseClasses = task === 'segmentation' ? classes - 1 : task === 'real-vs-fake' ? 256 : classes;
  const splits = loadBase(base, baseClasses);
  if (task === 'classification') return splits;
  return {
    train: deriveTask(splits.train, task, 'train', baseClasses),
    test: deriveTask(splits.test, task, 'test', baseClasses),
    description: `${task}+${splits.description}`,
  };
}

function loadBase(source: DataSource, classes: number): Splits {
  if (source === 'mnist10k') return loadMnist10k();
  if (source.startsWith('idx:')) return loadIdxDirectory(source.slice(4), classes);
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
    const k = Math.floor((i * data.n) / n);
    images.set(data.images.subarray(k * size, (k + 1) * size), i * size);
    labels.set(data.labels.subarray(k * ls, (k + 1) * ls), i * ls);
  }
  return { images, labels, n, shape: data.shape, ...(data.labelShape === undefined ? {} : { labelShape: data.labelShape }) };
}
