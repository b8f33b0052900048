// maxpool2d forward in wasm (pool-kernel.ts: four outputs at a time for the 2×2 stride-2 window and,
// in a side module, for any window of column stride 1 or 2; a scalar branch-free loop for the others) for the generated kernels: `if (rt.maxpool2dForward(
// pool_geometry, n, x, y, argmax)) return;`, then their own JS loops. Only where there is no padding
// and x, y and argmax all live in wasm memory (resident.ts: the generated model's arenas), which
// is the case on the fast path; anything else (float64, no SIMD128, CNNC_NO_WASM=1, arenas past
// the budget) returns false and the JS loops run.
import { MAXPOOL_UNROLLED_MAX } from '../contracts.js';
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { residentAt, wasmSgemm } from './sgemm.js';
import { maxpoolStridedModule } from './pool-kernel.js';
import { sideModule, type SideKernels } from './side.js';

/** A maxpool2d's shapes without padding, as literals in the generated module. */
export interface Pool2dGeometry {
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly ho: number;
  readonly wo: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
}

/** y = maxpool(x) and argmax (index in the input plane) for the batch; false where the wasm path does not apply. */
export function maxpool2dForward(g: Pool2dGeometry, n: number, x: FloatArray, y: FloatArray, argmax: Int32Array): boolean {
  if (gemmBackend() !== 'wasm' || !(x instanceof Float32Array) || !(y instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const rX = residentAt(w, x), rY = residentAt(w, y), rA = residentAt(w, argmax);
  if (rX < 0 || rY < 0 || rA < 0) return false;
  if (fourAtATime(g)) w.maxpool2x2(4 * rX, 4 * rY, 4 * rA, n * g.c, g.h, g.w, g.ho, g.wo);
  else if (strided(g)) {
    const k = sideModule<SideKernels<'maxpoolS1' | 'maxpoolS2'>>(w, 'maxpool', maxpoolStridedModule);
    k[g.sw === 1 ? 'maxpoolS1' : 'maxpoolS2'](4 * rX, 4 * rY, 4 * rA, n * g.c, g.h, g.w, g.ho, g.wo, g.kh, g.kw, g.sh);
  } else if (g.kh * g.kw > MAXPOOL_UNROLLED_MAX) w.maxpool(4 * rX, 4 * rY, 4 * rA, n * g.c, g.h, g.w, g.ho, g.wo, g.kh, g.kw, g.sh, g.sw);
  else return false; // the generated unrolled loop is faster than the scalar kernel on small windows (8.4 against 11 ms on the seed's pool)
  return true;
}

/**
 * dX = the maxpool's input gradient for the batch: per plane (sample · channel) zeroed, then
 * dX[argmax[q]] += dY[q] in order, as the generated loop does (the same bits); false where the
 * arrays do not all live in wasm memory (or wasm is off) and that loop runs. Padding or not: argmax
 * indexes the input plane either way.
 */
export function maxpool2dBackward(planes: number, inPlane: number, outPlane: number, dY: FloatArray, argmax: Int32Array, dX: FloatArray): boolean {
  if (gemmBackend() !== 'wasm' || !(dY instanceof Float32Array) || !(dX instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const rDY = residentAt(w, dY), rA = residentAt(w, argmax), rDX = residentAt(w, dX);
  if (rDY < 0 || rA < 0 || rDX < 0) return false;
  w.maxpoolBackward(4 * rDY, 4 * rA, 4 * rDX, planes, inPlane, outPlane);
  return true;
}


/** Whether maxpool2dForward takes these shapes (given arrays in wasm memory). */
export function maxpool2dInWasm(g: Pool2dGeometry): boolean {
  return fourAtATime(g) || strided(g) || g.kh * g.kw > MAXPOOL_UNROLLED_MAX;
}

/** Column stride 1 or 2 and at least four outputs a row: the four-at-a-time kernels of any window
 *  (squeezenet's and alexnet's 3×3 stride 2, ceil_mode or not, where every window is inside). */
function strided(g: Pool2dGeometry): boolean {
  return (g.sw === 1 || g.sw === 2) && g.wo >= 4;
}

/** The 2×2 stride-2 window with whole groups of four outputs a row: the SIMD kernel. */
function fourAtATime(g: Pool2dGeometry): boolean {
  return g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.wo % 4 === 0;
}
