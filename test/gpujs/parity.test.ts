// The gpu.js target against the TypeScript target, in the gpu.js modes that run in Node (cpu and
// webasm): the same spec built for both, the same seed (so the same initial weights and dropout
// masks), the same inputs; forward output, loss, every parameter gradient and the batchnorm running
// statistics compared tensor by tensor with the largest difference printed (tolerance: helpers.ts).
// The first layer kinds and the classification losses (class weights, label smoothing, fusion and its
// absence); GPUJS_COVERAGE in helpers.ts names the case for every kind (the decoder layers and graphs
// are in graph.test.ts and specs.test.ts).
import { describe, expect, it } from 'vitest';
import { specYaml, type SpecParts } from '../codegen/helpers.js';
import { coverageProblems, everyActivation } from '../coverage.js';
import { bothTargets, compare, GPUJS_COVERAGE, inputs } from './helpers.js';

interface Case extends SpecParts {
  readonly title: string;
  readonly mode: 'train' | 'eval';
  readonly classes: number;
}

const conv = (name: string, rest: string): string => `{ kind: conv2d, name: ${name}, ${rest} }`;
const N = 3;

const CASES: Case[] = [
  {
    title: 'conv2d: padding, stride, dilation, groups, same, 1×1, no bias; linear',
    mode: 'train',
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
    title: 'maxpool2d (padding, overlapping windows), avgpool2d (count_include_pad true and false)',
    mode: 'train',
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
    mode: 'train',
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
    title: 'adaptive_avgpool2d and adaptive_maxpool2d: overlapping windows, an output larger than its input, whole windows',
    mode: 'train',
    input: [1, 9, 7],
    layers: [
      conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'),
      '{ kind: adaptive_avgpool2d, output_size: [4, 3] }', // 9×7 → 4×3: windows of 3 and 2 rows, overlapping
      '{ kind: adaptive_maxpool2d, output_size: [6, 5] }', // 4×3 → 6×5: larger than its input, inputs read twice
      conv('c2', 'out_channels: 3, kernel_size: 1'),
      '{ kind: adaptive_maxpool2d, output_size: [5, 3] }', // 6×5 → 5×3: overlapping
      '{ kind: adaptive_avgpool2d, output_size: 1 }', // a global average
      'flatten',
      '{ kind: linear, name: fc, out_features: 4 }',
    ],
    classes: 4,
  },
  {
    title: 'batchnorm2d in training (affine and not), leaky_relu',
    mode: 'train',
    input: [2, 5, 5],
    layers: [
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
    title: 'batchnorm2d in eval (running statistics)',
    mode: 'eval',
    input: [2, 5, 5],
    layers: [conv('c1', 'out_channels: 3, kernel_size: 3, padding: 1'), '{ kind: batchnorm2d, name: bn1 }', 'flatten', '{ kind: linear, name: fc, out_features: 3 }'],
    classes: 3,
  },
  {
    title: 'every activation (compiler/ir/activations.ts), each after a conv',
    mode: 'train',
    input: [1, 6, 6],
    layers: everyActivation(3),
    classes: 3,
  },
  {
    title: 'dropout and dropout2d in training (masks from the same Rng stream)',
    mode: 'train',
    input: [1, 6, 6],
    layers: [conv('c1', 'out_channels: 4, kernel_size: 3'), '{ kind: dropout2d, p: 0.5 }', 'flatten', '{ kind: linear, name: fc1, out_features: 8 }', '{ kind: dropout, p: 0.3 }', '{ kind: linear, name: fc2, out_features: 3 }'],
    classes: 3,
  },
  {
    title: 'dropout in eval (identity)',
    mode: 'eval',
    input: [1, 6, 6],
    layers: [conv('c1', 'out_channels: 4, kernel_size: 3'), '{ kind: dropout2d, p: 0.5 }', 'flatten', '{ kind: linear, name: fc1, out_features: 8 }', '{ kind: dropout, p: 0.3 }', '{ kind: linear, name: fc2, out_features: 3 }'],
    classes: 3,
  },
  {
    title: 'log_softmax + nll (fused), class weights',
    mode: 'train',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }', 'log_softmax'],
    loss: '{ kind: nll, weight: [0.5, 2, 1, 0.25] }',
    classes: 4,
  },
  {
    title: 'cross_entropy with label smoothing and class weights',
    mode: 'train',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }'],
    loss: '{ kind: cross_entropy, label_smoothing: 0.15, weight: [0.5, 2, 1, 0.25] }',
    classes: 4,
  },
  {
    title: 'cross_entropy with label smoothing, no weights',
    mode: 'train',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }'],
    loss: '{ kind: cross_entropy, label_smoothing: 0.3 }',
    classes: 4,
  },
  {
    title: 'softmax then cross_entropy (softmax backward runs)',
    mode: 'train',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }', 'softmax'],
    loss: '{ kind: cross_entropy }',
    classes: 4,
  },
  {
    title: 'log_softmax then cross_entropy with weights (log_softmax backward runs)',
    mode: 'train',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }', 'log_softmax'],
    loss: '{ kind: cross_entropy, weight: [1, 2, 3, 4] }',
    classes: 4,
  },
  {
    title: 'softmax then nll (not fused)',
    mode: 'train',
    input: [1, 5, 5],
    layers: [conv('c1', 'out_channels: 2, kernel_size: 3'), 'flatten', '{ kind: linear, name: fc, out_features: 4 }', 'softmax'],
    loss: '{ kind: nll }',
    classes: 4,
  },
];

