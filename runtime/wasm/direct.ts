// The direct convolution on the float32 wasm path, for the layers im2col + gemm serves badly: few
// channels a group (depthwise, grouped, a first layer on one input channel), where each sample's
// product [cog × K]·[K × P] is too thin for the gemm's tiles and im2col's column matrix costs more
// to write and pack than the multiply-adds it feeds. Here the multiply-adds read a padded,
// column-phased copy of each sample's input (direct-kernel.ts), four output columns to a vector,
// for any kernel size, stride, padding, dilation and group count:
//   forward   y = bias + Σ W·x, cb output channels × 4·vb columns of accumulators
//   data      dX = the same index map, scattered: Σ_co W·dY into the phased dX, then copied out
//   weights   dW += Σ dY·x, per weight one vectorised dot product over the output plane
// Threads share samples (forward) or fixed blocks of samples (backward, their partial dW and dB
// summed in block order) through gemm-part.js's directForwardPart / directBackwardPart; the workers
// instantiate this path's two side modules beside the gemm one (threads.ts). Each sample is computed
// whole by one thread, so the bits depend on the shapes only, never on the thread count.
import { relu, reluBackward } from './relu.js';
import { encodeModule, type MemoryDecl } from './encoder.js';
import { sideModule, workerModules, type SideKernels } from './side.js';
import { arithmeticModule } from './elementwise-kernel.js';
import { kernelMadd } from './sgemm-kernel.js';
import { CTRL, ceilDiv, directForwardName, roundUp, type DirectKernels } from './gemm-part.js';
import { blockSize, jobThreads, runJob as runJobOn } from './pool.js';
import { ensureFloats, operand, residentAt, scratchBase, wasmView, type Instance } from './sgemm.js';
import type { Conv2dGeometry } from './conv.js';
import { directDataKernel, directForwardKernel, directWeightsKernel, phaseKernel, rowBlock } from './direct-kernel.js';

/** The sizes of a direct convolution: conv.ts's geometry without the algorithm (a type-only import: no module cycle). */
export type DirectShape = Omit<Conv2dGeometry, 'algorithm' | 'backward'>;


/** The forward variants (cb output channels × rb output rows × vb vectors of columns) and the backward ones (vb vectors). */
const FORWARD: readonly (readonly [number, number, number])[] = [[4, 1, 2], [4, 2, 1], [2, 2, 1], [2, 4, 1], [1, 2, 1], [1, 4, 1]];
const BACKWARD_VB: readonly number[] = [1, 2, 4];
/** The forward's [vb, rb] choices for each cb (index cb): constants, so a call allocates nothing. */
const FORWARD_BLOCKS: readonly (readonly (readonly [number, number])[])[] = [[], [[2, 1], [4, 1]], [[2, 1], [4, 1]], [], [[1, 2], [2, 1]]];
const DATA_NAMES: readonly string[] = [0, 1, 2, 3, 4].map((vb) => `data${vb}`);
const WEIGHTS_NAMES: readonly string[] = [0, 1, 2, 3, 4].map((vb) => `weights${vb}`);

const encodeForward = (memory: MemoryDecl): Uint8Array<ArrayBuffer> =>
  encodeModule([...FORWARD.map(([cb, vb, rb]) => directForwardKernel(cb, vb, rb, directForwardName(cb, vb, rb), kernelMadd())), phaseKernel()], memory);
const encodeBackward = (memory: MemoryDecl): Uint8Array<ArrayBuffer> =>
  encodeModule([...BACKWARD_VB.map((vb) => directDataKernel(vb, kernelMadd())), ...BACKWARD_VB.map((vb) => directWeightsKernel(vb, kernelMadd())), phaseKernel()], memory);

/** Both modules' bytes (tests: they validate and stay under the 4 KiB a browser compiles on its main thread). */
export function directModules(): Uint8Array<ArrayBuffer>[] {
  const memory: MemoryDecl = { shared: false, pages: 1 };
  return [encodeForward(memory), encodeBackward(memory)];
}

