// Which data a run uses: `--data` (a directory of IDX files, or image folders) wins over the spec's
// `data:`; the default is the embedded mnist10k digits.
import { dirname, join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { assertNever } from '../../assert-never.js';
import type { DataDescription, DataPipeline, DataTask } from '../../contracts.js';
import type { LabeledImages } from '../../data/idx.js';
import { deriveTask } from '../../data/tasks.js';
import { spacedIndex } from '../../data/idx-samples.js';
import { fitPipeline } from '../../data/fit-input.js';
import { normalizeImages, pipelineNormalize, type NormalizeParams } from '../../data/transforms/index.js';
import { loadIdxDirectory, readIdxDirectory, type Splits } from './idx-files.js';
import { heldOut, listCsvManifests, listCsvTestManifest, listImageFolder, splitValidation, type ImageSplits } from './image-files.js';
import { loadImages } from './images.js';
import { loadMnist10k } from './mnist10k.js';
import { DataFileError } from './read-maybe-gzip.js';

/** `mnist10k`, `idx:<absolute dir>`, `folder:<absolute dir>` or `csv:<absolute train manifest>`, prefixed
 *  `<task>+` for a derived task (`segmentation+mnist10k`, `real-vs-fake+idx:/dir`); what a checkpoint records. */
export type DataSource = string;

/** What loading needs besides the source: the spec's data (pipelines, classes, manifests), where the spec
 *  is (paths are relative to it), the model's input and the run's seed (augmentation, val_split). */
export interface DataContext {
  readonly data: DataDescription;
  readonly specFile: string;
  readonly shape: readonly number[];
  readonly seed: number;
  /** The class names in index order where known otherwise (eval: the weights carry them). */
  readonly classes?: readonly string[];
  readonly onProgress?: (split: string, done: number, total: number) => void;
}

const TASKS: readonly DataTask[] = ['real-vs-fake', 'segmentation'];

export function chooseData(spec: DataDescription, specFile: string, flag?: string): DataSource {
  const base = flag !== undefined ? flagSource(flag) : baseSource(spec, specFile);
  return spec.task === 'classification' ? base : `${spec.task}+${base}`;
}

/** `--data DIR`: image folders if DIR holds train/ as folders of classes, else IDX files. */
function flagSource(flag: string): DataSource {
  const dir = resolve(flag);
  if (/\.csv$/i.test(flag) && !isDirectory(dir)) return `csv:${dir}`; // one manifest: eval's test split
  return isDirectory(join(dir, 'train')) ? `folder:${dir}` : `idx:${dir}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function baseSource(spec: DataDescription, specFile: string): DataSource {
  const at = (path: string) => resolve(dirname(specFile), path);
  switch (spec.source) {
    case 'mnist':
      return 'mnist10k';
    case 'idx':
      return `idx:${at(spec.path)}`;
    case 'folder':
      return `folder:${at(spec.path)}`;
    case 'csv':
      return `csv:${at(spec.train)}`;
    default:
      return assertNever(spec, 'data source');
  }
}

/**
 * The splits, with the task's labels (runtime/data/tasks.ts). `classes`: the model's output channels.
 * `limit`: evenly spaced subsets of that many samples of each split, exactly `subset(split, limit)`
 * of the whole; IDX files are then read keeping only those (their images are not all converted), image
 * files decoded only for those. loadDataAsync streams IDX files too (inflating chunk by chunk): what
 * `cnnc train` and `eval` use. `context`: needed for image folders and manifests, and for the spec's
 * normalize.
 */
export function loadData(source: DataSource, classes: number, limit?: number, context?: DataContext): Splits {
  const { task, base, baseClasses, early } = plan(source, classes, limit);
  if (isImageSource(base)) return loadImageSource(base, classes, limit, context);
  return finish(loadBase(base, baseClasses, early), task, baseClasses, limit, context);
}

export async function loadDataAsync(source: DataSource, classes: number, limit?: number, context?: DataContext): Promise<Splits> {
  const { task, base, baseClasses, early } = plan(source, classes, limit);
  if (isImageSource(base)) return loadImageSource(base, classes, limit, context);
  const splits = base.startsWith('idx:') ? await readIdxDirectory(base.slice(4), baseClasses, early) : loadBase(base, baseClasses, early);
  return finish(splits, task, baseClasses, limit, context);
}

function isImageSource(base: DataSource): boolean {
  return base.startsWith('folder:') || base.startsWith('csv:');
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

/** Image folders or manifests: listed, split for validation if asked, decoded and preprocessed. */
function loadImageSource(base: DataSource, classes: number, limit: number | undefined, context: DataContext | undefined): Splits {
  if (context === undefined) throw new Error(`cnnc internal error: loading ${base} needs the spec's data (a DataContext)`);
  const { data, specFile, shape } = context;
  const own = data.source === 'folder' || data.source === 'csv' ? data : null;
  let listed: ImageSplits;
  if (base.startsWith('folder:')) listed = listImageFolder(base.slice('folder:'.length), own?.classes ?? undefined);
  else {
    const at = (path: string) => resolve(dirname(specFile), path);
    const manifest = base.slice('csv:'.length);
    listed = data.source === 'csv' && at(data.train) === manifest
      ? listCsvManifests({ train: at(data.train), test: at(data.test), val: data.val === null ? null : at(data.val) }, own?.classes ?? undefined)
      // `cnnc eval --data FILE.csv`: one manifest, the test split, in the classes the model was trained with.
      : listCsvTestManifest(manifest, context.classes ?? own?.classes ?? undefined);
  }
  const where = base.slice(base.indexOf(':') + 1);
  if (listed.classes.length !== classes) {
    throw new DataFileError(`${where}: ${listed.classes.length} classes (${listed.classes.join(', ')}), but the model's output has ${classes}`);
  }
  if (own?.valSplit != null) {
    if (listed.val !== null) throw new DataFileError(`${where}: has a val/ folder and the spec asks for val_split ${own.valSplit}: choose one`);
    listed = { ...listed, ...splitValidation(listed.train, own.valSplit, context.seed, where) };
  }
  // A spec written for other data (`--data DIR` with image folders): its normalize, resized to the input.
  const [h, w] = [shape[1] ?? 0, shape[2] ?? 0];
  const transforms: DataPipeline = own !== null ? own.transforms : {
    eval: fitPipeline(data.transforms.eval, h, w).pipeline,
    train: fitPipeline(data.transforms.train, h, w).pipeline,
  };
  const loaded = loadImages(listed, { shape, transforms, seed: context.seed, ...(limit === undefined ? {} : { limit }), ...(context.onProgress ? { onProgress: context.onProgress } : {}) });
  return {
    train: loaded.train,
    test: loaded.test,
    ...(loaded.val === null ? {} : { val: loaded.val }),
    classNames: loaded.classes,
    description: base,
  };
}

function finish(splits: Splits, task: DataTask, baseClasses: number, limit: number | undefined, context: DataContext | undefined): Splits {
  const derived = task === 'classification' ? splits : {
    train: deriveTask(splits.train, task, 'train', baseClasses),
    test: deriveTask(splits.test, task, 'test', baseClasses),
    description: `${task}+${splits.description}`,
  };
  const cut = limit === undefined ? derived : { ...derived, train: subset(derived.train, limit), test: subset(derived.test, limit) };
  // val_split (classification only, as the compiler checks): held out of the (subset) train split as image folders are.
  const d = context?.data;
  const valSplit = d !== undefined && (d.source === 'mnist' || d.source === 'idx') && task === 'classification' ? d.valSplit : null;
  const split = valSplit === null ? cut : { ...cut, ...splitLabeled(cut.train, valSplit, context!.seed, splits.description) };
  // The spec's normalize (the one transform the digits and IDX files take), on the [0, 1] images.
  const trainNorm = context === undefined ? undefined : pipelineNormalize(context.data.transforms.train);
  const evalNorm = context === undefined ? undefined : pipelineNormalize(context.data.transforms.eval);
  return { ...split, train: normalized(split.train, trainNorm), test: normalized(split.test, evalNorm), ...(split.val === undefined ? {} : { val: normalized(split.val, evalNorm) }) };
}

/** A stratified, seeded validation split of labelled images (one label each), as image folders' val_split; both
 *  parts keep their order. */
function splitLabeled(train: LabeledImages, fraction: number, seed: number, where: string): { train: LabeledImages; val: LabeledImages } {
  const held = heldOut(train.labels, fraction, seed, where);
  const size = train.images.length / train.n;
  const pick = (keep: boolean): LabeledImages => {
    const idx: number[] = [];
    for (let i = 0; i < train.n; i++) if (held.has(i) !== keep) idx.push(i);
    const images = new Float32Array(idx.length * size);
    idx.forEach((k, i) => images.set(train.images.subarray(k * size, (k + 1) * size), i * size));
    return { images, labels: Int32Array.from(idx, (k) => train.labels[k]!), n: idx.length, shape: train.shape };
  };
  return { train: pick(true), val: pick(false) };
}

/** (x − mean) / std per channel in float32, as torchvision's Normalize on a ToTensor'd image. */
function normalized(data: LabeledImages, n: NormalizeParams | undefined): LabeledImages {
  if (n === undefined) return data;
  const images = Float32Array.from(data.images);
  normalizeImages(images, data.shape, n);
  return { ...data, images };
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
