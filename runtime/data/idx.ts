// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"):
//   bytes 0-1: 0x00 0x00; byte 2: element type; byte 3: number of dimensions;
//   then one big-endian uint32 per dimension; then the elements, row-major, big-endian.
// Browser-safe: bytes in, typed arrays out. Every refusal names the file and the byte offset.

/** The element type codes of the format. Only ubyte is needed for (Fashion-)MNIST. */
const DTYPES: Readonly<Record<number, { name: IdxDtype; size: number }>> = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'byte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
};

export type IdxDtype = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

/** A dimension larger than this is a corrupt header, not a data set (MNIST's largest is 60,000). */
const MAX_DIM = 100_000_000;
/** At most this many elements (1 GiB of ubyte): past it the header is corrupt or the file is not for us. */
const MAX_ELEMENTS = 1 << 30;

export class IdxError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${file}: byte ${offset}: ${detail}`);
    this.name = 'IdxError';
  }
}

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
  if (bytes.length < 4) throw new IdxError(file, bytes.length, `truncated: ${bytes.length} bytes, an IDX header needs at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(file, 0, `bad magic ${hex(bytes, 0, 4)}: an IDX file starts with 00 00 (is it still gzipped, or not an IDX file?)`);
  }
  const type = DTYPES[bytes[2]!];
  if (type === undefined) throw new IdxError(file, 2, `unknown element type 0x${bytes[2]!.toString(16).padStart(2, '0')} in magic ${hex(bytes, 0, 4)}`);
  const ndim = bytes[3]!;
  if (ndim === 0 || ndim > 8) throw new IdxError(file, 3, `absurd number of dimensions ${ndim} (1 to 8 expected)`);
  const dataOffset = 4 + 4 * ndim;
  if (bytes.length < dataOffset) {
    throw new IdxError(file, bytes.length, `truncated header: ${bytes.length} bytes, ${ndim} dimensions need ${dataOffset}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0 || d > MAX_DIM) throw new IdxError(file, 4 + 4 * i, `absurd size ${d} for dimension ${i}`);
    dims.push(d);
    count *= d;
    if (count > MAX_ELEMENTS) throw new IdxError(file, 4 + 4 * i, `absurd dimensions [${dims.join(', ')}…]: more than ${MAX_ELEMENTS} elements`);
  }
  const expected = dataOffset + count * type.size;
  if (bytes.length < expected) {
    throw new IdxError(file, bytes.length, `truncated: the header announces [${dims.join(', ')}] ${type.name} (${expected} bytes), the file has ${bytes.length}`);
  }
  if (bytes.length > expected) {
    throw new IdxError(file, expected, `${bytes.length - expected} unexpected trailing bytes after [${dims.join(', ')}] ${type.name}`);
  }
  return { dtype: type.name, dims, dataOffset, bytes: bytes.subarray(dataOffset, expected) };
}

/** Images and labels of one split, as the training loop consumes them. */
export interface LabeledImages {
  /** [n, ...shape] row-major, in [0, 1]. */
  readonly images: Float32Array;
  /** [n, ...labelShape]: a class index per image, or a label map per image (runtime/data/tasks.ts). */
  readonly labels: Int32Array;
  readonly n: number;
  /** Per-sample shape: [C, H, W]. */
  readonly shape: readonly number[];
  /** One sample's labels: [] (absent: []) for a class index or a 0/1 target, [H, W] for a label map. */
  readonly labelShape?: readonly number[];
}

/**
 * Pairs an images file ([n, H, W] ubyte) with a labels file ([n] ubyte). Pixels are divided by 255,
 * as torchvision's ToTensor does, and laid out [n, 1, H, W].
 */
export function idxImagesAndLabels(
  images: { bytes: Uint8Array; file: string },
  labels: { bytes: Uint8Array; file: string },
  classes: number,
): LabeledImages {
  const img = parseIdx(images.bytes, images.file);
  const lab = parseIdx(labels.bytes, labels.file);
  if (img.dtype !== 'ubyte' || img.dims.length !== 3) {
    throw new IdxError(images.file, 2, `expected images as 3-D ubyte [n, rows, cols], found ${img.dims.length}-D ${img.dtype}`);
  }
  if (lab.dtype !== 'ubyte' || lab.dims.length !== 1) {
    throw new IdxError(labels.file, 2, `expected labels as 1-D ubyte [n], found ${lab.dims.length}-D ${lab.dtype}`);
  }
  const n = img.dims[0]!;
  if (lab.dims[0] !== n) {
    throw new IdxError(labels.file, 4, `${lab.dims[0]} labels, but ${images.file} holds ${n} images`);
  }
  const labelsOut = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = lab.bytes[i]!;
    if (y >= classes) {
      throw new IdxError(labels.file, lab.dataOffset + i, `label ${y} of sample ${i} is out of range: the model has ${classes} classes (0 to ${classes - 1})`);
    }
    labelsOut[i] = y;
  }
  const pixels = img.bytes;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  return { images: out, labels: labelsOut, n, shape: [1, img.dims[1]!, img.dims[2]!] };
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

function hex(bytes: Uint8Array, from: number, to: number): string {
  return Array.from(bytes.subarray(from, Math.min(to, bytes.length)), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
