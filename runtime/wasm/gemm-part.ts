// One thread's share of a float32 gemm, and the loop a worker thread runs (threads.ts starts them).
//
// The job is described in a control block of Int32 words at the start of the wasm memory, which is
// shared with every worker; each worker has its own instance of the same kernel module on it.
// C's MR×NR tiles are split into T contiguous ranges, of columns (splitN) or of rows, one per
// thread; thread 0 is the caller. A thread packs its own panels (the operand that is not split is
// packed by every thread: the split is along C's longer side, so that one is the smaller) and runs
// the tiles kernel on its range. Every element of C is computed by exactly one thread, by the same
// kernel, from the same packed values, with the same k order (kc slices in turn, f32 accumulators
// stored and reloaded exactly between slices): the result is bitwise the single-thread result, for
// any T and any split.
//
// gemmPart and workerMain are also the worker's source (workerSource: Function.prototype.toString),
// so they refer to nothing outside themselves: the layout comes in as an argument.

/** Int32 word indices of the control block (`ints` words; the data region starts after it). */
export const CTRL = {
  /** Job generation: the caller bumps it to start a job, workers wait on it. */
  gen: 0,
  /** Workers done with the current job; the caller waits for it to reach `workers` (own cache line). */
  done: 16,
  workers: 17,
  /** Workers that have instantiated the module and wait for jobs. */
  ready: 18,
  /** Non-zero: workers leave their loop at the next generation. */
  stop: 19,
  // The job: operand placement in floats, from the start of memory.
  transA: 32, transB: 33, M: 34, N: 35, K: 36, pA: 37, pB: 38, pC: 39, ldc: 40, accumulate: 41,
  /** Threads taking part (1 … workers + 1); a thread whose index is ≥ this does nothing. */
  threads: 42,
  splitN: 43,
  /** Per-thread scratch for packed panels: thread t's starts at scratch + t·scratchStride (floats). */
  scratch: 44, scratchStride: 45,
  // The kernel's constants (sgemm-kernel.ts), written once.
  MR: 48, NR: 49, KC: 50,
  ints: 64,
} as const;
export type CtrlLayout = typeof CTRL;

export interface KernelExports {
  readonly tiles: (tilesM: number, tilesN: number, kc: number, pA: number, pB: number, pC: number, ldc: number, load: number) => void;
  /** (src, ld, count, kc, R, panels, dst), byte addresses and strides: see pack-kernel.ts. */
  readonly packRows: (src: number, ld: number, count: number, kc: number, R: number, panels: number, dst: number) => void;
  readonly packCols: (src: number, ld: number, count: number, kc: number, R: number, panels: number, dst: number) => void;
}

/** Thread t's tiles of the job in the control block c: C (+)= op(A)·op(B), all in wasm memory. */
export function gemmPart(e: KernelExports, c: Int32Array, L: CtrlLayout, t: number): void {
  const T = c[L.threads]!;
  if (t >= T) return; // a worker this job does not use
  const M = c[L.M]!, N = c[L.N]!, K = c[L.K]!, MR = c[L.MR]!, NR = c[L.NR]!, KC = c[L.KC]!;
  const transA = c[L.transA] !== 0, transB = c[L.transB] !== 0, splitN = c[L.splitN] !== 0;
  const pA = c[L.pA]!, pB = c[L.pB]!, pC = c[L.pC]!, ldc = c[L.ldc]!, accumulate = c[L.accumulate] !== 0;
  const tilesM = Math.ceil(M / MR), tilesN = Math.ceil(N / NR);
  const all = splitN ? tilesN : tilesM;
  const lo = Math.floor((all * t) / T), hi = Math.floor((all * (t + 1)) / T);
  if (lo >= hi) return; // no tiles for this thread (the kernels' loops run at least once)
  // This thread's tiles: rows [i0, i0 + mt·MR) × columns [j0, j0 + nt·NR) of C.
  const i0 = splitN ? 0 : lo * MR, mt = splitN ? tilesM : hi - lo;
  const j0 = splitN ? lo * NR : 0, nt = splitN ? hi - lo : tilesN;
  const packA = c[L.scratch]! + t * c[L.scratchStride]!;
  const packB = packA + mt * MR * Math.min(KC, K); // packed A holds one kc slice at a time
  // Row strides in bytes of A and B as stored: op(A) is M×K, op(B) is K×N.
  const lda = 4 * (transA ? M : K), ldb = 4 * (transB ? K : N);
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    // op(A)'s rows i0.. and columns pc.. start at A's row i0, column pc (A stored) or row pc, column i0 (Aᵀ stored); likewise B.
    if (transA) e.packCols(4 * (pA + i0) + pc * lda, lda, M - i0, kc, MR, mt, 4 * packA);
    else e.packRows(4 * (pA + pc) + i0 * lda, lda, M - i0, kc, MR, mt, 4 * packA);
    if (transB) e.packRows(4 * (pB + pc) + j0 * ldb, ldb, N - j0, kc, NR, nt, 4 * packB);
    else e.packCols(4 * (pB + j0) + pc * ldb, ldb, N - j0, kc, NR, nt, 4 * packB);
    e.tiles(mt, nt, kc, 4 * packA, 4 * packB, 4 * (pC + i0 * ldc + j0), 4 * ldc, accumulate || pc > 0 ? 1 : 0);
  }
}

export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** 1 … workers (the caller is thread 0). */
  readonly index: number;
  readonly layout: CtrlLayout;
  /** Polls of `gen` before sleeping in Atomics.wait. */
  readonly spin: number;
}

/**
 * A worker's life: instantiate the kernels on the shared memory, say ready, then for each new
 * generation run its part and count itself done. It polls briefly before sleeping, because gemm
 * calls come ~0.1–1 ms apart in a training step and waking from Atomics.wait takes tens of µs.
 */
export function workerMain(init: WorkerInit): void {
  const L = init.layout;
  const e = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports as unknown as KernelExports;
  const c = new Int32Array(init.memory.buffer, 0, L.ints);
  let seen = Atomics.load(c, L.gen);
  Atomics.add(c, L.ready, 1);
  Atomics.notify(c, L.ready);
  for (;;) {
    let g = Atomics.load(c, L.gen);
    for (let i = 0; g === seen && i < init.spin; i++) g = Atomics.load(c, L.gen);
    if (g === seen) {
      Atomics.wait(c, L.gen, seen);
      continue;
    }
    seen = g;
    if (Atomics.load(c, L.stop) !== 0) return;
    gemmPart(e, c, L, init.index);
    if (Atomics.add(c, L.done, 1) + 1 === Atomics.load(c, L.workers)) Atomics.notify(c, L.done);
  }
}

/** A script that defines `workerMain(init: WorkerInit)`; the platform's glue calls it with the first message. */
export function workerSource(): string {
  return `'use strict';\n${gemmPart.toString()}\n${workerMain.toString()}\n`;
}
