// Float32 gemm on the WebAssembly SIMD128 micro-kernel (sgemm-kernel.ts): the same contract as
// gemm.ts (C[M×N] (+)= op(A)·op(B), overwrite never reads C), for Float32Array operands.
//
// Per call: A and B are copied into wasm memory (TypedArray.set: a memcpy) unless they already live
// there (resident.ts: the generated model's weights and gradients), C is computed there
// (rows padded to whole NR-column tiles) with K in slices of KC (gemm-part.js): wasm packs op(A)
// and op(B) into micro-panels (packing absorbs the transposes and pads edges with zeros: garbage
// could be a subnormal, which is slow) and the `tiles` kernel runs the micro-kernels. Then C is
// copied out (one memcpy when N is a whole number of tiles); to accumulate, it is copied in first.
// Measured on the MNIST model: JS loops over typed arrays move ~1.5 ns per element here, memcpy
// ~0.3 ns and wasm ~0.3 ns, which is why no element is copied by a JS loop on the common shapes.
//
// set() needs a view of exactly the operand; subarray() allocates one, so views are cached per
// (array, offset): a model calls gemm on a fixed set of them, and after warm-up nothing is allocated.
//
// The memory is shared from the start where the engine allows it (Node; cross-origin-isolated pages).
// Threads (threads.ts): chunks of C's tiles are shared out among the
// threads (gemm-part.js), each computing its elements exactly as one thread would: the same bits for any T.
// Copies in and out stay on the calling thread (only it sees the caller's arrays).
//
// Browser-safe: the module (4.0 KB) is compiled synchronously from bytes, which browsers allow
// on the main thread up to 4 KiB; kernels that do not fit beside it are side modules (side.ts).
// Memory grows on demand and is kept.
import { CTRL, ceilDiv, gemmPart, roundUp, gemmWorkFloats, packOperand, setupGemm, type KernelExports } from './gemm-part.js';
import { planeArgs, pool, runParts, runPlanes, wakeWorkers } from './pool.js';
import { MR, NR, sgemmModule } from './sgemm-kernel.js';
import type { MemoryDecl } from './encoder.js';
import { gemvModule } from './gemv-kernel.js';
import type { SideKernels } from './side.js';

/** The k slice of the packed panels (an MR×KC panel of A and a KC×NR one of B stay in L1). */
export const KC = 256;
/** Floats before the first array allocated in wasm memory: the control block (gemm-part.js), padded to a cache line. */
const DATA = CTRL.ints;
/** A shared memory must declare its maximum: 4 GiB, the wasm32 limit (what an unshared one may grow to). */
export const MAX_PAGES = 65536;

export interface Instance extends KernelExports {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Whether memory is shared (wherever the engine allows it): workers run instances of `module` on it. */
  readonly shared: boolean;
  /** End of the arrays allocated in wasm memory (resident.ts), in floats: work space starts here. */
  heapTop: number;
  /** Floats allocated there so far. */
  resident: number;
  /** The memory's buffer objects that arrays allocated in it hold (a grown shared memory hands out a new one). */
  readonly buffers: Set<ArrayBufferLike>;
  /** elementwise-kernel.ts, byte addresses: relu(src, dst, vectors), reluBackward(pY, pDY, pDX, vectors). */
  readonly relu: (p: number, q: number, vectors: number) => void;
  readonly reluBackward: (pY: number, pD: number, pX: number, vectors: number) => void;
  /** conv-kernel.ts: (src, dst, ldr, cin, h, w, kh, kw, sh, sw, dh, dw, top, left, ho, wo), byte addresses. */
  readonly im2col: (...geometry: number[]) => void;
  readonly col2im: (...geometry: number[]) => void;
  readonly fillRows: (dst: number, ld: number, rows: number, cols: number, src: number) => void;
  readonly copyRows: (src: number, ls: number, dst: number, ld: number, rows: number, cols: number) => void;
  /** conv-kernel.ts: dst[r] += the sum of row r of src, byte addresses. */
  readonly addRowSums: (src: number, ls: number, rows: number, cols: number, dst: number) => void;
  /** pool-kernel.ts: (src, dst, arg, planes, h, w, ho, wo, kh, kw, sh, sw), byte addresses. */
  readonly maxpool: (...geometry: number[]) => void;
  readonly maxpool2x2: (src: number, dst: number, arg: number, planes: number, h: number, w: number, ho: number, wo: number) => void;
  /** pool-kernel.ts: per plane dX = 0, then dX[arg[q]] += dY[q]; byte addresses. */
  readonly maxpoolBackward: (dY: number, arg: number, dX: number, planes: number, inPlane: number, outPlane: number) => void;
  /** All of memory as Int32 words: the control block at 0 (gemm-part.js), private blocks of conv jobs further on. */
  ctrl: Int32Array;
  f32: Float32Array;
  /** Views of f32 by position, then length (dropped when memory grows). */
  views: Map<number, Map<number, Float32Array>>;
}

