// Graphs in 3-lower: what each layer reads, the shapes of add and concat, the new layers' shape rules
// (against PyTorch's formulas, worked out by hand), and every graph diagnostic with its position.
import { describe, expect, it } from 'vitest';
import { brief, lowerYaml, node, ok, pos, spec } from './helpers.js';

const errors = (source: string): string[] => {
  const { ir, diagnostics } = lowerYaml(source);
  expect(ir).toBeNull();
  return brief(diagnostics);
};
const head = ['flatten', '{ kind: linear, out_features: 10 }'];

describe('inputs', () => {
  it('a layer without inputs reads the previous one; `inputs` names earlier layers or `input`', () => {
    const ir = ok(spec([
      '{ kind: conv2d, name: c1, out_channels: 4, kernel_size: 3, padding: 1 }',
      '{ kind: relu, name: r1 }',
      '{ kind: conv2d, name: c2, out_channels: 4, kernel_size: 3, padding: 1 }',
      '{ kind: add, name: skip, inputs: [c2, r1] }',
      '{ kind: concat, name: cat, inputs: [skip, input, c1] }',
      ...head,
    ]));
    expect(ir.nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['c1', ['input']], ['r1', ['c1']], ['c2', ['r1']], ['skip', ['c2', 'r1']], ['cat', ['skip', 'input', 'c1']],
      ['flatten_1', ['cat']], ['linear_1', ['flatten_1']],
    ]);
    expect(node(ir, 'skip', 'add').outShape).toEqual([4, 28, 28]);
    const cat = node(ir, 'cat', 'concat');
    expect([cat.inShapes, cat.outShape]).toEqual([[[4, 28, 28], [1, 28, 28], [4, 28, 28]], [9, 28, 28]]);
    expect(ir.output).toBe('linear_1');
  });

  it('concat joins flat features too, and add accepts three inputs', () => {
    const ir = ok(spec([
      'flatten',
      '{ kind: linear, name: a, out_features: 5 }',
      '{ kind: linear, name: b, out_features: 3, inputs: [flatten_1] }',
      '{ kind: concat, name: ab, inputs: [a, b] }',
      '{ kind: linear, name: c, out_features: 8, inputs: [flatten_1] }',
      '{ kind: add, name: abc, inputs: [ab, c, ab] }',
    ]));
    expect(node(ir, 'ab', 'concat').outShape).toEqual([8]);
    expect(node(ir, 'abc', 'add').outShape).toEqual([8]);
  });

  it('E0304 an unknown name, with the nearest earlier layer as the hint', () => {
    const src = spec(['{ kind: conv2d, name: block1, out_channels: 1, kernel_size: 1 }', '{ kind: add, inputs: [block1, blok1] }', ...head]);
    const { diagnostics } = lowerYaml(src);
    expect(brief(diagnostics)).toEqual([`${pos(src, 'blok1')} E0304 add_1: no layer is named \`blok1\``]);
    expect(diagnostics[0]!.hint).toBe('did you mean `block1`?');
  });

  it('E0304 without a near name lists what can be read', () => {
    const src = spec(['{ kind: relu, name: r }', '{ kind: add, inputs: [r, zzz] }', ...head]);
    expect(lowerYaml(src).diagnostics[0]!.hint).toBe('a layer reads `input` or an earlier layer: `input`, `r`');
  });

  it('E0305 a later layer, or itself: no cycle can be written', () => {
    const src = spec(['{ kind: relu, name: a, inputs: [b] }', '{ kind: relu, name: b, inputs: [b] }', ...head]);
    expect(errors(src)).toEqual([
      `${pos(src, '[b]', 'b')} E0305 a reads \`b\`, which comes later (line 6)`,
      `${pos(src, '[b]', 'b', 1)} E0305 b reads itself`,
    ]);
  });

  it('E0306 an output nobody reads (only the last layer is the model output)', () => {
    const src = spec(['{ kind: conv2d, name: side, out_channels: 2, kernel_size: 1 }', '{ kind: relu, inputs: [input] }', ...head]);
    expect(errors(src)).toEqual([`${pos(src, 'conv2d')} E0306 the output of side is never used: no later layer reads it, and the model output is the last layer`]);
  });

  it('E0411 add names both layers and both shapes, at the input that differs', () => {
    const src = spec(['{ kind: conv2d, name: c, out_channels: 4, kernel_size: 3 }', '{ kind: add, inputs: [c, input] }', ...head]);
    expect(errors(src)).toEqual([`${pos(src, 'c, input', 'input')} E0411 add_1: cannot add \`c\` [4, 26, 26] and \`input\` [1, 28, 28]: add needs equal shapes`]);
  });

  it('E0411 concat: sizes, or ranks, that differ', () => {
    const src = spec(['{ kind: maxpool2d, name: p, kernel_size: 2 }', '{ kind: concat, inputs: [p, input] }', ...head]);
    expect(errors(src)).toEqual([`${pos(src, 'p, input', 'input')} E0411 concat_1: cannot concat \`p\` [1, 14, 14] and \`input\` [1, 28, 28] along the channels: their sizes differ (14×14 vs 28×28)`]);
    const rank = spec(['{ kind: flatten, name: f }', '{ kind: concat, inputs: [f, input] }', '{ kind: linear, out_features: 10 }']);
    expect(errors(rank)[0]).toContain('they have different ranks');
  });

  it('a layer after a failed one is skipped only when it reads it', () => {
    const src = spec([
      '{ kind: conv2d, name: bad, out_channels: 4, kernel_size: 40 }',
      '{ kind: conv2d, name: good, out_channels: 4, kernel_size: 50, inputs: [input] }',
      '{ kind: add, inputs: [bad, good] }',
      ...head,
    ]);
    expect(errors(src).map((e) => e.split(' ')[1])).toEqual(['E0401', 'E0401']);
  });
});

