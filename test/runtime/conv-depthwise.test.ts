// The depthwise convolution on the float32 wasm path (runtime/wasm/depthwise.ts, `algorithm: 'depthwise'`, which auto
// picks where groups = in = out channels): forward, input gradient, weight and bias gradients against torch.nn.Conv2d's
// definition in float64, within the im2col path's own tolerance (2e-6 of the largest magnitude), with im2col's errors
// on the same data printed beside them. The cases cover what the kernels branch on: a block of exactly 16 channels, a
// last block of 4 (whole vectors) and of 1 (the scalar channels), rows of 4k pixels and not (the transposes' tails),
// strides 2 and 3, dilation, padding on one side, 5×5 and 1×1 filters, planes of 2×2 (mobilenet_v2's last), batch 1.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allocFloats, conv2dBackward, conv2dForward, Rng, setGemmBackend, setThreads, stopThreads, type Conv2dGeometry, type GemmBackend } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { depthwiseModule } from '../../runtime/wasm/depthwise.js';
import { CTRL } from '../../runtime/wasm/gemm-part.js';
import { pool } from '../../runtime/wasm/pool.js';
import { wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { random, relError } from './float-error.js';
import { geometryOf, reference, type Case } from './conv-reference.js';

const CASES: Case[] = [
  { title: '16 channels (one whole block), 3×3 padding 1, 14×14, 3 samples', cin: 16, h: 14, w: 14, cout: 16, k: [3, 3], pad: [1, 1, 1, 1], groups: 16, n: 3 },
  { title: '20 channels (a block, then 4), 3×3 stride 2 padding 1, 7×9, 3 samples', cin: 20, h: 7, w: 9, cout: 20, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], groups: 20, n: 3 },
  { title: '35 channels (two blocks, then 3 one at a time), 3×3 stride 3, no padding, 11×6, 2 samples', cin: 35, h: 11, w: 6, cout: 35, k: [3, 3], s: [3, 3], groups: 35, n: 2 },
  { title: '8 channels, 5×5 dilation 2 padding 4 top and left, 2 bottom and right, 13×10, 2 samples', cin: 8, h: 13, w: 10, cout: 8, k: [5, 5], d: [2, 2], pad: [4, 2, 4, 2], groups: 8, n: 2 },
  { title: '12 channels, 2×3 stride 1×2, padding top 1 right 1, 5×11, 4 samples', cin: 12, h: 5, w: 11, cout: 12, k: [2, 3], s: [1, 2], pad: [1, 0, 0, 1], groups: 12, n: 4 },
  { title: '24 channels, 1×1 (a scale a channel), 3×5, 2 samples', cin: 24, h: 3, w: 5, cout: 24, k: [1, 1], groups: 24, n: 2 },
  { title: "mobilenet_v2's last depthwise: 960 channels at 2×2, 3×3 padding 1, batch 1", cin: 960, h: 2, w: 2, cout: 960, k: [3, 3], pad: [1, 1, 1, 1], groups: 960, n: 1 },
];

const TOLERANCE = 2e-6; // conv-wasm.test.ts's, for im2col

/** The case's inputs, drawn from seed `seed`. */
function inputs(c: Case, g: Conv2dGeometry, n: number, seed: number) {
  const rng = new Rng(seed);
  const x = random(n * c.cin * c.h * c.w, rng), W = random(c.cout * c.k[0] * c.k[1], rng), B = random(c.cout, rng);
  const dY = random(n * c.cout * g.ho * g.wo, rng), dW0 = random(W.length, rng), dB0 = random(c.cout, rng);
  return { x, W, B, dY, dW0, dB0 };
}

