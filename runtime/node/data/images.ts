// A user's own images as the training loop takes them: the files listed (image-files.ts), each decoded
// into the input's colour mode (runtime/data/decode/, as PIL's Image.open(f).convert(mode)), run through the
// spec's eval pipeline (runtime/data/transforms/) into [C, H, W] float32 tensors. With random training
// transforms the train split keeps its images after the training pipeline's deterministic prefix and draws
// each sample's augmentation afresh every epoch, from sampleRng(seed, epoch, index): the same seed gives the
// same batches at any thread count. The images after the deterministic transforms are cached on disk
// (image-cache.ts), so a rerun skips decoding.
import { readFileSync } from 'node:fs';
import type { DataPipeline } from '../../contracts.js';
import { decodeImage } from '../../data/decode/index.js';
import type { LabeledImages } from '../../data/idx.js';
import { spacedIndex } from '../../data/idx-samples.js';
import type { ColorMode, Image8 } from '../../data/image.js';
import { applyPipeline, isRandomTransform, pipelineNormalize, sampleRng, toTensor, type TransformSpec } from '../../data/transforms/index.js';
import type { ImageList, ImageSplits } from './image-files.js';
import { cacheKey, hashFiles, imageCacheDir, readCachedImages, writeCachedImages } from './image-cache.js';
import { DataFileError } from './read-maybe-gzip.js';

export interface ImageLoadOptions {
  /** The model's input: [C, H, W], C 1 or 3. */
  readonly shape: readonly number[];
  readonly transforms: DataPipeline;
  /** The run's seed: the augmentation's streams. */
  readonly seed: number;
  /** Evenly spaced subsets of each split, chosen before anything is decoded. */
  readonly limit?: number;
  /** Called every so often while decoding: the split, images done, images in it. */
  readonly onProgress?: (split: string, done: number, total: number) => void;
}

export interface LoadedImages {
  readonly train: LabeledImages;
  readonly test: LabeledImages;
  readonly val: LabeledImages | null;
  readonly classes: readonly string[];
}

export function modeOf(shape: readonly number[]): ColorMode {
  return shape[0] === 3 ? 'RGB' : 'L';
}

/** One file, decoded in `mode` (an error naming it where it cannot be read or decoded). */
export function readImage(file: string, mode: ColorMode): Image8 {
  return decodeImage(readBytes(file), file, mode);
}

/** The image after `ts` into out at `offset`, as [C, H, W] float32. */
export function imageTensor(img: Image8, ts: readonly TransformSpec[], shape: readonly number[], file: string, out: Float32Array, offset: number, rng?: ReturnType<typeof sampleRng>): void {
  const done = applyPipeline(img, ts, rng === undefined ? { train: false } : { train: true, rng });
  if (done.width !== shape[2] || done.height !== shape[1]) {
    // The compiler appends a resize where the size depends on the image, so this is a bug in cnnc.
    throw new Error(`cnnc internal error: ${file} became ${done.height}×${done.width}, not the input's ${shape[1]}×${shape[2]}`);
  }
  toTensor(done, out, offset, pipelineNormalize(ts));
}

/** A transform's refusal of an image (a RangeError: the image does not fit its arguments) as an error
 *  naming the file. */
function refusingAsData(file: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof RangeError) throw new DataFileError(`${file}: ${e.message}`);
    throw e;
  }
}

function subsetList(list: ImageList, limit: number | undefined): ImageList {
  if (limit === undefined || limit >= list.files.length) return list;
  const files: string[] = [];
  const labels = new Int32Array(limit);
  for (let i = 0; i < limit; i++) {
    const k = spacedIndex(i, list.files.length, limit);
    files.push(list.files[k]!);
    labels[i] = list.labels[k]!;
  }
  return { files, labels };
}

/** The image operations of a pipeline up to its first random one, normalize left out (toTensor applies it):
 *  what can be computed once and cached. */
function deterministicPrefix(ts: readonly TransformSpec[]): TransformSpec[] {
  const first = ts.findIndex(isRandomTransform);
  return (first < 0 ? ts : ts.slice(0, first)).filter((t) => t.kind !== 'normalize');
}

