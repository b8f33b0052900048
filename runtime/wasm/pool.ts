// The calling thread's side of a parallel gemm: start a job generation, do part 0, wait for the
// workers (gemm-part.js has their side). No message per call: one Atomics.add + notify to start,
// one counter to finish. The caller polls the counter briefly before sleeping on it, since the
// workers' parts end within microseconds of its own; a browser's main thread may not sleep
// (Atomics.wait throws there), so it only polls.
import { CTRL, ceilDiv, PLANES, runPart, type ConvKernelExports } from './gemm-part.js';

export const pool = {
  /** Threads a large enough gemm uses (setThreads): 1 … workers + 1. */
  threads: 1,
  /** Worker threads started and waiting (threads.ts). */
  workers: 0,
  /**
   * Polls before a thread sleeps in Atomics.wait (workers: on `gen`; the caller: on `done`): a
   * poll is ~3–15 ns here, so ~15–75 µs, about the gap between a step's gemm calls. Longer spins
   * measured worse on this shared machine (spinning takes the core another thread needs).
   */
  spin: 5_000,
  /**
   * Products smaller than this (M·N·K multiply-adds) run on the calling thread alone. Measured
   * here on an idle machine, 2 threads against 1 (64-row products): 0.13M MACs 0.4×, 0.5M 1.0×,
   * 1M 1.1×, 2M 1.3×, 4.7M 1.45×, 10.6M (the MNIST conv2 products) 1.48×.
   */
  minMacs: 1 << 20,
  /**
   * Passes over fewer floats than this run on the calling thread alone: the elementwise kernels (side.ts
   * runElementwise), the plane kernels, the optimizers' updates and batchnorm's passes (batchnorm.ts). Below it a job
   * costs about what the second thread saves. Within a step the workers are still polling from the last job (spin),
   * so a job costs a few µs. Measured (2-core AMD EPYC, 1 → 2 threads, medians of 61 back-to-back calls, µs): leaky
   * 16K floats 4 → 5, 32K 7 → 6, 64K 14 → 11, 128K 27 → 17; tanh 8K 27 → 17, 32K 103 → 59; batchnorm's five passes 16K
   * 44 → 36, 32K 70 → 48, 128K 265 → 166. Training steps at 2 threads, batch 32, 3 interleaved runs of 60 steps
   * (bench/step-time.mjs), 1<<19 → 1<<15, min / median ms: resnet-mini 24.0 / 28–38 → 21.4 / 25–28, LeNet-5 3.5 / 6.1–7.5
   * → 2.8 / 4.5–5.8; vgg-bn even. (A 2-core Xeon had measured relu6 150K 0.08 → 0.36 ms, with the workers asleep.)
   */
  minFloats: 1 << 15,
  /** Whether the caller claims chunks too (always, except in tests that make the workers compute everything). */
  callerWorks: true,
};

/** Threads for a job of `units` units and `work` (a conv's multiply-adds, conv.ts, direct.ts; a pass's floats with
 *  min = pool.minFloats, batchnorm.ts): under `min` it stays on the calling thread. */
export function jobThreads(units: number, work: number, min = pool.minMacs): number {
  return work < min ? 1 : Math.max(1, Math.min(pool.threads, units));
}

/** Samples per block of a conv backward job: fixed by the batch size (at most 8 blocks), never by the thread count, so the partial sums and their bits are too. */
export function blockSize(n: number): number {
  return ceilDiv(n, Math.min(n, 8));
}

let canBlock: boolean | undefined;

/**
 * Wakes sleeping workers ahead of a job, before the caller copies its operands in (~50–100 µs on
 * the MNIST shapes): waking takes tens of µs, which this hides. No job starts; they poll for it.
 */
export function wakeWorkers(c: Int32Array): void {
  Atomics.notify(c, CTRL.gen);
}

/**
 * Runs job `job` (gemm-part.js runPart), whose fields the caller has written into the control block c, with the
 * kernels e on `threads` threads: the caller alone when one (no worker woken), else the caller and the workers
 * (runParts). The block's job is 0 again after.
 */
export function runJob(e: unknown, c: Int32Array, job: number, threads: number): void {
  c[CTRL.job] = job;
  c[CTRL.threads] = threads;
  c[CTRL.next] = 0;
  const k = e as ConvKernelExports;
  if (threads === 1) runPart(k, c, CTRL, 0);
  else runParts(k, c);
  c[CTRL.job] = 0;
}

/** The integer arguments after the planes of a runPlanes call (module-level: filled by the caller, no allocation a call). */
export const planeArgs = new Int32Array(12);

/**
 * k[name](p0, p1, [p2,] planes, planeArgs[0], …, planeArgs[11]) over `planes` planes (byte addresses moving s0, s1, s2
 * bytes a plane; p2 < 0: a kernel of two): one call, or from pool.minFloats floats (`floats` in all) a job shared among
 * the threads (gemm-part.js planesPart: blocks of planes, the same bits). Pools (maxpool.ts) and batch-1 linear layers
 * (sgemm.ts: gemvRows, a plane an output) use it.
 */
export function runPlanes(w: { readonly ctrl: Int32Array }, k: Readonly<Record<string, (...args: number[]) => void>>, name: (typeof PLANES)[number], planes: number, floats: number,
  p0: number, s0: number, p1: number, s1: number, p2: number, s2: number): void {
  const threads = floats < pool.minFloats || planes < 2 ? 1 : pool.threads;
  const a = planeArgs;
  if (threads === 1) {
    if (p2 < 0) k[name]!(p0, p1, planes, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!);
    else k[name]!(p0, p1, p2, planes, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!);
    return;
  }
  const c = w.ctrl;
  c[CTRL.plKernel] = PLANES.indexOf(name);
  c[CTRL.plPointers] = p2 < 0 ? 2 : 3;
  c[CTRL.plCount] = planes;
  c[CTRL.plBlock] = ceilDiv(planes, 8 * threads);
  c[CTRL.plP0] = p0; c[CTRL.plP1] = p1; c[CTRL.plP2] = p2; c[CTRL.plS0] = s0; c[CTRL.plS1] = s1; c[CTRL.plS2] = s2;
  c.set(a, CTRL.plArgs);
  runJob(k, c, 9, threads);
}

/** Runs the job in the control block c on every thread and returns when all are done. */
export function runParts(e: ConvKernelExports, c: Int32Array): void {
  const workers = pool.workers;
  Atomics.store(c, CTRL.workers, workers);
  Atomics.store(c, CTRL.done, 0);
  Atomics.add(c, CTRL.gen, 1);
  Atomics.notify(c, CTRL.gen);
  if (pool.callerWorks) runPart(e, c, CTRL, 0);
  let done = Atomics.load(c, CTRL.done);
  for (let i = 0; done !== workers && i < pool.spin; i++) done = Atomics.load(c, CTRL.done);
  if (done !== workers && canBlock === undefined) canBlock = agentCanBlock(c);
  while (done !== workers) {
    if (canBlock) Atomics.wait(c, CTRL.done, done);
    done = Atomics.load(c, CTRL.done);
  }
  if (Atomics.load(c, CTRL.failed) !== 0) {
    Atomics.store(c, CTRL.failed, 0);
    throw new Error('gemm: a worker thread failed (a cnnc bug; setThreads(1) avoids it)');
  }
}

/** Whether this thread may call Atomics.wait (not a browser's main thread). */
function agentCanBlock(c: Int32Array): boolean {
  try {
    Atomics.wait(c, CTRL.done, -1, 0); // returns 'not-equal' at once where allowed
    return true;
  } catch {
    return false;
  }
}
