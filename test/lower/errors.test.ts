// Every error 3-lower reports: its code, the exact line:col it points at, and its message.
import { describe, expect, it } from 'vitest';
import { brief, lowerYaml, pos, spec } from './helpers.js';

function errors(source: string): string[] {
  const { ir, diagnostics } = lowerYaml(source);
  expect(ir).toBeNull();
  return brief(diagnostics);
}

describe('names (E03xx)', () => {
  it('E0301 duplicate name: points at the second, names the first line', () => {
    const src = spec(['{ kind: conv2d, name: conv1, out_channels: 4, kernel_size: 3 }', 'relu',
      '{ kind: conv2d, name: conv1, out_channels: 4, kernel_size: 3 }', 'flatten']);
    expect(errors(src)).toEqual([
      `${pos(src, 'name: conv1', 'conv1', 1)} E0301 duplicate layer name \`conv1\`: line 5 already uses it`]);
  });

  it('E0302 a written name that is also a generated one, in either order', () => {
    const src = spec(['{ kind: relu, name: relu_2 }', 'relu', 'relu', 'flatten']);
    // k counts every relu, named or not: the relu on line 6 is the second, relu_2.
    expect(errors(src)).toEqual([`${pos(src, 'relu_2')} E0302 \`relu_2\` is also the generated name of the unnamed relu on line 6`]);
    const later = spec(['relu', '{ kind: relu, name: relu_1 }', 'flatten']);
    expect(errors(later)).toEqual([`${pos(later, 'relu_1')} E0302 \`relu_1\` is also the generated name of the unnamed relu on line 5`]);
  });

  it('E0303 `input` is reserved', () => {
    const src = spec(['{ kind: flatten, name: input }']);
    expect(errors(src)).toEqual([`${pos(src, 'input }')} E0303 the name \`input\` is reserved for the model input`]);
  });
});

describe('shapes (E04xx)', () => {
  it('E0401 a kernel larger than its padded input', () => {
    const src = spec(['{ kind: conv2d, out_channels: 4, kernel_size: 3 }', '{ kind: conv2d, name: conv2, out_channels: 4, kernel_size: 5 }', 'flatten'],
      { input: '[1, 5, 5]' });
    expect(errors(src)).toEqual([`${pos(src, 'kernel_size: 5', '5')} E0401 conv2: kernel 5×5 does not fit the 3×3 input (after padding 0)`]);
  });

  it('E0401 names the span of a dilated kernel and uneven padding', () => {
    const src = spec(['{ kind: conv2d, out_channels: 4, kernel_size: 3, dilation: 3, padding: [1, 0] }', 'flatten'], { input: '[1, 4, 8]' });
    expect(errors(src)).toEqual([`${pos(src, 'kernel_size: 3', '3')} E0401 conv2d_1: kernel 3×3 with dilation 3×3 spans 7×7 and does not fit the 4×8 input (after padding 1×0)`]);
  });

  it('E0402 pooling to nothing', () => {
    const src = spec(['{ kind: maxpool2d, kernel_size: 2 }', '{ kind: avgpool2d, kernel_size: [1, 2] }', 'flatten'], { input: '[2, 3, 3]' });
    expect(errors(src)).toEqual([`${pos(src, 'kernel_size: [1, 2]', '[1, 2]')} E0402 avgpool2d_1: a 1×2 window pools the 1×1 input to nothing (1×0)`]);
  });

  it("E0403 padding 'same' with a stride, as PyTorch refuses it", () => {
    const src = spec(['{ kind: conv2d, out_channels: 4, kernel_size: 3, stride: [1, 2], padding: same }', 'flatten']);
    expect(errors(src)).toEqual([`${pos(src, 'same')} E0403 conv2d_1: padding 'same' needs stride 1, but the stride is 1×2`]);
  });

  it('E0404 pool padding more than half the kernel', () => {
    const src = spec(['{ kind: maxpool2d, kernel_size: 3, padding: 2 }', 'flatten']);
    expect(errors(src)).toEqual([`${pos(src, 'padding: 2', '2')} E0404 maxpool2d_1: padding 2×2 is more than half the 3×3 kernel`]);
  });

  it('E0405 channels not divisible by groups: both input and output reported', () => {
    const src = spec(['{ kind: conv2d, out_channels: 10, kernel_size: 1, groups: 4 }', 'flatten'], { input: '[6, 4, 4]' });
    expect(errors(src)).toEqual([
      `${pos(src, 'groups: 4', '4')} E0405 conv2d_1: its 6 input channels are not divisible by groups 4`,
      `${pos(src, 'groups: 4', '4')} E0405 conv2d_1: out_channels 10 is not divisible by groups 4`,
    ]);
  });

  it('E0406 explicit in_channels, num_features and in_features that disagree name both numbers', () => {
    const conv = spec(['{ kind: conv2d, in_channels: 3, out_channels: 4, kernel_size: 3 }', 'flatten']);
    expect(errors(conv)).toEqual([`${pos(conv, 'in_channels: 3', '3')} E0406 conv2d_1: in_channels is 3, but its input has 1 channels`]);
    const bn = spec(['{ kind: batchnorm2d, num_features: 2 }', 'flatten']);
    expect(errors(bn)).toEqual([`${pos(bn, 'num_features: 2', '2')} E0406 batchnorm2d_1: num_features is 2, but its input has 1 channels`]);
    const fc = spec(['flatten', '{ kind: linear, name: fc1, in_features: 9216, out_features: 10 }']);
    expect(errors(fc)).toEqual([`${pos(fc, '9216')} E0406 fc1: in_features is 9216, but its input has 784 features`]);
  });

  it('E0407 a 2d layer after flatten points at its kind (or the bare word)', () => {
    const src = spec(['flatten', '{ kind: conv2d, out_channels: 4, kernel_size: 3 }', '{ kind: dropout2d, p: 0.5 }'], {});
    const { diagnostics } = lowerYaml(src);
    // Reported once: the layers after the first failing one have no known input.
    expect(brief(diagnostics)).toEqual([`${pos(src, 'conv2d')} E0407 conv2d_1: conv2d needs a [C, H, W] input, but its input is [784]`]);
    expect(diagnostics[0]!.hint).toBe('move `conv2d` before the `flatten`');
  });

  it('E0407 dropout2d on a flat input suggests dropout', () => {
    const { diagnostics } = lowerYaml(spec(['flatten', 'dropout2d']));
    expect(brief(diagnostics)).toEqual(['6:5 E0407 dropout2d_1: dropout2d needs a [C, H, W] input, but its input is [784]']);
    expect(diagnostics[0]!.hint).toMatch(/use `dropout`/);
  });

  it('E0408 linear needs a flat input; the hint says flatten and its size', () => {
    const src = spec(['{ kind: linear, out_features: 10 }']);
    const { diagnostics } = lowerYaml(src);
    expect(brief(diagnostics)).toEqual([`${pos(src, 'linear')} E0408 linear_1: linear needs a flat [features] input, but its input is [1, 28, 28]`]);
    expect(diagnostics[0]!.hint).toBe('add `- flatten` before it ([1, 28, 28] flattens to [784])');
  });

  it('softmax and log_softmax are not E0408: over [C, H, W] they work per pixel over the channels (dim 1), shape kept', () => {
    for (const kind of ['softmax', 'log_softmax']) {
      const { ir, diagnostics } = lowerYaml(spec(['{ kind: conv2d, out_channels: 3, kernel_size: 1 }', kind], { input: '[2, 4, 5]' }));
      expect(diagnostics.filter((d) => d.code === 'E0408')).toEqual([]);
      expect(ir?.nodes.at(-1)).toMatchObject({ kind, outShape: [3, 4, 5] });
    }
  });

  it('E0410 an input that is neither [C, H, W] nor [features]', () => {
    const src = spec(['flatten'], { input: '[64, 1, 28, 28]' });
    expect(errors(src)).toEqual([`${pos(src, '[64')} E0410 input shape [64, 1, 28, 28] has 4 dimensions; cnnc takes [C, H, W] or [features]`]);
  });

  it('reports every independent problem at once', () => {
    const src = spec(['{ kind: conv2d, name: a, out_channels: 3, kernel_size: 3, groups: 3 }', '{ kind: relu, name: a }', 'flatten'],
      { loss: '{ kind: nll, weight: [1, 2] }' });
    expect(errors(src).map((d) => d.split(' ')[1])).toEqual(['E0301', 'E0405']);
  });
});

