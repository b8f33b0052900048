// Winograd F(2×2,3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015) for a
// 3×3, stride-1, dilation-1, ungrouped conv2d on the float32 wasm path: each 2×2 block of outputs comes
// from a 4×4 tile of the input with 16 multiplies a channel pair instead of 36, so the 16 products
//   M_e[cout × cols] = U_e[cout × cin] · V_e[cin × cols]       (e = 0..15, one per tile position)
// on the SIMD gemm do 16/36 of im2col's multiply-adds. Around them:
//   filter transform  U = G g Gᵀ   (wasm, winograd-filter-kernel.ts, once a call: the weights of this step)
//   input transform   V = Bᵀ d B   (wasm, winograd-kernel.ts; d: a 4×4 tile of a zero-bordered copy
//                                   of the channel, which is the padding)
//   output transform  Y = Aᵀ M A   (wasm, + bias; tiles past the output's edge are cut)
// with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
// Aᵀ = [1 1 1 0; 0 1 −1 −1]. The backward-data pass of such a conv is one too (winogradData):
// dX = the 3×3 correlation of dY, padded by 2 − padding, with the weights flipped and transposed.
//
// Samples go through in fixed chunks (CHUNK_COLS tile columns, whole samples), so V and M stay near
// the cache; each output float is the same sequence of float32 operations whatever the chunk, the
// batch size or the thread count. Every step is a job shared among the threads (gemm-part.js:
// winogradPart): the transforms a channel a unit, the E products a product a unit (each on one
// thread, as sgemmAt would compute it alone), the filter transform and gradient a block of filters.
import { MR, NR } from './sgemm-kernel.js';
import { CTRL, ceilDiv, gemmWorkFloats, roundUp, WG, type WinogradKernels } from './gemm-part.js';
import { jobThreads, runJob } from './pool.js';
import { encodeModule, type MemoryDecl } from './encoder.js';
import { sideModule, workerModules, type SideKernels } from './side.js';
import { ensureFloats, KC, operand, residentAt, scratchBase, wasmView, type Instance } from './sgemm.js';
import { winogradInKernel, winogradOutAdjointKernel, winogradOutKernel } from './winograd-kernel.js';
import { winograd4InKernel, winograd4OutAdjointKernel, winograd4OutKernel } from './winograd4-kernel.js';
import { filterGradientModule4, filterModule2, filterTransformModule4 } from './winograd-filter-kernel.js';

/** The sizes of one Winograd convolution: x [cin, h, w] → y [cout, ho, wo], padding top/left (may be negative: a crop). */
export interface WinogradShape {
  readonly cin: number;
  readonly h: number;
  readonly w: number;
  readonly cout: number;
  readonly ho: number;
  readonly wo: number;
  readonly top: number;
  readonly left: number;
}

/** The output tile's side: F(2×2,3×3) (4×4 input tiles, 16 products) or F(4×4,3×3) (6×6, 36). */
export type WinogradTile = 2 | 4;

/** Tile columns a chunk aims at (at least one sample): the gemm's B and C stay in L2. Measured on the seed's conv2
 *  (batch 32, forward, median CPU time on a loaded machine): 2,048 columns 12.9 ms, 512 12.4, 256 (a sample) 9.5. */
const CHUNK_COLS = 256;

/** How the filter transform reads weight (co, ci, ki, kj) of this convolution from W. */
const enum WeightOrder {
  /** conv2d's own weight [cout, cin, 3, 3]. */
  Forward,
  /** The backward-data pass: W [cin', cout', 3, 3] of the forward conv, transposed and flipped. The transform
   *  reads W in its own order and writes U_e as [cin' × cout'] (flipping each filter); the products read U_e
   *  transposed (sgemmAt's transA), so neither W nor U is read or written across its rows. */
  FlippedTransposed,
}

const encodeKernels = (memory: MemoryDecl): Uint8Array<ArrayBuffer> => encodeModule([winogradInKernel(), winogradOutKernel(), winogradOutAdjointKernel()], memory);
// F(4×4)'s kernels are larger: one a module, each under 4 KiB (side.ts).
const encodeIn4 = (memory: MemoryDecl): Uint8Array<ArrayBuffer> => encodeModule([winograd4InKernel()], memory);
const encodeOut4 = (memory: MemoryDecl): Uint8Array<ArrayBuffer> => encodeModule([winograd4OutKernel()], memory);
const encodeOutAdjoint4 = (memory: MemoryDecl): Uint8Array<ArrayBuffer> => encodeModule([winograd4OutAdjointKernel()], memory);

