// RMSprop, Adagrad, Adadelta and amsgrad on the wasm kernels (optim-kernel.ts) for optim.ts: where the
// parameter, its gradient and its slots live in wasm memory (resident.ts: a generated float32 model's, and
// the slots optim.ts allocates beside them), the update runs there, the same bits as optim-more.ts's
// JavaScript; each function returns false (nothing done) otherwise, and optim.ts runs the JavaScript.
// The step's float32 scalars are in wasm memory too (`scalars`, from allocFloats), written by optim.ts.
// The kernels' fma is relaxed_madd where the gemm takes relaxed SIMD (sgemm-kernel.ts's kernelMadd: not
// under CNNC_NO_RELAXED_SIMD=1) and a probe saw this engine fuse it; else the emulation (optim-lanes.ts).
// From pool.minFloats floats an update is a job shared among the threads (side.ts runUpdate, as SGD's and
// Adam's); the workers hold each kernel at both fmas (optimWorkerModules), so whichever the caller runs, even
// after setOptimFma switched it with the threads started, every thread runs that one: the bits of one call.
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import type { MemoryDecl } from './encoder.js';
import { optimKernelName, optimModule, type OptimKernel } from './optim-kernel.js';
import { maddIsFused, type Fma } from './optim-lanes.js';
import { kernelMadd } from './sgemm-kernel.js';
import { residentAt, wasmSgemm } from './sgemm.js';
import { runUpdate, sideModule, updateArrays, workerModules, type SideKernels } from './side.js';

let fma: Fma | undefined;
let fused: boolean | undefined;

/** Whether this engine's relaxed_madd is fused (optim-lanes.ts's probe, run once). */
function engineFuses(): boolean {
  fused ??= maddIsFused();
  return fused;
}

/** The fma of the kernels, decided once (see above). */
export function optimFma(): Fma {
  fma ??= kernelMadd() === 'relaxed' && engineFuses() ? 'fused' : 'emulated';
  return fma;
}

/** Test hook: the fma of the kernels from now on. 'fused' where the engine does not fuse is an error. Each variant's
 *  kernel has its own name (optimKernelName), on this thread and on the workers, which hold both: no rebuild needed. */
export function setOptimFma(how: Fma): void {
  if (how === 'fused' && !engineFuses()) throw new Error('optimizer kernels: this engine has no fused relaxed_madd');
  fma = how;
}

/** Updates (parameters, elements) done by these kernels, all kinds together: a statistic for tests. */
export const wasmOptimUpdates = { calls: 0, elements: 0 };

const KINDS: readonly OptimKernel[] = ['rmsprop', 'adagrad', 'adadelta', 'amsgrad'];

/** One encoder function per kind and fma, made once: sideModule and workerModules cache modules by it. */
const encoders = new Map<string, (memory: MemoryDecl) => Uint8Array<ArrayBuffer>>();
function encoderOf(kind: OptimKernel, how: Fma): (memory: MemoryDecl) => Uint8Array<ArrayBuffer> {
  const name = optimKernelName(kind, how);
  let e = encoders.get(name);
  if (e === undefined) encoders.set(name, (e = (memory) => optimModule(kind, memory, how)));
  return e;
}

/** Every kind's module at both fmas (fused only where this engine fuses: setOptimFma refuses it elsewhere), for the
 *  workers (threads.ts via sgd.ts updateWorkerModules): whichever fma the caller runs, the workers run the same kernel. */
export function optimWorkerModules(): WebAssembly.Module[] {
  const hows: Fma[] = engineFuses() ? ['emulated', 'fused'] : ['emulated'];
  return workerModules(hows.flatMap((how) => KINDS.map((kind) => encoderOf(kind, how))));
}

/**
 * Runs `kind` on arrays (null: an absent slot, address −1) and the scalar block, where all are float32 in
 * wasm memory; false otherwise. Byte addresses, then the element count, then the scalars' address; from
 * pool.minFloats floats on the threads (side.ts runUpdate).
 */
function runInWasm(kind: OptimKernel, scalars: Float32Array, arrays: readonly (FloatArray | null)[]): boolean {
  if (gemmBackend() !== 'wasm') return false;
  const p = arrays[0]!;
  if (!(p instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const at = residentAt(w, scalars);
  if (at < 0) return false;
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i]!;
    if (a === null) { updateArrays[i] = -1; continue; }
    if (!(a instanceof Float32Array) || a.length !== p.length) return false;
    const r = residentAt(w, a);
    if (r < 0) return false;
    updateArrays[i] = 4 * r;
  }
  const name = optimKernelName(kind, optimFma());
  runUpdate(w, sideModule<SideKernels<string>>(w, name, encoderOf(kind, optimFma())), name, arrays.length as 3 | 4 | 5, p.length, 4 * at);
  wasmOptimUpdates.calls++;
  wasmOptimUpdates.elements += p.length;
  return true;
}

/** rmspropUpdate32 in wasm; scalars [α, 1 − α, eps, weight decay, momentum, −lr] (float32). */
export function rmspropInWasm(scalars: Float32Array, p: FloatArray, g: FloatArray, sq: FloatArray, ga: FloatArray | null, buf: FloatArray | null): boolean {
  return runInWasm('rmsprop', scalars, [p, g, sq, ga, buf]);
}

/** adagradUpdate32 in wasm; scalars [weight decay, eps, −clr]. */
export function adagradInWasm(scalars: Float32Array, p: FloatArray, g: FloatArray, sum: FloatArray): boolean {
  return runInWasm('adagrad', scalars, [p, g, sum]);
}

/** adadeltaUpdate32 in wasm; scalars [ρ, 1 − ρ, eps, weight decay, −lr]. */
export function adadeltaInWasm(scalars: Float32Array, p: FloatArray, g: FloatArray, sq: FloatArray, acc: FloatArray): boolean {
  return runInWasm('adadelta', scalars, [p, g, sq, acc]);
}

/** amsgradUpdate32 in wasm; scalars [β1, 1 − β1, β2, 1 − β2, eps, l2, decay, −step_size, √(1 − β2^t)]. */
export function amsgradInWasm(scalars: Float32Array, p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, vmax: FloatArray): boolean {
  return runInWasm('amsgrad', scalars, [p, g, m, v, vmax]);
}
