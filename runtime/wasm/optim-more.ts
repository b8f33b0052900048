// RMSprop, Adagrad, Adadelta and amsgrad on the wasm kernels (optim-kernel.ts) for optim.ts: where the
// parameter, its gradient and its slots live in wasm memory (resident.ts: a generated float32 model's, and
// the slots optim.ts allocates beside them), the update runs there, the same bits as optim-more.ts's
// JavaScript; each function returns false (nothing done) otherwise, and optim.ts runs the JavaScript.
// The step's float32 scalars are in wasm memory too (`scalars`, from allocFloats), written by optim.ts.
// The kernels' fma is relaxed_madd where the gemm takes relaxed SIMD (sgemm-kernel.ts's kernelMadd: not
// under CNNC_NO_RELAXED_SIMD=1) and a probe saw this engine fuse it; else the emulation (optim-lanes.ts).
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { optimModule, type OptimKernel } from './optim-kernel.js';
import { maddIsFused, type Fma } from './optim-lanes.js';
import { kernelMadd } from './sgemm-kernel.js';
import { memoryDecl, residentAt, wasmSgemm, type Instance } from './sgemm.js';

type Kernel = (...addresses: number[]) => void;

const kernels = new Map<OptimKernel, { memory: WebAssembly.Memory; run: Kernel }>();
let fma: Fma | undefined;

/** The fma of the kernels, decided once (see above). */
export function optimFma(): Fma {
  fma ??= kernelMadd() === 'relaxed' && maddIsFused() ? 'fused' : 'emulated';
  return fma;
}

/** Test hook: the fma of the kernels from now on (rebuilt on their next use). 'fused' where the engine does not fuse is an error. */
export function setOptimFma(how: Fma): void {
  if (how === 'fused' && !maddIsFused()) throw new Error('optimizer kernels: this engine has no fused relaxed_madd');
  fma = how;
  kernels.clear();
}

/** Updates (parameters, elements) done by these kernels, all kinds together: a statistic for tests. */
export const wasmOptimUpdates = { calls: 0, elements: 0 };

/** `kind`'s kernel instantiated on the gemm kernels' memory (again when threads moved them to a shared one). */
function kernel(w: Instance, kind: OptimKernel): Kernel {
  const k = kernels.get(kind);
  if (k !== undefined && k.memory === w.memory) return k.run;
  const decl = memoryDecl(w.shared);
  const exports = new WebAssembly.Instance(new WebAssembly.Module(optimModule(kind, decl, optimFma())), { env: { memory: w.memory } }).exports;
  const run = exports[kind] as Kernel;
  kernels.set(kind, { memory: w.memory, run });
  return run;
}

/**
 * Runs `kind` on arrays (null: an absent slot, address −1) and the scalar block, where all are float32 in
 * wasm memory; false otherwise. Byte addresses, then the element count, then the scalars' address.
 */
function runInWasm(kind: OptimKernel, scalars: Float32Array, arrays: readonly (FloatArray | null)[]): boolean {
  if (gemmBackend() !== 'wasm') return false;
  const p = arrays[0]!;
  if (!(p instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const at = residentAt(w, scalars);
  if (at < 0) return false;
  const addresses: number[] = [];
  for (const a of arrays) {
    if (a === null) { addresses.push(-1); continue; }
    if (!(a instanceof Float32Array) || a.length !== p.length) return false;
    const r = residentAt(w, a);
    if (r < 0) return false;
    addresses.push(4 * r);
  }
  kernel(w, kind)(...addresses, p.length, 4 * at);
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
