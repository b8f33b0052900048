// One thread's share of a float32 gemm, and the loop a worker thread runs (threads.ts starts them).
//
// The job is described in a control block of Int32 words at the start of the wasm memory, which is
// shared with every worker; each worker has its own instance of the same kernel module on it.
// C's MR×NR tiles are split along C's longer side (columns when splitN) into chunks of contiguous
// tiles. The caller packs the other operand, whole, once (packOperand); then every thread claims
// chunks from a shared counter until none is left, packs its chunk's panels of the split operand
// and runs the tiles kernel on them. Claiming, not a fixed share, because this runs on machines
// where other processes take cores: a thread that was not scheduled leaves its chunks to the others.
//
// Every element of C is computed by exactly one thread, by the same kernel, from the same packed
// values, with the same k order (kc slices in turn, f32 accumulators stored and reloaded exactly
// between slices): the result is bitwise the single-thread result whatever thread took which chunk.
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
  /** Chunks computed by workers, all jobs together (a statistic for tests). */
  workerChunks: 20,
  /** Non-zero: a worker's part threw (a cnnc bug); the caller reports it rather than wait forever. */
  failed: 21,
  /** The next chunk to claim (own cache line: every thread increments it). */
  next: 24,
  // The job: operand placement in floats, from the start of memory.
  transA: 32, transB: 33, M: 34, N: 35, K: 36, pA: 37, pB: 38, pC: 39, ldc: 40, accumulate: 41,
  /** Threads taking part (1 … workers + 1); a thread whose index is ≥ this does nothing. */
  threads: 42,
  splitN: 43,
  /** Per-thread scratch for one slice of packed panels: thread t's starts at scratch + t·scratchStride (floats). */
  scratch: 44, scratchStride: 45,
  /** The unsplit operand, packed whole by the caller: kc slice s at packed + s·(its panels)·R·min(KC, K). */
  packed: 46,
  chunks: 47,
  // The kernel's constants (sgemm-kernel.ts), written once.
  MR: 48, NR: 49, KC: 50,
  /** Row strides of A and B as stored, in floats (≥ the compact stride: a conv's batch-wide operands are padded). */
  lda: 51, ldb: 52,
  ints: 64,
} as const;
export type CtrlLayout = typeof CTRL;

export interface KernelExports {
  readonly tiles: (tilesM: number, tilesN: number, kc: number, pA: number, pB: number, pC: number, ldc: number, load: number) => void;
  /** (src, ld, count, kc, R, panels, dst), byte addresses and strides: see pack-kernel.ts. */
  readonly packRows: (src: number, ld: number, count: number, kc: number, R: number, panels: number, dst: number) => void;
  readonly packCols: (src: number, ld: number, count: number, kc: number, R: number, panels: number, dst: number) => void;
}

/**
 * Packs rows [first·R, …) of op(X) (R = MR for A, NR for B), `panels` panels, kc slice from k = pc,
 * at dst (floats). op(A) = A (rows stored) or Aᵀ; op(B)ᵀ's rows are B's columns (B stored) or rows (Bᵀ).
 */
function packPanels(e: KernelExports, c: Int32Array, L: CtrlLayout, isA: boolean, first: number, panels: number, pc: number, kc: number, dst: number): void {
  const R = isA ? c[L.MR]! : c[L.NR]!;
  const count = isA ? c[L.M]! : c[L.N]!;
  const p = isA ? c[L.pA]! : c[L.pB]!;
  // Stored with the k index along rows (A stored as Aᵀ, B stored as B) or along columns.
  const kAlongRows = isA ? c[L.transA] !== 0 : c[L.transB] === 0;
  const ld = 4 * (isA ? c[L.lda]! : c[L.ldb]!); // the stored row stride in bytes
  const i0 = first * R;
  if (kAlongRows) e.packCols(4 * (p + i0) + pc * ld, ld, count - i0, kc, R, panels, 4 * dst);
  else e.packRows(4 * (p + pc) + i0 * ld, ld, count - i0, kc, R, panels, 4 * dst);
}

