// maxpool2d forward in wasm (pool-kernel.ts: four outputs at a time for the 2×2 stride-2 window and,
// in a side module, for any window and padding, four outputs at a time where the column stride is 1 or 2
// and a row has at least four windows wholly inside it, one at a time elsewhere; a scalar branch-free
// loop for large unpadded windows of other strides) for the generated kernels: `if (rt.maxpool2dForward(
// pool_geometry, n, x, y, argmax)) return;`, then their own JS loops. Only where x, y and argmax all
// live in wasm memory (resident.ts: the generated model's arenas), which is the case on the fast path;
// anything else (float64, no SIMD128, CNNC_NO_WASM=1, arenas past the budget) returns false and the JS
// loops run.
import { AVGPOOL_UNROLLED_MAX, MAXPOOL_UNROLLED_MAX } from '../contracts.js';
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { residentAt, wasmSgemm, type Instance } from './sgemm.js';
import { adaptivePoolModule, AVG_EXCLUDE_PAD, AVG_SCALAR, AVG_TWICE, avgpoolModule, maxpoolStridedModule } from './pool-kernel.js';
import { allocInt32 } from './resident.js';
import { addresses, gemmKernels, residentIn, sideModule, type SideKernels } from './side.js';
import { planeArgs as a, runPlanes } from './pool.js';

/** A pool's shapes (maxpool2d, avgpool2d), as literals in the generated module (ph, pw: its padding, where it has some). */
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
  readonly ph?: number;
  readonly pw?: number;
  /** avgpool2d's count_include_pad: false divides by the elements summed (default true). */
  readonly countIncludePad?: boolean;
  /** adaptive_avgpool2d's uniform windows (kernel = stride = in / out): y = Σ / rows / columns, divided twice. */
  readonly adaptive?: boolean;
}

