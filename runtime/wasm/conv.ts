// conv2d for a whole batch in wasm memory: the float32 fast path the generated kernels call
// (`if (rt.conv2dForward(conv1_geometry, …)) return;`, then their own JS loops for float64, engines
// without WebAssembly SIMD128 and CNNC_NO_WASM=1).
//
// Why: per sample, the generic path ran im2col as a JS loop (~1.5 ns per element against ~0.3 in
// wasm) and copied the column matrix and C into and out of wasm memory for every gemm. Here the
// arrays that live in wasm memory (resident.ts: the generated model's weights and arenas) are used
// in place, others are copied in or out once per call; im2col/col2im run in wasm (conv-kernel.ts)
// straight into the place each sample's product reads. The arithmetic is the generic path's per
// sample: the same packing and micro-kernel, C preloaded with the bias, dX accumulated in the
// generated loop's (c, ki, kj, oh, ow) order; dW and dB are summed per fixed block of samples, then
// the blocks in order (see conv2dBackward). A relu the compiler fused into the conv (its only
// reader) is applied per sample inside the job: relu(y) forward, dY = reluDY·[reluY > 0] backward.
//
// Below BATCHED_P_MAX output positions a sample (groups 1), im2col's products take the samples
// together instead: one product S·P columns wide (batchedForward, batchedBackward), split among
// the threads by sgemmAt, not one per sample P wide with P padded to whole tiles.
//
// Threads (threads.ts): forward shares out samples, backward fixed blocks of samples (gemm-part.js:
// convForwardPart, convBackwardPart), each unit computed whole by one thread — one job per call,
// not one per product — with the same bits for any thread count. A batch smaller than the thread
// count (a forward at batch 1) splits each sample's product instead (sgemmAt), with the same bits too.
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { MR, NR } from './sgemm-kernel.js';
import { CTRL, ceilDiv, gemmWorkFloats, roundUp } from './gemm-part.js';
import { blockSize, jobThreads, pool, runJob as runJobOn } from './pool.js';
import { relu, reluBackward } from './relu.js';
import { ensureFloats, KC, operand, residentAt, scratchBase, sgemm, sgemmAt, wasmSgemm, wasmView, type Instance } from './sgemm.js';
import { winogradData, winogradForward, winogradWeights, type WinogradTile } from './winograd.js';
import { directBackward, directForward } from './direct.js';
import { depthwiseBackward, depthwiseForward, isDepthwise } from './depthwise.js';
import { sideModule, type SideKernels } from './side.js';
import { arithmeticModule } from './elementwise-kernel.js';

/** How conv2dForward/conv2dBackward compute a layer: im2col with GEMM (any geometry), Winograd
 *  F(2×2,3×3) ('winograd') or F(4×4,3×3) ('winograd4') (winograd.ts: 3×3, stride 1, dilation 1, groups 1),
 *  direct (direct.ts: any geometry, for few channels a group), or depthwise (depthwise.ts: groups = in = out
 *  channels, vectors across channels). The compiler chooses it per layer. */
export type ConvAlgorithm = 'im2col' | 'winograd' | 'winograd4' | 'direct' | 'depthwise';

/** A conv2d's shapes, as literals in the generated module (torch.nn.Conv2d's arguments, resolved). */
export interface Conv2dGeometry {
  /** Input channels, height, width. */
  readonly cin: number;
  readonly h: number;
  readonly w: number;
  /** Output channels, height, width. */
  readonly cout: number;
  readonly ho: number;
  readonly wo: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  /** Padding before the first row and column (the far sides follow from ho and wo). */
  readonly top: number;
  readonly left: number;
  readonly groups: number;
  /** The compiler's choice for this layer; absent: im2col (a geometry written by hand, or by an older cnnc). */
  readonly algorithm?: ConvAlgorithm;
  /** The backward pass's, where the compiler chose another for it (a direct forward, an im2col backward); absent: algorithm. */
  readonly backward?: ConvAlgorithm;
  /** Winograd (either pass) runs on batches of at least this many samples, im2col on smaller ones, where its
   *  filter transform would cost more than the products save (the compiler's winogradMinBatch); absent: every batch. */
  readonly winogradFrom?: number;
}

/** The Winograd tile a geometry asks for on a batch of n (the forward's, or `backward` for the backward; 0: not
 *  Winograd, or a batch under winogradFrom, which runs im2col), where it can have it (3×3, stride 1, dilation 1,
 *  groups 1); one that cannot is a bug in its writer. */
