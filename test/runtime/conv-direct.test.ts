// The direct convolution on the float32 wasm path (runtime/wasm/direct.ts, chosen by a geometry's
// `algorithm: 'direct'`): forward, input gradient, weight and bias gradients against torch.nn.Conv2d's
// definition in float64 (direct loops, any stride, padding, dilation and groups), within the im2col
// path's own tolerance (conv-wasm.test.ts: 2e-6 of the largest magnitude), with im2col's float32 errors
// on the same data printed beside them. The cases cover what the kernels branch on: output channels a
// group of 1 (depthwise), 2, 4 and a multiple of 4 and not (the forward's channel blocks), a channel
// multiplier, output rows that are and are not whole blocks of 4, 8 or 16 columns, blocks of one and two
// output rows (and an odd row count), strides 2 and 3 (the column phases, copied four at a time at strides
// 1 and 2), dilation, padding on one side, batch 1 and odd batches.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setGemmBackend, stopThreads, type GemmBackend } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { directModules } from '../../runtime/wasm/direct.js';
import { pool } from '../../runtime/wasm/pool.js';
import { checkAgainstFloat64, checkFusedRelu, checkWorkersAlone, type Case } from './conv-reference.js';

const CASES: Case[] = [
  { title: "LeNet-5's c1 (1→6, 5×5, 32×32), 3 samples", cin: 1, h: 32, w: 32, cout: 6, k: [5, 5], n: 3 },
  { title: "LeNet-5's c3 (6→16, 5×5, 14×14 → 10×10), 2 samples", cin: 6, h: 14, w: 14, cout: 16, k: [5, 5], n: 2 },
  { title: 'depthwise 16, 2×2 with `same` padding (0 top/left, 1 bottom/right), 14×14, batch 1', cin: 16, h: 14, w: 14, cout: 16, k: [2, 2], pad: [0, 1, 0, 1], groups: 16, n: 1 },
  { title: 'depthwise 3×3 stride 2 padding 1, 8 channels, 15×13, 3 samples', cin: 8, h: 15, w: 13, cout: 8, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], groups: 8, n: 3 },
  { title: 'channel multiplier 2 (4 → 8, groups 4), 3×3 dilation 2, padding 2, 11×9', cin: 4, h: 11, w: 9, cout: 8, k: [3, 3], d: [2, 2], pad: [2, 2, 2, 2], groups: 4, n: 2 },
  { title: "conv-features' grouped (16 → 16, 4 groups, 3×3, dilation 2×1, padding 2×1), 14×14", cin: 16, h: 14, w: 14, cout: 16, k: [3, 3], d: [2, 1], pad: [2, 2, 1, 1], groups: 4, n: 2 },
  { title: "conv-features' down (8 → 16, 4×4, stride 2, padding 1), 28×28", cin: 8, h: 28, w: 28, cout: 16, k: [4, 4], s: [2, 2], pad: [1, 1, 1, 1], n: 2 },
  { title: '4 → 8, 3×3, 11×12 → 9×10 (two output rows a block, and an odd row count: the last block\'s second row dropped), 3 samples', cin: 4, h: 11, w: 12, cout: 8, k: [3, 3], n: 3 },
  { title: 'stride 2, no padding, 3 → 8, 9×11 (the column phases copied four at a time, then one by one), 3 samples', cin: 3, h: 9, w: 11, cout: 8, k: [3, 3], s: [2, 2], n: 3 },
  { title: 'stride 2, padding left 1, 2 → 4, 6×7 (under five columns a phase: one by one only)', cin: 2, h: 6, w: 7, cout: 4, k: [2, 3], s: [2, 2], pad: [0, 0, 1, 0], n: 2 },
  { title: 'stride 3×1, kernel 2×5, padding top 1 right 2 only, 3 → 5 channels, 10×23, 5 samples', cin: 3, h: 10, w: 23, cout: 5, k: [2, 5], s: [3, 1], pad: [1, 0, 0, 2], n: 5 },
  { title: 'stride 1×3, 1×1 kernel, 2 → 12 channels, 7×20', cin: 2, h: 7, w: 20, cout: 12, k: [1, 1], s: [1, 3], n: 2 },
  { title: 'a 1×1 output (kernel as large as the image), 5 → 3', cin: 5, h: 4, w: 6, cout: 3, k: [4, 6], n: 2 },
];

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

  for (const c of CASES) test(c.title, () => checkAgainstFloat64(c, 'direct'));

  test('a fused relu, arrays in wasm memory: reluY = relu(y), and dY becomes reluDY·[reluY > 0] before dW, dB and dX', () => checkFusedRelu(CASES[4]!, 'direct'));
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
    test(`samples forward, blocks of samples backward, computed by the workers alone, give the bits of one thread: ${c.title}`, () => checkWorkersAlone(c, 'direct', 11));
  }
});
