// tanh, sigmoid and silu for generated float32 modules: `if (rt.tanh(x, y, count)) return;`, then the
// module's own loop from the activation's rule (compiler/ir/activations.ts). True where every array lives
// in wasm memory (the model's arenas) and gemm runs on wasm. The kernels (smooth-kernel.ts): forward within
// 1 unit in the last place of the loop's float32 result for tanh, 2 for sigmoid and 3 for silu, the same bits
// on every engine and run; backward exactly the loop's bits. Arrays may be the same one (in place), never a partial overlap.
import type { FloatArray } from '../model.js';
import { runResident } from './side.js';
import { smoothModule } from './smooth-kernel.js';

/** y = tanh(x) over [0, count) */
export function tanh(x: FloatArray, y: FloatArray, count: number): boolean {
  return run('tanh', count, x, y);
}

/** dX = dY·(1 − y²) over [0, count), y the saved output */
export function tanhBackward(y: FloatArray, dY: FloatArray, dX: FloatArray, count: number): boolean {
  return run('tanhBackward', count, y, dY, dX);
}

/** y = 1/(1 + exp(−x)) over [0, count) */
export function sigmoid(x: FloatArray, y: FloatArray, count: number): boolean {
  return run('sigmoid', count, x, y);
}

/** dX = dY·y·(1 − y) over [0, count), y the saved output */
export function sigmoidBackward(y: FloatArray, dY: FloatArray, dX: FloatArray, count: number): boolean {
  return run('sigmoidBackward', count, y, dY, dX);
}

/** y = x/(1 + exp(−x)) over [0, count) (its backward: exact.ts) */
export function silu(x: FloatArray, y: FloatArray, count: number): boolean {
  return run('silu', count, x, y);
}

type Kernel = 'tanh' | 'tanhBackward' | 'sigmoid' | 'sigmoidBackward' | 'silu';

/** The kernel `name` over the arrays' byte addresses and count, where they all live in wasm memory (side.ts runResident). */
function run(name: Kernel, count: number, ...arrays: FloatArray[]): boolean {
  return runResident('smooth', smoothModule, name, count, arrays);
}
