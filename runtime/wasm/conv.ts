// conv2d for a whole batch in wasm memory: the float32 fast path the generated kernels call
// (`if (rt.conv2dForward(conv1_geometry, …)) return;`, then their own JS loops for float64, engines
// without WebAssembly SIMD128 and CNNC_NO_WASM=1).
//
// Why: per sample, the generic path ran im2col as a JS loop (~1.5 ns per element against ~0.3 in
// wasm) and copied the column matrix and C into and out of wasm memory for every gemm. Here the
// batch's input (and, backward, its output gradient) is copied in once, im2col/col2im run in wasm
// (conv-kernel.ts) straight into the place the gemm reads, each sample's gemm (sgemmAt) works on
// operands already there, and the result is copied out once. The arithmetic is the generic path's:
// the same packing and micro-kernel, C preloaded with the bias, dW accumulated sample after
// sample, dX accumulated in the generated loop's (c, ki, kj, oh, ow) order.
//
// Threads (threads.ts) share out each sample's gemm as before; im2col and col2im stay on the calling thread.
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { MR, NR } from './sgemm-kernel.js';
import { ensureFloats, operand, residentAt, scratchBase, sgemmAt, wasmSgemm, wasmView, type Instance } from './sgemm.js';

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
}

/** Whether the wasm batch path runs for these operands (float32, wasm gemm). Fixed arity: a rest parameter would allocate per call. */
function usable(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray | null, e: FloatArray | null): boolean {
  return gemmBackend() === 'wasm' && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array &&
    (d === null || d instanceof Float32Array) && (e === null || e instanceof Float32Array);
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
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

/**
 * y[n, cout, ho, wo] = conv2d(x, W, B) for the whole batch; false (nothing done) where the wasm
 * path does not apply, and the caller runs its own loops.
 */
export function conv2dForward(g: Conv2dGeometry, n: number, x: FloatArray, W: FloatArray, B: FloatArray | null, y: FloatArray): boolean {
  if (!usable(x, W, y, B, null)) return false;
  const w = wasmSgemm()!;
  const P = g.ho * g.wo, cog = g.cout / g.groups, K = (g.cin / g.groups) * g.kh * g.kw;
  const inS = g.cin * g.h * g.w, outS = g.cout * P, rowsK = g.cin * g.kh * g.kw;
  // C of each sample and group: cog rows of ldc floats, padded to whole MR×NR tiles (the
  // micro-kernel writes whole tiles; padding rows of a group never spill into another's, where
  // 0 · Inf in the padding would write NaN).
  const ldc = roundUp(P, NR), groupRows = roundUp(cog, MR);
  const sampleC = g.groups * groupRows * ldc;
  const compact = ldc === P && groupRows === cog; // C is y's layout: copied out as it is
  // Layout: every array where it lives when it is in wasm memory (resident.ts: the model's weights
  // and arenas), else copied in and out; then x batch | C, every sample | col | (C compacted) | gemm work space.
  const rW = residentAt(w, W as Float32Array), rB = B === null ? -1 : residentAt(w, B as Float32Array);
  const rX = residentAt(w, x as Float32Array), rY = residentAt(w, y as Float32Array);
  workSpace(w);
  const pX = rX >= 0 ? rX : take(n * inS);
  const pW = rW >= 0 ? rW : take(g.cout * K);
  const pB = B === null ? 0 : rB >= 0 ? rB : take(g.cout);
  const pC = compact && rY >= 0 ? rY : take(n * sampleC); // compact and in wasm memory: C is y itself
  const pCol = take(rowsK * P);
  const pOut = rY >= 0 ? rY : compact ? pC : take(n * outS);
  const free = take(0);
  const mem = ensureFloats(w, free);
  if (rX < 0) mem.set(operand(x as Float32Array, 0, n * inS), pX);
  if (rW < 0) mem.set(W as Float32Array, pW);
  if (B !== null && rB < 0) mem.set(B as Float32Array, pB);
  for (let s = 0; s < n; s++) {
    im2colCall(w, 'im2col', pX + s * inS, pCol, P, g, g.cin);
    for (let gi = 0; gi < g.groups; gi++) {
      const c0 = pC + s * sampleC + gi * groupRows * ldc;
      if (B !== null) w.fillRows(4 * c0, 4 * ldc, cog, P, 4 * (pB + gi * cog));
      sgemmAt(w, false, false, cog, P, K, pW + gi * cog * K, pCol + gi * K * P, c0, ldc, B !== null, free);
      if (!compact) w.copyRows(4 * c0, 4 * ldc, 4 * (pOut + s * outS + gi * cog * P), 4 * P, cog, P);
    }
  }
  if (rY < 0) (y as Float32Array).set(wasmView(w, pOut, n * outS), 0);
  return true;
}

/**
 * dW += Σ_samples dY·colᵀ and, when dX is given, dX = col2im(Wᵀ·dY), for the whole batch; false
 * where the wasm path does not apply. The bias gradient stays with the caller.
 */
export function conv2dBackward(g: Conv2dGeometry, n: number, x: FloatArray, dY: FloatArray, W: FloatArray, dW: FloatArray, dX: FloatArray | null): boolean {
  if (!usable(x, dY, W, dW, dX)) return false;
  const w = wasmSgemm()!;
  const P = g.ho * g.wo, cog = g.cout / g.groups, cig = g.cin / g.groups, K = cig * g.kh * g.kw;
  const inS = g.cin * g.h * g.w, outS = g.cout * P, rowsK = g.cin * g.kh * g.kw;
  // dW as C: per group cog rows of ldw floats; dCol as C: per group K rows of ldd floats; both padded to whole tiles.
  const ldw = roundUp(K, NR), dwRows = roundUp(cog, MR);
  const ldd = roundUp(P, NR), dcolRows = roundUp(K, MR);
  // Layout: W and dW where they live when they are in wasm memory (resident.ts), else copied in
  // (dW accumulates in place when its rows are whole tiles); then x batch | dY batch | dW as C |
  // col | dCol as C | dX batch | gemm work space.
  const rW = residentAt(w, W as Float32Array), rDW = residentAt(w, dW as Float32Array);
  const rX = residentAt(w, x as Float32Array), rDY = residentAt(w, dY as Float32Array);
  const rDX = dX === null ? -1 : residentAt(w, dX as Float32Array);
  const dwInPlace = rDW >= 0 && ldw === K && dwRows === cog;
  workSpace(w);
  const pX = rX >= 0 ? rX : take(n * inS);
  const pDY = rDY >= 0 ? rDY : take(n * outS);
  const pW = rW >= 0 ? rW : take(g.cout * K);
  const pDWc = rDW >= 0 ? rDW : take(g.cout * K); // dW as it is stored
  const pDW = dwInPlace ? pDWc : take(g.groups * dwRows * ldw);
  const pCol = take(rowsK * P);
  const pDCol = take(g.groups * dcolRows * ldd);
  const pDX = dX === null ? 0 : rDX >= 0 ? rDX : take(n * inS);
  const free = take(0);
  const mem = ensureFloats(w, free);
  if (rX < 0) mem.set(operand(x as Float32Array, 0, n * inS), pX);
  if (rDY < 0) mem.set(operand(dY as Float32Array, 0, n * outS), pDY);
  if (rW < 0) mem.set(W as Float32Array, pW);
  if (rDW < 0) mem.set(dW as Float32Array, pDWc);
  if (!dwInPlace) for (let gi = 0; gi < g.groups; gi++) w.copyRows(4 * (pDWc + gi * cog * K), 4 * K, 4 * (pDW + gi * dwRows * ldw), 4 * ldw, cog, K);
  if (dX !== null) mem.fill(0, pDX, pDX + n * inS);
  for (let s = 0; s < n; s++) {
    const dy = pDY + s * outS;
    im2colCall(w, 'im2col', pX + s * inS, pCol, P, g, g.cin);
    for (let gi = 0; gi < g.groups; gi++) {
      sgemmAt(w, false, true, cog, K, P, dy + gi * cog * P, pCol + gi * K * P, pDW + gi * dwRows * ldw, ldw, true, free);
    }
    if (dX === null) continue;
    for (let gi = 0; gi < g.groups; gi++) {
      const dcol = pDCol + gi * dcolRows * ldd;
      sgemmAt(w, true, false, K, P, cog, pW + gi * cog * K, dy + gi * cog * P, dcol, ldd, false, free);
      im2colCall(w, 'col2im', dcol, pDX + s * inS + gi * cig * g.h * g.w, ldd, g, cig);
    }
  }
  if (!dwInPlace) for (let gi = 0; gi < g.groups; gi++) w.copyRows(4 * (pDW + gi * dwRows * ldw), 4 * ldw, 4 * (pDWc + gi * cog * K), 4 * K, cog, K);
  if (rDW < 0) (dW as Float32Array).set(wasmView(w, pDWc, g.cout * K), 0);
  if (dX !== null && rDX < 0) (dX as Float32Array).set(wasmView(w, pDX, n * inS), 0);
  return true;
}
