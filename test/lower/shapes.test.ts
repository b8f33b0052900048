// Shape inference against shapes worked out by hand with PyTorch's formula,
// out = floor((in + padTotal − dilation·(k − 1) − 1) / stride) + 1.
import { describe, expect, it } from 'vitest';
import { adaptiveAxis } from '../../compiler/4-passes/geometry.js';
import { lowerYaml, node, ok, shapes, spec as fullSpec } from './helpers.js';

/** A spec of these layers then `flatten`, so that cross_entropy fits; `shapes` leaves the flatten out. */
const spec = (layers: string[], o: { input?: string } = {}) => fullSpec([...layers, 'flatten'], o);
const imageShapes = (ir: Parameters<typeof shapes>[0]) => shapes(ir).slice(0, -1);

const conv = (attrs: string) => `{ kind: conv2d, name: c, out_channels: 4, ${attrs} }`;

describe('conv2d', () => {
  it('defaults: stride 1, padding 0, dilation 1, groups 1, bias', () => {
    const c = node(ok(spec([conv('kernel_size: 3')])), 'c', 'conv2d');
    expect(c.outShape).toEqual([4, 26, 26]);
    expect([c.stride, c.padding, c.dilation, c.groups, c.bias]).toEqual([
      [1, 1], { top: 0, bottom: 0, left: 0, right: 0 }, [1, 1], 1, true]);
  });

  it.each([
    // [input H×W, attributes, expected H, W]
    ['[1, 28, 28]', 'kernel_size: 3, stride: 2', 13, 13], // floor(25/2)+1
    ['[1, 27, 27]', 'kernel_size: 3, stride: 2', 13, 13], // floor(24/2)+1
    ['[1, 28, 28]', 'kernel_size: 3, stride: 2, padding: 1', 14, 14], // floor(27/2)+1
    ['[1, 10, 10]', 'kernel_size: 2, stride: 3', 3, 3], // floor(8/3)+1: the remainder is dropped
    ['[1, 28, 28]', 'kernel_size: 3, padding: [1, 2]', 28, 30],
    ['[1, 28, 28]', 'kernel_size: [3, 5], stride: [1, 2]', 26, 12], // floor(23/2)+1
    ['[1, 28, 28]', 'kernel_size: 3, dilation: 2', 24, 24], // spans 5
    ['[1, 28, 28]', 'kernel_size: 3, dilation: [3, 1], padding: valid', 22, 26],
    ['[1, 5, 5]', 'kernel_size: 5', 1, 1], // exactly fits
    ['[1, 28, 28]', 'kernel_size: 4, padding: same', 28, 28],
  ])('%s with %s → %i×%i', (input, attrs, h, w) => {
    expect(imageShapes(ok(spec([conv(attrs)], { input })))).toEqual([[4, h, w]]);
  });

  it.each([
    // PyTorch `same`: total dilation·(k−1), top/left total//2, bottom/right the rest.
    ['kernel_size: 3', { top: 1, bottom: 1, left: 1, right: 1 }],
    ['kernel_size: 4', { top: 1, bottom: 2, left: 1, right: 2 }],
    ['kernel_size: 2', { top: 0, bottom: 1, left: 0, right: 1 }],
    ['kernel_size: [2, 5]', { top: 0, bottom: 1, left: 2, right: 2 }],
    ['kernel_size: 4, dilation: 2', { top: 3, bottom: 3, left: 3, right: 3 }],
    ['kernel_size: 3, dilation: [1, 2]', { top: 1, bottom: 1, left: 2, right: 2 }],
  ])('padding same with %s', (attrs, padding) => {
    const c = node(ok(spec([conv(`${attrs}, padding: same`)], { input: '[1, 9, 8]' })), 'c', 'conv2d');
    expect(c.padding).toEqual(padding);
    expect(c.outShape).toEqual([4, 9, 8]);
  });

  it('groups: weight [out, in/groups, kh, kw], fanIn and MACs per group', () => {
    const c = node(ok(spec(['{ kind: conv2d, name: g, out_channels: 16, kernel_size: 3, groups: 4 }'], { input: '[8, 10, 10]' })), 'g', 'conv2d');
    expect(c.outShape).toEqual([16, 8, 8]);
    expect(c.params.map((p) => [p.name, p.shape, p.init])).toEqual([
      ['g.weight', [16, 2, 3, 3], { kind: 'kaiming_uniform', fanIn: 18 }],
      ['g.bias', [16], { kind: 'uniform', bound: 1 / Math.sqrt(18) }],
    ]);
    expect(c.paramCount).toBe(16 * 2 * 9 + 16);
    expect(c.macs).toBe(16 * 8 * 8 * 18);
  });

  it('depthwise (groups = channels), no bias', () => {
    const c = node(ok(spec(['{ kind: conv2d, name: d, out_channels: 8, kernel_size: 3, groups: 8, bias: false }'], { input: '[8, 6, 6]' })), 'd', 'conv2d');
    expect(c.params.map((p) => [p.name, p.shape])).toEqual([['d.weight', [8, 1, 3, 3]]]);
    expect(c.macs).toBe(8 * 4 * 4 * 9);
  });
});