function winograd(g: Conv2dGeometry, n: number, algorithm: ConvAlgorithm | undefined = g.algorithm): WinogradTile | 0 {
  if ((algorithm !== 'winograd' && algorithm !== 'winograd4') || n < (g.winogradFrom ?? 1)) return 0;
  if (g.kh !== 3 || g.kw !== 3 || g.sh !== 1 || g.sw !== 1 || g.dh !== 1 || g.dw !== 1 || g.groups !== 1) {
    throw new RangeError(`conv2d geometry asks for winograd, which needs 3×3, stride 1, dilation 1, groups 1; it has ${g.kh}×${g.kw}, stride ${g.sh}×${g.sw}, dilation ${g.dh}×${g.dw}, groups ${g.groups}`);
  }
  return algorithm === 'winograd' ? 2 : 4;
}

/** Whether the wasm batch path runs for these operands (float32, wasm gemm). Fixed arity: a rest parameter would allocate per call. */
function usable(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray | null, e: FloatArray | null): boolean {
  return gemmBackend() === 'wasm' && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array &&
    (d === null || d instanceof Float32Array) && (e === null || e instanceof Float32Array);
}

/** im2col or col2im over `cin` channels of the geometry, (src, dst, ldr) in floats. */
function im2colCall(w: Instance, kernel: 'im2col' | 'col2im', src: number, dst: number, ldr: number, g: Conv2dGeometry, cin: number): void {
  w[kernel](4 * src, 4 * dst, 4 * ldr, cin, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.top, g.left, g.ho, g.wo);
}

/** Work space from scratchBase on: regions taken in turn (take), each on its own cache line. A module-level cursor, not a closure: no allocation per call. */
let cursor = 0;

function workSpace(w: Instance): void {
  cursor = scratchBase(w);
}

function take(floats: number): number {
  const p = cursor;
  cursor = roundUp(cursor + floats, 16);
  return p;
}

/** Writes the geometry and the batch size into the control block. */
function setGeometry(c: Int32Array, g: Conv2dGeometry, n: number): void {
  c[CTRL.cvN] = n;
  c[CTRL.cin] = g.cin;
  c[CTRL.h] = g.h;
  c[CTRL.w] = g.w;
  c[CTRL.cout] = g.cout;
  c[CTRL.ho] = g.ho;
  c[CTRL.wo] = g.wo;
  c[CTRL.kh] = g.kh;
  c[CTRL.kw] = g.kw;
  c[CTRL.sh] = g.sh;
  c[CTRL.sw] = g.sw;
  c[CTRL.dh] = g.dh;
  c[CTRL.dw] = g.dw;
  c[CTRL.top] = g.top;
  c[CTRL.left] = g.left;
  c[CTRL.groups] = g.groups;
}

/** Runs the job the control block describes on `threads` threads (the caller is one of them). */
function runJob(w: Instance, threads: number): void {
  runJobOn(w, w.ctrl, w.ctrl[CTRL.job]!, threads);
}

/**
 * y[n, cout, ho, wo] = conv2d(x, W, B) for the whole batch; false (nothing done) where the wasm
 * path does not apply, and the caller runs its own loops. Samples are shared out among the threads
 * (gemm-part.js: convForwardPart), each computed whole by one thread: the same bits for any count.
 * With `reluY` (a relu layer the compiler fused into this conv), also reluY = relu(y), sample by
 * sample inside the job where everything is in wasm memory, else over the batch at the end.
 */
