// rt.foldConvBatchnorm (runtime/wasm/fold.ts), the eval-mode conv + batchnorm fold: its wasm row kernel (weights in
// wasm memory) gives exactly the bits of its JS loop (weights outside wasm memory), which is the formula
// W' = W·a, b' = b·a + (β − μ·a), a = γ·(1/√(var + ε)) in float64 rounded once; with and without the conv's bias
// and the batchnorm's affine; every row length's tail (K = 1 … 9 and 1,152); nothing past the rows is written.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as rt from 'cnnc/runtime';

/** A fixed LCG's floats in [−2, 2), with a few exact zeros, a tiny, a huge and a negative zero mixed in. */
function values(count: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(i % 97 === 5 ? 0 : i % 89 === 7 ? 1e-30 : i % 83 === 3 ? 3e30 : i % 79 === 1 ? -0 : (s / 2 ** 32) * 4 - 2);
  }
  return out;
}

/** The formula, in float64, rounded once into float32. */
function reference(W: number[], bias: number[] | null, gamma: number[] | null, beta: number[] | null, mean: number[], variance: number[], eps: number, cout: number, k: number): { w: Float32Array; b: Float32Array } {
  const w = new Float32Array(cout * k), b = new Float32Array(cout);
  for (let co = 0; co < cout; co++) {
    const a = (gamma === null ? 1 : gamma[co]!) * (1 / Math.sqrt(variance[co]! + eps));
    for (let j = 0; j < k; j++) w[co * k + j] = W[co * k + j]! * a;
    const shift = (beta === null ? 0 : beta[co]!) - mean[co]! * a;
    b[co] = bias === null ? shift : bias[co]! * a + shift;
  }
  return { w, b };
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

describe('foldConvBatchnorm', () => {
  let previous: ReturnType<typeof rt.setGemmBackend>;
  beforeAll(() => { previous = rt.setGemmBackend('wasm'); });
  afterAll(() => { rt.setGemmBackend(previous); });

  for (const k of [1, 2, 3, 4, 5, 6, 7, 8, 9, 1152]) {
    for (const [withBias, affine] of [[true, true], [false, true], [true, false], [false, false]] as const) {
      test(`K = ${k}, ${withBias ? 'bias' : 'no bias'}, ${affine ? 'affine' : 'no affine'}: the wasm rows give the formula's bits, as the JS loop does`, () => {
        const cout = 5, eps = 1e-5;
        const W = values(cout * k, 1 + k), bias = withBias ? values(cout, 2) : null;
        const gamma = affine ? values(cout, 3) : null, beta = affine ? values(cout, 4) : null;
        const mean = values(cout, 5), variance = values(cout, 6).map((v) => Math.abs(v));
        const want = reference(W.map(Math.fround), bias?.map(Math.fround) ?? null, gamma?.map(Math.fround) ?? null, beta?.map(Math.fround) ?? null, mean.map(Math.fround), variance.map(Math.fround), eps, cout, k);
        for (const resident of [true, false]) {
          const f32 = (v: number[], extra = 0): Float32Array => {
            const a = resident ? rt.allocFloats(Float32Array, v.length + extra) : new Float32Array(v.length + extra);
            a.set(v);
            return a;
          };
          const foldW = f32([], cout * k + 3).fill(7), foldB = f32([], cout + 1).fill(7);
          rt.foldConvBatchnorm(f32(W), bias && f32(bias), gamma && f32(gamma), beta && f32(beta), f32(mean), f32(variance), eps, cout, k, foldW, foldB);
          expect(bits(foldW.subarray(0, cout * k)), resident ? 'wasm' : 'JS').toEqual(bits(want.w));
          expect(bits(foldB.subarray(0, cout)), resident ? 'wasm' : 'JS').toEqual(bits(want.b));
          expect(Array.from(foldW.subarray(cout * k)), 'past the rows').toEqual([7, 7, 7]);
          expect(foldB[cout], 'past the bias').toBe(7);
        }
      });
    }
  }

  test('float64 weights: the same formula, unrounded', () => {
    const cout = 3, k = 4, W = values(cout * k, 9), mean = values(cout, 10), variance = values(cout, 11).map(Math.abs);
    const foldW = new Float64Array(cout * k), foldB = new Float64Array(cout);
    rt.foldConvBatchnorm(Float64Array.from(W), null, null, null, Float64Array.from(mean), Float64Array.from(variance), 1e-3, cout, k, foldW, foldB);
    for (let co = 0; co < cout; co++) {
      const a = 1 / Math.sqrt(variance[co]! + 1e-3);
      for (let j = 0; j < k; j++) expect(foldW[co * k + j]).toBe(W[co * k + j]! * a);
      expect(foldB[co]).toBe(0 - mean[co]! * a);
    }
  });
});
