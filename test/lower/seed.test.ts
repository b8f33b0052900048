// The seed's PyTorch MNIST CNN (specs/mnist.yaml): the numbers PyTorch and torchinfo give for it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatSummary, summarize } from '../../compiler/3-lower/summary.js';
import { ok, shapes } from './helpers.js';

const source = readFileSync(new URL('../../specs/mnist.yaml', import.meta.url), 'utf8');
const ir = ok(source);

describe('specs/mnist.yaml', () => {
  it('infers 9216 features after flatten', () => {
    expect(ir.nodes.find((n) => n.kind === 'flatten')!.outShape).toEqual([9216]);
    expect(shapes(ir)).toEqual([[32, 26, 26], [32, 26, 26], [64, 24, 24], [64, 24, 24], [64, 12, 12], [64, 12, 12],
      [9216], [128], [128], [128], [10], [10]]);
  });

  it('has 1,199,882 parameters with the names and layouts of the seed state_dict', () => {
    expect(ir.totals.params).toBe(1_199_882);
    expect(ir.totals.buffers).toBe(0);
    expect(ir.nodes.flatMap((n) => n.params.map((p) => [p.name, p.shape]))).toEqual([
      ['conv1.weight', [32, 1, 3, 3]], ['conv1.bias', [32]],
      ['conv2.weight', [64, 32, 3, 3]], ['conv2.bias', [64]],
      ['fc1.weight', [128, 9216]], ['fc1.bias', [128]],
      ['fc2.weight', [10, 128]], ['fc2.bias', [10]],
    ]);
  });

  it('needs 11,992,448 forward MACs per sample', () => {
    // conv1 32·26·26·9 + conv2 64·24·24·288 + fc1 9216·128 + fc2 128·10
    expect(ir.totals.macs).toBe(11_992_448);
  });

  it('resolves the settings and chains the nodes', () => {
    expect(ir.nodes.map((n) => n.name)).toEqual(['conv1', 'relu_1', 'conv2', 'relu_2', 'maxpool2d_1', 'dropout2d_1',
      'flatten_1', 'fc1', 'relu_3', 'dropout_1', 'fc2', 'log_softmax_1']);
    expect(ir.nodes.map((n) => n.inputs[0])).toEqual(['input', ...ir.nodes.slice(0, -1).map((n) => n.name)]);
    expect(ir.nodes.map((n) => n.index)).toEqual(ir.nodes.map((_, i) => i));
    expect(ir.output).toBe('log_softmax_1');
    expect(ir.nodes.filter((n) => n.named).map((n) => n.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
    const { span: _o, ...optimizer } = ir.optimizer;
    expect(optimizer).toEqual({ kind: 'adam', lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    expect([ir.train, ir.data, ir.loss.terms.map((t) => t.kind)]).toEqual([{ batchSize: 64, epochs: 10, seed: 1, evalBatchSize: 64, shuffle: true, clip: null, earlyStopping: null }, { source: 'mnist', task: 'classification', valSplit: null, transforms: { eval: [], train: [] } }, ['nll']]);
  });

  it('totals the memory of one training step as the formula in totals.ts says', () => {
    const P = 1_199_882;
    const outputs = 2 * 21632 + 2 * 36864 + 3 * 9216 + 3 * 128 + 2 * 10;
    const im2col = 32 * 3 * 3 * 24 * 24; // conv2's, the larger
    expect(ir.totals.activations).toBe(784 + outputs);
    expect(ir.totals.trainingBytes).toBe(4 * (P + P + 2 * P + 64 * (784 + outputs) + 64 * outputs + im2col));
  });

  it('prints a torchinfo-like summary', () => {
    const text = formatSummary(summarize(ir));
    expect(text).toMatch(/^conv1 +conv2d +\[-1, 32, 26, 26\] +320 +194,688$/m);
    expect(text).toMatch(/^flatten_1 +flatten +\[-1, 9216\] +0 +0$/m);
    expect(text).toMatch(/^Trainable params: +1,199,882$/m);
    expect(text).toMatch(/^Forward MACs: +11,992,448 \(11\.99M\) per sample$/m);
    const at8 = summarize(ir, 8);
    expect(at8.rows[1]!.outShape).toEqual([8, 32, 26, 26]);
    expect(at8.totals.trainingBytes).toBeLessThan(ir.totals.trainingBytes);
  });
});