describe('conv_transpose2d', () => {
  const t = (attrs: string, input = '[2, 7, 7]') =>
    node(ok(spec([`{ kind: conv_transpose2d, name: t, out_channels: 4, ${attrs} }`, ...head], { input })), 't', 'conv_transpose2d');

  it.each([
    // out = (in − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1
    ['kernel_size: 2, stride: 2', 14, 14],
    ['kernel_size: 3, stride: 2, padding: 1', 13, 13],
    ['kernel_size: 3, stride: 2, padding: 1, output_padding: 1', 14, 14],
    ['kernel_size: 3', 9, 9],
    ['kernel_size: 3, dilation: 2', 11, 11], // 6 + 4 + 1
    ['kernel_size: [3, 1], stride: [1, 3], padding: [1, 0], output_padding: [0, 2]', 7, 21], // w: 18 + 0 + 2 + 1
    ['kernel_size: 2, stride: 1, dilation: 3, output_padding: 2', 12, 12], // 6 + 3 + 2 + 1: output_padding < dilation is allowed
  ])('%s on 7×7 → %i×%i', (attrs, h, w) => {
    expect(t(attrs).outShape).toEqual([4, h, w]);
  });

  it('weight [in, out/groups, kh, kw], bias [out], fan_in from weight dim 1 (torch._calculate_fan_in_and_fan_out)', () => {
    const n = t('kernel_size: 3, groups: 2', '[6, 5, 5]');
    expect(n.params.map((p) => [p.name, p.shape, p.init])).toEqual([
      ['t.weight', [6, 2, 3, 3], { kind: 'kaiming_uniform', fanIn: 18 }],
      ['t.bias', [4], { kind: 'uniform', bound: 1 / Math.sqrt(18) }],
    ]);
    expect(n.macs).toBe(6 * 25 * 18);
  });

  it('E0412 output_padding not smaller than stride or dilation; E0413 an output below 1×1; E0405 groups', () => {
    const src = spec(['{ kind: conv_transpose2d, out_channels: 4, kernel_size: 2, stride: 2, output_padding: [1, 2] }', ...head]);
    expect(errors(src)).toEqual([`${pos(src, '[1, 2]')} E0412 conv_transpose2d_1: output_padding 1×2 must be smaller than the stride 2×2 or the dilation 1×1`]);
    const tiny = spec(['{ kind: conv_transpose2d, out_channels: 4, kernel_size: 1, padding: 1 }', ...head], { input: '[1, 2, 2]' });
    expect(errors(tiny)).toEqual([`${pos(tiny, 'padding: 1', '1')} E0413 conv_transpose2d_1: the output would be 0×0: padding 1×1 removes more than the 2×2 input grows to`]);
    const groups = spec(['{ kind: conv_transpose2d, out_channels: 3, kernel_size: 1, groups: 2 }', ...head], { input: '[2, 4, 4]' });
    expect(errors(groups)).toEqual([`${pos(groups, 'groups: 2', '2')} E0405 conv_transpose2d_1: out_channels 3 is not divisible by groups 2`]);
  });
});

