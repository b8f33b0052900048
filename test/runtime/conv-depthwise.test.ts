// The depthwise convolution on the float32 wasm path (runtime/wasm/depthwise.ts, `algorithm: 'depthwise'`, which auto
// picks where groups = in = out channels): forward, input gradient, weight and bias gradients against torch.nn.Conv2d's
// definition in float64, within the im2col path's own tolerance (2e-6 of the largest magnitude), with im2col's errors
// on the same data printed beside them. The cases cover what the kernels branch on: a block of exactly 16 channels, a
// last block of 4 (whole vectors) and of 1 (the scalar channels), rows of 4k pixels and not (the transposes' tails),
// strides 2 and 3, dilation, padding on one side, 5×5 and 1×1 filters, planes of 2×2 (mobilenet_v2's last), batch 1.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setGemmBackend, stopThreads, type GemmBackend } from 'cnnc/runtime';
import { initThreads } from 'cnnc/runtime/node';
import { depthwiseModule } from '../../runtime/wasm/depthwise.js';
import { pool } from '../../runtime/wasm/pool.js';
import { checkAgainstFloat64, checkFusedRelu, checkWorkersAlone, type Case } from './conv-reference.js';

const CASES: Case[] = [
  { title: '16 channels (one whole block), 3×3 padding 1, 14×14, 3 samples', cin: 16, h: 14, w: 14, cout: 16, k: [3, 3], pad: [1, 1, 1, 1], groups: 16, n: 3 },
  { title: '20 channels (a block, then 4), 3×3 stride 2 padding 1, 7×9, 3 samples', cin: 20, h: 7, w: 9, cout: 20, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], groups: 20, n: 3 },
  { title: '35 channels (two blocks, then 3 one at a time), 3×3 stride 3, no padding, 11×6, 2 samples', cin: 35, h: 11, w: 6, cout: 35, k: [3, 3], s: [3, 3], groups: 35, n: 2 },
  { title: '8 channels, 5×5 dilation 2 padding 4 top and left, 2 bottom and right, 13×10, 2 samples', cin: 8, h: 13, w: 10, cout: 8, k: [5, 5], d: [2, 2], pad: [4, 2, 4, 2], groups: 8, n: 2 },
  { title: '12 channels, 2×3 stride 1×2, padding top 1 right 1, 5×11, 4 samples', cin: 12, h: 5, w: 11, cout: 12, k: [2, 3], s: [1, 2], pad: [1, 0, 0, 1], groups: 12, n: 4 },
  { title: '24 channels, 1×1 (a scale a channel), 3×5, 2 samples', cin: 24, h: 3, w: 5, cout: 24, k: [1, 1], groups: 24, n: 2 },
  { title: "mobilenet_v2's last depthwise: 960 channels at 2×2, 3×3 padding 1, batch 1", cin: 960, h: 2, w: 2, cout: 960, k: [3, 3], pad: [1, 1, 1, 1], groups: 960, n: 1 },
];

describe('depthwise convolution on the wasm path, against float64', () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  test('its module validates, under the 4 KiB a browser compiles on its main thread', () => {
    const bytes = depthwiseModule();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(4096);
  });

  for (const c of CASES) test(c.title, () => checkAgainstFloat64(c, 'depthwise'));

  test('a fused relu, arrays in wasm memory: reluY = relu(y), and dY becomes reluDY·[reluY > 0] before dW, dB and dX', () => checkFusedRelu(CASES[1]!, 'depthwise'));
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

  // Every unit by a worker: 5 samples × the blocks forward, then the blocks backward.
  for (const c of [CASES[1]!, CASES[2]!, CASES[6]!]) { // two or more blocks: a backward job the workers share
    test(`(sample, block) units forward, blocks of channels backward, computed by the workers alone, give the bits of one thread: ${c.title}`, () => {
      const blocks = Math.ceil(c.cin / 16);
      checkWorkersAlone(c, 'depthwise', 5, 5 * blocks + blocks);
    });
  }
});
