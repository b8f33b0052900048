// A conv2d whose kernel covers its whole unpadded input (a 1×1 output: gan-discriminator's conv4, 64→1 4×4 over
// 4×4) runs on the im2col path as one matrix product over the batch, a linear layer's (runtime/wasm/conv.ts
// coversInput, denseForward, denseBackward): y, dX, dW and dB against torch.nn.Conv2d's definition in float64
// within the im2col path's tolerance, the fused relu, and the geometries that are not such a conv.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setGemmBackend, type GemmBackend } from 'cnnc/runtime';
import { coversInput } from '../../runtime/wasm/conv.js';
import { checkAgainstFloat64, checkFusedRelu, geometryOf, type Case } from './conv-reference.js';

const CASES: Case[] = [
  { title: "gan-discriminator's conv4 (64 → 1, 4×4 over 4×4), 32 samples", cin: 64, h: 4, w: 4, cout: 1, k: [4, 4], n: 32 },
  { title: '5 → 3, 4×6 over 4×6, stride 2 (one window whatever the stride), 3 samples', cin: 5, h: 4, w: 6, cout: 3, k: [4, 6], s: [2, 2], n: 3 },
  { title: '32 → 10, 5×5 over 5×5, batch 1', cin: 32, h: 5, w: 5, cout: 10, k: [5, 5], n: 1 },
];

describe('a conv whose kernel covers its input: one matrix product', () => {
  let previous: GemmBackend;
  beforeAll(() => { previous = setGemmBackend('wasm'); });
  afterAll(() => { setGemmBackend(previous); });

  for (const c of CASES) test(c.title, () => {
    expect(coversInput(geometryOf(c, 'im2col'))).toBe(true);
    checkAgainstFloat64(c, 'im2col');
  });

  test('a fused relu: reluY = relu(y), and dY becomes reluDY·[reluY > 0] before dW, dB and dX', () => checkFusedRelu(CASES[1]!, 'im2col'));

  test('not such a conv: padding, a 2×2 output, dilation, groups', () => {
    const base: Case = { title: '', cin: 4, h: 5, w: 5, cout: 4, k: [5, 5], n: 1 };
    expect(coversInput(geometryOf({ ...base, pad: [1, 1, 1, 1], k: [7, 7] }, 'im2col'))).toBe(false);
    expect(coversInput(geometryOf({ ...base, k: [4, 4] }, 'im2col'))).toBe(false);
    expect(coversInput(geometryOf({ ...base, k: [3, 3], d: [2, 2] }, 'im2col'))).toBe(false);
    expect(coversInput(geometryOf({ ...base, groups: 2 }, 'im2col'))).toBe(false);
  });
});