describe('pooling', () => {
  it.each([
    ['{ kind: maxpool2d, kernel_size: 2 }', '[3, 26, 26]', [3, 13, 13]], // stride defaults to the kernel
    ['{ kind: maxpool2d, kernel_size: 3 }', '[3, 26, 26]', [3, 8, 8]], // floor(23/3)+1
    ['{ kind: maxpool2d, kernel_size: 2 }', '[3, 5, 5]', [3, 2, 2]], // floor, not ceil_mode
    ['{ kind: maxpool2d, kernel_size: 3, stride: 2, padding: 1 }', '[3, 7, 7]', [3, 4, 4]],
    ['{ kind: maxpool2d, kernel_size: [2, 4], stride: 1, padding: [1, 2] }', '[3, 7, 7]', [3, 8, 8]],
    ['{ kind: avgpool2d, kernel_size: 3, stride: 2, padding: 1 }', '[3, 14, 14]', [3, 7, 7]],
    ['{ kind: avgpool2d, kernel_size: 2, stride: [2, 1] }', '[3, 4, 4]', [3, 2, 3]],
    // ceil_mode, as torch 1.13 gives: rounds up where floor drops a partial window ...
    ['{ kind: maxpool2d, kernel_size: 2, ceil_mode: true }', '[3, 5, 5]', [3, 3, 3]],
    ['{ kind: maxpool2d, kernel_size: 3, stride: 2, ceil_mode: true }', '[3, 54, 54]', [3, 27, 27]], // squeezenet's pool on 54 (floor: 26)
    ['{ kind: maxpool2d, kernel_size: 3, stride: 2, ceil_mode: true }', '[3, 55, 13]', [3, 27, 6]], // (55 − 3)/2 and (13 − 3)/2 whole: as floor
    ['{ kind: avgpool2d, kernel_size: 3, stride: 2, padding: 1, ceil_mode: true }', '[3, 6, 7]', [3, 4, 4]], // floor: [3, 3, 4]
    // ... but the last window must start inside the input or the left padding: 7 with 2×2 stride 2 padding 1
    // would be ceil(7/2) + 1 = 5, whose 5th window starts at 8 − 1 = 7, in the right padding: 4
    ['{ kind: maxpool2d, kernel_size: 2, stride: 2, padding: 1, ceil_mode: true }', '[3, 7, 6]', [3, 4, 4]],
    ['{ kind: avgpool2d, kernel_size: 3, stride: 3, padding: 1, ceil_mode: true }', '[3, 5, 8]', [3, 2, 3]],
  ])('%s on %s', (layer, input, out) => {
    expect(imageShapes(ok(spec([layer], { input })))).toEqual([out]);
  });

  it('pool stride defaults to the kernel, padding to 0; avgpool counts padding by default', () => {
    const ir = ok(spec(['{ kind: maxpool2d, kernel_size: [2, 3] }', '{ kind: avgpool2d, kernel_size: 1 }',
      '{ kind: avgpool2d, kernel_size: 1, count_include_pad: false }'], { input: '[1, 8, 9]' }));
    const mp = node(ir, 'maxpool2d_1', 'maxpool2d');
    expect([mp.stride, mp.padding, mp.outShape]).toEqual([[2, 3], [0, 0], [1, 4, 3]]);
    expect(node(ir, 'avgpool2d_1', 'avgpool2d').countIncludePad).toBe(true);
    expect(node(ir, 'avgpool2d_2', 'avgpool2d').countIncludePad).toBe(false);
    expect([mp.ceilMode, node(ir, 'avgpool2d_1', 'avgpool2d').ceilMode]).toEqual([false, false]);
  });
});

