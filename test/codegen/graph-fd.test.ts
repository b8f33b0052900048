// Finite-difference gradient checks (float64, central) for graphs: add and concat, and a node read by
// several layers, whose gradient must be the SUM of what each reader passes back. Every case starts
// with a convolution before the fork, so its weight gradient is only right when the branches' gradients
// were summed; the fork's other branches carry parameters too, so each branch is checked on its own.
import { describe, expect, it } from 'vitest';
import { coverageProblems } from '../coverage.js';
import { FD_COVERAGE, finiteDifferences, type FdCase } from './fd.js';
import { specYaml } from './helpers.js';

const conv = (name: string, rest: string): string => `{ kind: conv2d, name: ${name}, ${rest} }`;

const CASES: FdCase[] = [
  {
    title: 'residual add: r1 feeds c2 and the add (two readers sum into r1\'s gradient)',
    input: [2, 6, 6],
    layers: [
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: relu, name: r1 }',
      conv('c2', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: add, name: sum, inputs: [c2, r1] }',
      'relu',
      'flatten',
      '{ kind: linear, name: fc, out_features: 3 }',
    ],
    classes: 3,
  },
  {
    title: 'concat of three (a layer, a 1×1 conv of an earlier one, the input); three readers of r1',
    input: [2, 5, 5],
    layers: [
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: tanh, name: r1 }',
      conv('c2', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: add, name: sum, inputs: [c2, r1] }',
      conv('c3', 'out_channels: 2, kernel_size: 1, inputs: [r1]'),
      '{ kind: concat, name: cat, inputs: [sum, c3, input, r1] }',
      conv('c4', 'out_channels: 2, kernel_size: 3'),
      'flatten',
      '{ kind: linear, name: fc, out_features: 3 }',
    ],
    classes: 3,
  },
  {
    title: 'add of a layer with itself (x + x: two edges from one node into one reader)',
    input: [1, 4, 4],
    layers: [
      conv('c1', 'out_channels: 2, kernel_size: 3'),
      '{ kind: sigmoid, name: s }',
      '{ kind: add, name: twice, inputs: [s, s] }',
      'flatten',
      '{ kind: linear, name: fc, out_features: 3 }',
    ],
    classes: 3,
  },
  {
    title: 'a fork through flatten (an alias) into two linear heads, added; nll on log_softmax (fused)',
    input: [1, 5, 5],
    layers: [
      conv('c1', 'out_channels: 2, kernel_size: 3'),
      '{ kind: flatten, name: flat }',
      '{ kind: linear, name: head1, out_features: 4 }',
      '{ kind: linear, name: head2, out_features: 4, inputs: [flat] }',
      '{ kind: add, name: both, inputs: [head1, head2] }',
      'log_softmax',
    ],
    loss: '{ kind: nll }',
    classes: 4,
  },
  {
    title: 'resnet block with batchnorm in training mode, global_avgpool2d',
    mode: 'train',
    input: [2, 6, 6],
    layers: [
      conv('stem', 'out_channels: 4, kernel_size: 3, padding: 1, bias: false'),
      '{ kind: batchnorm2d, name: bn0 }',
      '{ kind: relu, name: r0 }',
      conv('b1c1', 'out_channels: 4, kernel_size: 3, padding: 1, bias: false'),
      '{ kind: batchnorm2d, name: b1bn1 }',
      'relu',
      conv('b1c2', 'out_channels: 4, kernel_size: 3, padding: 1, bias: false'),
      '{ kind: batchnorm2d, name: b1bn2 }',
      '{ kind: add, name: b1add, inputs: [b1bn2, r0] }',
      'relu',
      'global_avgpool2d',
      'flatten',
      '{ kind: linear, name: fc, out_features: 3 }',
    ],
    classes: 3,
  },
];

describe('graphs: finite differences (float64, central, relative error < 1e-6)', () => {
  for (const c of CASES) it(c.title, async () => void (await finiteDifferences(c)), 60_000);
});

describe('FD_COVERAGE (fd.ts), the entries for graph-fd.test.ts', () => {
  it('names cases that run here, each with a node of its kind; a kind it says no case checks is in none of them', () => {
    expect(coverageProblems(FD_COVERAGE, 'graph-fd.test.ts', CASES.map((c) => ({ title: c.title, yaml: specYaml(c) })))).toEqual([]);
  });
});