function loadSplit(name: string, list: ImageList, o: ImageLoadOptions, train: boolean): LabeledImages {
  const mode = modeOf(o.shape);
  const size = o.shape.reduce((a, b) => a * b, 1);
  const n = list.files.length;
  const images = new Float32Array(n * size);
  const pipeline = train ? o.transforms.train : o.transforms.eval;
  const random = train && pipeline.some(isRandomTransform);
  // `images` holds the tensors of the split's own pipeline, or, for an augmented train split, of the eval one
  // (what it looks like untouched, for checks); with augmentation each epoch draws from the images after the
  // training pipeline's deterministic prefix (`base`), which gives the same result as the whole pipeline on
  // the file. Where the two prefixes are the same list (a resize, then random ones), one set serves both.
  const tensorPipeline = random ? o.transforms.eval : pipeline;
  const evalOps = deterministicPrefix(tensorPipeline);
  const prefix = random ? deterministicPrefix(pipeline) : null;
  const shared = prefix !== null && JSON.stringify(prefix) === JSON.stringify(evalOps);
  const rest = prefix === null ? [] : pipeline.slice(pipeline.findIndex(isRandomTransform));
  const dir = imageCacheDir();
  // The bytes read to hash the files are kept (up to KEEP_BYTES in all) for a cache miss to decode, so that a
  // first run reads each file once; a larger split reads the rest again.
  const kept = new Map<number, Uint8Array>();
  let keptBytes = 0;
  const hashes = dir === null ? null : hashFiles(list.files, (file, i) => {
    const bytes = readBytes(file);
    if (keptBytes + bytes.length <= KEEP_BYTES) {
      kept.set(i, bytes);
      keptBytes += bytes.length;
    }
    return bytes;
  });
  const key = (ops: readonly TransformSpec[]) => cacheKey(hashes!, mode, ops);
  let evalImages = dir === null ? null : readCachedImages(dir, key(evalOps), n);
  let base = prefix === null ? null : shared ? evalImages : dir === null ? null : readCachedImages(dir, key(prefix), n);
  let decodedNow = false;
  if (evalImages === null || (prefix !== null && base === null)) {
    const ev: Image8[] = [];
    const pre: Image8[] = [];
    let last = Date.now();
    for (let i = 0; i < n; i++) {
      const file = list.files[i]!;
      const bytes = kept.get(i);
      const img = bytes === undefined ? readImage(file, mode) : decodeImage(bytes, file, mode);
      refusingAsData(file, () => ev.push(applyPipeline(img, evalOps, { train: false })));
      if (prefix !== null && !shared) refusingAsData(file, () => pre.push(applyPipeline(img, prefix, { train: false })));
      if (o.onProgress !== undefined && Date.now() - last > 250 && i + 1 < n) {
        last = Date.now();
        o.onProgress(name, i + 1, n);
      }
    }
    kept.clear();
    evalImages = ev;
    decodedNow = true;
    base = prefix === null ? null : shared ? ev : pre;
    if (dir !== null) {
      writeCachedImages(dir, key(evalOps), ev);
      if (prefix !== null && !shared) writeCachedImages(dir, key(prefix), pre);
    }
  }
  const norm = pipelineNormalize(tensorPipeline);
  // The augmentation tried once on each size of image found, so that one it cannot take (a random_crop
  // larger than the padded image) is refused now, naming the file, not in the middle of training.
  const tried = new Set<string>();
  const scratch = random ? new Float32Array(size) : null;
  for (let i = 0; i < n; i++) {
    const file = list.files[i]!;
    refusingAsData(file, () => imageTensor(evalImages![i]!, norm === undefined ? [] : [{ kind: 'normalize', ...norm }], o.shape, file, images, i * size));
    const b = base?.[i];
    if (b !== undefined && scratch !== null && !tried.has(`${b.width}×${b.height}`)) {
      tried.add(`${b.width}×${b.height}`);
      refusingAsData(file, () => imageTensor(b, rest, o.shape, file, scratch, 0, sampleRng(o.seed, 0, i)));
    }
  }
  // The split's last progress call once it is checked, so that an image refused above is the last line.
  o.onProgress?.(decodedNow ? name : `${name} (from the cache)`, n, n);
  const split = { images, labels: list.labels, n, shape: [...o.shape] };
  if (base === null) return split;
  const decoded = base;
  return {
    ...split,
    sample: (k, epoch, out, offset) => imageTensor(decoded[k]!, rest, o.shape, list.files[k]!, out, offset, sampleRng(o.seed, epoch, k)),
  };
}

/** How many bytes of image files a split keeps from hashing to decoding (a cache miss then reads each once). */
const KEEP_BYTES = 256 * 2 ** 20;

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataFileError(`${file}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The listed splits decoded: train with the training pipeline, test and val with the eval one. */
export function loadImages(splits: ImageSplits, o: ImageLoadOptions): LoadedImages {
  return {
    train: loadSplit('train', subsetList(splits.train, o.limit), o, true),
    test: loadSplit('test', subsetList(splits.test, o.limit), o, false),
    val: splits.val === null ? null : loadSplit('val', subsetList(splits.val, o.limit), o, false),
    classes: splits.classes,
  };
}