describe('adaptive pooling', () => {
  it.each([
    ['{ kind: adaptive_avgpool2d, output_size: [7, 7] }', '[3, 13, 13]', [3, 7, 7]], // vgg's head on a small input
    ['{ kind: adaptive_maxpool2d, output_size: [6, 2] }', '[3, 4, 9]', [3, 6, 2]], // larger than its input, and smaller
    ['{ kind: adaptive_avgpool2d, output_size: 1 }', '[3, 5, 8]', [3, 1, 1]], // one number: square
  ])('%s on %s', (layer, input, out) => {
    expect(imageShapes(ok(spec([layer], { input })))).toEqual([out]);
  });

  // The windows torch 1.13 pools, read off adaptive_max_pool2d of an index ramp (max: end − 1, of the
  // negated ramp: start): 13 → 5 overlaps windows of 3 and 4; 4 → 6 reads inputs twice.
  it.each([
    [13, 5, [0, 2, 5, 7, 10], [3, 6, 8, 11, 13]],
    [4, 6, [0, 0, 1, 2, 2, 3], [1, 2, 2, 3, 4, 4]],
    [7, 3, [0, 2, 4], [3, 5, 7]],
    [5, 5, [0, 1, 2, 3, 4], [1, 2, 3, 4, 5]],
  ])('%i → %i: the windows start and end where PyTorch\'s do', (inSize, outSize, start, end) => {
    expect(adaptiveAxis(inSize, outSize)).toEqual({ inSize, outSize, start, end });
  });

  it('E0407 on a flat input', () => {
    const r = lowerYaml(fullSpec(['flatten', '{ kind: adaptive_avgpool2d, output_size: 2 }', 'flatten']));
    expect(r.diagnostics.map((d) => [d.code, d.message])).toContainEqual(['E0407', 'adaptive_avgpool2d_1: adaptive_avgpool2d needs a [C, H, W] input, but its input is [784]']);
  });
});

describe('flatten, linear, batchnorm', () => {
  it('flatten is C·H·W and linear infers in_features from it', () => {
    const ir = ok(fullSpec(['{ kind: conv2d, out_channels: 6, kernel_size: 5 }', 'flatten', '{ kind: linear, name: fc, out_features: 10 }', 'flatten']));
    expect(shapes(ir)).toEqual([[6, 24, 24], [3456], [10], [10]]);
    const fc = node(ir, 'fc', 'linear');
    expect([fc.inFeatures, fc.macs, fc.paramCount]).toEqual([3456, 34560, 34570]);
    expect(fc.params.map((p) => [p.name, p.shape, p.init])).toEqual([
      ['fc.weight', [10, 3456], { kind: 'kaiming_uniform', fanIn: 3456 }],
      ['fc.bias', [10], { kind: 'uniform', bound: 1 / Math.sqrt(3456) }],
    ]);
  });

  it('batchnorm2d: PyTorch state_dict entries; running stats are buffers', () => {
    const bn = node(ok(spec(['{ kind: batchnorm2d, name: bn }'], { input: '[5, 4, 4]' })), 'bn', 'batchnorm2d');
    expect(bn.params.map((p) => [p.name, p.shape, p.trainable, p.init.kind])).toEqual([
      ['bn.weight', [5], true, 'ones'],
      ['bn.bias', [5], true, 'zeros'],
      ['bn.running_mean', [5], false, 'zeros'],
      ['bn.running_var', [5], false, 'ones'],
      ['bn.num_batches_tracked', [], false, 'zeros'],
    ]);
    expect([bn.numFeatures, bn.eps, bn.momentum, bn.affine, bn.paramCount, bn.macs]).toEqual([5, 1e-5, 0.1, true, 10, 0]);
  });

  it('batchnorm2d affine: false has only buffers', () => {
    const ir = ok(spec(['{ kind: batchnorm2d, affine: false, eps: 0.001, momentum: 0.5 }'], { input: '[5, 4, 4]' }));
    const bn = node(ir, 'batchnorm2d_1', 'batchnorm2d');
    expect(bn.params.map((p) => p.name)).toEqual(['batchnorm2d_1.running_mean', 'batchnorm2d_1.running_var', 'batchnorm2d_1.num_batches_tracked']);
    expect([bn.eps, bn.momentum, bn.paramCount, ir.totals.params, ir.totals.buffers]).toEqual([0.001, 0.5, 0, 0, 11]);
  });
});

it('specs/conv-features.yaml has the shapes its comments state', async () => {
  const { readFileSync } = await import('node:fs');
  const ir = ok(readFileSync(new URL('../../specs/conv-features.yaml', import.meta.url), 'utf8'));
  expect(shapes(ir)).toEqual([[8, 28, 28], [8, 28, 28], [8, 28, 28], [16, 14, 14], [16, 14, 14], [16, 14, 14],
    [16, 14, 14], [16, 7, 7], [16, 7, 7], [16, 8, 6], [16, 8, 6], [768], [32], [32], [32], [10]]);
  expect(node(ir, 'depthwise', 'conv2d').padding).toEqual({ top: 0, bottom: 1, left: 0, right: 1 });
  expect(ir.loss.terms[0]).toMatchObject({ kind: 'cross_entropy', labelSmoothing: 0.1 });
  expect(ir.optimizer).toMatchObject({ kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.0005 });
});