export function conv2dForward(g: Conv2dGeometry, n: number, x: FloatArray, W: FloatArray, B: FloatArray | null, y: FloatArray, reluY: FloatArray | null = null): boolean {
  if (!usable(x, W, y, B, null) || !(reluY === null || reluY instanceof Float32Array)) return false;
  const w = wasmSgemm()!;
  if (g.algorithm === 'depthwise' && isDepthwise(g)) {
    depthwiseForward(w, g, n, x as Float32Array, W as Float32Array, B as Float32Array | null, y as Float32Array, reluY);
    return true;
  }
  if (g.algorithm === 'direct' || g.algorithm === 'depthwise') {
    directForward(w, g, n, x as Float32Array, W as Float32Array, B as Float32Array | null, y as Float32Array, reluY);
    return true;
  }
  const tile = winograd(g, n), S = tile === 0 ? batchedSamples(g, n) : 0;
  if (tile !== 0 || S > 0) { // whole-batch products: the fused relu after them, over the batch
    if (tile !== 0) winogradForward(w, g, n, x as Float32Array, W as Float32Array, B as Float32Array | null, y as Float32Array, tile);
    else batchedForward(w, g, n, S, x as Float32Array, W as Float32Array, B as Float32Array | null, y as Float32Array);
    if (reluY !== null) relu(y, reluY, n * g.cout * g.ho * g.wo);
    return true;
  }
  const P = g.ho * g.wo, cog = g.cout / g.groups, K = (g.cin / g.groups) * g.kh * g.kw;
  const inS = g.cin * g.h * g.w, outS = g.cout * P, rowsK = g.cin * g.kh * g.kw;
  // C of each sample and group: cog rows of ldc floats, padded to whole MR×NR tiles (the
  // micro-kernel writes whole tiles; padding rows of a group never spill into another's, where
  // 0 · Inf in the padding would write NaN).
  const ldc = roundUp(P, NR), groupRows = roundUp(cog, MR);
  const sampleC = g.groups * groupRows * ldc;
  const compact = ldc === P && groupRows === cog; // C is y's layout
  const threads = jobThreads(n, n * g.cout * P * K);
  // Layout: every array where it lives when it is in wasm memory (resident.ts: the model's weights
  // and arenas), else copied in and out; then x batch | C, every sample | (C compacted) | per
  // thread: a private gemm block, col, the gemm's work space.
  const rW = residentAt(w, W as Float32Array), rB = B === null ? -1 : residentAt(w, B as Float32Array);
  const rX = residentAt(w, x as Float32Array), rY = residentAt(w, y as Float32Array);
  const splitProducts = threads < pool.threads && cog * P * K >= pool.minMacs;
  const rR = reluY === null ? -1 : residentAt(w, reluY);
  const reluInJob = rR >= 0 && outS % 4 === 0 && !splitProducts;
  workSpace(w);
  const pX = rX >= 0 ? rX : take(n * inS);
  const pW = rW >= 0 ? rW : take(g.cout * K);
  const pB = B === null ? -1 : rB >= 0 ? rB : take(g.cout);
  const pC = compact && rY >= 0 ? rY : take(n * sampleC); // compact and in wasm memory: C is y itself
  const pOut = compact ? pC : rY >= 0 ? rY : take(n * outS);
  const tStride = roundUp(64 + roundUp(rowsK * P, 16) + gemmWorkFloats(cog, P, K, MR, NR, KC, 1), 16);
  const tScratch = take(threads * tStride);
  const mem = ensureFloats(w, take(0));
  if (rX < 0) mem.set(operand(x as Float32Array, 0, n * inS), pX);
  if (rW < 0) mem.set(W as Float32Array, pW);
  if (B !== null && rB < 0) mem.set(B as Float32Array, pB);
  const c = w.ctrl;
  setGeometry(c, g, n);
  c[CTRL.job] = 1;
  c[CTRL.pX] = pX;
  c[CTRL.pW] = pW;
  c[CTRL.pBias] = pB;
  c[CTRL.pY] = pC;
  c[CTRL.sampleC] = sampleC;
  c[CTRL.ldy] = ldc;
  c[CTRL.groupRows] = groupRows;
  c[CTRL.pOut] = compact ? -1 : pOut;
  c[CTRL.pRelu] = reluInJob ? rR : -1;
  c[CTRL.tScratch] = tScratch;
  c[CTRL.tStride] = tStride;
  if (splitProducts) {
    // Fewer samples than threads (a forward at batch 1): each sample's product split among them.
    c[CTRL.job] = 0;
    const col = tScratch + 64;
    for (let s = 0; s < n; s++) {
      im2colCall(w, 'im2col', pX + s * inS, col, P, g, g.cin);
      for (let gi = 0; gi < g.groups; gi++) {
        const y0 = pC + s * sampleC + gi * groupRows * ldc;
        if (B !== null) w.fillRows(4 * y0, 4 * ldc, cog, P, 4 * (pB + gi * cog));
        sgemmAt(w, false, false, cog, P, K, pW + gi * cog * K, col + gi * K * P, y0, ldc, B !== null, tScratch + tStride);
        if (!compact) w.copyRows(4 * y0, 4 * ldc, 4 * (pOut + s * outS + gi * cog * P), 4 * P, cog, P);
      }
    }
  } else {
    runJob(w, threads);
  }
  if (rY < 0) (y as Float32Array).set(wasmView(w, pOut, n * outS), 0);
  if (reluY !== null && !reluInJob) relu(y, reluY, n * outS);
  return true;
}