let instance: Instance | null | undefined;

/** The instantiated kernel, or null where WebAssembly or SIMD128 is missing (decided once). */
export function wasmSgemm(): Instance | null {
  if (instance !== undefined) return instance;
  instance = null;
  if (typeof WebAssembly !== 'object') return null;
  const bytes = sgemmModule();
  if (!WebAssembly.validate(bytes)) return null; // no SIMD128 in this engine
  // Shared from the start where the engine allows it: arrays allocated in it (resident.ts) stay
  // valid when it grows (an unshared memory's old buffer is detached), and threads can start on it.
  if (canShare()) {
    try {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
      instance = instantiate(new WebAssembly.Module(sgemmModule(memoryDecl(true))), memory, true);
      return instance;
    } catch {
      // an engine that has SharedArrayBuffer but not shared wasm memory: the unshared one below
    }
  }
  instance = instantiate(new WebAssembly.Module(bytes), new WebAssembly.Memory({ initial: 1 }), false);
  return instance;
}

function canShare(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/**
 * Moves the kernels onto a shared memory (once; threads.ts, before starting workers). Throws where
 * the engine has no shared memory (browsers: without cross-origin isolation).
 */
export function shareMemory(): Instance {
  const w = wasmSgemm();
  if (w === null) throw new Error('threads need WebAssembly SIMD128, which this engine lacks');
  if (w.shared) return w;
  if (!canShare()) {
    throw new Error('threads need shared memory (SharedArrayBuffer): serve the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)');
  }
  const memory = new WebAssembly.Memory({ initial: w.memory.buffer.byteLength / 65536, maximum: MAX_PAGES, shared: true });
  instance = instantiate(new WebAssembly.Module(sgemmModule(memoryDecl(true))), memory, true);
  return instance;
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory, shared: boolean): Instance {
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Pick<Instance, 'tiles' | 'packRows' | 'packCols' | 'relu' | 'reluBackward' | 'im2col' | 'col2im' | 'fillRows' | 'copyRows' | 'maxpool' | 'maxpool2x2' | 'addRowSums' | 'maxpoolBackward'>;
  const w: Instance = {
    module, memory, shared, heapTop: DATA, resident: 0, buffers: new Set([memory.buffer]),
    tiles: e.tiles, packRows: e.packRows, packCols: e.packCols, relu: e.relu, reluBackward: e.reluBackward,
    im2col: e.im2col, col2im: e.col2im, fillRows: e.fillRows, copyRows: e.copyRows, maxpool: e.maxpool, maxpool2x2: e.maxpool2x2, addRowSums: e.addRowSums, maxpoolBackward: e.maxpoolBackward,
    ctrl: new Int32Array(memory.buffer), f32: new Float32Array(memory.buffer), views: new Map(),
  };
  w.ctrl[CTRL.MR] = MR;
  w.ctrl[CTRL.NR] = NR;
  w.ctrl[CTRL.KC] = KC;
  return w;
}

export function ensureFloats(w: Instance, floats: number): Float32Array {
  const need = floats * 4 - w.memory.buffer.byteLength;
  if (need > 0) {
    w.memory.grow(ceilDiv(need, 65536));
    // A grown shared memory's old buffer keeps its old length (and stays valid): take the new one.
    w.f32 = new Float32Array(w.memory.buffer);
    w.ctrl = new Int32Array(w.memory.buffer);
    w.views = new Map();
  }
  return w.f32;
}

/** Where work space starts (floats): after the control block and every array allocated in wasm memory. */
export function scratchBase(w: Instance): number {
  return roundUp(w.heapTop, 16);
}

/** X's position in wasm memory (floats), or −1 when X is an ordinary array that must be copied in. */
export function residentAt(w: Instance, X: Float32Array | Int32Array): number {
  return w.buffers.has(X.buffer) ? X.byteOffset >> 2 : -1;
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

const instances = new WeakMap<WebAssembly.Memory, Map<string, unknown>>();

/** The exports of a side module (side.ts): the module `encode` builds, instantiated over w's memory (cached under `name`). */
export function sideModule<T>(w: Instance, name: string, encode: (memory: MemoryDecl) => Uint8Array<ArrayBuffer>): T {
  let byName = instances.get(w.memory);
  if (byName === undefined) instances.set(w.memory, (byName = new Map()));
  let e = byName.get(name) as T | undefined;
  if (e === undefined) {
    const bytes = encode(memoryDecl(w.shared));
    e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: w.memory } }).exports as unknown as T;
    byName.set(name, e);
  }
  return e;
}

