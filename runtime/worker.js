// @ts-check
// The gemm worker thread, a module file of its own: threads.ts's spawnWebWorker starts it as
// `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` and runtime/node/threads.ts
// as a worker_threads Worker from the same file, the form esbuild, vite, webpack and rollup understand
// (a bundler that does not bundle workers copies or emits it beside the bundle: runtime/API.md). It is
// JavaScript, so the sources run it as they are (Node has no TypeScript in a worker), and it imports only
// wasm/gemm-part.js, which holds everything a worker runs (workerMain and the parts it calls).
//
// It waits for one message, the WorkerInit (the kernel module, the shared memory, its index, the
// control block's layout), and then runs workerMain until the pool stops it.
import { workerMain } from './wasm/gemm-part.js';

/**
 * Node's worker_threads port, found without importing node:* (a browser bundle must not see one):
 * process.getBuiltinModule is Node ≥ 20.16's. Null in a browser's Web Worker.
 * @type {{ once(event: 'message', listener: (m: import('./wasm/gemm-part.js').WorkerInit) => void): unknown } | null}
 */
const nodePort = (() => {
  const proc = /** @type {{ process?: { getBuiltinModule?: (id: string) => unknown } }} */ (globalThis).process;
  const wt = /** @type {{ parentPort?: { once(event: 'message', listener: (m: never) => void): unknown } | null } | undefined} */ (proc?.getBuiltinModule?.('node:worker_threads'));
  return wt?.parentPort ?? null;
})();

if (nodePort !== null) {
  nodePort.once('message', workerMain);
} else {
  const scope = /** @type {{ onmessage: ((m: MessageEvent<import('./wasm/gemm-part.js').WorkerInit>) => void) | null }} */ (/** @type {unknown} */ (globalThis));
  scope.onmessage = (m) => {
    scope.onmessage = null;
    workerMain(m.data);
  };
}