/**
 * dW += dY·colᵀ, when dB is given dB += the sums of dY over samples and positions, and when dX is
 * given dX = col2im(Wᵀ·dY), for the whole batch; false where the wasm path does not apply (then
 * nothing is written). With `reluY` and `reluDY` (a relu layer fused into this conv: its output and
 * the gradient of its output), dY is first set to reluDY·[reluY > 0], sample by sample inside the
 * job where everything is in wasm memory, else over the batch before it. The batch is cut into at
 * most 8 blocks of consecutive samples, shared out among the threads (gemm-part.js:
 * convBackwardPart); each block's partial dW and dB are added in block order: the same bits for
 * any thread count.
 */
export function conv2dBackward(
  g: Conv2dGeometry, n: number, x: FloatArray, dY: FloatArray, W: FloatArray, dW: FloatArray, dX: FloatArray | null,
  dB: FloatArray | null = null, reluY: FloatArray | null = null, reluDY: FloatArray | null = null,
): boolean {
  const algorithm = g.backward ?? g.algorithm;
  const tile = winograd(g, n, algorithm);
  if (!usable(x, dY, W, dW, dX) || !(dB === null || dB instanceof Float32Array)) return false;
  if (!(reluY === null || reluY instanceof Float32Array) || !(reluDY === null || reluDY instanceof Float32Array) || (reluY === null) !== (reluDY === null)) return false;
  const w = wasmSgemm()!;
  if (algorithm === 'depthwise' && isDepthwise(g)) {
    depthwiseBackward(w, g, n, x as Float32Array, dY as Float32Array, W as Float32Array, dW as Float32Array, dX as Float32Array | null, dB, reluY, reluDY);
    return true;
  }
  if (algorithm === 'direct' || algorithm === 'depthwise') {
    directBackward(w, g, n, x as Float32Array, dY as Float32Array, W as Float32Array, dW as Float32Array, dX as Float32Array | null, dB, reluY, reluDY);
    return true;
  }
  if (tile === 0 && coversInput(g)) {
    if (reluY !== null && reluDY !== null) reluBackward(reluY, reluDY, dY, n * g.cout);
    denseBackward(w, g, n, x as Float32Array, dY as Float32Array, W as Float32Array, dW as Float32Array, dX as Float32Array | null, dB);
    return true;
  }
  if (tile === 0) {
    const S = batchedSamples(g, n);
    if (S === 0) return im2colBackward(g, n, x, dY, W, dW, dX, dB, reluY, reluDY);
    batchedBackward(w, g, n, S, x as Float32Array, dY as Float32Array, W as Float32Array, dW as Float32Array, dX as Float32Array | null, dB, reluY, reluDY);
    return true;
  }
  // Winograd: the fused relu's backward first (dY = reluDY·[reluY > 0], written into dY), then dW and dB, then dX.
  if (reluY !== null && reluDY !== null) reluBackward(reluY, reluDY, dY, n * g.cout * g.ho * g.wo);
  winogradWeights(w, g, n, x as Float32Array, dY as Float32Array, dW as Float32Array, dB, tile);
  if (dX !== null) winogradData(w, g, n, dY as Float32Array, W as Float32Array, dX as Float32Array, tile);
  return true;
}

/** Whether the kernel covers the whole unpadded input (a 1×1 output, dilation 1, groups 1): each sample's input is
 *  then its own column matrix, in order, and the conv is a linear layer over the flattened input (gan-discriminator's
 *  64→1 4×4 over 4×4: im2col's per-row overheads made 33K multiply-adds cost 0.4 ms forward, 0.8 backward at batch 32). */
export function coversInput(g: Conv2dGeometry): boolean {
  return g.ho === 1 && g.wo === 1 && g.kh === g.h && g.kw === g.w && g.top === 0 && g.left === 0 && g.dh === 1 && g.dw === 1 && g.groups === 1;
}

/** dW [cout × K] += dYᵀ · x, dB += dY's column sums (addChannelSums, sample by sample), dX [n × K] = dY · W: a linear layer's backward. */
function denseBackward(w: Instance, g: Conv2dGeometry, n: number, x: Float32Array, dY: Float32Array, W: Float32Array, dW: Float32Array, dX: Float32Array | null, dB: FloatArray | null): void {
  const K = g.cin * g.kh * g.kw, cout = g.cout;
  sgemm(w, true, false, cout, K, n, dY, 0, x, 0, dW, 0, true);
  if (dB !== null) addChannelSums(cout, 1, n, dY, dB as Float32Array);
  if (dX !== null) sgemm(w, false, false, n, K, cout, dY, 0, W, 0, dX, 0, false);
}

/** im2col's products take the samples together (batchedForward) below this many output positions
 *  a sample: a product S·P columns wide instead of n products P wide, each of which pads P to whole
 *  NR-column tiles and packs W again (squeezenet's classifier, P = 9; mobilenet's last blocks, P = 4). */
