// Adam(W)'s update on the wasm kernels (adam-kernel.ts) for optim.ts: where the parameter, its
// gradient and both moments live in wasm memory (resident.ts: a generated float32 model's, and the
// moments optim.ts allocates beside them), the whole update runs there in float32, as torch.optim
// computes it; optim.ts does everything elsewhere. No float crosses from JS: the hyperparameters
// live in wasm memory too, so a step makes no heap numbers even before V8 optimizes it.
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { adamModule } from './adam-kernel.js';
import { CTRL } from './gemm-part.js';
import { memoryDecl, residentAt, wasmSgemm, type Instance } from './sgemm.js';
import { runUpdate, updateArrays } from './side.js';

interface AdamExports {
  /** adam-kernel.ts: (pP, pG, pM, pV, n, scalars), byte addresses. */
  readonly adam: (pP: number, pG: number, pM: number, pV: number, n: number, scalars: number) => void;
  /** adam-kernel.ts: step t's float32 scalars at `scalars` from the float64 hyperparameters at `hyper`, byte addresses. */
  readonly adamPrepare: (hyper: number, t: number, scalars: number) => void;
  readonly [name: string]: (...args: number[]) => void;
}

let kernels: AdamExports | null = null;
let kernelsMemory: WebAssembly.Memory | null = null;

/** The Adam module instantiated on the gemm kernels' memory (again when threads moved them to a shared one). */
function adamKernels(w: Instance): AdamExports {
  if (kernelsMemory !== w.memory || kernels === null) {
    kernels = new WebAssembly.Instance(new WebAssembly.Module(adamModule(memoryDecl(w.shared))), { env: { memory: w.memory } }).exports as unknown as AdamExports;
    kernelsMemory = w.memory;
  }
  return kernels;
}

/**
 * Writes step t's scalars for the adamInWasm calls that follow, from `hyper`: float64 [lr, β1, β2,
 * eps, weight decay, decoupled (0/1)], viewed through a Float32Array of 12 from allocFloats. False
 * where the kernels do not run (no wasm, or `hyper` is not in wasm memory): use the JS update.
 */
export function adamPrepare(hyper: Float32Array, t: number): boolean {
  const w = gemmBackend() === 'wasm' ? wasmSgemm() : null;
  if (w === null) return false;
  const at = residentAt(w, hyper);
  if (at < 0) return false;
  adamKernels(w).adamPrepare(4 * at, t, 4 * CTRL.adam);
  return true;
}

/** Updates the whole parameter with the scalars adamPrepare wrote, where all four arrays live in wasm memory; false (nothing done) otherwise. */
export function adamInWasm(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray): boolean {
  if (!(p instanceof Float32Array) || !(g instanceof Float32Array) || !(m instanceof Float32Array) || !(v instanceof Float32Array)) return false;
  const w = wasmSgemm();
  if (w === null) return false;
  const rP = residentAt(w, p), rG = residentAt(w, g), rM = residentAt(w, m), rV = residentAt(w, v);
  if (rP < 0 || rG < 0 || rM < 0 || rV < 0) return false;
  updateArrays[0] = 4 * rP; updateArrays[1] = 4 * rG; updateArrays[2] = 4 * rM; updateArrays[3] = 4 * rV;
  runUpdate(w, adamKernels(w), 'adam', 4, p.length, 4 * CTRL.adam);
  return true;
}

/** Whether `a` lives in wasm memory (so its optimizer slots should too). */
export function inWasmMemory(a: FloatArray): boolean {
  if (!(a instanceof Float32Array)) return false;
  const w = wasmSgemm();
  return w !== null && residentAt(w, a) >= 0;
}
