// batchnorm2d's passes for generated modules (compiler/5-codegen/layers/batchnorm2d.ts keeps the
// per-channel formulas: the statistics, running averages, γ·invstd; these are the loops over a channel's
// n·count elements). A channel of x [n, C, H, W] is n runs of `count` = H·W elements, `stride` = C·H·W
// apart, the first at `off`. A layer calls the batchnorm* functions, a pass over all its channels each,
// with the per-channel values in its BatchnormStats: Float32Array arrays in wasm memory (the model's
// arenas) run as one job shared among the threads (gemm-part.js: batchnormPart, channels claimed in
// blocks), each channel by the wasm kernel (batchnorm-kernel.ts: four lanes, float64 arithmetic) that
// channel* calls; anything else runs channel*'s loops, the ones generated code had, element by element in
// order (float64 modules: the same bits).
import type { FloatArray } from '../model.js';
import { batchnormModule } from './batchnorm-kernel.js';
import { BN, CTRL, ceilDiv, roundUp, type BatchnormKernels } from './gemm-part.js';
import { jobThreads, pool, runJob } from './pool.js';
import { addresses as at, residentIn, sideModule, workerModules } from './side.js';
import { ensureFloats, float64View, scratchBase, type Instance } from './sgemm.js';

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
  if (k !== null) return k.bnSum(at[0]! + 4 * off, n, count, 4 * stride);
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
  if (k !== null) return k.bnSqDev(at[0]! + 4 * off, n, count, 4 * stride, m);
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
  if (k !== null) return k.bnAffine(at[0]! + 4 * off, at[1]! + 4 * off, n, count, 4 * stride, a, b);
  for (let s = 0; s < n; s++) {
    const o = off + s * stride;
    for (let j = 0; j < count; j++) y[o + j] = x[o + j]! * a + b;
  }
}

const sums = new Float64Array(2);