/** Output channels a forward block: the most of 4, 2, 1 that divides a group's. */
export function channelBlock(cog: number): number {
  return cog % 4 === 0 ? 4 : cog % 2 === 0 ? 2 : 1;
}

/** The forward's block for cb output channels: the index among `choices` ([vb, rb]: vb vectors of columns by rb rows)
 *  of the fewest loads, padded outputs × (vb·rb + cb) loads per cb·vb·rb multiply-adds (ties: the later choice). In
 *  small integers (×16, which cb·vb·rb divides), index loops and no destructuring (an array iterator unoptimized):
 *  nothing a call allocates, even unoptimized (see gemm-part.js ceilDiv). */
function forwardBlock(ho: number, wo: number, cb: number, choices: readonly (readonly [number, number])[]): number {
  let best = 0, bestCost = -1;
  for (let i = 0; i < choices.length; i++) {
    const vb = choices[i]![0], rb = choices[i]![1], cost = roundUp(wo, 4 * vb) * roundUp(ho, rb) * (vb * rb + cb) * (16 / (cb * vb * rb));
    if (bestCost < 0 || cost <= bestCost) { best = i; bestCost = cost; }
  }
  return best;
}

/** The backward's vectors of columns a block (rowBlock(vb) rows): the fewest padded outputs, then the most vectors. */
function backwardBlock(ho: number, wo: number): number {
  let best = 0, bestPad = -1;
  for (let i = 0; i < BACKWARD_VB.length; i++) {
    const vb = BACKWARD_VB[i]!, pad = roundUp(ho, rowBlock(vb)) * roundUp(wo, 4 * vb);
    if (bestPad < 0 || pad <= bestPad) { best = vb; bestPad = pad; }
  }
  return best;
}

/**
 * One call's layout (module-level: no allocation a call). vb vectors a column block, woP padded
 * output columns (vblocks blocks); the phased input: rows × rowLen floats a plane, sw planes a
 * channel (chan floats); kjTab (kw ints) and phaseTab (3·sw ints) at pTab, and the forward's tap table after them.
 */
const lay = { cog: 0, cig: 0, khkw: 0, cb: 0, vb: 0, rb: 0, woP: 0, vblocks: 0, hoP: 0, rowBlocks: 0, rows: 0, rowLen: 0, plane: 0, chan: 0 };

/** rb: rows of output a block (the forward's forwardBlock; the backward's rowBlock(vb)); hoP = ho rounded up to whole blocks. */
function layout(g: DirectShape, vb: number, rb: number): void {
  lay.cog = g.cout / g.groups;
  lay.cig = g.cin / g.groups;
  lay.khkw = g.kh * g.kw;
  lay.vb = vb;
  lay.rb = rb;
  lay.woP = roundUp(g.wo, 4 * vb);
  lay.vblocks = lay.woP / (4 * vb);
  lay.hoP = roundUp(g.ho, rb);
  lay.rowBlocks = lay.hoP / rb;
  const qmax = floorDiv((g.kw - 1) * g.dw, g.sw);
  lay.rows = Math.max((lay.hoP - 1) * g.sh + (g.kh - 1) * g.dh + 1, g.top + g.h);
  lay.rowLen = Math.max(lay.woP + qmax, ceilDiv(g.w + g.left, g.sw));
  lay.plane = lay.rows * lay.rowLen;
  lay.chan = g.sw * lay.plane;
}

/** ⌊a / b⌋ for a ≥ 0, b > 0, in small integers (an exact division stays one). */
function floorDiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

/** Ints of kjTab and phaseTab (tables()). */
function tableInts(g: DirectShape): number {
  return g.kw + 3 * g.sw;
}

/** Writes kjTab then phaseTab at pTab (floats) into the memory's Int32 view: per kernel column kj its offset in
 *  bytes from a row's start (kjTab); per plane p, the byte offsets of its first image column iw0 ((iw0 + left) mod
 *  sw = p) in an image row and of that column's place in a plane's row (⌊(iw0 + left) / sw⌋), and the columns it
 *  holds (⌈(w − iw0) / sw⌉, at most 0 where none). */