export const BATCHED_P_MAX = 64;
/** The columns of one batched product (S·P) at most, and the floats of its column matrix at most. */
const BATCHED_COLUMNS = 1024, BATCHED_COL_FLOATS = 1 << 22;

/** How many samples one im2col product takes (0: one sample a product, the job path): fixed by the
 *  geometry and n alone, never by the thread count, so the bits are the same for any count. */
export function batchedSamples(g: Conv2dGeometry, n: number): number {
  const P = g.ho * g.wo, rowsK = g.cin * g.kh * g.kw;
  if (coversInput(g)) return Math.min(n, BATCHED_COLUMNS); // no column matrix: the samples' inputs are its columns
  if (g.groups !== 1 || P >= BATCHED_P_MAX || n < 2) return 0;
  const S = Math.min(n, Math.max(1, Math.floor(BATCHED_COLUMNS / P)), Math.max(1, Math.floor(BATCHED_COL_FLOATS / (rowsK * P))));
  return S >= 2 ? S : 0;
}

/**
 * im2col (kind 0) of m samples, the first's image at `image` (floats), into columns s·P of the matrix at pCol (row
 * stride ldr floats), with each sample's dY rows (from pDY) copied into D's columns s·P (at pD, the same stride) where
 * pDY ≥ 0; col2im (1): each sample's dX (at `image`) zeroed, then its columns added in; or (2) each sample's columns
 * of the product copied out to its y (at `image`). A job shared among the threads, a sample a unit (gemm-part.js
 * batchedColumnsPart: the same bits for any count) from pool.minFloats floats of columns; the products between them
 * are split among the threads already (sgemmAt).
 */
function batchedColumns(w: Instance, g: Conv2dGeometry, kind: 0 | 1 | 2, m: number, image: number, pCol: number, ldr: number, pDY = -1, pD = -1): void {
  const c = w.ctrl;
  setGeometry(c, g, m);
  c[CTRL.bcKind] = kind; c[CTRL.bcCount] = m; c[CTRL.bcImage] = image; c[CTRL.bcCols] = pCol; c[CTRL.bcLdr] = ldr;
  c[CTRL.bcDY] = pDY; c[CTRL.bcD] = pD;
  runJobOn(w, c, 12, jobThreads(m, m * g.cin * g.kh * g.kw * g.ho * g.wo, pool.minFloats));
}

/** Where `a` is in wasm memory: where it lives (resident.ts), else a region taken for it, which
 *  stageIn fills once memory has grown to hold every region. */
function place(w: Instance, a: Float32Array, floats: number): number {
  const r = residentAt(w, a);
  return r >= 0 ? r : take(floats);
}

/** Copies `a` into the region place gave it, where it does not live in wasm memory. */
function stageIn(w: Instance, a: Float32Array, at: number, floats: number): void {
  if (residentAt(w, a) < 0) w.f32.set(operand(a, 0, floats), at);
}

/**
 * y = conv2d(x, W, B) with S samples a product: col [rowsK, S·P] by im2col of each sample at
 * column s·P, C [cout, S·P] started at the bias, C = W·col (sgemmAt: split among threads with the
 * bits of one), then each sample's P columns copied to its y. groups 1.
 */
function batchedForward(w: Instance, g: Conv2dGeometry, n: number, S: number, x: Float32Array, W: Float32Array, B: Float32Array | null, y: Float32Array): void {
  const P = g.ho * g.wo, K = g.cin * g.kh * g.kw, inS = g.cin * g.h * g.w, outS = g.cout * P;
  workSpace(w);
  const pX = place(w, x, n * inS), pW = place(w, W, g.cout * K);
  const pB = B === null ? -1 : place(w, B, g.cout);
  const rY = residentAt(w, y), pY = rY >= 0 ? rY : take(n * outS);
  // A kernel that covers the input (P = 1): the samples' inputs, K floats each by rows, are the columns (transB).
  const dense = coversInput(g);
  const pCol = dense ? -1 : take(K * S * P), pC = take(roundUp(g.cout, MR) * roundUp(S * P, NR)), free = take(0);
  ensureFloats(w, free);
  stageIn(w, x, pX, n * inS);
  stageIn(w, W, pW, g.cout * K);
  if (B !== null) stageIn(w, B, pB, g.cout);
  for (let s0 = 0; s0 < n; s0 += S) {
    const m = Math.min(S, n - s0), cols = m * P, ldc = roundUp(cols, NR);
    if (!dense) batchedColumns(w, g, 0, m, pX + s0 * inS, pCol, cols);
    if (pB >= 0) w.fillRows(4 * pC, 4 * ldc, g.cout, cols, 4 * pB);
    if (dense) sgemmAt(w, false, true, g.cout, cols, K, pW, pX + s0 * inS, pC, ldc, pB >= 0, free, K, K);
    else sgemmAt(w, false, false, g.cout, cols, K, pW, pCol, pC, ldc, pB >= 0, free);
    batchedColumns(w, g, 2, m, pY + s0 * outS, pC, ldc);
  }
  if (rY < 0) y.set(wasmView(w, pY, n * outS), 0);
}

