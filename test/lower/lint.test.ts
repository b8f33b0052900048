// Lints (W06xx): each fires where the compiler can prove the problem, at the layer or key it names.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brief, lowerYaml, pos, spec } from './helpers.js';

const head = ['flatten', '{ kind: linear, name: fc, out_features: 10 }'];
function warnings(source: string): string[] {
  const { ir, diagnostics, warnings } = lowerYaml(source);
  expect(brief(diagnostics)).toEqual([]);
  expect(ir).not.toBeNull();
  return brief(warnings);
}

describe('what the loss reads', () => {
  it('W0601 softmax before cross_entropy', () => {
    const src = spec([...head, 'softmax']);
    expect(warnings(src)).toEqual([`${pos(src, 'softmax')} W0601 softmax_1 feeds probabilities to cross_entropy, which applies its own softmax: softmax is applied twice`]);
  });

  it("W0602 the seed's own choice: log_softmax before cross_entropy", () => {
    const seed = readFileSync(new URL('../../specs/mnist.yaml', import.meta.url), 'utf8');
    const src = seed.replace('loss: { kind: nll }', 'loss: { kind: cross_entropy }');
    expect(src).not.toBe(seed);
    const { warnings: ws } = lowerYaml(src);
    expect(brief(ws)).toEqual([`${pos(src, '- log_softmax', 'log_softmax')} W0602 log_softmax_1 before cross_entropy: cross_entropy applies log_softmax again, which is harmless (log_softmax is idempotent) but wasted work`]);
    expect(ws[0]!.hint).toBe('use `loss: nll`, which reads log-probabilities: the same loss and gradient');
  });

  it('W0603 nll after a layer that is not log_softmax points at the loss', () => {
    const src = spec(head, { loss: '{ kind: nll }' });
    expect(warnings(src)).toEqual([`${pos(src, 'kind: nll', 'nll')} W0603 nll expects log-probabilities, but the model ends with fc (linear), not log_softmax`]);
    const soft = spec([...head, 'softmax'], { loss: '{ kind: nll }' });
    expect(lowerYaml(soft).warnings[0]!.hint).toBe('replace the softmax by `log_softmax`');
  });

  it('the same lints over the channels of a [C, H, W] output (softmax / log_softmax per pixel)', () => {
    const conv = '{ kind: conv2d, out_channels: 3, kernel_size: 1 }';
    const src = spec([conv, 'softmax']);
    expect(warnings(src)).toEqual([`${pos(src, 'softmax')} W0601 softmax_1 feeds probabilities to cross_entropy, which applies its own softmax: softmax is applied twice`]);
    const nll = spec([conv, 'softmax'], { loss: '{ kind: nll }' });
    expect(warnings(nll)).toEqual([`${pos(nll, 'kind: nll', 'nll')} W0603 nll expects log-probabilities, but the model ends with softmax_1 (softmax), not log_softmax`]);
    expect(warnings(spec([conv, 'log_softmax'], { loss: '{ kind: nll, weight: [1, 2, 3], ignore_index: 255 }' }))).toEqual([]);
    expect(warnings(spec([conv, 'softmax'], { loss: '{ kind: dice }' }))).toEqual([]);
  });

  it('W0604 dropout as the last layer', () => {
    const src = spec([...head, '{ kind: dropout, p: 0.3 }']);
    expect(warnings(src)).toEqual([`${pos(src, 'kind: dropout', 'dropout')} W0604 dropout_1 is the last layer: in training it zeroes outputs the loss reads`]);
  });

  it('W0609 cross_entropy over a single class', () => {
    const src = spec(['flatten', '{ kind: linear, out_features: 1 }']);
    expect(warnings(src)).toEqual([`${pos(src, 'cross_entropy')} W0609 cross_entropy over one class is always 0 (the softmax of a single logit is 1): nothing is learnt`]);
  });
});

describe('layers that do nothing', () => {
  it('W0605 relu on an input that is already non-negative, through sign-keeping layers', () => {
    const src = spec(['relu', 'relu', '{ kind: maxpool2d, kernel_size: 2 }', 'dropout2d', 'relu', 'tanh', 'relu', ...head]);
    expect(warnings(src)).toEqual([
      '6:5 W0605 relu_2 does nothing: its input is never negative (relu_1 is a relu)',
      '9:5 W0605 relu_3 does nothing: its input is never negative (relu_2 is a relu)',
    ]);
    const sig = spec(['sigmoid', '{ kind: avgpool2d, kernel_size: 2 }', 'relu', ...head]);
    expect(warnings(sig)).toEqual(['7:5 W0605 relu_1 does nothing: its input is never negative (sigmoid_1 is a sigmoid)']);
  });

  it('W0606 dropout with p = 0', () => {
    const src = spec(['{ kind: dropout2d, p: 0 }', ...head]);
    expect(warnings(src)).toEqual([`${pos(src, 'p: 0', '0')} W0606 dropout2d_1 has p = 0: it never drops anything`]);
  });

  it('W0607 a 1×1 pool with stride 1; not with a larger stride', () => {
    const src = spec(['{ kind: maxpool2d, kernel_size: 1, stride: 1 }', '{ kind: avgpool2d, kernel_size: 1 }', '{ kind: maxpool2d, kernel_size: 1, stride: 2 }', ...head]);
    expect(warnings(src)).toEqual([
      `${pos(src, 'kernel_size: 1', '1')} W0607 maxpool2d_1 has a 1×1 window with stride 1: it returns its input`,
      `${pos(src, 'kernel_size: 1', '1', 1)} W0607 avgpool2d_1 has a 1×1 window with stride 1: it returns its input`,
    ]);
  });

  it('W0608 a conv bias right before batchnorm2d: at `bias` when written, else at the conv', () => {
    const src = spec(['{ kind: conv2d, out_channels: 4, kernel_size: 3 }', 'batchnorm2d',
      '{ kind: conv2d, out_channels: 4, kernel_size: 3, bias: true }', 'batchnorm2d',
      '{ kind: conv2d, out_channels: 4, kernel_size: 3, bias: false }', 'batchnorm2d', ...head]);
    expect(warnings(src)).toEqual([
      `${pos(src, 'conv2d')} W0608 conv2d_1's bias is cancelled by batchnorm2d_1, which subtracts each channel's mean`,
      `${pos(src, 'bias: true', 'true')} W0608 conv2d_2's bias is cancelled by batchnorm2d_2, which subtracts each channel's mean`,
    ]);
  });
});

it('the shipped specs lint clean', () => {
  for (const f of ['mnist.yaml', 'conv-features.yaml']) {
    const src = readFileSync(new URL(`../../specs/${f}`, import.meta.url), 'utf8');
    expect(warnings(src), f).toEqual([]);
  }
});
