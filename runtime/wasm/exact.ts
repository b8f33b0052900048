// hardswish and hardsigmoid (forward and backward) and silu's backward for generated float32 modules:
// `if (rt.hardswish(x, y, count)) return;`, then the module's own loop from the activation's rule
// (compiler/ir/activations.ts). True where every array lives in wasm memory (the model's arenas) and gemm
// runs on wasm. The kernels (exact-kernel.ts) give exactly the loop's bits: its float64 operations in
// float64 lanes, and for silu fdlibm's exp, the one V8 runs for Math.exp. Arrays may be the same one
// (in place), never a partial overlap.
import type { FloatArray } from '../model.js';
import { runResident } from './side.js';
import { exactModule } from './exact-kernel.js';

/** y = x·min(max(x + 3, 0), 6)/6 over [0, count) */
export function hardswish(x: FloatArray, y: FloatArray, count: number): boolean {
  return run('hardswish', count, x, y);
}

/** dX = x < −3 ? 0 : x ≤ 3 ? dY·(x/3 + ½) : dY over [0, count), x the saved input */
export function hardswishBackward(x: FloatArray, dY: FloatArray, dX: FloatArray, count: number): boolean {
  return run('hardswishBackward', count, x, dY, dX);
}

/** y = min(max(x + 3, 0), 6)/6 over [0, count) */
export function hardsigmoid(x: FloatArray, y: FloatArray, count: number): boolean {
  return run('hardsigmoid', count, x, y);
}

/** dX = −3 < x < 3 ? dY·fround(1/6) : 0 over [0, count), x the saved input */
export function hardsigmoidBackward(x: FloatArray, dY: FloatArray, dX: FloatArray, count: number): boolean {
  return run('hardsigmoidBackward', count, x, dY, dX);
}

/** dX = dY·s·(1 + x·(1 − s)), s = 1/(1 + exp(−x)), over [0, count), x the saved input */
export function siluBackward(x: FloatArray, dY: FloatArray, dX: FloatArray, count: number): boolean {
  return run('siluBackward', count, x, dY, dX);
}

type Kernel = 'hardswish' | 'hardswishBackward' | 'hardsigmoid' | 'hardsigmoidBackward' | 'siluBackward';

/** The kernel `name` over the arrays' byte addresses and count, where they all live in wasm memory (side.ts runResident). */
function run(name: Kernel, count: number, ...arrays: FloatArray[]): boolean {
  return runResident('exact', exactModule, name, count, arrays);
}
