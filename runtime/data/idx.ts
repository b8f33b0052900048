// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"):
//   bytes 0-1: 0x00 0x00; byte 2: element type; byte 3: number of dimensions;
//   then one big-endian uint32 per dimension; then the elements, row-major, big-endian.
// Browser-safe: bytes in, typed arrays out. Every refusal names the file and the byte offset.
import { checkIdxLength, IdxError, parseIdxHeader, type IdxDtype } from './idx-header.js';
import { readIdxSamples, spacedIndex, type IdxSamples } from './idx-samples.js';

export { checkIdxLength, IdxError, idxHeaderLength, parseIdxHeader, type IdxDtype, type IdxHeader } from './idx-header.js';

export interface IdxTensor {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  /** Offset of the first element in the file (4 + 4 * ndim). */
  readonly dataOffset: number;
  /** The elements' raw bytes (a view into the input, not a copy). */
  readonly bytes: Uint8Array;
}

/** Parses the header and checks that the file holds exactly the elements it announces. */
export function parseIdx(bytes: Uint8Array, file: string): IdxTensor {
  const h = parseIdxHeader(bytes, file);
  checkIdxLength(h, bytes.length, file);
  return { dtype: h.dtype, dims: h.dims, dataOffset: h.dataOffset, bytes: bytes.subarray(h.dataOffset, h.expectedLength) };
}

/** Images and labels of one split, as the training loop consumes them. */
export interface LabeledImages {
  /** [n, ...shape] row-major: in [0, 1], or as the spec's normalize leaves them. */
  readonly images: Float32Array;
  /** [n, ...labelShape]: a class index per image, or a label map per image (runtime/data/tasks.ts). */
  readonly labels: Int32Array;
  readonly n: number;
  /** Per-sample shape: [C, H, W]. */
  readonly shape: readonly number[];
  /** One sample's labels: [] (absent: []) for a class index or a 0/1 target, [H, W] for a label map. */
  readonly labelShape?: readonly number[];
  /** Training augmentation: writes sample k as epoch `epoch` sees it into out[offset …] (a fresh random
   *  draw of the spec's train_transforms, the same for the same seed, epoch and k). Absent: `images` as
   *  they are. */
  readonly sample?: (k: number, epoch: number, out: Float32Array, offset: number) => void;
  /** A split not held in memory (streamed from the decoded-image cache: runtime/node/data/images.ts): `images`
   *  is then empty, and this writes sample k, unaugmented, into out[offset …]. */
  readonly read?: (k: number, out: Float32Array, offset: number) => void;
  /** The training batches prepared ahead of the step (worker threads, runtime/node/data/prefetch.ts): the same
   *  bytes as `sample` (or `read`, or `images`) would give. Absent: the loop assembles each batch itself. */
  readonly batches?: BatchFeed;
}

/** Batches of a split in a given order, prepared ahead: open() starts on the batches of `order` from batch
 *  `first` on (each `batchSize` samples, the last one shorter), drawn as epoch `epoch` sees them. */
export interface BatchFeed {
  open(order: Uint32Array, epoch: number, batchSize: number, first: number): BatchStream;
}

export interface BatchStream {
  /** The next batch's [n, ...shape] tensors, in order; valid until the following next() or close(). */
  next(): Promise<Float32Array>;
  /** Stops preparing (the epoch ended, or the run stopped); the batches not taken are dropped. */
  close(): void;
}

/** The elements of one sample: C·H·W. */
export function sampleSizeOf(data: LabeledImages): number {
  return data.shape.reduce((a, b) => a * b, 1);
}

/**
 * Pairs an images file ([n, H, W] ubyte) with a labels file ([n] ubyte). Pixels are divided by 255,
 * as torchvision's ToTensor does, and laid out [n, 1, H, W]. With `limit`, only that many evenly
 * spaced samples are kept (and converted): the subset `subset()` would take of the whole.
 */
export function idxImagesAndLabels(
  images: { bytes: Uint8Array; file: string },
  labels: { bytes: Uint8Array; file: string },
  classes: number,
  limit?: number,
): LabeledImages {
  const img = readIdxSamples(images.bytes, images.file, limit);
  const lab = readIdxSamples(labels.bytes, labels.file);
  return labeledImages({ ...img, file: images.file }, { ...lab, file: labels.file }, classes);
}

/**
 * The split from an images file's kept samples and all of its labels (every label is checked, not
 * only the kept ones': a file with a bad label is refused whatever the limit).
 */
export function labeledImages(img: IdxSamples & { file: string }, lab: IdxSamples & { file: string }, classes: number): LabeledImages {
  if (img.header.dtype !== 'ubyte' || img.header.dims.length !== 3) {
    throw new IdxError(img.file, 2, `expected images as 3-D ubyte [n, rows, cols], found ${img.header.dims.length}-D ${img.header.dtype}`);
  }
  if (lab.header.dtype !== 'ubyte' || lab.header.dims.length !== 1) {
    throw new IdxError(lab.file, 2, `expected labels as 1-D ubyte [n], found ${lab.header.dims.length}-D ${lab.header.dtype}`);
  }
  const n = img.total;
  if (lab.total !== n) {
    throw new IdxError(lab.file, 4, `${lab.total} labels, but ${img.file} holds ${n} images`);
  }
  for (let i = 0; i < n; i++) {
    const y = lab.bytes[i]!;
    if (y >= classes) {
      throw new IdxError(lab.file, lab.header.dataOffset + i, `label ${y} of sample ${i} is out of range: the model has ${classes} classes (0 to ${classes - 1})`);
    }
  }
  const kept = img.count;
  const labelsOut = new Int32Array(kept);
  for (let i = 0; i < kept; i++) labelsOut[i] = lab.bytes[spacedIndex(i, n, kept)]!;
  const pixels = img.bytes;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  return { images: out, labels: labelsOut, n: kept, shape: [1, img.header.dims[1]!, img.header.dims[2]!] };
}

/** One image of an IDX images file, [1, H, W] in [0, 1] (for `cnnc predict FILE:index`). */
export function idxImageAt(bytes: Uint8Array, file: string, index: number): { image: Float32Array; shape: readonly number[] } {
  const img = parseIdx(bytes, file);
  if (img.dtype !== 'ubyte' || img.dims.length !== 3) {
    throw new IdxError(file, 2, `expected images as 3-D ubyte [n, rows, cols], found ${img.dims.length}-D ${img.dtype}`);
  }
  const [n, h, w] = img.dims as [number, number, number];
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new IdxError(file, 4, `sample index ${index} is out of range: the file holds ${n} images (0 to ${n - 1})`);
  }
  const image = new Float32Array(h * w);
  const base = index * h * w;
  for (let i = 0; i < h * w; i++) image[i] = img.bytes[base + i]! / 255;
  return { image, shape: [1, h, w] };
}