/**
 * conv2d's backward with S samples a product (batchedForward's layout): the fused relu's backward
 * and dB first, over the batch; then per product D [cout, S·P] gathered from dY, dW += D·colᵀ
 * (accumulated in tile layout from the first product to the last), and where dX is given
 * dCol = Wᵀ·D, col2im'd into each sample's zeroed dX. Fixed by the geometry and n: the same bits
 * for any thread count.
 */
function batchedBackward(
  w: Instance, g: Conv2dGeometry, n: number, S: number, x: Float32Array, dY: Float32Array, W: Float32Array, dW: Float32Array, dX: Float32Array | null,
  dB: Float32Array | null, reluY: Float32Array | null, reluDY: Float32Array | null,
): void {
  const P = g.ho * g.wo, K = g.cin * g.kh * g.kw, inS = g.cin * g.h * g.w, outS = g.cout * P;
  if (reluY !== null && reluDY !== null) reluBackward(reluY, reluDY, dY, n * outS);
  if (dB !== null) addChannelSums(g.cout, P, n, dY, dB);
  workSpace(w);
  const pX = place(w, x, n * inS), pDY = place(w, dY, n * outS);
  const pW = place(w, W, g.cout * K), pDW = place(w, dW, g.cout * K);
  const rDX = dX === null ? -1 : residentAt(w, dX), pDX = dX === null ? -1 : rDX >= 0 ? rDX : take(n * inS);
  const ldw = roundUp(K, NR);
  const pCW = take(roundUp(g.cout, MR) * ldw), pCol = take(K * S * P), pD = take(g.cout * S * P);
  const pDCol = dX === null ? -1 : take(roundUp(K, MR) * roundUp(S * P, NR)), free = take(0);
  ensureFloats(w, free);
  stageIn(w, x, pX, n * inS);
  stageIn(w, dY, pDY, n * outS);
  stageIn(w, W, pW, g.cout * K);
  stageIn(w, dW, pDW, g.cout * K);
  w.copyRows(4 * pDW, 4 * K, 4 * pCW, 4 * ldw, g.cout, K);
  for (let s0 = 0; s0 < n; s0 += S) {
    const m = Math.min(S, n - s0), cols = m * P;
    batchedColumns(w, g, 0, m, pX + s0 * inS, pCol, cols, pDY + s0 * outS, pD);
    sgemmAt(w, false, true, g.cout, K, cols, pD, pCol, pCW, ldw, true, free, cols, cols);
    if (pDX < 0) continue;
    const ldd = roundUp(cols, NR);
    sgemmAt(w, true, false, K, cols, g.cout, pW, pD, pDCol, ldd, false, free, K, cols);
    batchedColumns(w, g, 1, m, pDX + s0 * inS, pDCol, ldd);
  }
  w.copyRows(4 * pCW, 4 * ldw, 4 * pDW, 4 * K, g.cout, K);
  if (residentAt(w, dW) < 0) dW.set(wasmView(w, pDW, g.cout * K), 0);
  if (dX !== null && rDX < 0) dX.set(wasmView(w, pDX, n * inS), 0);
}

/**
 * conv_transpose2d (torch.nn.ConvTranspose2d) for the whole batch, as the adjoint of the conv2d `g`
 * that maps the transpose's output shape to its input shape with the same weight ([transpose's
 * Cin = g.cout, Cout/groups = g.cin/groups, kh, kw]), stride, padding and dilation: y = col2im(Wᵀ·x)
 * is g's backward-data pass, started at the bias. False (nothing written) where the wasm path does
 * not apply. g is im2col's: the backward-data job shares out blocks of samples among the threads.
 */
export function convTranspose2dForward(g: Conv2dGeometry, n: number, x: FloatArray, W: FloatArray, B: FloatArray | null, y: FloatArray): boolean {
  return im2colBackward(g, n, null, x, W, null, y, null, null, null, B);
}