/** [Σ dY, Σ dY·(x − m)] over the channel, in a pair that the next call overwrites. */
export function channelGradSums(x: FloatArray, dY: FloatArray, off: number, n: number, count: number, stride: number, m: number): Float64Array {
  const k = resident(x, dY);
  if (k !== null) {
    const w = last!.w, out = scratchBase(w); // floats: the pair is two f64 there (work space, free between products)
    const f32 = ensureFloats(w, out + 4);
    k.bnGradSums(at[0]! + 4 * off, at[1]! + 4 * off, n, count, 4 * stride, m, 4 * out);
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
  if (k !== null) return k.bnGradInput(at[0]! + 4 * off, at[1]! + 4 * off, at[2]! + 4 * off, n, count, 4 * stride, m, mdy, proj, g);
  for (let s = 0; s < n; s++) {
    const o = off + s * stride;
    for (let j = 0; j < count; j++) dX[o + j] = (dY[o + j]! - mdy - (x[o + j]! - m) * proj) * g;
  }
}

/** The kernels, for the workers to instantiate beside the gemm module (threads.ts). */
export function batchnormWorkerModules(): WebAssembly.Module[] {
  return workerModules([batchnormModule]);
}

/** The per-channel float64 values one batchnorm2d layer hands between its formulas (generated code) and the passes here. */
export interface BatchnormStats {
  /** Forward: Σ x, its mean, Σ (x − mean)², and y = x·a + b's a and b. */
  readonly sum: Float64Array;
  readonly mean: Float64Array;
  readonly sq: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  /** Backward: Σ dY, Σ dY·(x − mean), and dX = (dY − mdy − (x − mean)·proj)·g's mdy, proj and g. */
  readonly sdy: Float64Array;
  readonly sdyx: Float64Array;
  readonly mdy: Float64Array;
  readonly proj: Float64Array;
  readonly g: Float64Array;
}

/** A layer's BatchnormStats for `channels` channels (a generated module makes one a layer, once). */
export function batchnormStats(channels: number): BatchnormStats {
  const v = (): Float64Array => new Float64Array(channels);
  return { sum: v(), mean: v(), sq: v(), a: v(), b: v(), sdy: v(), sdyx: v(), mdy: v(), proj: v(), g: v() };
}

/**
 * One pass over a layer's C channels as a job (gemm-part.js: batchnormPart): x at at[0], the second array at at[1],
 * the third at at[2] (byte addresses, side.ts residentIn); `slots` float64 slots of C values at the work space's
 * start, the first inputs.length of them filled from `inputs` beforehand. Returns the float64 index of slot 0.
 */
function layerPass(w: Instance, kind: number, n: number, C: number, hw: number, slots: number, inputs: readonly (FloatArray | null)[]): number {
  const base = roundUp(scratchBase(w), 16);
  const f64 = float64View(ensureFloats(w, base + 2 * slots * C).buffer), pF = base >> 1;
  for (let k = 0; k < inputs.length; k++) {
    const v = inputs[k]!;
    for (let ch = 0; ch < C; ch++) f64[pF + k * C + ch] = v[ch]!;
  }
  const c = w.ctrl, threads = jobThreads(C, n * C * hw, pool.minFloats);
  c[CTRL.bnKind] = kind; c[CTRL.bnC] = C; c[CTRL.bnBlock] = ceilDiv(C, 8 * threads);
  c[CTRL.bnN] = n; c[CTRL.bnCount] = hw; c[CTRL.bnStride] = 4 * C * hw;
  c[CTRL.bnX] = at[0]!; c[CTRL.bnD] = at[1]!; c[CTRL.bnO] = at[2]!; c[CTRL.bnF] = pF;
  runJob(kernels(w), c, 6, threads);
  return pF;
}

/** Copies slot k (C float64 values from pF + k·C) of w's memory into out, every `step`-th value from `first`. */
function slotOut(w: Instance, pF: number, C: number, first: number, step: number, out: Float64Array): void {
  const f64 = float64View(w.f32.buffer);
  for (let ch = 0; ch < C; ch++) out[ch] = f64[pF + first + step * ch]!;
}

// The inputs lists of the passes, filled per call (module-level: nothing allocated a call).
const none: (FloatArray | null)[] = [], one: (FloatArray | null)[] = [null], two: (FloatArray | null)[] = [null, null], four: (FloatArray | null)[] = [null, null, null, null];

/** s.sum[c] = Σ x over channel c, for C channels of hw floats a sample. */
export function batchnormSums(x: FloatArray, n: number, C: number, hw: number, s: BatchnormStats): void {
  const w = residentIn(x);
  if (w === null) {
    for (let ch = 0; ch < C; ch++) s.sum[ch] = channelSum(x, ch * hw, n, hw, C * hw);
    return;
  }
  slotOut(w, layerPass(w, BN.sums, n, C, hw, 1, none), C, 0, 1, s.sum);
}

/** s.sq[c] = Σ (x − s.mean[c])² over channel c. */
export function batchnormSqDevs(x: FloatArray, n: number, C: number, hw: number, s: BatchnormStats): void {
  const w = residentIn(x);
  if (w === null) {
    for (let ch = 0; ch < C; ch++) s.sq[ch] = channelSqDev(x, ch * hw, n, hw, C * hw, s.mean[ch]!);
    return;
  }
  one[0] = s.mean;
  slotOut(w, layerPass(w, BN.sqDevs, n, C, hw, 2, one), C, C, 1, s.sq);
}

/** y = x·s.a[c] + s.b[c] over channel c (x and y may be one array). */
export function batchnormAffine(x: FloatArray, y: FloatArray, n: number, C: number, hw: number, s: BatchnormStats): void {
  const w = residentIn(x, y);
  if (w === null) {
    for (let ch = 0; ch < C; ch++) channelAffine(x, y, ch * hw, n, hw, C * hw, s.a[ch]!, s.b[ch]!);
    return;
  }
  two[0] = s.a; two[1] = s.b;
  layerPass(w, BN.affine, n, C, hw, 2, two);
}

/** s.sdy[c] = Σ dY and s.sdyx[c] = Σ dY·(x − mean[c]) over channel c (mean: the forward's saved means). */
export function batchnormGradSums(x: FloatArray, dY: FloatArray, n: number, C: number, hw: number, mean: FloatArray, s: BatchnormStats): void {
  const w = residentIn(x, dY);
  if (w === null) {
    for (let ch = 0; ch < C; ch++) {
      const sums = channelGradSums(x, dY, ch * hw, n, hw, C * hw, mean[ch]!);
      s.sdy[ch] = sums[0]!;
      s.sdyx[ch] = sums[1]!;
    }
    return;
  }
  one[0] = mean;
  const pF = layerPass(w, BN.gradSums, n, C, hw, 3, one);
  slotOut(w, pF, C, C, 2, s.sdy);
  slotOut(w, pF, C, C + 1, 2, s.sdyx);
}

/** dX = (dY − s.mdy[c] − (x − mean[c])·s.proj[c])·s.g[c] over channel c (dY and dX may be one array). */
export function batchnormGradInput(x: FloatArray, dY: FloatArray, dX: FloatArray, n: number, C: number, hw: number, mean: FloatArray, s: BatchnormStats): void {
  const w = residentIn(x, dY, dX);
  if (w === null) {
    for (let ch = 0; ch < C; ch++) channelGradInput(x, dY, dX, ch * hw, n, hw, C * hw, mean[ch]!, s.mdy[ch]!, s.proj[ch]!, s.g[ch]!);
    return;
  }
  four[0] = mean; four[1] = s.mdy; four[2] = s.proj; four[3] = s.g;
  layerPass(w, BN.gradInput, n, C, hw, 4, four);
}