describe('upsample and global_avgpool2d', () => {
  const up = (attrs: string, input = '[3, 7, 5]') => node(ok(spec([`{ kind: upsample, name: u, ${attrs} }`, ...head], { input })), 'u', 'upsample');

  it.each([
    ['scale_factor: 2', [3, 14, 10]],
    ['scale_factor: 1.5', [3, 10, 7]], // floor(10.5), floor(7.5)
    ['scale_factor: [2, 0.5]', [3, 14, 2]],
    ['size: 9', [3, 9, 9]],
    ['size: [4, 11], mode: bilinear', [3, 4, 11]],
  ])('%s on [3, 7, 5] → %j', (attrs, shape) => {
    expect(up(attrs).outShape).toEqual(shape);
  });

  it('defaults: mode nearest, align_corners false; the scale_factor is kept (it sets the source scale)', () => {
    expect([up('scale_factor: 1.5').mode, up('scale_factor: 1.5').alignCorners, up('scale_factor: 1.5').scaleFactor, up('size: 4').scaleFactor])
      .toEqual(['nearest', false, [1.5, 1.5], null]);
  });

  it('E0210 size and scale_factor together, align_corners with nearest; E0204 neither; E0413 to nothing', () => {
    const both = spec(['{ kind: upsample, size: 4, scale_factor: 2 }', ...head]);
    expect(errors(both)).toEqual([`${pos(both, 'scale_factor: 2', '2')} E0210 upsample_1: give either size or scale_factor, not both`]);
    const ac = spec(['{ kind: upsample, scale_factor: 2, align_corners: false }', ...head]);
    expect(errors(ac)).toEqual([`${pos(ac, 'false')} E0210 upsample_1: align_corners applies to mode bilinear only`]);
    const none = spec(['{ kind: upsample, mode: bilinear }', ...head]);
    expect(errors(none)).toEqual([`${pos(none, 'upsample')} E0204 upsample_1: upsample needs \`size\` or \`scale_factor\``]);
    const zero = spec(['{ kind: upsample, scale_factor: 0.01 }', ...head]);
    expect(errors(zero)).toEqual([`${pos(zero, '0.01')} E0413 upsample_1: scale_factor 0.01×0.01 makes the 28×28 input 0×0`]);
  });

  it('global_avgpool2d keeps PyTorch\'s [C, 1, 1] (AdaptiveAvgPool2d(1) does not flatten)', () => {
    const ir = ok(spec(['{ kind: conv2d, out_channels: 6, kernel_size: 3 }', 'global_avgpool2d', ...head]));
    expect(node(ir, 'global_avgpool2d_1', 'global_avgpool2d').outShape).toEqual([6, 1, 1]);
    expect(node(ir, 'linear_1', 'linear').inFeatures).toBe(6);
  });
});

describe('lints follow the graph', () => {
  const warnings = (source: string): string[] => {
    const { ir, diagnostics, warnings: w } = lowerYaml(source);
    expect(brief(diagnostics)).toEqual([]);
    expect(ir).not.toBeNull();
    return brief(w);
  };

  it('W0605 relu after a join of non-negative inputs, and not when one input may be negative', () => {
    const pos2 = spec([
      '{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 1 }',
      '{ kind: relu, name: a }',
      '{ kind: sigmoid, name: b, inputs: [c1] }',
      '{ kind: add, name: ab, inputs: [a, b] }',
      '{ kind: relu, name: r }',
      ...head,
    ]);
    expect(warnings(pos2)).toEqual([`${pos(pos2, 'relu, name: r', 'relu')} W0605 r does nothing: its input is never negative (a is a relu)`]);
    const mixed = spec([
      '{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 1 }',
      '{ kind: relu, name: a }',
      '{ kind: add, name: ab, inputs: [a, c1] }',
      '{ kind: relu, name: r }',
      ...head,
    ]);
    expect(warnings(mixed)).toEqual([]);
  });

  it('W0608 follows `inputs` to the conv, and stays quiet when the conv is read elsewhere too', () => {
    const src = spec([
      '{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 1 }',
      '{ kind: relu, name: r }',
      '{ kind: batchnorm2d, name: bn, inputs: [c1] }',
      '{ kind: add, inputs: [bn, r] }',
      ...head,
    ]);
    expect(warnings(src)).toEqual([]);
    const lone = spec([
      '{ kind: conv_transpose2d, name: t, out_channels: 2, kernel_size: 2, stride: 2 }',
      '{ kind: relu, name: r, inputs: [input] }',
      '{ kind: batchnorm2d, name: bn, inputs: [t] }',
      '{ kind: upsample, name: u, scale_factor: 2, inputs: [r] }',
      '{ kind: concat, inputs: [bn, u] }',
      ...head,
    ]);
    expect(warnings(lone)).toEqual([`${pos(lone, 'conv_transpose2d')} W0608 t's bias is cancelled by bn, which subtracts each channel's mean`]);
  });
});
