// A user's own images as the training loop takes them: the files listed (image-files.ts), each decoded
// into the input's colour mode (runtime/data/decode/, as PIL's Image.open(f).convert(mode)), run through the
// spec's eval pipeline (runtime/data/transforms/) into [C, H, W] float32 tensors. With random training
// transforms the train split keeps its images after the training pipeline's deterministic prefix and draws
// each sample's augmentation afresh every epoch, from sampleRng(seed, epoch, index): the same seed gives the
// same batches at any thread count. The images after the deterministic transforms are cached on disk
// (image-cache.ts), so a rerun skips decoding. A data set too large for memory streams from those entries on
// disk (stream.ts), and the training batches are made ahead on worker threads (prefetch.ts); both give the
// same bytes as the in-memory batches of the main thread.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { DataPipeline } from '../../contracts.js';
import { decodeImage } from '../../data/decode/index.js';
import { fitPipeline } from '../../data/fit-input.js';
import type { LabeledImages } from '../../data/idx.js';
import { spacedIndex } from '../../data/idx-samples.js';
import type { ColorMode, Image8 } from '../../data/image.js';
import { applyPipeline, isRandomTransform, pipelineNormalize, sampleRng, type TransformSpec } from '../../data/transforms/index.js';
import type { ImageList, ImageSplits } from './image-files.js';
import { CacheWriter, cacheKey, hashFiles, imageCacheDir, readCacheEntry, readEntryBytes } from './image-cache.js';
import { ImageStore, memorySource } from './image-store.js';
import { loaderWorkers, prefetchFeed } from './prefetch.js';
import { imageTensor, storedSample, type SampleRecipe } from './samples.js';
import { streamDir, streamingChoice } from './stream.js';
import { DataFileError } from './read-maybe-gzip.js';

export { imageTensor } from './samples.js';

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
  /** Stream the splits from the cache on disk instead of holding them (default: CNNC_STREAM, stream.ts). */
  readonly stream?: boolean;
  /** Worker threads that make the training batches ahead (default: CNNC_LOADER_WORKERS, prefetch.ts); 0: none. */
  readonly workers?: number;
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

/** A transform's refusal of an image (a RangeError: the image does not fit its arguments) as an error
 *  naming the file. */