function tables(w: Instance, g: DirectShape, pTab: number): void {
  const c = w.ctrl;
  for (let kj = 0; kj < g.kw; kj++) {
    const t = kj * g.dw;
    c[pTab + kj] = 4 * ((t % g.sw) * lay.plane + floorDiv(t, g.sw));
  }
  const ph = pTab + g.kw;
  for (let p = 0; p < g.sw; p++) {
    const iw0 = (((p - g.left) % g.sw) + g.sw) % g.sw;
    c[ph + 3 * p] = 4 * iw0;
    c[ph + 3 * p + 1] = 4 * floorDiv(iw0 + g.left, g.sw);
    c[ph + 3 * p + 2] = g.w > iw0 ? ceilDiv(g.w - iw0, g.sw) : 0;
  }
}

/** The forward's tap table at pTab + tableInts(g) (after tables()'s): per tap (ci, ki, kj) of a group, in that order, the
 *  byte offset of its input from an output block's in the phased layout (direct-kernel.ts directForwardKernel). */
function tapTable(w: Instance, g: DirectShape, pTab: number): void {
  const c = w.ctrl, kjTab = pTab, at = pTab + tableInts(g), cig = g.cin / g.groups, dhRow = 4 * g.dh * lay.rowLen;
  for (let ci = 0, t = at; ci < cig; ci++) {
    for (let ki = 0; ki < g.kh; ki++) {
      for (let kj = 0; kj < g.kw; kj++, t++) c[t] = 4 * ci * lay.chan + ki * dhRow + c[kjTab + kj]!;
    }
  }
}

/** Work space from scratchBase on, taken in turn: a module-level cursor (no allocation per call). */
let cursor = 0;

function take(floats: number): number {
  const p = cursor;
  cursor = roundUp(cursor + floats, 16);
  return p;
}

/** The two modules, for the workers to instantiate beside the gemm module (threads.ts). */
export function directWorkerModules(): WebAssembly.Module[] {
  return workerModules([encodeForward, encodeBackward]);
}

/** The calling thread's kernels for a direct job: both side modules' and the gemm module's copyRows and addRowSums, once per memory. */
const callerKernels = new WeakMap<WebAssembly.Memory, DirectKernels>();

function kernelsOf(w: Instance): DirectKernels {
  let k = callerKernels.get(w.memory);
  if (k === undefined) {
    k = { ...sideModule<DirectKernels>(w, 'direct-forward', encodeForward), ...sideModule<DirectKernels>(w, 'direct-backward', encodeBackward), copyRows: w.copyRows, addRowSums: w.addRowSums };
    callerKernels.set(w.memory, k);
  }
  return k;
}

/** Writes job `job`'s number, the batch size and the geometry into the conv job's fields of the control block
 *  (here and in depthwise.ts). */
export function setConvJob(c: Int32Array, g: DirectShape, n: number, job: number): void {
  c[CTRL.job] = job;
  c[CTRL.cvN] = n;
  c[CTRL.cin] = g.cin; c[CTRL.h] = g.h; c[CTRL.w] = g.w;
  c[CTRL.cout] = g.cout; c[CTRL.ho] = g.ho; c[CTRL.wo] = g.wo;
  c[CTRL.kh] = g.kh; c[CTRL.kw] = g.kw; c[CTRL.sh] = g.sh; c[CTRL.sw] = g.sw; c[CTRL.dh] = g.dh; c[CTRL.dw] = g.dw;
  c[CTRL.top] = g.top; c[CTRL.left] = g.left; c[CTRL.groups] = g.groups;
}

/** Writes the geometry, the layout and the batch size into the control block. */
function setJob(c: Int32Array, g: DirectShape, n: number, job: number, pTab: number): void {
  setConvJob(c, g, n, job);
  c[CTRL.dCb] = lay.cb; c[CTRL.dVb] = lay.vb; c[CTRL.dRb] = lay.rb; c[CTRL.dWoP] = lay.woP; c[CTRL.dHoP] = lay.hoP;
  c[CTRL.dRowLen] = lay.rowLen; c[CTRL.dPlane] = lay.plane; c[CTRL.dTab] = pTab; c[CTRL.dTaps] = pTab + tableInts(g);
}

