// SGD's update on its wasm kernel (sgd-kernel.ts) for optim.ts: where the parameter, its gradient, its
// momentum buffer and the hyperparameter block live in wasm memory (a generated float32 model's, and the
// slots optim.ts allocates beside them), the update runs there with the JavaScript's bits; false
// (nothing done) otherwise, and optim.ts runs sgdUpdate. No float crosses from JS (the scalars are in
// the block), and nothing is allocated, so a step stays allocation-free before V8 optimizes it.
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { runUpdate, sideModule, updateArrays, workerModules } from './side.js';
import { sgdModule } from './sgd-kernel.js';
import { residentAt, wasmSgemm } from './sgemm.js';
import { adamModule } from './adam-kernel.js';
import { optimWorkerModules } from './optim-more.js';

interface SgdExports {
  readonly sgd: (pP: number, pG: number, pBuf: number, n: number, hyper: number, first: number, nesterov: number) => void;
  readonly [name: string]: (...args: number[]) => void;
}

/** One parameter's update; hyper: the optimizer's block, float64 [lr, momentum, 1 − dampening, weight decay]. */
export function sgdInWasm(hyper: Float32Array, p: FloatArray, g: FloatArray, buf: FloatArray | null, first: boolean, nesterov: boolean): boolean {
  if (gemmBackend() !== 'wasm' || !(p instanceof Float32Array) || !(g instanceof Float32Array) || !(buf === null || buf instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const rH = residentAt(w, hyper), rP = residentAt(w, p), rG = residentAt(w, g), rB = buf === null ? -1 : residentAt(w, buf);
  if (rH < 0 || rP < 0 || rG < 0 || (buf !== null && rB < 0) || g.length !== p.length || (buf !== null && buf.length !== p.length)) return false;
  updateArrays[0] = 4 * rP; updateArrays[1] = 4 * rG; updateArrays[2] = buf === null ? -1 : 4 * rB;
  runUpdate(w, sideModule<SgdExports>(w, 'sgd', sgdModule), 'sgd', 3, p.length, 4 * rH, first ? 1 : 0, nesterov ? 1 : 0);
  return true;
}

/** Every optimizer's kernels (gemm-part.js UPDATES: SGD, Adam, and optim-more.ts's at both fmas), for the workers (threads.ts). */
export function updateWorkerModules(): WebAssembly.Module[] {
  return [...workerModules([sgdModule, adamModule]), ...optimWorkerModules()];
}
