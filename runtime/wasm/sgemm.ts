// Float32 gemm on the WebAssembly SIMD128 micro-kernel (sgemm-kernel.ts): the same contract as
// gemm.ts (C[M×N] (+)= op(A)·op(B), overwrite never reads C), for Float32Array operands.
//
// Per call: A and B are copied into wasm memory (TypedArray.set: a memcpy), C is computed there
// (rows padded to whole NR-column tiles) with K in slices of KC; for each slice wasm packs op(A)
// and op(B) into micro-panels (packing absorbs the transposes and pads edges with zeros: garbage
// could be a subnormal, which is slow), and one `tiles` call runs every micro-kernel. Then C is
// copied out (one memcpy when N is a whole number of tiles); to accumulate, it is copied in first.
// Measured on the MNIST model: JS loops over typed arrays move ~1.5 ns per element here, memcpy
// ~0.3 ns and wasm ~0.3 ns, which is why no element is copied by a JS loop on the common shapes.
//
// set() needs a view of exactly the operand; subarray() allocates one, so views are cached per
// (array, offset): a model calls gemm on a fixed set of them, and after warm-up nothing is allocated.
//
// Browser-safe: the module (~1.5 KiB) is compiled synchronously from bytes, which browsers allow
// on the main thread up to 4 KiB. Memory grows on demand and is kept.
import { MR, NR, sgemmModule } from './sgemm-kernel.js';

const KC = 256;

export interface Instance {
  readonly memory: WebAssembly.Memory;
  readonly tiles: (tilesM: number, tilesN: number, kc: number, pA: number, pB: number, pC: number, ldc: number, load: number) => void;
  readonly packRows: Pack;
  readonly packCols: Pack;
  readonly relu: (p: number, count: number) => void;
  readonly reluBackward: (pY: number, pD: number, count: number) => void;
  f32: Float32Array;
  /** Views of f32 by position, then length (dropped when memory grows). */
  views: Map<number, Map<number, Float32Array>>;
}

/** (src, ld, count, kc, R, panels, dst), byte addresses and strides: see pack-kernel.ts. */
type Pack = (src: number, ld: number, count: number, kc: number, R: number, panels: number, dst: number) => void;

let instance: Instance | null | undefined;

/** The instantiated kernel, or null where WebAssembly or SIMD128 is missing (decided once). */
export function wasmSgemm(): Instance | null {
  if (instance !== undefined) return instance;
  instance = null;
  if (typeof WebAssembly !== 'object') return null;
  const bytes = sgemmModule();
  if (!WebAssembly.validate(bytes)) return null; // no SIMD128 in this engine
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Omit<Instance, 'f32' | 'views'>;
  instance = { memory: e.memory, tiles: e.tiles, packRows: e.packRows, packCols: e.packCols, relu: e.relu, reluBackward: e.reluBackward, f32: new Float32Array(e.memory.buffer), views: new Map() };
  return instance;
}

export function ensureFloats(w: Instance, floats: number): Float32Array {
  const need = floats * 4 - w.memory.buffer.byteLength;
  if (need > 0) {
    w.memory.grow(Math.ceil(need / 65536));
    w.f32 = new Float32Array(w.memory.buffer);
    w.views = new Map();
  }
  return w.f32;
}

const operandViews = new WeakMap<Float32Array, Map<number, Float32Array>>();

/** X[off, off + len) as a cached view (X itself when that is all of it). */
export function operand(X: Float32Array, off: number, len: number): Float32Array {
  if (off === 0 && len === X.length) return X;
  let byOffset = operandViews.get(X);
  if (byOffset === undefined) operandViews.set(X, (byOffset = new Map()));
  let v = byOffset.get(off);
  if (v === undefined || v.length !== len) byOffset.set(off, (v = X.subarray(off, off + len)));
  return v;
}

/** wasm memory floats [pos, pos + len) as a cached view. */
export function wasmView(w: Instance, pos: number, len: number): Float32Array {
  let byLength = w.views.get(pos);
  if (byLength === undefined) w.views.set(pos, (byLength = new Map()));
  let v = byLength.get(len);
  if (v === undefined) byLength.set(len, (v = w.f32.subarray(pos, pos + len)));
  return v;
}

export function sgemm(w: Instance, transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, aOff: number, B: Float32Array, bOff: number, C: Float32Array, cOff: number, accumulate: boolean): void {
  const tilesM = Math.ceil(M / MR);
  const tilesN = Math.ceil(N / NR);
  const ldc = tilesN * NR;
  // Layout (floats): C [tilesM·MR × ldc] | A as given [M·K] | B as given [K·N] | packed A [tilesM·MR × KC] | packed B [KC × ldc] | slack
  const pC = 0;
  const pA = pC + tilesM * MR * ldc;
  const pB = pA + M * K;
  const pPackA = pB + K * N + NR; // packCols may read up to R − 1 floats past its source
  const pPackB = pPackA + tilesM * MR * KC;
  const mem = ensureFloats(w, pPackB + KC * ldc);
  mem.set(operand(A, aOff, M * K), pA);
  mem.set(operand(B, bOff, K * N), pB);
  if (accumulate) {
    if (ldc === N) mem.set(operand(C, cOff, M * N), pC);
    else copyRows(C, cOff, N, mem, pC, ldc, M, N);
  }
  // Row strides in bytes of A and B as stored: op(A) is M×K, op(B) is K×N.
  const lda = 4 * (transA ? M : K);
  const ldb = 4 * (transB ? K : N);
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    // op(A)'s columns pc.. start at A's column pc (rows stored) or row pc (Aᵀ stored); likewise B.
    if (transA) w.packCols(4 * pA + pc * lda, lda, M, kc, MR, tilesM, 4 * pPackA);
    else w.packRows(4 * (pA + pc), lda, M, kc, MR, tilesM, 4 * pPackA);
    if (transB) w.packRows(4 * (pB + pc), ldb, N, kc, NR, tilesN, 4 * pPackB);
    else w.packCols(4 * pB + pc * ldb, ldb, N, kc, NR, tilesN, 4 * pPackB);
    w.tiles(tilesM, tilesN, kc, 4 * pPackA, 4 * pPackB, 4 * pC, 4 * ldc, accumulate || pc > 0 ? 1 : 0);
  }
  if (ldc === N) C.set(wasmView(w, pC, M * N), cOff);
  else copyRows(w.f32, pC, ldc, C, cOff, N, M, N);
}

/** rows × cols from src (row stride ls) to dst (row stride ld), for C with a partial last tile. */
function copyRows(src: Float32Array, s0: number, ls: number, dst: Float32Array, d0: number, ld: number, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const s = s0 + i * ls, d = d0 + i * ld;
    for (let j = 0; j < cols; j++) dst[d + j] = src[s + j]!;
  }
}