/** Runs the job the control block describes on `threads` threads (the caller is one of them). */
function runJob(w: Instance, k: DirectKernels, threads: number): void {
  runJobOn(k, w.ctrl, w.ctrl[CTRL.job]!, threads);
}

/**
 * y = conv2d(x, W) + B for n samples (NCHW; W [cout, cin/groups, kh, kw]); then reluY = relu(y) when
 * given. Samples are shared out among the threads (gemm-part.js: directForwardPart), each computed
 * whole by one thread: the same bits for any count.
 */
export function directForward(w: Instance, g: DirectShape, n: number, x: Float32Array, W: Float32Array, B: Float32Array | null, y: Float32Array, reluY: Float32Array | null): void {
  const k = kernelsOf(w);
  const cb = channelBlock(g.cout / g.groups);
  const choices = FORWARD_BLOCKS[cb]!, block = choices[forwardBlock(g.ho, g.wo, cb, choices)]!;
  layout(g, block[0], block[1]);
  lay.cb = cb;
  const { cig, khkw, woP, hoP, chan } = lay;
  const inS = g.cin * g.h * g.w, P = g.ho * g.wo, outS = g.cout * P, padded = woP !== g.wo || hoP !== g.ho, tap = cig * khkw;
  const threads = jobThreads(n, n * outS * tap);
  const rX = residentAt(w, x), rY = residentAt(w, y), rB = B === null ? -1 : residentAt(w, B), rW = residentAt(w, W);
  cursor = scratchBase(w);
  const pX = rX >= 0 ? rX : take(n * inS), pY = rY >= 0 ? rY : take(n * outS);
  const pB = B === null ? -1 : rB >= 0 ? rB : take(g.cout);
  const pW = rW >= 0 ? rW : take(g.cout * tap), pWr = take(g.cout * tap), pTab = take(tableInts(g) + tap);
  // Per thread: the phased input, then (rows padded to whole blocks) the output.
  const tStride = roundUp(roundUp(g.cin * chan, 16) + (padded ? g.cout * hoP * woP : 0), 16);
  const tScratch = take(threads * tStride);
  const mem = ensureFloats(w, cursor);
  if (rX < 0) mem.set(operand(x, 0, n * inS), pX);
  if (B !== null && rB < 0) mem.set(B, pB);
  if (rW < 0) mem.set(W, pW);
  // W [g][blk][b][ci][ki][kj] → [g][blk][ci][ki][kj][b]: a block's cb weights of one tap side by side, which is the
  // gemm's packing of W's cout rows into panels of cb rows, tap-major (pack-kernel.ts packRows; cb divides cout). In
  // wasm: the JS loop it replaces took ~0.2 ms of conv3's 0.9 ms in the strided model at batch 1 (73,728 weights).
  w.packRows(4 * pW, 4 * tap, g.cout, tap, cb, g.cout / cb, 4 * pWr);
  tables(w, g, pTab);
  tapTable(w, g, pTab);
  const c = w.ctrl;
  setJob(c, g, n, 3, pTab);
  c[CTRL.pX] = pX;
  c[CTRL.pW] = pWr;
  c[CTRL.pBias] = pB;
  c[CTRL.pY] = pY;
  c[CTRL.tScratch] = tScratch;
  c[CTRL.tStride] = tStride;
  runJob(w, k, threads);
  if (rY < 0) y.set(wasmView(w, pY, n * outS), 0);
  if (reluY !== null) relu(y, reluY, n * outS);
}

/**
 * dW += the weight gradient, dB += Σ dY when dB is given, and dX = the input gradient when dX is
 * given (written, not accumulated), for n samples; with reluY and reluDY (a relu fused into the
 * conv), dY is first set to reluDY·[reluY > 0]. The batch is cut into at most 8 blocks of
 * consecutive samples, shared out among the threads (gemm-part.js: directBackwardPart); each
 * block's partial dW and dB are added in block order: the same bits for any thread count.
 */