function refusingAsData<T>(file: string, f: () => T): T {
  try {
    return f();
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

/** Where a split's stored images come from: an entry of the cache, in memory or left on disk (streamed). */
function openEntry(dir: string, key: string, n: number, stream: boolean): ImageStore | null {
  const entry = readCacheEntry(dir, key, n);
  if (entry === null) return null;
  if (stream) return new ImageStore({ kind: 'file', ...entry });
  const bytes = readEntryBytes(entry);
  return bytes === null ? null : new ImageStore({ kind: 'memory', bytes, index: entry.index });
}

function loadSplit(name: string, list: ImageList, o: ImageLoadOptions, train: boolean, stream: boolean): LabeledImages {
  const mode = modeOf(o.shape);
  const size = o.shape.reduce((a, b) => a * b, 1);
  const n = list.files.length;
  const pipeline = train ? o.transforms.train : o.transforms.eval;
  const random = train && pipeline.some(isRandomTransform);
  // `images` holds the tensors of the split's own pipeline, or, for an augmented train split, of the eval one
  // (what it looks like untouched, for checks); with augmentation each epoch draws from the images after the
  // training pipeline's deterministic prefix (`base`), which gives the same result as the whole pipeline on
  // the file. Where the two prefixes are the same list (a resize, then random ones), one set serves both.
  // Streamed (stream: the split is too large for memory), `images` is empty and both are read from the cache
  // entries on disk, image by image.
  const tensorPipeline = random ? o.transforms.eval : pipeline;
  const evalOps = deterministicPrefix(tensorPipeline);
  const prefix = random ? deterministicPrefix(pipeline) : null;
  const shared = prefix !== null && JSON.stringify(prefix) === JSON.stringify(evalOps);
  const rest = prefix === null ? [] : pipeline.slice(pipeline.findIndex(isRandomTransform));
  // Streaming needs the entries on disk: with the cache off, a folder of the process's own (streamDir).
  const dir = imageCacheDir() ?? (stream ? streamDir() : null);
  // The bytes read to hash the files are kept (up to KEEP_BYTES in all, a streamed split's less) for a cache miss
  // to decode, so that a first run reads each file once; a larger split reads the rest again.
  const kept = new Map<number, Uint8Array>();
  let keptBytes = 0;
  // Once that budget is spent, the rest are read into one reused buffer (hashFiles hashes each before the next
  // read), so that hashing a large split leaves no garbage behind to raise the peak RSS.
  const budget = stream ? KEEP_BYTES_STREAMED : KEEP_BYTES;
  const scratch = { buffer: new Uint8Array(0) };
  const hashes = dir === null ? null : hashFiles(list.files, (file, i) => {
    if (keptBytes >= budget) return readBytesInto(file, scratch);
    const bytes = readBytes(file);
    if (keptBytes + bytes.length <= budget) {
      kept.set(i, bytes);
      keptBytes += bytes.length;
    } else keptBytes = budget;
    return bytes;
  });
  const key = (ops: readonly TransformSpec[]) => cacheKey(hashes!, mode, ops);
  let evalStore = dir === null ? null : openEntry(dir, key(evalOps), n, stream);
  let base = prefix === null ? null : shared ? evalStore : dir === null ? null : openEntry(dir, key(prefix), n, stream);
  let decodedNow = false;
  if (evalStore === null || (prefix !== null && base === null)) {
    // Decoded one image at a time into the cache entries being written; kept in memory too unless streamed.
    const writers = dir === null ? null : { ev: new CacheWriter(dir, key(evalOps), n), pre: prefix !== null && !shared ? new CacheWriter(dir, key(prefix), n) : null };
    const ev: Image8[] = [];
    const pre: Image8[] = [];
    let last = Date.now();
    for (let i = 0; i < n; i++) {
      const file = list.files[i]!;
      const bytes = kept.get(i);
      const img = bytes === undefined ? readImage(file, mode) : decodeImage(bytes, file, mode);
      kept.delete(i);
      const e = refusingAsData(file, () => applyPipeline(img, evalOps, { train: false }));
      writers?.ev.add(e);
      if (!stream) ev.push(e);
      if (prefix !== null && !shared) {
        const p = refusingAsData(file, () => applyPipeline(img, prefix, { train: false }));
        writers?.pre?.add(p);
        if (!stream) pre.push(p);
      }
      if (o.onProgress !== undefined && Date.now() - last > 250 && i + 1 < n) {
        last = Date.now();
        o.onProgress(name, i + 1, n);
      }
    }
    kept.clear();
    const written = { ev: writers?.ev.finish() ?? null, pre: writers?.pre?.finish() ?? null };
    decodedNow = true;
    if (stream) {
      if (written.ev === null || (writers!.pre !== null && written.pre === null)) {
        throw new DataFileError(`${dir}: cannot write the decoded-image cache, which a split of ${n.toLocaleString('en-US')} images streams from; set CNNC_CACHE_DIR to a writable folder with room for it`);
      }
      evalStore = new ImageStore({ kind: 'file', ...written.ev });
      base = prefix === null ? null : shared ? evalStore : new ImageStore({ kind: 'file', ...written.pre! });
    } else {
      evalStore = new ImageStore(memorySource(ev));
      base = prefix === null ? null : shared ? evalStore : new ImageStore(memorySource(pre));
    }
  }
  const norm = pipelineNormalize(tensorPipeline);
  const normOps: TransformSpec[] = norm === undefined ? [] : [{ kind: 'normalize', ...norm }];
  const evals = evalStore;
  const images = new Float32Array(stream ? 0 : n * size);
  if (!stream) for (let i = 0; i < n; i++) refusingAsData(list.files[i]!, () => imageTensor(evals.get(i), normOps, o.shape, list.files[i]!, images, i * size));
  // The augmentation tried once on each size of image found (sizes from the index: nothing read but those
  // images), so that one it cannot take (a random_crop larger than the padded image) is refused now, naming
  // the file, not in the middle of training.
  if (base !== null) {
    const tried = new Set<string>();
    const scratch = new Float32Array(size);
    for (let i = 0; i < n; i++) {
      const { width, height } = base.sizeOf(i);
      if (tried.has(`${width}×${height}`)) continue;
      tried.add(`${width}×${height}`);
      refusingAsData(list.files[i]!, () => imageTensor(base!.get(i), rest, o.shape, list.files[i]!, scratch, 0, sampleRng(o.seed, 0, i)));
    }
  }
  // The split's last progress call once it is checked, so that an image refused above is the last line.
  o.onProgress?.(decodedNow ? name : `${name} (from the cache)`, n, n);
  const split: LabeledImages = {
    images, labels: list.labels, n, shape: [...o.shape],
    ...(stream ? { read: (k: number, out: Float32Array, offset: number) => imageTensor(evals.get(k), normOps, o.shape, list.files[k]!, out, offset) } : {}),
  };
  // Training batches made ahead on worker threads, where making one is more than a copy.
  const recipe: SampleRecipe = { ops: base === null ? normOps : rest, augment: base !== null, shape: [...o.shape], seed: o.seed };
  const feed = train && (base !== null || stream) ? prefetchFeed((base ?? evals).source, recipe, list.files, o.workers ?? loaderWorkers()) : null;
  const withFeed = feed === null ? split : { ...split, batches: feed };
  if (base === null) return withFeed;
  const decoded = base;
  return { ...withFeed, sample: (k, epoch, out, offset) => storedSample(decoded, recipe, k, epoch, list.files[k]!, out, offset) };
}

/** How many bytes of image files a split keeps from hashing to decoding (a cache miss then reads each once). */
const KEEP_BYTES = 256 * 2 ** 20;
const KEEP_BYTES_STREAMED = 32 * 2 ** 20;

/** The file's bytes in `into.buffer` (grown as needed): valid until the next call. */
function readBytesInto(file: string, into: { buffer: Uint8Array }): Uint8Array {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (into.buffer.length < size) into.buffer = new Uint8Array(Math.max(size, 2 * into.buffer.length));
      let done = 0;
      for (let got = 1; done < size && got > 0; done += got) got = readSync(fd, into.buffer, done, size - done, done);
      return into.buffer.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new DataFileError(`${file}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataFileError(`${file}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The listed splits decoded: train with the training pipeline, test and val with the eval one. */
export function loadImages(splits: ImageSplits, o: ImageLoadOptions): LoadedImages {
  const [train, test, val] = [subsetList(splits.train, o.limit), subsetList(splits.test, o.limit), splits.val === null ? null : subsetList(splits.val, o.limit)];
  // What holding every split's tensors would take: the threshold for streaming them instead.
  const held = 4 * o.shape.reduce((a, b) => a * b, 1) * (train.files.length + test.files.length + (val?.files.length ?? 0));
  const stream = o.stream ?? streamingChoice(held);
  return {
    train: loadSplit('train', train, o, true, stream),
    test: loadSplit('test', test, o, false, stream),
    val: val === null ? null : loadSplit('val', val, o, false, stream),
    classes: splits.classes,
  };
}

/**
 * One PNG or JPEG (its bytes, any size and colour mode) as a sample of a model's input [C, H, W], as `cnnc predict`
 * makes it: decoded as PIL opens it, converted to the input's channels (1: L, 3: RGB), `invert`ed where asked (dark
 * drawings on light paper, for MNIST's white on black), then through the spec's eval transforms (metadata.transforms)
 * made to end at the input's size. `name` names the image in an error: an ImageError for bytes that are not a
 * supported image (truncated, another format, too many pixels), a RangeError for an input that is not an image's.
 */
export function imageInput(bytes: Uint8Array, name: string, meta: { readonly inputShape: readonly number[]; readonly transforms: readonly TransformSpec[] }, options: { readonly invert?: boolean } = {}): Float32Array {
  const shape = meta.inputShape;
  if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3)) throw new RangeError(`${name}: the model's input is [${shape.join(', ')}]; images give [1, H, W] or [3, H, W]`);
  let img = decodeImage(bytes, name, modeOf(shape));
  if (options.invert === true) img = { ...img, data: img.data.map((v) => 255 - v) };
  const x = new Float32Array(shape[0] * shape[1]! * shape[2]!);
  imageTensor(img, fitPipeline(meta.transforms, shape[1]!, shape[2]!).pipeline, shape, name, x, 0);
  return x;
}
