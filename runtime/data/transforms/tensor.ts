// An Image8 into a model's input tensor: torchvision's ToTensor, then Normalize, bit for bit as torch 1.13 computes
// them on the CPU in float32: x = uint8 / 255 (a true float32 division), then (x − mean) / std with mean and std
// as float32 tensors (sub_ then div_). Each float32 operation is exact-rounded, so doing it in float64 and rounding
// once (Math.fround) gives the same bits. 256 inputs per channel: one lookup table each.
import type { Image8 } from '../image.js';

export interface NormalizeParams {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** The 256 float32 values of a channel: ToTensor, then Normalize with (mean, std) when given. */
export function tensorTable(mean?: number, std?: number): Float32Array {
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    const x = Math.fround(v / 255);
    lut[v] = mean === undefined || std === undefined ? x : normalizeValue(x, mean, std);
  }
  return lut;
}

const PLAIN = tensorTable();
/** The tables of the last few (mean, std) pairs: a training loop converts every sample with the same few. */
const tables = new Map<string, Float32Array>();

function cachedTable(mean: number, std: number): Float32Array {
  const key = `${mean}/${std}`;
  let t = tables.get(key);
  if (!t) {
    if (tables.size >= 16) tables.delete(tables.keys().next().value!);
    t = tensorTable(mean, std);
    tables.set(key, t);
  }
  return t;
}

/** Normalize of one float32 value: (x − mean) / std, each step rounded to float32 as torch computes it. */
export function normalizeValue(x: number, mean: number, std: number): number {
  return Math.fround(Math.fround(x - Math.fround(mean)) / Math.fround(std));
}

/** Normalize in place on float32 samples of `shape` ([C, H, W]) already in [0, 1], any number of them
 *  back to back (the embedded digits, IDX samples). */
export function normalizeImages(images: Float32Array, shape: readonly number[], n: NormalizeParams): void {
  const channels = shape[0] ?? 1;
  const plane = shape.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < images.length; i++) {
    const c = Math.floor(i / plane) % channels;
    images[i] = normalizeValue(images[i]!, n.mean[n.mean.length === 1 ? 0 : c]!, n.std[n.std.length === 1 ? 0 : c]!);
  }
}

/** Checks Normalize's arguments for an image of `channels` channels: one value, or one per channel; std ≠ 0
 *  in float32 (torchvision refuses a zero std). */
export function checkNormalize(n: NormalizeParams, channels: number): void {
  for (const [name, values] of [['mean', n.mean], ['std', n.std]] as const) {
    if (values.length !== 1 && values.length !== channels) {
      throw new RangeError(`normalize: ${name} must have 1 or ${channels} values (one per channel), got ${values.length}`);
    }
    for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`normalize: ${name} values must be finite numbers, got ${v}`);
  }
  if (n.std.some((s) => Math.fround(s) === 0)) throw new RangeError('normalize: std must not be 0 (division by zero)');
}

/** Writes img as CHW float32 into out[offset … offset + C·H·W): ToTensor, then Normalize(mean, std) if given. */
export function toTensor(img: Image8, out: Float32Array, offset: number, normalize?: NormalizeParams): void {
  const { width: W, height: H, channels: C, data } = img;
  const plane = W * H;
  if (offset < 0 || offset + C * plane > out.length) {
    throw new RangeError(`toTensor: a ${C}×${H}×${W} image does not fit at offset ${offset} of ${out.length} floats`);
  }
  if (normalize) checkNormalize(normalize, C);
  for (let c = 0; c < C; c++) {
    const lut = normalize
      ? cachedTable(normalize.mean[normalize.mean.length === 1 ? 0 : c]!, normalize.std[normalize.std.length === 1 ? 0 : c]!)
      : PLAIN;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = lut[data[i * C + c]!]!;
  }
}
