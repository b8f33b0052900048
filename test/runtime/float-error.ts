// What the float32 kernel tests (conv-wasm, conv-direct, conv-transpose-wasm, winograd) share: random
// operands, and the error measure they hold a float32 result to against a float64 reference.
import type { Rng } from 'cnnc/runtime';

/** n floats uniform in [−1, 1) from rng. */
export function random(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** The largest |actual − expected|, relative to the largest |expected|. */
export function relError(actual: Float32Array, expected: Float64Array): number {
  let scale = 0, worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  return worst / Math.max(scale, 1e-30);
}
