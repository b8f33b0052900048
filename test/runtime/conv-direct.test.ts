// The direct convolution on the float32 wasm path (runtime/wasm/direct.ts, chosen by a geometry's
// `algorithm: 'direct'`): forward, input gradient, weight and bias gradients against torch.nn.Conv2d's
// definition in float64 (direct loops, any stride, padding, dilation and groups), within the im2col
// path's own tolerance (conv-wasm.test.ts: 2e-6 of the largest magnitude), with im2col's float32 errors
// on the same data printed beside them. The cases cover what the kernels branch on: output channels a
// group of 1 (depthwise), 2, 4 and a multiple of 4 and not (the forward's channel blocks), a channel
// multiplier, output rows that are and are not whole blocks of 4, 8 or 16 columns, strides 2 and 3 (the
// column phases), dilation, padding on one side, batch 1 and odd batches.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allocFloats, conv2dBackward, conv2dForward, Rng, setGemmBackend, setThreads, stopThreads, type Conv2dGeometry, type GemmBackend } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { directModules } from '../../runtime/wasm/direct.js';
import { CTRL } from '../../runtime/wasm/gemm-part.js';
import { pool } from '../../runtime/wasm/pool.js';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { random, relError } from './float-error.js';
import { geometryOf, reference, type Case } from './conv-reference.js';

const CASES: Case[] = [
  { title: "LeNet-5's c1 (1→6, 5×5, 32×32), 3 samples", cin: 1, h: 32, w: 32, cout: 6, k: [5, 5], n: 3 },
  { title: "LeNet-5's c3 (6→16, 5×5, 14×14 → 10×10), 2 samples", cin: 6, h: 14, w: 14, cout: 16, k: [5, 5], n: 2 },
  { title: 'depthwise 16, 2×2 with `same` padding (0 top/left, 1 bottom/right), 14×14, batch 1', cin: 16, h: 14, w: 14, cout: 16, k: [2, 2], pad: [0, 1, 0, 1], groups: 16, n: 1 },
  { title: 'depthwise 3×3 stride 2 padding 1, 8 channels, 15×13, 3 samples', cin: 8, h: 15, w: 13, cout: 8, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], groups: 8, n: 3 },
  { title: 'channel multiplier 2 (4 → 8, groups 4), 3×3 dilation 2, padding 2, 11×9', cin: 4, h: 11, w: 9, cout: 8, k: [3, 3], d: [2, 2], pad: [2, 2, 2, 2], groups: 4, n: 2 },
  { title: "conv-features' grouped (16 → 16, 4 groups, 3×3, dilation 2×1, padding 2×1), 14×14", cin: 16, h: 14, w: 14, cout: 16, k: [3, 3], d: [2, 1], pad: [2, 2, 1, 1], groups: 4, n: 2 },
  { title: "conv-features' down (8 → 16, 4×4, stride 2, padding 1), 28×28", cin: 8, h: 28, w: 28, cout: 16, k: [4, 4], s: [2, 2], pad: [1, 1, 1, 1], n: 2 },
  { title: 'stride 3×1, kernel 2×5, padding top 1 right 2 only, 3 → 5 channels, 10×23, 5 samples', cin: 3, h: 10, w: 23, cout: 5, k: [2, 5], s: [3, 1], pad: [1, 0, 0, 2], n: 5 },
  { title: 'stride 1×3, 1×1 kernel, 2 → 12 channels, 7×20', cin: 2, h: 7, w: 20, cout: 12, k: [1, 1], s: [1, 3], n: 2 },
  { title: 'a 1×1 output (kernel as large as the image), 5 → 3', cin: 5, h: 4, w: 6, cout: 3, k: [4, 6], n: 2 },
];

const TOLERANCE = 2e-6; // conv-wasm.test.ts's, for im2col