/**
 * conv_transpose2d's backward, by the same adjoint conv2d `g`: dX = g's forward of dY (no bias),
 * dW += g's weight gradient with dY as its input and x as its output's gradient, and dB += the sums
 * of dY over samples and positions, per channel, sample after sample (the order the TypeScript
 * loops add in). False (nothing written) where the wasm path does not apply.
 */
export function convTranspose2dBackward(
  g: Conv2dGeometry, n: number, x: FloatArray, dY: FloatArray, W: FloatArray, dW: FloatArray, dB: FloatArray | null, dX: FloatArray | null,
): boolean {
  if (!usable(x, dY, W, dW, dX) || !(dB === null || dB instanceof Float32Array)) return false;
  if (dX !== null) conv2dForward(g, n, dY, W, null, dX);
  im2colBackward(g, n, dY, x, W, dW, null, null, null, null);
  if (dB !== null) addChannelSums(g.cin, g.h * g.w, n, dY as Float32Array, dB);
  return true;
}

/** dB[c] += Σ over positions of sample s's channel c of src, sample after sample, by addRowSums (as
 *  winogradWeights's dB): each array where it lives in wasm memory, else copied in (and dB back out). */
function addChannelSums(channels: number, plane: number, n: number, src: Float32Array, dB: Float32Array): void {
  const w = wasmSgemm()!;
  const rS = residentAt(w, src), rB = residentAt(w, dB), sampleS = channels * plane;
  workSpace(w);
  const pS = rS >= 0 ? rS : take(n * sampleS);
  const pB = rB >= 0 ? rB : take(channels);
  const mem = ensureFloats(w, take(0));
  if (rS < 0) mem.set(operand(src, 0, n * sampleS), pS);
  if (rB < 0) mem.set(dB, pB);
  for (let s = 0; s < n; s++) w.addRowSums(4 * (pS + s * sampleS), 4 * plane, channels, plane, 4 * pB);
  if (rB < 0) dB.set(wasmView(w, pB, channels), 0);
}

/**
 * conv2dBackward by im2col and gemm, every part of it. For conv_transpose2d (its adjoint) also
 * without the weight gradient (dW null: no dW, no dB, x unread) and with dX started at `dXStart`
 * (a bias per input channel) instead of zero.
 */