/** How a module declares the memory it imports: shared (threads: a shared memory must declare its maximum) or not. */
export function memoryDecl(shared: boolean): MemoryDecl {
  return shared ? { shared: true, pages: 1, maxPages: MAX_PAGES } : { shared: false, pages: 1 };
}

const float64Views = new WeakMap<ArrayBufferLike, Float64Array>();

/** A Float64Array over the whole memory behind `buffer`, one per buffer (no allocation per call). */
export function float64View(buffer: ArrayBufferLike): Float64Array {
  let v = float64Views.get(buffer);
  if (v === undefined) float64Views.set(buffer, (v = new Float64Array(buffer)));
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
  const ldc = ceilDiv(N, NR) * NR;
  // Layout (floats): operands that live in wasm memory (resident.ts) are used where they are; the
  // others are copied to work space: C [tilesM·MR × ldc] | A as given [M·K] | B as given [K·N] | sgemmAt's.
  // C is computed in place only when it is whole tiles (the micro-kernel writes whole tiles).
  const rA = residentAt(w, A), rB = residentAt(w, B), rC = residentAt(w, C);
  const inPlace = rC >= 0 && ldc === N && M % MR === 0;
  let top = scratchBase(w);
  const pC = inPlace ? rC + cOff : top;
  if (!inPlace) top += ceilDiv(M, MR) * MR * ldc;
  const pA = rA >= 0 ? rA + aOff : top;
  if (rA < 0) top += M * K;
  const pB = rB >= 0 ? rB + bOff : top;
  if (rB < 0) top += K * N;
  const mem = ensureFloats(w, top);
  if (pool.threads > 1 && M * N * K >= pool.minMacs) wakeWorkers(w.ctrl);
  if (rA < 0) mem.set(operand(A, aOff, M * K), pA);
  if (rB < 0) mem.set(operand(B, bOff, K * N), pB);
  if (M === 1 && transB && !transA) {
    // One row times a matrix stored by rows (a linear layer's forward at batch 1): dot products
    // straight from B, no packing (packing B would move all of it twice to use it once).
    if (!inPlace) {
      if (accumulate) mem.set(operand(C, cOff, N), pC);
    }
    // Blocks of outputs (rows of B) shared among the threads from pool.minFloats floats of B: each output is its own
    // dot product, so the same bits for any count.
    planeArgs[0] = K;
    planeArgs[1] = accumulate ? 1 : 0;
    runPlanes(w, sideModule<SideKernels<'gemvRows'>>(w, 'gemv', gemvModule), 'gemvRows', N, N * K, 4 * pA, 0, 4 * pB, 4 * K, 4 * pC, 4);
    if (!inPlace) C.set(wasmView(w, pC, N), cOff);
    return;
  }
  if (transB && !transA && swapPays(M, N, K)) {
    swapped(w, M, N, K, pA, pB, C, cOff, accumulate, top);
    return;
  }
  if (accumulate && !inPlace) {
    if (ldc === N) mem.set(operand(C, cOff, M * N), pC);
    else copyRows(C, cOff, N, mem, pC, ldc, M, N);
  }
  sgemmAt(w, transA, transB, M, N, K, pA, pB, pC, ldc, accumulate, top);
  if (inPlace) return;
  if (ldc === N) C.set(wasmView(w, pC, M * N), cOff);
  else copyRows(w.f32, pC, ldc, C, cOff, N, M, N);
}