/** The caller, before the threads start: the operand that is not split, every kc slice, at `packed`. */
export function packOperand(e: KernelExports, c: Int32Array, L: CtrlLayout): void {
  const splitN = c[L.splitN] !== 0, K = c[L.K]!, KC = c[L.KC]!;
  const R = splitN ? c[L.MR]! : c[L.NR]!;
  const panels = Math.ceil((splitN ? c[L.M]! : c[L.N]!) / R);
  const sliceFloats = panels * R * Math.min(KC, K);
  for (let pc = 0, s = 0; pc < K; pc += KC, s++) packPanels(e, c, L, splitN, 0, panels, pc, Math.min(KC, K - pc), c[L.packed]! + s * sliceFloats);
}

/** Thread t's part of the job in the control block c: chunks of C (+)= op(A)·op(B), claimed until none is left. */
export function gemmPart(e: KernelExports, c: Int32Array, L: CtrlLayout, t: number): void {
  if (t >= c[L.threads]!) return; // a worker this job does not use
  const M = c[L.M]!, N = c[L.N]!, K = c[L.K]!, MR = c[L.MR]!, NR = c[L.NR]!, KC = c[L.KC]!;
  const splitN = c[L.splitN] !== 0, pC = c[L.pC]!, ldc = c[L.ldc]!, accumulate = c[L.accumulate] !== 0;
  const tilesM = Math.ceil(M / MR), tilesN = Math.ceil(N / NR);
  const all = splitN ? tilesN : tilesM;
  const chunks = c[L.chunks]!, per = Math.ceil(all / chunks);
  const kcMax = Math.min(KC, K);
  const sliceFloats = (splitN ? tilesM * MR : tilesN * NR) * kcMax; // one slice of the packed unsplit operand
  const own = c[L.scratch]! + t * c[L.scratchStride]!; // this thread's panels of the split operand, one slice
  let done = 0;
  for (let chunk = Atomics.add(c, L.next, 1); chunk < chunks; chunk = Atomics.add(c, L.next, 1)) {
    const lo = chunk * per, n = Math.min(all, lo + per) - lo;
    if (n <= 0) continue; // the kernels' loops run at least once
    done++;
    for (let pc = 0, s = 0; pc < K; pc += KC, s++) {
      const kc = Math.min(KC, K - pc);
      packPanels(e, c, L, !splitN, lo, n, pc, kc, own);
      const shared = c[L.packed]! + s * sliceFloats;
      const load = accumulate || pc > 0 ? 1 : 0;
      if (splitN) e.tiles(tilesM, n, kc, 4 * shared, 4 * own, 4 * (pC + lo * NR), 4 * ldc, load);
      else e.tiles(n, tilesN, kc, 4 * own, 4 * shared, 4 * (pC + lo * MR * ldc), 4 * ldc, load);
    }
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
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
  let polls = init.spin;
  for (;;) {
    let g = Atomics.load(c, L.gen);
    for (let i = 0; g === seen && i < polls; i++) g = Atomics.load(c, L.gen);
    if (g === seen) {
      // Woken with no new job: the caller's early wake (pool.ts: wakeWorkers) while it copies the
      // operands in. Poll longer this once, so the job finds this thread awake.
      polls = Atomics.wait(c, L.gen, seen) === 'ok' ? 20 * init.spin : init.spin;
      continue;
    }
    polls = init.spin;
    seen = g;
    if (Atomics.load(c, L.stop) !== 0) return;
    try {
      gemmPart(e, c, L, init.index);
    } catch {
      Atomics.store(c, L.failed, 1);
    }
    if (Atomics.add(c, L.done, 1) + 1 === Atomics.load(c, L.workers)) Atomics.notify(c, L.done);
  }
}

/** A script that defines `workerMain(init: WorkerInit)`; the platform's glue calls it with the first message. */
export function workerSource(): string {
  return `'use strict';\n${packPanels.toString()}\n${gemmPart.toString()}\n${workerMain.toString()}\n`;
}