function im2colBackward(
  g: Conv2dGeometry, n: number, x: FloatArray | null, dY: FloatArray, W: FloatArray, dW: FloatArray | null, dX: FloatArray | null,
  dB: FloatArray | null, reluY: FloatArray | null, reluDY: FloatArray | null, dXStart: FloatArray | null = null,
): boolean {
  if (!usable(dY, W, dY, dW, dX) || !(x === null || x instanceof Float32Array) || !(dB === null || dB instanceof Float32Array)) return false;
  if (!(reluY === null || reluY instanceof Float32Array) || !(reluDY === null || reluDY instanceof Float32Array) || (reluY === null) !== (reluDY === null)) return false;
  if (!(dXStart === null || dXStart instanceof Float32Array) || (dW === null) !== (x === null) || (dW === null && dB !== null)) return false;
  const weights = dW !== null;
  const w = wasmSgemm()!;
  const P = g.ho * g.wo, cog = g.cout / g.groups, K = (g.cin / g.groups) * g.kh * g.kw;
  const inS = g.cin * g.h * g.w, outS = g.cout * P, rowsK = g.cin * g.kh * g.kw;
  // dW as C: per group cog rows of ldw floats; dCol as C: per group K rows of ldd floats; both padded to whole tiles.
  const ldw = roundUp(K, NR), dwRows = roundUp(cog, MR);
  const ldd = roundUp(P, NR), dcolRows = roundUp(K, MR);
  const per = blockSize(n), units = ceilDiv(n, per);
  const dbOff = dB === null ? -1 : g.groups * dwRows * ldw; // a block's partial dB, after its partial dW
  const partStride = roundUp(g.groups * dwRows * ldw + (dB === null ? 0 : g.cout), 16);
  const threads = jobThreads(units, n * g.cout * P * K);
  // Layout: every array where it lives when it is in wasm memory (resident.ts), else copied in and
  // out; then x batch | dY batch | dW compact | the blocks' partial dW | dX batch | per thread: a
  // private gemm block, col, dCol, the gemm's work space.
  const rW = residentAt(w, W as Float32Array), rDW = dW === null ? -1 : residentAt(w, dW as Float32Array);
  const rX = x === null ? -1 : residentAt(w, x as Float32Array), rDY = residentAt(w, dY as Float32Array);
  const rStart = dXStart === null ? -1 : residentAt(w, dXStart);
  const rDX = dX === null ? -1 : residentAt(w, dX as Float32Array);
  const rDB = dB === null ? -1 : residentAt(w, dB);
  const rRY = reluY === null ? -1 : residentAt(w, reluY), rRD = reluDY === null ? -1 : residentAt(w, reluDY);
  const reluInJob = rRY >= 0 && rRD >= 0 && rDY >= 0 && outS % 4 === 0;
  // Otherwise the fused relu's backward runs first, over the whole batch (before dY is staged).
  if (reluY !== null && reluDY !== null && !reluInJob) reluBackward(reluY, reluDY, dY, n * outS);
  workSpace(w);
  const pX = !weights ? -1 : rX >= 0 ? rX : take(n * inS);
  const pDY = rDY >= 0 ? rDY : take(n * outS);
  const pW = rW >= 0 ? rW : take(g.cout * K);
  const pDW = !weights ? -1 : rDW >= 0 ? rDW : take(g.cout * K);
  const pDB = dB === null ? -1 : rDB >= 0 ? rDB : take(g.cout);
  const pParts = weights ? take(units * partStride) : -1;
  const pDX = dX === null ? -1 : rDX >= 0 ? rDX : take(n * inS);
  const pStart = dXStart === null ? -1 : rStart >= 0 ? rStart : take(g.cin);
  const gemmWork = Math.max(gemmWorkFloats(cog, K, P, MR, NR, KC, 1), gemmWorkFloats(K, P, cog, MR, NR, KC, 1));
  const tStride = roundUp(64 + (weights ? roundUp(rowsK * P, 16) : 0) + (dX === null ? 0 : roundUp(g.groups * dcolRows * ldd, 16)) + gemmWork, 16);
  const tScratch = take(threads * tStride);
  const mem = ensureFloats(w, take(0));
  if (weights && rX < 0) mem.set(operand(x as Float32Array, 0, n * inS), pX);
  if (rDY < 0) mem.set(operand(dY as Float32Array, 0, n * outS), pDY);
  if (rW < 0) mem.set(W as Float32Array, pW);
  if (weights && rDW < 0) mem.set(dW as Float32Array, pDW);
  if (dB !== null && rDB < 0) mem.set(dB, pDB);
  if (dXStart !== null && rStart < 0) mem.set(dXStart, pStart);
  const c = w.ctrl;
  setGeometry(c, g, n);
  c[CTRL.job] = 2;
  c[CTRL.pX] = pX;
  c[CTRL.pW] = pW;
  c[CTRL.pDY] = pDY;
  c[CTRL.pParts] = pParts;
  c[CTRL.partStride] = partStride;
  c[CTRL.ldw] = ldw;
  c[CTRL.dwRows] = dwRows;
  c[CTRL.pDX] = pDX;
  c[CTRL.ldd] = ldd;
  c[CTRL.dcolRows] = dcolRows;
  c[CTRL.units] = units;
  c[CTRL.perUnit] = per;
  c[CTRL.dbOff] = dbOff;
  c[CTRL.pReluY] = reluInJob ? rRY : -1;
  c[CTRL.pReluDY] = reluInJob ? rRD : -1;
  c[CTRL.pBias] = pStart;
  c[CTRL.tScratch] = tScratch;
  c[CTRL.tStride] = tStride;
  runJob(w, threads);
  if (dX !== null && rDX < 0) (dX as Float32Array).set(wasmView(w, pDX, n * inS), 0);
  if (!weights) return true;
  // dW += the blocks' partials, in block order, by the float32 vector add (elementwise-kernel.ts add): every
  // element's sum rounded to float32 after each add, so the bits of adding one block after another. A group's
  // rows are one run where C's rows have no padding (ldw = K), else a call a row.
  const add = sideModule<SideKernels<'add'>>(w, 'arithmetic', arithmeticModule).add;
  for (let gi = 0; gi < g.groups; gi++) {
    const runs = ldw === K ? 1 : cog, run = ldw === K ? cog * K : K;
    for (let r = 0; r < runs; r++) {
      const d = 4 * (pDW + (gi * cog + r) * K), s0 = pParts + (gi * dwRows + r) * ldw;
      for (let u = 0; u < units; u++) add(d, 4 * (s0 + u * partStride), d, run);
    }
  }
  if (dB !== null) {
    for (let u = 0; u < units; u++) add(4 * pDB, 4 * (pParts + u * partStride + dbOff), 4 * pDB, g.cout);
    if (rDB < 0) dB.set(wasmView(w, pDB, g.cout), 0);
  }
  if (rDW < 0) (dW as Float32Array).set(wasmView(w, pDW, g.cout * K), 0);
  return true;
}
