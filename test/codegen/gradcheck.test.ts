// Finite-difference gradient checks of the first layer kinds and the losses they end in, float64 modules,
// central differences (FD_COVERAGE in fd.ts names the case for every kind: the decoder layers are in
// layers-fd.test.ts, add and concat in graph-fd.test.ts, every loss in gradcheck-losses.test.ts). Each
// case starts with a convolution, so the gradient every later layer passes back (its dX) is checked
// through that convolution's weight gradient; a second convolution checks conv's own dX (col2im). Inputs are random floats, so relu kinks and max-pool ties are (almost surely)
// more than the step h away; the cases and seeds are fixed, so a pass is reproducible.
import { describe, expect, it } from 'vitest';
import { coverageProblems, everyActivation } from '../coverage.js';
import { compile64, randomInputs, specYaml, type SpecParts } from './helpers.js';
import { compareWithFiniteDifferences, FD_COVERAGE, pick } from './fd.js';

const SAMPLES = 12;

interface Case extends SpecParts {
  readonly title: string;
  readonly mode?: 'train' | 'eval';
  readonly labelSize?: number;
  readonly classes: number;
  readonly n?: number;
}

const conv = (name: string, rest: string): string => `{ kind: conv2d, name: ${name}, ${rest} }`;

const CASES: Case[] = [
  {
    title: 'conv2d: padding, stride, dilation, groups, asymmetric same, 1×1, no bias',
    input: [2, 9, 8],
    layers: [
      conv('c1', 'out_channels: 4, kernel_size: 3, padding: 1'),
      conv('c2', 'out_channels: 4, kernel_size: 2, padding: same, groups: 2'),
      conv('c3', 'out_channels: 6, kernel_size: 1'),
      conv('c4', 'out_channels: 4, kernel_size: [3, 2], stride: [2, 1], dilation: [2, 1], padding: [2, 0], bias: false'),
      conv('c5', 'out_channels: 4, kernel_size: 3, groups: 4, stride: 2, padding: [1, 2]'),
      'flatten',
      '{ kind: linear, name: fc, out_features: 5 }',
    ],
    classes: 5,
  },
  {
    title: 'maxpool2d (padding, overlapping windows) and avgpool2d (count_include_pad true and false)',
    input: [1, 10, 9],
    layers: [
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: maxpool2d, kernel_size: 3, stride: 2, padding: 1 }',
      conv('c2', 'out_channels: 3, kernel_size: 1'),
      '{ kind: avgpool2d, kernel_size: 3, stride: 1, padding: 1, count_include_pad: false }',
      '{ kind: avgpool2d, kernel_size: 2, stride: 2, padding: 1 }',
      '{ kind: maxpool2d, kernel_size: 2 }',
      'flatten',
      '{ kind: linear, name: fc, out_features: 4 }',
    ],
    classes: 4,
  },
  {
    title: 'maxpool2d and avgpool2d with ceil_mode: windows past the input, past the padded input, a dropped last window',
    input: [1, 10, 9],
    layers: [
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: maxpool2d, kernel_size: 3, stride: 2, ceil_mode: true }', // [3, 5, 4] (floor: 4 rows): the last row clipped
      conv('c2', 'out_channels: 3, kernel_size: 1'),
      '{ kind: avgpool2d, kernel_size: 3, stride: 2, padding: 1, ceil_mode: true }', // [3, 3, 3] (floor: 2 columns): divisor 3·2 at the last column
      '{ kind: avgpool2d, kernel_size: 2, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false }', // [3, 2, 2]: a 3rd window would start in the padding
      '{ kind: maxpool2d, kernel_size: 3, stride: 2, padding: 1, ceil_mode: true }', // [3, 2, 2] (floor: 1×1): past the padded input
      'flatten',
      '{ kind: linear, name: fc, out_features: 4 }',
    ],
    classes: 4,
  },
  {
    title: 'batchnorm2d in training mode (affine and not), leaky_relu',
    mode: 'train',
    input: [2, 5, 5],
    layers: [
      // No conv bias before a batchnorm in training mode: its true gradient is exactly 0 (the batch mean
      // absorbs it), and a zero proves nothing.
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1, bias: false'),
      '{ kind: batchnorm2d, name: bn1 }',
      '{ kind: leaky_relu, negative_slope: 0.2 }',
      conv('c2', 'out_channels: 3, kernel_size: 3, bias: false'),
      '{ kind: batchnorm2d, name: bn2, affine: false }',
      'flatten',
      '{ kind: linear, name: fc, out_features: 3 }',
    ],
    classes: 3,
  },
  {
    title: 'batchnorm2d in eval mode (running statistics)',
    mode: 'eval',
    input: [2, 5, 5],
    layers: [conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'), '{ kind: batchnorm2d, name: bn1 }', 'flatten', '{ kind: linear, name: fc, out_features: 3 }'],
    classes: 3,
  },
  {
    title: 'every activation (compiler/ir/activations.ts), each after a conv',
    input: [1, 6, 6],
    layers: everyActivation(3),
    classes: 3,
  },
  {
    title: 'dropout and dropout2d in training mode (masks replayed from the saved RNG state)',
    mode: 'train',
    input: [1, 6, 6],
    layers: [
      conv('c1', 'out_channels: 4, kernel_size: 3'),
      '{ kind: dropout2d, p: 0.5 }',
      'flatten',
      '{ kind: linear, name: fc1, out_features: 8 }',
      '{ kind: dropout, p: 0.3 }',
      '{ kind: linear, name: fc2, out_features: 3 }',
    ],
    classes: 3,
  },
  {
    title: 'log_softmax + nll (fused), class weights',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }', 'log_softmax'],
    loss: '{ kind: nll, weight: [0.5, 2, 1, 0.25] }',
    classes: 4,
  },
  {
    title: 'cross_entropy with label smoothing and class weights',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }'],
    loss: '{ kind: cross_entropy, label_smoothing: 0.15, weight: [0.5, 2, 1, 0.25] }',
    classes: 4,
  },
  {
    title: 'cross_entropy with label smoothing, no weights',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }'],
    loss: '{ kind: cross_entropy, label_smoothing: 0.3 }',
    classes: 4,
  },
  {
    title: 'softmax then cross_entropy (not fused: softmax_backward runs)',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }', 'softmax'],
    loss: '{ kind: cross_entropy }',
    classes: 4,
  },
  {
    title: 'log_softmax then cross_entropy (log_softmax_backward runs)',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }', 'log_softmax'],
    loss: '{ kind: cross_entropy, weight: [1, 2, 3, 4] }',
    classes: 4,
  },
];

