// Intra-op parallelism of the float32 gemm: opt-in, browser-safe. The platform starts the workers
// (a SpawnWorker: runtime/node/threads.ts for Node's worker_threads, spawnWebWorker below for a
// cross-origin-isolated page), each from the module file worker.js beside this one; this file gives
// each the kernel module and the shared memory and keeps count. How a gemm is shared out, and why the
// result is bitwise the one-thread result, is in wasm/gemm-part.js. Only the wasm float32 path runs in
// parallel; float64 and the JS path do not.
import { CTRL, type WorkerInit } from './wasm/gemm-part.js';
import { pool } from './wasm/pool.js';
import { shareMemory } from './wasm/sgemm.js';
import { directWorkerModules } from './wasm/direct.js';
import { depthwiseWorkerModules } from './wasm/depthwise.js';
import { winogradWorkerModules } from './wasm/winograd.js';
import { batchnormWorkerModules } from './wasm/batchnorm.js';
import { elementwiseWorkerModules } from './wasm/side.js';
import { updateWorkerModules } from './wasm/sgd.js';

/** A started worker, as the pool needs it: Node's Worker and the browser's both fit. */
export interface ThreadWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/**
 * Starts a worker from the module file worker.js (it takes the first message it receives as its
 * WorkerInit and runs wasm/gemm-part.js's workerMain); reports the worker's errors to onError.
 */
export type SpawnWorker = (onError: (error: unknown) => void) => ThreadWorker;

let started: ThreadWorker[] = [];

/**
 * Starts n − 1 workers (the calling thread is the n-th) and uses n threads from then on. With
 * workers already started, reuses them when there are enough. Rejects where the engine has no
 * shared WebAssembly memory, or when a worker fails or is not ready within `timeoutMs`.
 */
export async function startThreads(n: number, spawn: SpawnWorker, timeoutMs = 30_000): Promise<void> {
  checkCount(n);
  if (n - 1 <= started.length) {
    setThreads(n);
    return;
  }
  await stopThreads();
  const w = shareMemory();
  const c = w.ctrl;
  Atomics.store(c, CTRL.stop, 0);
  Atomics.store(c, CTRL.ready, 0);
  let failure: unknown;
  for (let index = 1; index < n; index++) {
    const worker = spawn((e) => { failure ??= e; });
    started.push(worker);
    const init: WorkerInit = { module: w.module, memory: w.memory, index, layout: CTRL, spin: pool.spin, sides: [...directWorkerModules(), ...depthwiseWorkerModules(), ...winogradWorkerModules(), ...batchnormWorkerModules(), ...elementwiseWorkerModules(), ...updateWorkerModules()] };
    worker.postMessage(init);
  }
  const t0 = Date.now();
  while (Atomics.load(c, CTRL.ready) < n - 1) {
    if (failure !== undefined || Date.now() - t0 > timeoutMs) {
      await stopThreads();
      throw new Error(`threads: a worker did not start${failure === undefined ? ` within ${timeoutMs} ms` : `: ${String(failure)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  pool.workers = n - 1;
  pool.threads = n;
}

/** Threads a large enough gemm uses from now on: 1 … (workers started) + 1. */
export function setThreads(n: number): void {
  checkCount(n);
  if (n - 1 > pool.workers) {
    throw new RangeError(`setThreads(${n}): only ${pool.workers + 1} thread(s) started; start them first (Node: await initThreads(${n}) from cnnc/runtime/node; browser: await startThreads(${n}, spawnWebWorker))`);
  }
  pool.threads = n;
}

/** Threads a large enough gemm uses now (1 unless threads were started). */
export function getThreads(): number {
  return pool.threads;
}

/** Stops the workers (they leave their loop, then are terminated); back to one thread. */
export async function stopThreads(): Promise<void> {
  const workers = started;
  started = [];
  pool.workers = 0;
  pool.threads = 1;
  if (workers.length === 0) return;
  const c = shareMemory().ctrl;
  Atomics.store(c, CTRL.stop, 1);
  Atomics.add(c, CTRL.gen, 1);
  Atomics.notify(c, CTRL.gen);
  await Promise.all(workers.map((w) => w.terminate()));
}

/**
 * SpawnWorker for browsers: a module Web Worker from worker.js, written as
 * `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` so that vite, webpack and
 * rollup's worker plugins bundle it and point the URL at their output; with esbuild, build worker.js
 * as a second entry point beside the bundle (runtime/API.md). Shared memory needs a
 * cross-origin-isolated page (COOP: same-origin, COEP: require-corp); without it startThreads rejects.
 */
export const spawnWebWorker: SpawnWorker = (onError) => {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onerror = (e) => onError(e.message || `worker.js did not load${e.filename ? ` from ${e.filename}` : ''}: a bundler must emit it beside the bundle (esbuild: build cnnc/runtime/worker as a second entry point; runtime/API.md, threads)`);
  return worker;
};

/** A SpawnWorker for browsers whose worker.js is elsewhere: `url`, a module Web Worker (the app's copy of runtime/worker.js, bundled or not). */
export function spawnWebWorkerFrom(url: string | URL): SpawnWorker {
  return (onError) => {
    const worker = new Worker(url, { type: 'module' });
    worker.onerror = (e) => onError(e.message || `the worker script did not load from ${String(url)}`);
    return worker;
  };
}

function checkCount(n: number): void {
  if (!(Number.isInteger(n) && n >= 1 && n <= 256)) throw new RangeError(`threads: want an integer from 1 to 256, got ${n}`);
}