/** Every side module of this file by name, for the test that each validates and stays under 4 KiB. */
export const WINOGRAD_MODULES: Readonly<Record<string, (memory: MemoryDecl) => Uint8Array<ArrayBuffer>>> = {
  winograd: encodeKernels, winograd4In: encodeIn4, winograd4Out: encodeOut4, winograd4OutAdjoint: encodeOutAdjoint4,
  winogradFilter2: filterModule2, winogradFilter4Transform: filterTransformModule4, winogradFilter4Gradient: filterGradientModule4,
};

/** The calling thread's kernels for a Winograd job: every side module's exports beside the gemm module's, once per memory. */
const callerKernels = new WeakMap<WebAssembly.Memory, WinogradKernels>();

function kernelsOf(w: Instance): WinogradKernels {
  let k = callerKernels.get(w.memory);
  if (k === undefined) {
    const sides = Object.entries(WINOGRAD_MODULES).map(([name, encode]) => sideModule<SideKernels<string>>(w, name, encode));
    k = Object.assign({}, ...sides, { tiles: w.tiles, packRows: w.packRows, packCols: w.packCols, copyRows: w.copyRows }) as WinogradKernels;
    callerKernels.set(w.memory, k);
  }
  return k;
}

/** Every side module of this file, for the workers to instantiate beside the gemm module (threads.ts). */
export function winogradWorkerModules(): WebAssembly.Module[] {
  return workerModules(Object.values(WINOGRAD_MODULES));
}

/** Floats past the input plane that winograd4In uses as scratch (winograd4-kernel.ts). */
const PLANE_SCRATCH = 120;

/** A stride of at least `floats`, 160 floats past a multiple of 1,024 (4 KiB). */
function skew(floats: number): number {
  return roundUp(floats, 1024) + 160;
}

/** Work space from scratchBase on, taken in turn: a module-level cursor, not a closure (no allocation per call). */
let cursor = 0;

function take(floats: number): number {
  const p = cursor;
  cursor = roundUp(cursor + floats, 16);
  return p;
}

/**
 * One call's tiling, as tile() fills it (module-level, as the cursor: no allocation a call). m×m output tiles
 * (m = 2 or 4), th × tw of them (T a sample), each from an (m + 2)² input tile, E = (m + 2)² products; in groups of
 * four along a row (a vector each); the zero-bordered input plane the tiles read (ph × pw, wide enough for whole
 * groups) and the output plane's row (owp, m·th rows); `per` samples a chunk of `cols` tile columns, ldv floats a
 * row of V; the image's rows [r0, r1) and columns [c0, c1) in the plane (the rest stays zero: the padding).
 */
const tiling = { m: 0, E: 0, th: 0, tw: 0, T: 0, groups: 0, ph: 0, pw: 0, owp: 0, per: 0, cols: 0, ldv: 0, r0: 0, r1: 0, c0: 0, c1: 0 };

function tile(s: WinogradShape, n: number, m: WinogradTile): void {
  const t = tiling;
  t.m = m;
  t.E = (m + 2) * (m + 2);
  t.th = Math.ceil(s.ho / m);
  t.tw = Math.ceil(s.wo / m);
  t.T = t.th * t.tw;
  t.groups = (t.tw + 3) >> 2;
  t.ph = m * t.th + 2;
  t.pw = 4 * m * t.groups + 4;
  t.owp = 4 * m * t.groups;
  t.per = Math.max(1, Math.min(n, Math.floor(CHUNK_COLS / t.T)));
  t.cols = t.per * t.T;
  t.ldv = t.cols + 4;
  t.r0 = Math.max(0, s.top);
  t.r1 = Math.min(t.ph, s.h + s.top);
  t.c0 = Math.max(0, s.left);
  t.c1 = Math.min(t.pw, s.w + s.left);
}

/**
 * Runs a Winograd job of `kind` (gemm-part.js: winogradPart) over `units` units, `block` a claim, on `threads`
 * threads (the caller is one of them; one thread: the caller alone, no worker woken).
 */
function run(w: Instance, k: WinogradKernels, kind: number, units: number, block: number, threads: number): void {
  const c = w.ctrl;
  c[CTRL.wgKind] = kind;
  c[CTRL.wgUnits] = units;
  c[CTRL.wgBlock] = block;
  runJob(k, c, 5, threads);
}

/** Units a claim of a job over `units` rows or filters: about eight claims a thread, an even count (filters go in pairs). */
function claim(units: number, threads: number): number {
  return roundUp(ceilDiv(units, 8 * threads), 2);
}

