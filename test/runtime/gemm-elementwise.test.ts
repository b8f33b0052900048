// rt.relu / rt.reluBackward (the wasm SIMD kernels beside gemm, and the plain loop) against the
// definitions: y = x < 0 ? 0 : x (NaN passes, -0 kept as torch.relu), dX = y > 0 ? dY : 0
// (threshold_backward: a NaN or ∞ gradient where y ≤ 0 gives 0). Odd counts leave the tail alone.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Rng, relu, reluBackward, setGemmBackend, type FloatArray, type GemmBackend } from 'cnnc/runtime';

const specials = [NaN, -0, 0, Infinity, -Infinity, 1e-40, -1e-40, 3.5, -2];

function values(Ctor: Float32ArrayConstructor | Float64ArrayConstructor, n: number, seed: number): FloatArray {
  const rng = new Rng(seed);
  const a = new Ctor(n);
  for (let i = 0; i < n; i++) a[i] = i < specials.length ? specials[i]! : rng.uniform(-1, 1);
  return a;
}

describe.each(['wasm', 'js'] as const)('%s path', (backend: GemmBackend) => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend(backend); });
  afterAll(() => { setGemmBackend(previous); });

  describe.each([['Float32Array', Float32Array], ['Float64Array', Float64Array]] as const)('%s', (_, Ctor) => {
    test.each([1, 3, 4, 9, 17, 1000])('count %i', (count) => {
      const x = values(Ctor, count + 3, count);
      const y = new Ctor(count + 3).fill(7);
      relu(x, y, count);
      for (let i = 0; i < count; i++) expect(Object.is(y[i], x[i]! < 0 ? 0 : x[i])).toBe(true);
      expect(Array.from(y.subarray(count))).toEqual([7, 7, 7]);

      const dY = values(Ctor, count + 3, count + 1);
      dY.reverse(); // the specials meet other y values
      const dX = new Ctor(count + 3).fill(7);
      reluBackward(y, dY, dX, count);
      for (let i = 0; i < count; i++) expect(Object.is(dX[i], y[i]! > 0 ? dY[i] : 0), `i=${i}`).toBe(true);
      expect(Array.from(dX.subarray(count))).toEqual([7, 7, 7]);
    });

    test('in place (x and y one array)', () => {
      const x = values(Ctor, 50, 5);
      const expected = Array.from(x, (v) => (v < 0 ? 0 : v));
      relu(x, x, 50);
      expect(Array.from(x)).toEqual(expected);
    });
  });
});