/** y = maxpool(x) and argmax (index in the input plane) for the batch; false where the wasm path does not apply. */
export function maxpool2dForward(g: Pool2dGeometry, n: number, x: FloatArray, y: FloatArray, argmax: Int32Array): boolean {
  if (gemmBackend() !== 'wasm' || !(x instanceof Float32Array) || !(y instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const rX = residentAt(w, x), rY = residentAt(w, y), rA = residentAt(w, argmax);
  if (rX < 0 || rY < 0 || rA < 0) return false;
  const columns = simdColumns(g);
  const planes = n * g.c, inPlane = 4 * g.h * g.w, outPlane = 4 * g.ho * g.wo, floats = planes * g.h * g.w;
  a.fill(0);
  a[0] = g.h; a[1] = g.w; a[2] = g.ho; a[3] = g.wo;
  if (fourAtATime(g)) runPlanes(w, gemmKernels(w), 'maxpool2x2', planes, floats, 4 * rX, inPlane, 4 * rY, outPlane, 4 * rA, outPlane);
  else if (inside(g) && columns === null) {
    if (g.kh * g.kw <= MAXPOOL_UNROLLED_MAX) return false; // the generated unrolled loop is faster than the scalar kernel on small windows (8.4 against 11 ms on the seed's pool)
    a[4] = g.kh; a[5] = g.kw; a[6] = g.sh; a[7] = g.sw;
    runPlanes(w, gemmKernels(w), 'maxpool', planes, floats, 4 * rX, inPlane, 4 * rY, outPlane, 4 * rA, outPlane);
  } else {
    const [lo, end] = columns ?? [g.wo, g.wo];
    const k = sideModule<SideKernels<'maxpoolS1' | 'maxpoolS2'>>(w, 'maxpool', maxpoolStridedModule);
    a[4] = g.kh; a[5] = g.kw; a[6] = g.sh; a[7] = g.sw; a[8] = g.ph ?? 0; a[9] = g.pw ?? 0; a[10] = lo; a[11] = end;
    runPlanes(w, k, g.sw === 1 ? 'maxpoolS1' : 'maxpoolS2', planes, floats, 4 * rX, inPlane, 4 * rY, outPlane, 4 * rA, outPlane);
  }
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
  a.fill(0);
  a[0] = inPlane; a[1] = outPlane;
  runPlanes(w, gemmKernels(w), 'maxpoolBackward', planes, planes * inPlane, 4 * rDY, 4 * outPlane, 4 * rA, 4 * outPlane, 4 * rDX, 4 * inPlane);
  return true;
}


/** Whether maxpool2dForward takes these shapes (given arrays in wasm memory). */
export function maxpool2dInWasm(g: Pool2dGeometry): boolean {
  return fourAtATime(g) || !inside(g) || simdColumns(g) !== null || g.kh * g.kw > MAXPOOL_UNROLLED_MAX;
}

/** No padding, and every window inside the input (no ceil_mode window past its end). */
function inside(g: Pool2dGeometry): boolean {
  return (g.ph ?? 0) === 0 && (g.pw ?? 0) === 0 && (g.ho - 1) * g.sh + g.kh <= g.h && (g.wo - 1) * g.sw + g.kw <= g.w;
}

/** The output columns [lo, end) whose windows lie wholly inside the row, where the column stride is 1
 *  or 2 and they are at least four: the strided kernels' four-at-a-time part (squeezenet's and alexnet's
 *  3×3 stride 2, resnet18's 3×3 stride 2 padding 1 but for its first column); null where there is none. */
function simdColumns(g: Pool2dGeometry): [number, number] | null {
  if (g.sw !== 1 && g.sw !== 2) return null;
  const pw = g.pw ?? 0;
  const lo = Math.ceil(pw / g.sw); // the first window starting at column ≥ 0
  const end = Math.min(g.wo, Math.floor((g.w + pw - g.kw) / g.sw) + 1); // past the last ending at column ≤ w
  return end - lo >= 4 ? [lo, end] : null;
}

/** The 2×2 stride-2 window, no padding, with whole groups of four outputs a row: the SIMD kernel. */
function fourAtATime(g: Pool2dGeometry): boolean {
  return g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.wo % 4 === 0 && (g.ph ?? 0) === 0 && (g.pw ?? 0) === 0;
}

/**
 * avgpool2d forward, any geometry (and adaptive_avgpool2d's uniform windows): y = (0 + Σ window) / divisor in float64
 * lanes, rounded once, the generated loops' bits (pool-kernel.ts avgpoolP1/P2): each window cut to the input, four
 * outputs at a time where the column stride is 1 or 2 and a row has four windows wholly inside it. False where the
 * arrays are not in wasm memory, and where the generated code unrolls the window and no four-at-a-time part applies
 * (the unrolled loop runs: as fast as the kernel's one at a time).
 */
export function avgpool2dForward(g: Pool2dGeometry, n: number, x: FloatArray, y: FloatArray): boolean {
  const w = residentIn(x, y);
  if (w === null) return false;
  if (inside(g) && g.adaptive !== true && simdColumns(g) === null && g.kh * g.kw <= AVGPOOL_UNROLLED_MAX) return false;
  paddedArgs(g, g.sw === 1 || g.sw === 2 ? 0 : AVG_SCALAR);
  runPlanes(w, sideModule<SideKernels<'avgpoolP1' | 'avgpoolP2'>>(w, 'avgpool', avgpoolModule), g.sw === 2 ? 'avgpoolP2' : 'avgpoolP1', n * g.c, n * g.c * g.h * g.w,
    addresses[0]!, 4 * g.h * g.w, addresses[1]!, 4 * g.ho * g.wo, -1, 0);
  return true;
}

/** dX of that avgpool2d: zeroed, then dY[q] / divisor added to each of its window's elements (cut to the input),
 *  outputs and taps in order (the generated loop's order and roundings: its bits, overlapping windows too); false where
 *  the arrays are not in wasm memory. */
export function avgpool2dBackward(g: Pool2dGeometry, n: number, dY: FloatArray, dX: FloatArray): boolean {
  const w = residentIn(dY, dX);
  if (w === null) return false;
  paddedArgs(g, 0);
  runPlanes(w, sideModule<SideKernels<'avgpoolPBackward'>>(w, 'avgpool', avgpoolModule), 'avgpoolPBackward', n * g.c, n * g.c * g.h * g.w,
    addresses[0]!, 4 * g.ho * g.wo, addresses[1]!, 4 * g.h * g.w, -1, 0);
  return true;
}

/** avgpoolP1/P2's and avgpoolPBackward's arguments after the planes, into planeArgs. */
function paddedArgs(g: Pool2dGeometry, flags: number): void {
  a.fill(0);
  a[0] = g.h; a[1] = g.w; a[2] = g.ho; a[3] = g.wo; a[4] = g.kh; a[5] = g.kw; a[6] = g.sh; a[7] = g.sw; a[8] = g.ph ?? 0; a[9] = g.pw ?? 0;
  a[10] = flags | (g.countIncludePad === false ? AVG_EXCLUDE_PAD : 0) | (g.adaptive === true ? AVG_TWICE : 0);
}

/** An adaptive pool's windows where they differ in size (the generated module's constant, plan.ts's tables): output
 *  (oh, ow) of each of the c planes pools input rows [hs[oh], he[oh]) and columns [ws[ow], we[ow]) of h × w. */
export interface AdaptiveWindows {
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly ho: number;
  readonly wo: number;
  readonly hs: Int32Array;
  readonly he: Int32Array;
  readonly ws: Int32Array;
  readonly we: Int32Array;
}

/** Each windows constant's tables in wasm memory (hs | he | ws | we), made on first use: a constant is a module's, so
 *  it lives as long as the module does. */
const tables = new WeakMap<AdaptiveWindows, Int32Array>();

/** The byte address of g's tables in w's memory, or −1 where they cannot live there (past the resident budget). */
function tableAt(w: Instance, g: AdaptiveWindows): number {
  let t = tables.get(g);
  if (t === undefined) {
    t = allocInt32(2 * g.ho + 2 * g.wo);
    t.set(g.hs, 0); t.set(g.he, g.ho); t.set(g.ws, 2 * g.ho); t.set(g.we, 2 * g.ho + g.wo);
    tables.set(g, t);
  }
  const r = residentAt(w, t);
  return r < 0 ? -1 : 4 * r;
}

/**
 * Runs adaptive kernel `kernel` (pool-kernel.ts) over the tables' windows: from a (x, or dY backward) to b (y, or dX), with
 * the argmax where one is given; false, with nothing done, where the arrays or the tables are not in wasm memory.
 */
function runAdaptive(kernel: 'adaptiveAvg' | 'adaptiveAvgBackward' | 'adaptiveMax', g: AdaptiveWindows, n: number, a0: FloatArray, b0: FloatArray, argmax: Int32Array | null): boolean {
  const w = residentIn(a0, b0);
  if (w === null) return false;
  const from = addresses[0]!, to = addresses[1]!, at = argmax === null ? -1 : residentAt(w, argmax);
  const tab = tableAt(w, g);
  if (tab < 0 || (argmax !== null && at < 0)) return false;
  a.fill(0);
  a[0] = g.h; a[1] = g.w; a[2] = g.ho; a[3] = g.wo; a[4] = tab;
  const inPlane = 4 * g.h * g.w, outPlane = 4 * g.ho * g.wo, backward = kernel === 'adaptiveAvgBackward';
  runPlanes(w, sideModule<SideKernels<typeof kernel>>(w, 'adaptivePool', adaptivePoolModule), kernel, n * g.c, n * g.c * g.h * g.w,
    from, backward ? outPlane : inPlane, to, backward ? inPlane : outPlane, at < 0 ? -1 : 4 * at, outPlane);
  return true;
}

/** adaptive_avgpool2d forward over the tables' windows: y = Σ / rows / columns, the loop's bits (pool-kernel.ts
 *  adaptiveAvg); false where the arrays are not in wasm memory. */
export function adaptiveAvgpool2dForward(g: AdaptiveWindows, n: number, x: FloatArray, y: FloatArray): boolean {
  return runAdaptive('adaptiveAvg', g, n, x, y, null);
}

/** Its backward: dX zeroed, then dY[q] / rows / columns added over each window, outputs in order (the loop's bits). */
export function adaptiveAvgpool2dBackward(g: AdaptiveWindows, n: number, dY: FloatArray, dX: FloatArray): boolean {
  return runAdaptive('adaptiveAvgBackward', g, n, dY, dX, null);
}

/** adaptive_maxpool2d forward over the tables' windows, and the argmax (an index in the input plane): maxpool's rule,
 *  the loop's bits. Its backward is maxpool2dBackward's (the same argmax loop). */
export function adaptiveMaxpool2dForward(g: AdaptiveWindows, n: number, x: FloatArray, y: FloatArray, argmax: Int32Array): boolean {
  return runAdaptive('adaptiveMax', g, n, x, y, argmax);
}
