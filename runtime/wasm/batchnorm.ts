// batchnorm2d's per-channel passes for generated modules (compiler/5-codegen/layers/batchnorm2d.ts keeps
// the per-channel formulas: the statistics, running averages, γ·invstd; these are the loops over a
// channel's n·count elements). A channel of x [n, C, H, W] is n runs of `count` = H·W elements, `stride`
// = C·H·W apart, the first at `off`. Float32Array arrays in wasm memory (the model's arenas) run on the
// wasm kernels (batchnorm-kernel.ts: four lanes, float64 arithmetic); anything else runs the loops here,
// which are the ones generated code had, element by element in order (float64 modules: the same bits).
import type { FloatArray } from '../model.js';
import { batchnormModule } from './batchnorm-kernel.js';
import { addresses as at, residentIn, sideModule } from './side.js';
import { ensureFloats, scratchBase, type Instance } from './sgemm.js';

interface BatchnormKernels {
  readonly sum: (p: number, n: number, count: number, stride: number) => number;
  readonly sqDev: (p: number, n: number, count: number, stride: number, m: number) => number;
  readonly affine: (p: number, q: number, n: number, count: number, stride: number, a: number, b: number) => void;
  readonly gradSums: (pX: number, pD: number, n: number, count: number, stride: number, m: number, out: number) => void;
  readonly gradInput: (pX: number, pD: number, pO: number, n: number, count: number, stride: number, m: number, mdy: number, proj: number, g: number) => void;
}

const kernels = (w: Instance): BatchnormKernels => sideModule<BatchnormKernels>(w, 'batchnorm', batchnormModule);

/** The kernels, with the byte addresses of x (and y, z) in `at`, where they run (side.ts residentIn); else null.
 *  A layer calls these once a channel for each pass (960 channels of 128 floats in mobilenet_v2's last layers):
 *  nothing allocated a call, and the side module looked up once a memory. */
let last: { w: Instance; k: BatchnormKernels } | null = null;
function resident(x: FloatArray, y: FloatArray | null = null, z: FloatArray | null = null): BatchnormKernels | null {
  const w = residentIn(x, y, z);
  if (w === null) return null;
  if (last === null || last.w !== w) last = { w, k: kernels(w) };
  return last.k;
}

/** Σ x over the channel. */
export function channelSum(x: FloatArray, off: number, n: number, count: number, stride: number): number {
  const k = resident(x);
  if (k !== null) return k.sum(at[0]! + 4 * off, n, count, 4 * stride);
  let sum = 0;
  for (let s = 0; s < n; s++) {
    const o = off + s * stride;
    for (let j = 0; j < count; j++) sum += x[o + j]!;
  }
  return sum;
}

/** Σ (x − m)² over the channel. */
export function channelSqDev(x: FloatArray, off: number, n: number, count: number, stride: number, m: number): number {
  const k = resident(x);
  if (k !== null) return k.sqDev(at[0]! + 4 * off, n, count, 4 * stride, m);
  let sq = 0;
  for (let s = 0; s < n; s++) {
    const o = off + s * stride;
    for (let j = 0; j < count; j++) {
      const d = x[o + j]! - m;
      sq += d * d;
    }
  }
  return sq;
}

/** y = x·a + b over the channel (x and y may be one array). */
export function channelAffine(x: FloatArray, y: FloatArray, off: number, n: number, count: number, stride: number, a: number, b: number): void {
  const k = resident(x, y);
  if (k !== null) return k.affine(at[0]! + 4 * off, at[1]! + 4 * off, n, count, 4 * stride, a, b);
  for (let s = 0; s < n; s++) {
    const o = off + s * stride;
    for (let j = 0; j < count; j++) y[o + j] = x[o + j]! * a + b;
  }
}

const sums = new Float64Array(2);
const float64Views = new WeakMap<ArrayBufferLike, Float64Array>();
/** A Float64Array over the whole memory, one per buffer (no allocation per call). */
function float64View(buffer: ArrayBufferLike): Float64Array {
  let v = float64Views.get(buffer);
  if (v === undefined) float64Views.set(buffer, (v = new Float64Array(buffer)));
  return v;
}

/** [Σ dY, Σ dY·(x − m)] over the channel, in a pair that the next call overwrites. */
export function channelGradSums(x: FloatArray, dY: FloatArray, off: number, n: number, count: number, stride: number, m: number): Float64Array {
  const k = resident(x, dY);
  if (k !== null) {
    const w = last!.w, out = scratchBase(w); // floats: the pair is two f64 there (work space, free between products)
    const f32 = ensureFloats(w, out + 4);
    k.gradSums(at[0]! + 4 * off, at[1]! + 4 * off, n, count, 4 * stride, m, 4 * out);
    const f64 = float64View(f32.buffer);
    sums[0] = f64[out >> 1]!;
    sums[1] = f64[(out >> 1) + 1]!;
    return sums;
  }
  let sdy = 0;
  let sdyx = 0;
  for (let s = 0; s < n; s++) {
    const o = off + s * stride;
    for (let j = 0; j < count; j++) {
      const d = dY[o + j]!;
      sdy += d;
      sdyx += d * (x[o + j]! - m);
    }
  }
  sums[0] = sdy;
  sums[1] = sdyx;
  return sums;
}

/** dX = (dY − mdy − (x − m)·proj)·g over the channel (dY and dX may be one array). */
export function channelGradInput(x: FloatArray, dY: FloatArray, dX: FloatArray, off: number, n: number, count: number, stride: number, m: number, mdy: number, proj: number, g: number): void {
  const k = resident(x, dY, dX);
  if (k !== null) return k.gradInput(at[0]! + 4 * off, at[1]! + 4 * off, at[2]! + 4 * off, n, count, 4 * stride, m, mdy, proj, g);
  for (let s = 0; s < n; s++) {
    const o = off + s * stride;
    for (let j = 0; j < count; j++) dX[o + j] = (dY[o + j]! - mdy - (x[o + j]! - m) * proj) * g;
  }
}