describe('direct convolution on the wasm path, against float64', () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  test('its two modules validate, each under the 4 KiB a browser compiles on its main thread', () => {
    for (const bytes of directModules()) {
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(bytes.length).toBeLessThan(4096);
    }
  });

  for (const c of CASES) {
    test(c.title, () => {
      const gd = geometryOf(c, 'direct'), gi = geometryOf(c, 'im2col'), n = c.n;
      const cig = c.cin / (c.groups ?? 1);
      const rng = new Rng(5);
      const x = random(n * c.cin * c.h * c.w, rng), W = random(c.cout * cig * c.k[0] * c.k[1], rng), B = random(c.cout, rng);
      const dY = random(n * c.cout * gd.ho * gd.wo, rng), dW0 = random(W.length, rng), dB0 = random(c.cout, rng);
      const ref = reference(gd, n, x, W, B, dY, dW0, dB0);

      const run = (g: Conv2dGeometry) => {
        const y = new Float32Array(dY.length).fill(NaN), dX = new Float32Array(x.length).fill(NaN);
        const dW = Float32Array.from(dW0), dB = Float32Array.from(dB0);
        expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
        expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
        const err = [relError(y, ref.y), relError(dX, ref.dX), relError(dW, ref.dW), relError(dB, ref.dB)];
        return { y, dX, dW, dB, err };
      };
      const direct = run(gd), im2col = run(gi);
      const fmt = (e: number[]) => ['y', 'dX', 'dW', 'dB'].map((t, i) => `${t} ${e[i]!.toExponential(1)}`).join(', ');
      console.log(`${c.title}: direct ${fmt(direct.err)}; im2col ${fmt(im2col.err)}`);
      expect(direct.err[0], 'y').toBeLessThan(TOLERANCE);
      expect(direct.err[1], 'dX').toBeLessThan(TOLERANCE);
      expect(direct.err[2], 'dW (accumulated onto its old value)').toBeLessThan(TOLERANCE);
      expect(direct.err[3], 'dB (accumulated onto its old value)').toBeLessThan(TOLERANCE);
      // dW without dX asked for: the same bits.
      const dWOnly = Float32Array.from(dW0);
      expect(conv2dBackward(gd, n, x, dY, W, dWOnly, null)).toBe(true);
      expect(Array.from(dWOnly)).toEqual(Array.from(direct.dW));
      // Without a bias: the same sums, from 0.
      const yNoBias = new Float32Array(dY.length);
      expect(conv2dForward(gd, n, x, W, null, yNoBias)).toBe(true);
      const refNoBias = reference(gd, n, x, W, new Float32Array(c.cout), dY, dW0, dB0);
      expect(relError(yNoBias, refNoBias.y)).toBeLessThan(TOLERANCE);
      // Same bits on a second run (no state carried between calls), and per sample what the batch gave.
      expect(Array.from(run(gd).y)).toEqual(Array.from(direct.y));
      const outS = c.cout * gd.ho * gd.wo, inS = c.cin * c.h * c.w, last = new Float32Array(outS);
      expect(conv2dForward(gd, 1, x.subarray((n - 1) * inS), W, B, last)).toBe(true);
      expect(Array.from(last)).toEqual(Array.from(direct.y.subarray((n - 1) * outS)));
    });
  }

  test('a fused relu, arrays in wasm memory: reluY = relu(y), and dY becomes reluDY·[reluY > 0] before dW, dB and dX', () => {
    const c = CASES[4]!, g = geometryOf(c, 'direct'), n = c.n, rng = new Rng(3);
    const cig = c.cin / (c.groups ?? 1);
    const inWasm = (a: Float32Array): Float32Array => { const r = allocFloats(Float32Array, a.length); r.set(a); return r; };
    const x = inWasm(random(n * c.cin * c.h * c.w, rng)), W = inWasm(random(c.cout * cig * c.k[0] * c.k[1], rng)), B = inWasm(random(c.cout, rng));
    const outLen = n * c.cout * g.ho * g.wo;
    const y = allocFloats(Float32Array, outLen), reluY = allocFloats(Float32Array, outLen);
    expect(conv2dForward(g, n, x, W, B, y, reluY)).toBe(true);
    expect(Array.from(reluY)).toEqual(Array.from(y, (v) => (v > 0 ? v : 0)));
    const reluDY = inWasm(random(outLen, rng)), dY = allocFloats(Float32Array, outLen);
    const dW = allocFloats(Float32Array, W.length), dX = allocFloats(Float32Array, x.length), dB = allocFloats(Float32Array, c.cout);
    expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB, reluY, reluDY)).toBe(true);
    const masked = Float32Array.from(reluDY, (v, i) => (reluY[i]! > 0 ? v : 0));
    expect(Array.from(dY)).toEqual(Array.from(masked));
    const ref = reference(g, n, x, W, B, masked, new Float32Array(W.length), new Float32Array(c.cout));
    expect(relError(y, ref.y)).toBeLessThan(TOLERANCE);
    expect(relError(dX, ref.dX)).toBeLessThan(TOLERANCE);
    expect(relError(dW, ref.dW)).toBeLessThan(TOLERANCE);
    expect(relError(dB, ref.dB)).toBeLessThan(TOLERANCE);
  });
});

describe('direct convolution with workers', () => {
  let previous: GemmBackend;
  beforeAll(async () => {
    previous = setGemmBackend('wasm');
    await initThreads(3);
  });
  afterAll(async () => {
    pool.callerWorks = true;
    await stopThreads();
    setGemmBackend(previous);
  });

  // 11 samples: 6 blocks of 2 backward, the last one short.
  for (const c of [CASES[3]!, CASES[5]!, CASES[7]!]) {
    test(`samples forward, blocks of samples backward, computed by the workers alone, give the bits of one thread: ${c.title}`, () => {
      const g = geometryOf(c, 'direct'), n = 11, rng = new Rng(4), cig = c.cin / (c.groups ?? 1);
      const x = random(n * c.cin * c.h * c.w, rng), W = random(c.cout * cig * c.k[0] * c.k[1], rng), B = random(c.cout, rng);
      const dY = random(n * c.cout * g.ho * g.wo, rng), dW0 = random(W.length, rng);
      const run = (T: number): Float32Array[] => {
        setThreads(T);
        const y = new Float32Array(dY.length), dW = Float32Array.from(dW0), dX = new Float32Array(x.length), dB = Float32Array.from(B);
        expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
        expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
        return [y, dW, dX, dB];
      };
      const one = run(1);
      const saved = pool.minMacs;
      pool.minMacs = 0;
      pool.callerWorks = false;
      try {
        const jobs = Atomics.load(wasmSgemm()!.ctrl, CTRL.gen);
        const three = run(3);
        expect(Atomics.load(wasmSgemm()!.ctrl, CTRL.gen)).toBe(jobs + 2); // one job each way
        three.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), ['y', 'dW', 'dX', 'dB'][i]).toBe(true));
        pool.callerWorks = true;
        const two = run(2);
        two.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(one[i]!.buffer)), ['y', 'dW', 'dX', 'dB'][i]).toBe(true));
      } finally {
        pool.minMacs = saved;
        pool.callerWorks = true;
        setThreads(1);
      }
    });
  }
});