describe('finite differences (float64, central, relative error < 1e-6)', () => {
  for (const c of CASES) {
    it(c.title, async () => {
      const mod = await compile64(c);
      const model = mod.createModel({ seed: 5 });
      const n = c.n ?? 3;
      const size = c.input.reduce((a, b) => a * b, 1);
      const { x, y } = randomInputs(n, size, c.classes, c.labelSize ?? 1);
      if (c.mode === 'eval') {
        // Move the running statistics away from 0/1 first, then freeze them.
        model.train();
        model.computeGradients(x, y, n);
        model.computeGradients(x.map((v) => v * 2 + 0.5), y, n);
        model.eval();
      } else if (c.mode === 'train') {
        model.train();
      }
      const state = model.getTrainingState();
      const loss = (): number => {
        model.setTrainingState(state);
        return model.computeGradients(x, y, n);
      };
      compareWithFiniteDifferences(c.title, model.parameters().filter((p) => p.trainable), loss, (len, t) => pick(len, SAMPLES, t));
    });
  }
});

describe('FD_COVERAGE (fd.ts), the entries for gradcheck.test.ts', () => {
  it('names cases that run here, each with a node of its kind; a kind it says no case checks is in none of them', () => {
    expect(coverageProblems(FD_COVERAGE, 'gradcheck.test.ts', CASES.map((c) => ({ title: c.title, yaml: specYaml(c) })))).toEqual([]);
  });
});