/** The tiling's fields of every Winograd job, and the threads' scratch. */
function setTiling(c: Int32Array, tScratch: number, tStride: number): void {
  const t = tiling;
  c[CTRL.wgM] = t.m; c[CTRL.wgTh] = t.th; c[CTRL.wgGroups] = t.groups; c[CTRL.wgTw] = t.tw; c[CTRL.wgT] = t.T;
  c[CTRL.tScratch] = tScratch; c[CTRL.tStride] = tStride;
}

/** A transform job's sides: the NCHW image (its chunk's first sample; floats a sample, a channel, a row; the rows ×
 *  cols copied), the thread's plane (at `plane` floats into its scratch, `floats` of it, row stride pw, the copy at
 *  pOff) and the tile matrices (a channel's row ld apart, a matrix es apart). */
function setPlanes(c: Int32Array, image: number, imageS: number, imageC: number, imageW: number, rows: number, cols: number,
  plane: number, floats: number, pw: number, pOff: number, tiles: number, ld: number, es: number): void {
  c[CTRL.wgImage] = image; c[CTRL.wgImageS] = imageS; c[CTRL.wgImageC] = imageC; c[CTRL.wgImageW] = imageW;
  c[CTRL.wgRows] = rows; c[CTRL.wgCols] = cols;
  c[CTRL.wgPlane] = plane; c[CTRL.wgPlaneFloats] = floats; c[CTRL.wgPw] = pw; c[CTRL.wgPOff] = pOff;
  c[CTRL.wgTiles] = tiles; c[CTRL.wgLd] = ld; c[CTRL.wgEs] = es;
}

/** The E products' job: C_e (+)= op(A_e)·op(B_e), the e-th matrices es apart, the gemm's work at `work` floats into a thread's scratch. */
function setProducts(c: Int32Array, transA: boolean, transB: boolean, M: number, N: number, K: number, pA: number, esA: number, pB: number, esB: number,
  pC: number, esC: number, ldc: number, accumulate: boolean, lda: number, ldb: number, work: number): void {
  c[CTRL.wgTransA] = transA ? 1 : 0; c[CTRL.wgTransB] = transB ? 1 : 0;
  c[CTRL.wgMM] = M; c[CTRL.wgNN] = N; c[CTRL.wgKK] = K;
  c[CTRL.wgA] = pA; c[CTRL.wgEsA] = esA; c[CTRL.wgB] = pB; c[CTRL.wgEsB] = esB; c[CTRL.wgC] = pC; c[CTRL.wgEsC] = esC;
  c[CTRL.wgLdc] = ldc; c[CTRL.wgAcc] = accumulate ? 1 : 0; c[CTRL.wgLda] = lda; c[CTRL.wgLdb] = ldb; c[CTRL.wgWork] = work;
}

/**
 * y = conv(x, W) + B (B may be null) for n samples, x and y in NCHW, W per `order`; every array a
 * Float32Array, used in place where it lives in wasm memory, else copied in (x, W, B) or out (y) once.
 * Per chunk of samples three jobs, shared among the threads: the input transforms (a unit an input
 * channel), the E products (a unit a product), the output transforms (a unit an output channel).
 */