/**
 * The product on operands already in wasm memory (float positions): op(A) at pA and op(B) at pB,
 * stored as gemm.ts describes them with row strides lda and ldb (compact by default); C at pC with row stride ldc, a whole number of NR-column
 * tiles, and room for whole MR-row tiles. Work space (packed panels) goes from `free` on; memory may
 * grow (take w.f32 again after the call).
 */
export function sgemmAt(w: Instance, transA: boolean, transB: boolean, M: number, N: number, K: number, pA: number, pB: number, pC: number, ldc: number, accumulate: boolean, free: number, lda = transA ? M : K, ldb = transB ? K : N): void {
  const tilesM = ceilDiv(M, MR);
  const tilesN = ceilDiv(N, NR);
  const threads = M * N * K < pool.minMacs ? 1 : Math.min(pool.threads, Math.max(tilesM, tilesN));
  ensureFloats(w, free + gemmWorkFloats(M, N, K, MR, NR, KC, threads));
  const c = w.ctrl;
  c[CTRL.job] = 0;
  setupGemm(c, 0, CTRL, transA ? 1 : 0, transB ? 1 : 0, M, N, K, pA, pB, pC, ldc, accumulate ? 1 : 0, lda, ldb, free, threads);
  packOperand(w, c, 0, CTRL);
  if (threads === 1) gemmPart(w, c, 0, CTRL, 0);
  else runParts(w, c);
}

/**
 * Whether C = A·Bᵀ (A [M×K] and B [N×K] stored by rows: a linear layer's forward, x·Wᵀ) is better computed as
 * Cᵀ = B·Aᵀ: the product then reads B, the weights, by rows where they are (gemm-part.js rowsA) and packs only A, the
 * smaller; C is transposed in and out (M·N floats, cheap beside N·K when 4M ≤ K). A fully-connected layer at batch
 * 32 (fc1 of the seed: 32×128×9216) packs 0.3M floats instead of 1.5M.
 */
function swapPays(M: number, N: number, K: number): boolean {
  return N > M && 4 * M <= K && N % MR === 0 && (M <= 64 || N * K <= 65536);
}

/**
 * C[M×N] (+)= A·Bᵀ as Cᵀ = B·Aᵀ into work space from `free` (ldc = M rounded up to whole tiles), with Cᵀ loaded from C
 * first when accumulating: every element is the same multiply-adds in the same k order as the direct product (a·b
 * and b·a are the same float32 product), so the same bits.
 */
function swapped(w: Instance, M: number, N: number, K: number, pA: number, pB: number, C: Float32Array, cOff: number, accumulate: boolean, free: number): void {
  const ldt = ceilDiv(M, NR) * NR;
  const pT = roundUp(free, 16);
  const top = pT + ceilDiv(N, MR) * MR * ldt;
  let mem = ensureFloats(w, top);
  if (accumulate) {
    for (let i = 0; i < M; i++) {
      const c = cOff + i * N;
      for (let j = 0; j < N; j++) mem[pT + j * ldt + i] = C[c + j]!;
    }
  }
  sgemmAt(w, false, true, N, M, K, pB, pA, pT, ldt, accumulate, top);
  mem = w.f32;
  for (let i = 0; i < M; i++) {
    const c = cOff + i * N;
    for (let j = 0; j < N; j++) C[c + j] = mem[pT + j * ldt + i]!;
  }
}

/** rows × cols from src (row stride ls) to dst (row stride ld), for C with a partial last tile. */
function copyRows(src: Float32Array, s0: number, ls: number, dst: Float32Array, d0: number, ld: number, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const s = s0 + i * ls, d = d0 + i * ld;
    for (let j = 0; j < cols; j++) dst[d + j] = src[s + j]!;
  }
}
