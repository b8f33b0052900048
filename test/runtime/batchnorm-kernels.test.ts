// batchnorm2d's channel loops (runtime/wasm/batchnorm.ts): the wasm kernels (float32 arrays in wasm memory)
// against the element-by-element loops the same functions run for any other array. The affine and input
// gradient passes are the same float64 operations with one rounding to float32: the same bits. The sums
// keep eight partial sums, so they may differ from the sequential one in the last bits of a float64:
// within 1e-14 of the sum of magnitudes. Counts with and without a tail (49 = 7×7), strides past the channel,
// an offset into the tensor, in place.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as rt from 'cnnc/runtime';

const N = 5;
const C = 3;

function tensor(count: number, seed: number, resident: boolean): Float32Array {
  const rng = new rt.Rng(seed);
  const a = resident ? rt.allocFloats(Float32Array, N * C * count) : new Float32Array(N * C * count);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-3, 5);
  return a;
}

describe('batchnorm channel loops: wasm against the loops', () => {
  let previous: rt.GemmBackend;
  beforeAll(() => { previous = rt.setGemmBackend('wasm'); });
  afterAll(() => { rt.setGemmBackend(previous); });

  test('arrays in wasm memory take the kernels: their partial sums show on values that cancel', () => {
    const v = [1e30, 1, -1e30, 1];
    const resident = rt.allocFloats(Float32Array, 4);
    resident.set(v);
    expect(rt.channelSum(Float32Array.from(v), 0, 1, 4, 4)).toBe(1); // ((1e30 + 1) − 1e30) + 1
    expect(rt.channelSum(resident, 0, 1, 4, 4)).toBe(0); // (1e30 + 1) + (−1e30 + 1)
  });

  test.each([1, 3, 4, 8, 12, 49, 784])('count %i (channel 1 of 3, 5 samples)', (count) => {
    const stride = C * count, off = count; // channel 1
    const xw = tensor(count, count, true), xj = Float32Array.from(xw);
    const dw = tensor(count, count + 1, true), dj = Float32Array.from(dw);
    const scale = xj.reduce((s, v) => s + Math.abs(v), 0);
    const sum = rt.channelSum(xj, off, N, count, stride);
    expect(Math.abs(rt.channelSum(xw, off, N, count, stride) - sum)).toBeLessThanOrEqual(1e-14 * scale);
    const m = sum / (N * count);
    expect(Math.abs(rt.channelSqDev(xw, off, N, count, stride, m) - rt.channelSqDev(xj, off, N, count, stride, m))).toBeLessThanOrEqual(1e-14 * scale * scale);
    const gj = Array.from(rt.channelGradSums(xj, dj, off, N, count, stride, m));
    const gw = Array.from(rt.channelGradSums(xw, dw, off, N, count, stride, m));
    expect(Math.abs(gw[0]! - gj[0]!)).toBeLessThanOrEqual(1e-14 * scale);
    expect(Math.abs(gw[1]! - gj[1]!)).toBeLessThanOrEqual(1e-14 * scale * scale);

    const yw = rt.allocFloats(Float32Array, xw.length).fill(7), yj = new Float32Array(xj.length).fill(7);
    rt.channelAffine(xw, yw, off, N, count, stride, 0.7, -0.3);
    rt.channelAffine(xj, yj, off, N, count, stride, 0.7, -0.3);
    expect(Array.from(yw)).toEqual(Array.from(yj)); // other channels untouched (7) on both
    const ow = rt.allocFloats(Float32Array, xw.length).fill(7), oj = new Float32Array(xj.length).fill(7);
    rt.channelGradInput(xw, dw, ow, off, N, count, stride, m, 0.01, 0.2, 1.3);
    rt.channelGradInput(xj, dj, oj, off, N, count, stride, m, 0.01, 0.2, 1.3);
    expect(Array.from(ow)).toEqual(Array.from(oj));
    // in place (dX = dY, y = x), as a model never does but the kernels allow
    rt.channelGradInput(xw, dw, dw, off, N, count, stride, m, 0.01, 0.2, 1.3);
    expect(Array.from(dw.subarray(off, off + count))).toEqual(Array.from(oj.subarray(off, off + count)));
    rt.channelAffine(xw, xw, off, N, count, stride, 0.7, -0.3);
    expect(Array.from(xw.subarray(off, off + count))).toEqual(Array.from(yj.subarray(off, off + count)));
  });
});