for (const backend of ['cpu', 'webasm'] as const) {
  describe(`gpu.js ${backend} agrees with the TypeScript target`, () => {
    for (const c of CASES) {
      it(c.title, async () => {
        const { ts, gj } = await bothTargets(specYaml(c));
        const a = ts.createModel({ seed: 5 });
        const b = gj.createModel({ seed: 5, backend });
        try {
          if (c.mode === 'train') { a.train(); b.train(); }
          const size = c.input.reduce((p, q) => p * q, 1);
          const { x, y } = inputs(N, size, 1, c.classes);
          const rows = [compare('forward', b.forward(x, N), a.forward(x, N))];
          // A training forward moved the running statistics and drew masks: start both again from the same state.
          b.loadWeights(a.saveWeights());
          b.setTrainingState(a.getTrainingState());
          const la = a.computeGradients(x, y, N);
          const lb = b.computeGradients(x, y, N);
          rows.push(compare('loss', [lb], [la]));
          const pa = a.parameters();
          const pb = b.parameters();
          expect(pb.map((p) => p.name)).toEqual(pa.map((p) => p.name));
          for (let i = 0; i < pa.length; i++) {
            if (pa[i]!.trainable) rows.push(compare(`${pa[i]!.name}.grad`, pb[i]!.grad, pa[i]!.grad));
            else rows.push(compare(pa[i]!.name, pb[i]!.data, pa[i]!.data));
          }
          console.log(`${backend} · ${c.title}\n${rows.map((r) => `  ${r.name.padEnd(24)} max |Δ| ${r.maxAbs.toExponential(2)}  (${r.worst.toFixed(3)} of tolerance)`).join('\n')}`);
          for (const r of rows) expect(r.worst, r.name).toBeLessThanOrEqual(1);
          const info = b.backendInfo();
          expect(info.modes).toEqual([backend]);
          expect(info.honest).toBe(true);
        } finally {
          b.dispose();
        }
      });
    }
  });
}

describe('GPUJS_COVERAGE (helpers.ts), the entries for parity.test.ts', () => {
  it('names cases that run here, each with a node of its kind; a kind it says no case checks is in none of them', () => {
    expect(coverageProblems(GPUJS_COVERAGE, 'parity.test.ts', CASES.map((c) => ({ title: c.title, yaml: specYaml(c) })))).toEqual([]);
  });
});