function winogradConv(w: Instance, s: WinogradShape, n: number, x: Float32Array, W: Float32Array, order: WeightOrder, B: Float32Array | null, y: Float32Array, m: WinogradTile): void {
  const k = kernelsOf(w);
  const { cin, cout, ho, wo } = s;
  const inS = cin * s.h * s.w, P = ho * wo, outS = cout * P;
  tile(s, n, m);
  const { E, th, T, ph, pw, owp, per, cols, ldv, r0, r1, c0, c1 } = tiling;
  const ldc = roundUp(cols + 4, NR), rows = roundUp(cout, MR);
  // The E matrices of U, V and M a stride apart that is not a multiple of 4 KiB (640 bytes past one):
  // the transforms touch all E at once, and E streams in the same cache sets evict each other (the
  // filter transform of 512→512 channels: 16.8 ms with U's matrices 1 MiB apart, 8 with them skewed).
  const flip = order === WeightOrder.FlippedTransposed;
  const esU = skew(cout * cin), esV = skew(cin * ldv), esM = skew(rows * ldc);
  const threads = jobThreads(E, E * cout * cin * n * T); // the units of its jobs: channels, products
  // A thread's scratch: its gemm block (64 ints) | the input plane | the output plane | the gemm's work.
  const inPlane = 64, outPlane = inPlane + roundUp(ph * pw + PLANE_SCRATCH, 16), work = outPlane + roundUp(m * th * owp, 16);
  const tStride = roundUp(work + gemmWorkFloats(cout, cols, cin, MR, NR, KC, 1), 16);
  // Work space: x, y, W, B (each unless resident) | U E × [cout × cin] | V E × [cin × ldv] | M E × [rows × ldc] | the threads'.
  // W is [wOut, wIn, 3, 3]: the forward's [cout, cin], the data pass's [cin, cout] (its cout is the forward's cin).
  const wOut = flip ? cin : cout, wIn = flip ? cout : cin, filterFloats = 9 * wOut * wIn;
  const rX = residentAt(w, x), rY = residentAt(w, y), rW = residentAt(w, W), rB = B === null ? -1 : residentAt(w, B);
  cursor = scratchBase(w);
  const pX = rX >= 0 ? rX : take(n * inS), pY = rY >= 0 ? rY : take(n * outS);
  const pW = rW >= 0 ? rW : take(filterFloats + 9); // + 9: an odd count's last pair reads one filter past W
  const pB = B === null ? -1 : rB >= 0 ? rB : take(cout);
  const pU = take(E * esU), pV = take(E * esV), pM = take(E * esM);
  const tScratch = take(threads * tStride);
  const mem = ensureFloats(w, cursor);
  if (rX < 0) mem.set(operand(x, 0, n * inS), pX);
  if (rW < 0) mem.set(operand(W, 0, filterFloats), pW);
  if (B !== null && rB < 0) mem.set(B, pB);
  const c = w.ctrl;
  setTiling(c, tScratch, tStride);
  // U_e[co][ci] = (G g Gᵀ)[e] for every filter g = W(co, ci), flipped (g[2 − ki][2 − kj]) for the data pass.
  c[CTRL.wgW] = pW; c[CTRL.wgTiles] = pU; c[CTRL.wgEs] = esU; c[CTRL.wgFilters] = wOut * wIn;
  c[CTRL.wgFirst] = flip ? 32 : 0; c[CTRL.wgRowStep] = flip ? -12 : 12; c[CTRL.wgColStep] = flip ? -4 : 4;
  run(w, k, WG.filters, wOut * wIn, claim(wOut * wIn, threads), threads);
  c[CTRL.wgBias] = pB;
  for (let s0 = 0; s0 < n; s0 += per) {
    const count = Math.min(per, n - s0);
    c[CTRL.wgCount] = count;
    setPlanes(c, pX + s0 * inS + (r0 - s.top) * s.w + (c0 - s.left), inS, s.h * s.w, s.w, Math.max(0, r1 - r0), Math.max(0, c1 - c0),
      inPlane, ph * pw, pw, r0 * pw + c0, pV, ldv, esV);
    run(w, k, WG.input, cin, 1, threads);
    setProducts(c, flip, false, cout, count * T, cin, pU, esU, pV, esV, pM, esM, ldc, false, wIn, ldv, work);
    run(w, k, WG.products, E, 1, threads);
    setPlanes(c, pY + s0 * outS, outS, P, wo, ho, wo, outPlane, 0, owp, 0, pM, ldc, esM);
    run(w, k, WG.output, cout, 1, threads);
  }
  if (rY < 0) y.set(wasmView(w, pY, n * outS), 0);
}

/**
 * dW += the weight gradient of conv2d(x, W) with shape `s`, and dB += Σ dY when dB is given: the
 * adjoint of the forward's Winograd form, dU_e = dM_e · V_eᵀ with dM = A dY Aᵀ per tile and V the
 * forward's input transform, summed over every tile of every sample (the gemm's K), then
 * dW += Gᵀ dU G. The samples' chunks add into dU in order, each product on one thread: the same
 * bits for any thread count. Per chunk three jobs (the input transforms, a unit an input channel;
 * dY's, a unit an output channel; the E products), then the filter gradient's (a unit a block of rows).
 */
