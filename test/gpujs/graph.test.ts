// The layer kinds added for segmentation and residual networks, and graphs, on gpu.js against the
// TypeScript target (cpu and webasm modes): conv_transpose2d, upsample (nearest and bilinear, both
// align_corners, scale factors and sizes), global_avgpool2d, add, concat, a tensor with several readers
// (its gradient is a sum) and a layer that reads the model input again. Tolerance: helpers.ts.
import { describe, expect, it } from 'vitest';
import { specYaml } from '../codegen/helpers.js';
import { coverageProblems } from '../coverage.js';
import { expectParity, GPUJS_COVERAGE, inputs } from './helpers.js';

interface Case {
  readonly title: string;
  readonly input: readonly number[];
  readonly layers: readonly string[];
  readonly classes: number;
}

const fc = (k: number): string[] => ['flatten', `{ kind: linear, name: fc, out_features: ${k} }`];
const conv = (name: string, rest: string): string => `{ kind: conv2d, name: ${name}, ${rest} }`;

const CASES: Case[] = [
  {
    title: 'conv_transpose2d: stride 2, padding, output_padding, dilation, groups, no bias',
    input: [2, 4, 5],
    layers: [
      '{ kind: conv_transpose2d, name: t1, out_channels: 4, kernel_size: 3, stride: 2, padding: 1, output_padding: 1 }',
      '{ kind: conv_transpose2d, name: t2, out_channels: 2, kernel_size: [2, 3], stride: [1, 2], dilation: [2, 1], groups: 2, bias: false }',
      '{ kind: conv_transpose2d, name: t3, out_channels: 3, kernel_size: 2, stride: 2 }',
      ...fc(3),
    ],
    classes: 3,
  },
  {
    title: 'upsample nearest: a size that is no whole factor (5×7 → 8×10), then scale_factor [2, 3]',
    input: [2, 5, 7],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 1'), '{ kind: upsample, name: up1, size: [8, 10] }', '{ kind: upsample, name: up2, scale_factor: [2, 3] }', conv('c2', 'out_channels: 2, kernel_size: 3, stride: 2'), ...fc(3)],
    classes: 3,
  },
  {
    title: 'upsample bilinear: scale_factor 2, align_corners true with a size, and downsampling',
    input: [2, 5, 6],
    layers: [
      conv('c1', 'out_channels: 2, kernel_size: 1'),
      '{ kind: upsample, name: up1, mode: bilinear, scale_factor: 2 }',
      '{ kind: upsample, name: up2, mode: bilinear, align_corners: true, size: [7, 9] }',
      '{ kind: upsample, name: up3, mode: bilinear, size: [4, 5] }',
      conv('c2', 'out_channels: 2, kernel_size: 1'),
      ...fc(3),
    ],
    classes: 3,
  },
  {
    title: 'global_avgpool2d',
    input: [2, 6, 5],
    layers: [conv('c1', 'out_channels: 4, kernel_size: 3, padding: 1'), 'relu', '{ kind: global_avgpool2d, name: gap }', ...fc(3)],
    classes: 3,
  },
  {
    title: 'a graph: add (residual, three inputs), concat, one tensor read by three layers, the input read again',
    input: [2, 5, 5],
    layers: [
      conv('stem', 'out_channels: 3, kernel_size: 3, padding: 1'),
      conv('a', 'out_channels: 3, kernel_size: 3, padding: 1'),
      'relu',
      conv('b', 'out_channels: 3, kernel_size: 1, inputs: [stem]'),
      '{ kind: add, name: sum, inputs: [relu_1, b, stem] }',
      conv('skip', 'out_channels: 2, kernel_size: 1, inputs: [input]'),
      '{ kind: concat, name: cat, inputs: [sum, skip, stem] }',
      conv('head', 'out_channels: 2, kernel_size: 3'),
      ...fc(4),
    ],
    classes: 4,
  },
];

for (const backend of ['cpu', 'webasm'] as const) {
  describe(`gpu.js ${backend}: new layer kinds and graphs agree with the TypeScript target`, () => {
    for (const c of CASES) {
      it(c.title, async () => {
        const size = c.input.reduce((p, q) => p * q, 1);
        const { x, y } = inputs(3, size, 1, c.classes);
        await expectParity({ title: c.title, yaml: specYaml({ input: c.input, layers: c.layers }), mode: 'train', backend, n: 3, x, y });
      });
    }
  });
}

describe('GPUJS_COVERAGE (helpers.ts), the entries for graph.test.ts', () => {
  it('names cases that run here, each with a node of its kind; a kind it says no case checks is in none of them', () => {
    expect(coverageProblems(GPUJS_COVERAGE, 'graph.test.ts', CASES.map((c) => ({ title: c.title, yaml: specYaml({ input: c.input, layers: c.layers }) })))).toEqual([]);
  });
});
