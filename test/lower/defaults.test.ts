// PyTorch's defaults, resolved by 3-lower for everything the spec leaves out.
import { describe, expect, it } from 'vitest';
import { node, ok, spec } from './helpers.js';

const head = ['flatten', '{ kind: linear, out_features: 10 }'];
const settings = (optimizer: string, tail?: string) => {
  const ir = ok(spec(head, { optimizer, ...(tail ? { tail } : {}) }));
  const { span: _s, ...opt } = ir.optimizer;
  return { opt, train: ir.train, data: ir.data };
};

describe('defaults', () => {
  it('adam, adamw (weight decay 0.01) and sgd', () => {
    expect(settings('{ kind: adam }').opt).toEqual({ kind: 'adam', lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    expect(settings('{ kind: adamw, lr: 0.01 }').opt).toEqual({ kind: 'adamw', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false });
    expect(settings('{ kind: sgd, lr: 0.1 }').opt).toEqual({ kind: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
  });

  it('train batch 64, epochs 1, seed 0; data mnist; an idx path kept as written', () => {
    expect(settings('{ kind: adam }')).toMatchObject({ train: { batchSize: 64, epochs: 1, seed: 0 }, data: { source: 'mnist' } });
    const idx = settings('{ kind: adam }', 'train: { epochs: 3 }\ndata: { source: idx, path: ../fashion }');
    expect(idx).toMatchObject({ train: { batchSize: 64, epochs: 3, seed: 0 }, data: { source: 'idx', path: '../fashion' } });
    // eval_batch_size follows batch_size unless written (pytorch/examples: test_batch_size 1000); shuffle defaults on
    expect(settings('{ kind: adam }', 'train: { batch_size: 32 }').train).toEqual({ batchSize: 32, epochs: 1, seed: 0, evalBatchSize: 32, shuffle: true, clip: null, earlyStopping: null });
    expect(settings('{ kind: adam }', 'train: { eval_batch_size: 1000, shuffle: false }').train).toEqual({ batchSize: 64, epochs: 1, seed: 0, evalBatchSize: 1000, shuffle: false, clip: null, earlyStopping: null });
  });

  it('layers: dropout p 0.5, leaky_relu 0.01, cross_entropy without smoothing or weights', () => {
    const ir = ok(spec(['dropout2d', 'leaky_relu', ...head, 'dropout', 'relu']));
    expect(node(ir, 'dropout2d_1', 'dropout2d').p).toBe(0.5);
    expect(node(ir, 'dropout_1', 'dropout').p).toBe(0.5);
    expect(node(ir, 'leaky_relu_1', 'leaky_relu').negativeSlope).toBe(0.01);
    expect(ir.loss.terms).toMatchObject([{ kind: 'cross_entropy', labelSmoothing: 0, weight: null, ignoreIndex: -100, reduction: 'mean', scale: 1 }]);
  });

  it('specHash and file travel into the IR', () => {
    const ir = ok(spec(head));
    expect([ir.specHash, ir.file, ir.name, ir.input.shape]).toEqual(['test-hash', 'model.yaml', 'T', [1, 28, 28]]);
  });
});