export function winogradWeights(w: Instance, s: WinogradShape, n: number, x: Float32Array, dY: Float32Array, dW: Float32Array, dB: Float32Array | null, m: WinogradTile): void {
  const k = kernelsOf(w);
  const { cin, cout, ho, wo } = s;
  const inS = cin * s.h * s.w, P = ho * wo, outS = cout * P;
  tile(s, n, m);
  const { E, th, T, ph, pw, owp, per, cols, ldv, r0, r1, c0, c1 } = tiling;
  const esV = skew(cin * ldv), esM = skew(cout * ldv);
  const rowsU = roundUp(cout, MR), ldu = roundUp(cin, NR), esU = skew(rowsU * ldu);
  const threads = jobThreads(E, E * cout * cin * n * T); // the units of its jobs: channels, products
  // A thread's scratch: its gemm block (64 ints) | the input plane | the dY plane | the gemm's work.
  const inPlane = 64, dyPlane = inPlane + roundUp(ph * pw + PLANE_SCRATCH, 16), work = dyPlane + roundUp(m * th * owp, 16);
  const tStride = roundUp(work + gemmWorkFloats(cout, cin, cols, MR, NR, KC, 1), 16);
  // Work space: x, dY, dB, dW (each unless resident) | V E × [cin × ldv] | dM E × [cout × ldv] | dU E × [rowsU × ldu] | the threads'.
  const rX = residentAt(w, x), rDY = residentAt(w, dY), rDB = dB === null ? -1 : residentAt(w, dB), rDW = residentAt(w, dW);
  cursor = scratchBase(w);
  const pX = rX >= 0 ? rX : take(n * inS), pDY = rDY >= 0 ? rDY : take(n * outS);
  const pDB = dB === null ? -1 : rDB >= 0 ? rDB : take(cout), pDW = rDW >= 0 ? rDW : take(9 * cout * cin);
  const pV = take(E * esV), pM = take(E * esM), pU = take(E * esU);
  const tScratch = take(threads * tStride);
  const mem = ensureFloats(w, cursor);
  if (rX < 0) mem.set(operand(x, 0, n * inS), pX);
  if (rDY < 0) mem.set(operand(dY, 0, n * outS), pDY);
  if (dB !== null && rDB < 0) mem.set(dB, pDB);
  if (rDW < 0) mem.set(operand(dW, 0, 9 * cout * cin), pDW);
  if (dB !== null) for (let sample = 0; sample < n; sample++) w.addRowSums(4 * (pDY + sample * outS), 4 * P, cout, P, 4 * pDB);
  const c = w.ctrl;
  setTiling(c, tScratch, tStride);
  for (let s0 = 0; s0 < n; s0 += per) {
    const count = Math.min(per, n - s0);
    c[CTRL.wgCount] = count;
    setPlanes(c, pX + s0 * inS + (r0 - s.top) * s.w + (c0 - s.left), inS, s.h * s.w, s.w, Math.max(0, r1 - r0), Math.max(0, c1 - c0),
      inPlane, ph * pw, pw, r0 * pw + c0, pV, ldv, esV);
    run(w, k, WG.input, cin, 1, threads);
    setPlanes(c, pDY + s0 * outS, outS, P, wo, ho, wo, dyPlane, m * th * owp, owp, 0, pM, ldv, esM);
    run(w, k, WG.outputAdjoint, cout, 1, threads);
    setProducts(c, false, true, cout, cin, count * T, pM, esM, pV, esV, pU, esU, ldu, s0 > 0, ldv, ldv, work);
    run(w, k, WG.products, E, 1, threads);
  }
  // dW[co][ci] += Gᵀ dU[co][ci] G (dU_e's rows ldu apart)
  c[CTRL.wgW] = pDW; c[CTRL.wgTiles] = pU; c[CTRL.wgEs] = esU; c[CTRL.wgLd] = ldu; c[CTRL.wgFilters] = cout; c[CTRL.wgCin] = cin;
  run(w, k, WG.gradient, cout, claim(cout, threads), threads);
  if (rDW < 0) dW.set(wasmView(w, pDW, 9 * cout * cin), 0);
  if (dB !== null && rDB < 0) dB.set(wasmView(w, pDB, cout), 0);
}

/** y = conv2d(x, W) + B: the forward pass (W [cout, cin, 3, 3]). */
export function winogradForward(w: Instance, s: WinogradShape, n: number, x: Float32Array, W: Float32Array, B: Float32Array | null, y: Float32Array, m: WinogradTile): void {
  winogradConv(w, s, n, x, W, WeightOrder.Forward, B, y, m);
}

/** dX = the input gradient of conv2d(x, W) with shape `s` (stride 1, 3×3): the correlation of dY, padded
 *  by 2 − top and 2 − left, with W flipped and transposed. dX is written, not accumulated. */
export function winogradData(w: Instance, s: WinogradShape, n: number, dY: Float32Array, W: Float32Array, dX: Float32Array, m: WinogradTile): void {
  dataShape.cin = s.cout; dataShape.h = s.ho; dataShape.w = s.wo;
  dataShape.cout = s.cin; dataShape.ho = s.h; dataShape.wo = s.w;
  dataShape.top = 2 - s.top; dataShape.left = 2 - s.left;
  winogradConv(w, dataShape, n, dY, W, WeightOrder.FlippedTransposed, null, dX, m);
}

/** The backward-data pass's shape, reused: no allocation per call. */
const dataShape = { cin: 0, h: 0, w: 0, cout: 0, ho: 0, wo: 0, top: 0, left: 0 };