export function directBackward(
  w: Instance, g: DirectShape, n: number, x: Float32Array, dY: Float32Array, W: Float32Array, dW: Float32Array,
  dX: Float32Array | null, dB: Float32Array | null, reluY: Float32Array | null, reluDY: Float32Array | null,
): void {
  const k = kernelsOf(w);
  if (reluY !== null && reluDY !== null) reluBackward(reluY, reluDY, dY, n * g.cout * g.ho * g.wo);
  const vbB = backwardBlock(g.ho, g.wo);
  layout(g, vbB, rowBlock(vbB));
  lay.cb = 1;
  const { cig, khkw, woP, hoP, chan } = lay;
  const inS = g.cin * g.h * g.w, outS = g.cout * g.ho * g.wo, tap = cig * khkw;
  const per = blockSize(n), units = ceilDiv(n, per);
  const threads = jobThreads(units, n * outS * tap);
  const dbOff = dB === null ? -1 : g.cout * tap;
  const partStride = roundUp(g.cout * tap + (dB === null ? 0 : g.cout), 16);
  const rX = residentAt(w, x), rDY = residentAt(w, dY), rW = residentAt(w, W), rDW = residentAt(w, dW);
  const rDX = dX === null ? -1 : residentAt(w, dX), rDB = dB === null ? -1 : residentAt(w, dB);
  cursor = scratchBase(w);
  const pX = rX >= 0 ? rX : take(n * inS), pDY = rDY >= 0 ? rDY : take(n * outS);
  const pW = rW >= 0 ? rW : take(g.cout * tap), pDW = rDW >= 0 ? rDW : take(g.cout * tap);
  const pDX = dX === null ? -1 : rDX >= 0 ? rDX : take(n * inS);
  const pDB = dB === null ? -1 : rDB >= 0 ? rDB : take(g.cout);
  const pParts = take(units * partStride), pTab = take(tableInts(g));
  // Per thread: the phased input, dY in padded rows, the phased dX.
  const tStride = roundUp(roundUp(g.cin * chan, 16) + roundUp(g.cout * hoP * woP, 16) + (dX === null ? 0 : g.cin * chan), 16);
  const tScratch = take(threads * tStride);
  const mem = ensureFloats(w, cursor);
  if (rX < 0) mem.set(operand(x, 0, n * inS), pX);
  if (rDY < 0) mem.set(operand(dY, 0, n * outS), pDY);
  if (rW < 0) mem.set(W, pW);
  if (rDW < 0) mem.set(dW, pDW);
  if (dB !== null && rDB < 0) mem.set(dB, pDB);
  tables(w, g, pTab);
  const c = w.ctrl;
  setJob(c, g, n, 4, pTab);
  c[CTRL.pX] = pX;
  c[CTRL.pW] = pW;
  c[CTRL.pDY] = pDY;
  c[CTRL.pDX] = pDX;
  c[CTRL.pParts] = pParts;
  c[CTRL.partStride] = partStride;
  c[CTRL.units] = units;
  c[CTRL.perUnit] = per;
  c[CTRL.dbOff] = dbOff;
  c[CTRL.tScratch] = tScratch;
  c[CTRL.tStride] = tStride;
  runJob(w, k, threads);
  // dW and dB += the blocks' partials, in block order, by the float32 vector add (elementwise-kernel.ts add, as
  // conv.ts's im2col backward): every element's sum rounded to float32 after each add, the bits of one block after another.
  const add = sideModule<SideKernels<'add'>>(w, 'arithmetic', arithmeticModule).add;
  for (let u = 0; u < units; u++) {
    add(4 * pDW, 4 * (pParts + u * partStride), 4 * pDW, g.cout * tap);
    if (dB !== null) add(4 * pDB, 4 * (pParts + u * partStride + dbOff), 4 * pDB, g.cout);
  }
  if (dB !== null && rDB < 0) dB.set(wasmView(w, pDB, g.cout), 0);
  if (rDW < 0) dW.set(wasmView(w, pDW, g.cout * tap), 0);
  if (dX !== null && rDX < 0) dX.set(wasmView(w, pDX, n * inS), 0);
}