describe('absurd sizes are refused with the figure (E0409)', () => {
  it('an activation too big at the batch size', () => {
    const src = spec(['{ kind: conv2d, name: conv1, out_channels: 100000000, kernel_size: 1 }', 'flatten']);
    expect(errors(src)).toEqual([`${pos(src, 'conv2d')} E0409 conv1 output [100000000, 28, 28] would have 5.0e12 elements at batch size 64 (limit 2.1e9)`]);
  });

  it('a weight tensor too big', () => {
    const src = spec(['flatten', '{ kind: linear, name: fc, out_features: 3000000 }']);
    expect(errors(src)).toEqual([`${pos(src, 'linear')} E0409 fc.weight would have 2.4e9 elements (limit 2.1e9)`]);
  });

  it('an input too big', () => {
    const src = spec(['flatten'], { input: '[3, 100000, 100000]' });
    expect(errors(src)).toEqual([`${pos(src, '[3, 1')} E0409 the input [3, 100000, 100000] would have 1.9e12 elements at batch size 64 (limit 2.1e9)`]);
  });

  it('training memory over 16 GiB at the batch size, pointing at batch_size', () => {
    // 4096·28·28 floats per sample, ×2 (value and gradient) ×4 bytes ×1024 samples ≈ 24.5 GiB.
    const src = spec(['{ kind: conv2d, out_channels: 4096, kernel_size: 1 }', 'flatten'], { tail: 'train: { batch_size: 512 }' });
    expect(errors(src)).toEqual([`${pos(src, '512')} E0409 one training step at batch size 512 would need 24.5 GiB (limit 16 GiB)`]);
  });
});

describe('loss fit (E05xx)', () => {
  it('E0501 labels of the data task that the loss cannot read, pointing at the task', () => {
    const src = spec(['flatten', '{ kind: linear, out_features: 11 }'], { tail: 'data: { source: mnist, task: segmentation }' });
    expect(errors(src)).toEqual([`${pos(src, 'segmentation')} E0501 data task segmentation gives a [28, 28] label map per image, 11 classes (10 and background), ` +
      'but the loss reads one class index per sample for the output [11]']);
  });

  it('E0502 class weights whose count is not the number of classes', () => {
    const src = spec(['flatten', '{ kind: linear, out_features: 10 }', 'log_softmax'], { loss: '{ kind: nll, weight: [1, 2, 3] }' });
    expect(errors(src)).toEqual([`${pos(src, '[1, 2, 3]')} E0502 loss weight has 3 class weights, but the model's output has 10 classes`]);
  });
});