describe('depthwise convolution on the wasm path, against float64', () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  test('its module validates, under the 4 KiB a browser compiles on its main thread', () => {
    const bytes = depthwiseModule();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(4096);
  });

  for (const c of CASES) {
    test(c.title, () => {
      const gd = geometryOf(c, 'depthwise'), gi = geometryOf(c, 'im2col'), n = c.n;
      const { x, W, B, dY, dW0, dB0 } = inputs(c, gd, n, 5);
      const ref = reference(gd, n, x, W, B, dY, dW0, dB0);
      const run = (g: Conv2dGeometry) => {
        const y = new Float32Array(dY.length).fill(NaN), dX = new Float32Array(x.length).fill(NaN);
        const dW = Float32Array.from(dW0), dB = Float32Array.from(dB0);
        expect(conv2dForward(g, n, x, W, B, y)).toBe(true);
        expect(conv2dBackward(g, n, x, dY, W, dW, dX, dB)).toBe(true);
        return { y, dX, dW, dB, err: [relError(y, ref.y), relError(dX, ref.dX), relError(dW, ref.dW), relError(dB, ref.dB)] };
      };
      const depthwise = run(gd), im2col = run(gi);
      const fmt = (e: number[]) => ['y', 'dX', 'dW', 'dB'].map((t, i) => `${t} ${e[i]!.toExponential(1)}`).join(', ');
      console.log(`${c.title}: depthwise ${fmt(depthwise.err)}; im2col ${fmt(im2col.err)}`);
      expect(depthwise.err[0], 'y').toBeLessThan(TOLERANCE);
      expect(depthwise.err[1], 'dX').toBeLessThan(TOLERANCE);
      expect(depthwise.err[2], 'dW (accumulated onto its old value)').toBeLessThan(TOLERANCE);
      expect(depthwise.err[3], 'dB (accumulated onto its old value)').toBeLessThan(TOLERANCE);
      // dW without dX asked for, and without dB: the same bits.
      const dWOnly = Float32Array.from(dW0);
      expect(conv2dBackward(gd, n, x, dY, W, dWOnly, null)).toBe(true);
      expect(Array.from(dWOnly)).toEqual(Array.from(depthwise.dW));
      // Without a bias: the same sums, from 0.
      const yNoBias = new Float32Array(dY.length);
      expect(conv2dForward(gd, n, x, W, null, yNoBias)).toBe(true);
      expect(relError(yNoBias, reference(gd, n, x, W, new Float32Array(c.cout), dY, dW0, dB0).y)).toBeLessThan(TOLERANCE);
      // Same bits on a second run (no state carried between calls), and per sample what the batch gave.
      expect(Array.from(run(gd).y)).toEqual(Array.from(depthwise.y));
      const outS = c.cout * gd.ho * gd.wo, inS = c.cin * c.h * c.w, last = new Float32Array(outS);
      expect(conv2dForward(gd, 1, x.subarray((n - 1) * inS), W, B, last)).toBe(true);
      expect(Array.from(last)).toEqual(Array.from(depthwise.y.subarray((n - 1) * outS)));
    });
  }

  test('a fused relu, arrays in wasm memory: reluY = relu(y), and dY becomes reluDY·[reluY > 0] before dW, dB and dX', () => {
    const c = CASES[1]!, g = geometryOf(c, 'depthwise'), n = c.n, rng = new Rng(3);
    const inWasm = (a: Float32Array): Float32Array => { const r = allocFloats(Float32Array, a.length); r.set(a); return r; };
    const x = inWasm(random(n * c.cin * c.h * c.w, rng)), W = inWasm(random(c.cout * c.k[0] * c.k[1], rng)), B = inWasm(random(c.cout, rng));
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

describe('depthwise convolution with workers', () => {
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

  for (const c of [CASES[1]!, CASES[2]!, CASES[6]!]) { // two or more blocks: a backward job the workers share
    test(`(sample, block) units forward, blocks of channels backward, computed by the workers alone, give the bits of one thread: ${c.title}`, () => {
      const g = geometryOf(c, 'depthwise'), n = 5;
      const { x, W, B, dY, dW0 } = inputs(c, g, n, 4);
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
        const c0 = wasmSgemm()!.ctrl, jobs = Atomics.load(c0, CTRL.gen), chunks = Atomics.load(c0, CTRL.workerChunks);
        const three = run(3);
        expect(Atomics.load(c0, CTRL.gen)).toBe(jobs + 2); // one job each way
        // Every unit by a worker: n × blocks forward, the blocks backward.
        const blocks = Math.ceil(c.cin / 16);
        expect(Atomics.load(c0, CTRL.workerChunks) - chunks).toBe(n * blocks + blocks);
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
