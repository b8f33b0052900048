// Adam(W)'s update on the wasm kernel (adam-kernel.ts) for optim.ts: where the parameter, its
// gradient and both moments live in wasm memory (resident.ts: a generated float32 model's, and the
// moments optim.ts allocates beside them), the whole vectors of four run there in float32, as
// torch.optim computes them; the caller does the rest (the last n mod 4, and everything elsewhere).
import { gemmBackend } from '../gemm.js';
import type { FloatArray } from '../model.js';
import { CTRL } from './gemm-part.js';
import { residentAt, wasmSgemm } from './sgemm.js';

let scalarsView: Float32Array | null = null;
let scalarsOf: Float32Array | null = null;

/**
 * Where Adam's scalars go for the next adamInWasm calls, as float32: β1, β2, 1 − β1, 1 − β2,
 * step_size, √(1 − β2^t), eps, l2, decay; null where the kernel does not run. The caller stores
 * them itself: a float passed to a call (here or to wasm) becomes a heap number, once per call.
 */
export function adamScalars(): Float32Array | null {
  const w = gemmBackend() === 'wasm' ? wasmSgemm() : null;
  if (w === null) return null;
  if (scalarsOf !== w.f32) {
    scalarsOf = w.f32;
    scalarsView = w.f32.subarray(CTRL.adam, CTRL.adam + 9);
  }
  return scalarsView;
}

/** Elements updated with the scalars stored in adamScalars() (a multiple of 4, from 0): 0 where the kernel does not apply. */
export function adamInWasm(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, n: number): number {
  if (gemmBackend() !== 'wasm' || !(p instanceof Float32Array) || !(g instanceof Float32Array) || !(m instanceof Float32Array) || !(v instanceof Float32Array)) return 0;
  const w = wasmSgemm();
  if (w === null) return 0;
  const rP = residentAt(w, p), rG = residentAt(w, g), rM = residentAt(w, m), rV = residentAt(w, v);
  if (rP < 0 || rG < 0 || rM < 0 || rV < 0) return 0;
  const vectors = n >> 2;
  if (vectors > 0) w.adam(4 * rP, 4 * rG, 4 * rM, 4 * rV, vectors, 4 * CTRL.adam);
  return vectors << 2;
}

/** Whether `a` lives in wasm memory (so its optimizer slots should too). */
export function inWasmMemory(a: FloatArray): boolean {
  if (!(a instanceof Float32Array)) return false;
  const w = wasmSgemm();
  return w !== null && residentAt(w, a) >= 0;
}
