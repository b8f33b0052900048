// Finite-difference gradient checks (float64, central) for conv_transpose2d, upsample and
// global_avgpool2d and the adaptive pools. Each case starts with a convolution, so the gradient the new layer passes back (its
// dX) is checked through that convolution's weights; its own weights are checked directly.
import { describe, expect, it } from 'vitest';
import { coverageProblems } from '../coverage.js';
import { FD_COVERAGE, finiteDifferences, type FdCase } from './fd.js';
import { specYaml } from './helpers.js';

const conv = (name: string, rest: string): string => `{ kind: conv2d, name: ${name}, ${rest} }`;
const up = (name: string, rest: string): string => `{ kind: conv_transpose2d, name: ${name}, ${rest} }`;
const head = ['flatten', '{ kind: linear, name: fc, out_features: 3 }'];

const CASES: FdCase[] = [
  {
    title: 'conv_transpose2d: stride 2, padding, output_padding, then stride 1 with dilation and no bias',
    input: [2, 4, 5],
    layers: [
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'),
      up('t1', 'out_channels: 4, kernel_size: 3, stride: 2, padding: 1, output_padding: 1'),
      up('t2', 'out_channels: 2, kernel_size: [2, 3], dilation: [2, 1], padding: [1, 0], bias: false'),
      ...head,
    ],
    classes: 3,
  },
  {
    title: 'conv_transpose2d: groups 2, asymmetric stride and output_padding',
    input: [2, 3, 3],
    layers: [
      conv('c1', 'out_channels: 4, kernel_size: 1'),
      up('t1', 'out_channels: 6, kernel_size: 2, stride: [2, 3], output_padding: [1, 2], groups: 2'),
      ...head,
    ],
    classes: 3,
  },
  {
    title: 'upsample nearest: scale_factor 2, size 7×5 (a non-integer ratio), scale_factor 1.5',
    input: [1, 3, 4],
    layers: [
      conv('c1', 'out_channels: 2, kernel_size: 1'),
      '{ kind: upsample, scale_factor: 2 }',
      conv('c2', 'out_channels: 2, kernel_size: 3'),
      '{ kind: upsample, size: [7, 5] }',
      '{ kind: upsample, scale_factor: 1.5 }',
      ...head,
    ],
    classes: 3,
  },
  {
    title: 'upsample bilinear: scale_factor 2, size 5×7, align_corners',
    input: [1, 3, 4],
    layers: [
      conv('c1', 'out_channels: 2, kernel_size: 1'),
      '{ kind: upsample, scale_factor: 2, mode: bilinear }',
      conv('c2', 'out_channels: 2, kernel_size: 3'),
      '{ kind: upsample, size: [5, 7], mode: bilinear }',
      '{ kind: upsample, scale_factor: [1.5, 2], mode: bilinear, align_corners: true }',
      ...head,
    ],
    classes: 3,
  },
  {
    title: 'global_avgpool2d',
    input: [2, 5, 4],
    layers: [conv('c1', 'out_channels: 4, kernel_size: 3, padding: 1'), 'global_avgpool2d', ...head],
    classes: 3,
  },
  {
    title: 'adaptive_avgpool2d 7×5 → 3×2 (overlapping windows), then adaptive_maxpool2d → 4×3 (larger than its input)',
    input: [2, 7, 5],
    layers: [
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: adaptive_avgpool2d, name: aap, output_size: [3, 2] }',
      '{ kind: adaptive_maxpool2d, name: amp, output_size: [4, 3] }',
      ...head,
    ],
    classes: 3,
  },
  {
    title: 'adaptive_maxpool2d 13×6 → 6×4 (overlapping), then adaptive_avgpool2d → 3×2 (whole 2×2 windows)',
    input: [1, 13, 6],
    layers: [
      conv('c1', 'out_channels: 2, kernel_size: 3, padding: 1'),
      '{ kind: adaptive_maxpool2d, name: amp, output_size: [6, 4] }',
      conv('c2', 'out_channels: 2, kernel_size: 1'),
      '{ kind: adaptive_avgpool2d, name: aap, output_size: [3, 2] }',
      ...head,
    ],
    classes: 3,
  },
];

describe('new layers: finite differences (float64, central, relative error < 1e-6)', () => {
  for (const c of CASES) it(c.title, async () => void (await finiteDifferences(c)), 60_000);
});

describe('FD_COVERAGE (fd.ts), the entries for layers-fd.test.ts', () => {
  it('names cases that run here, each with a node of its kind; a kind it says no case checks is in none of them', () => {
    expect(coverageProblems(FD_COVERAGE, 'layers-fd.test.ts', CASES.map((c) => ({ title: c.title, yaml: specYaml(c) })))).toEqual([]);
  });
});
