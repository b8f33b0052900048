// `init:` on a layer with parameters: each torch.nn.init rule resolved against the parameter's shape into the
// IR's literal rule (fans as torch's _calculate_fan_in_and_fan_out, grouped and transposed convs included), a
// rule that draws as the default leaves the parameter untouched, and every rule that cannot apply is an error at
// the rule's line:col. (The doubles against PyTorch's own: test/reference/init-torch.test.ts.)
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { brief, lowerYaml, ok, pos, spec } from './helpers.js';

const params = (src: string) => Object.fromEntries(ok(src).nodes.flatMap((n) => n.params.map((p) => [p.name, { init: p.init, from: p.initFrom }])));
const errors = (src: string) => {
  const { ir, diagnostics } = lowerYaml(src);
  expect(ir).toBeNull();
  return brief(diagnostics);
};

describe('init: resolved into literal rules', () => {
  it('Keras glorot_uniform + zeros on a conv2d: U(±√(6/(fan_in + fan_out))), fan_in 1·9, fan_out 4·9', () => {
    const p = params(spec(['{ kind: conv2d, name: c, out_channels: 4, kernel_size: 3, init: { weight: xavier_uniform, bias: zeros } }', 'flatten'], { input: '[1, 6, 6]' }));
    expect(p['c.weight']).toEqual({ init: { kind: 'uniform', bound: Math.sqrt(3.0) * (1 * Math.sqrt(2.0 / (9 + 36))) }, from: 'xavier_uniform_(gain=1)' });
    expect(p['c.bias']).toEqual({ init: { kind: 'zeros' }, from: 'zeros_()' });
  });

  it('kaiming_normal fan_out relu on a grouped conv: the fans read the weight [out, in/groups, kh, kw]', () => {
    // weight [8, 2, 3, 3] (4 input channels, groups 2): fan_in 2·9 = 18, fan_out 8·9 = 72.
    const p = params(spec(['{ kind: conv2d, name: g, out_channels: 8, kernel_size: 3, groups: 2, init: { weight: { kind: kaiming_normal, mode: fan_out, nonlinearity: relu } } }', 'flatten'], { input: '[4, 6, 6]' }));
    expect(p['g.weight']!.init).toEqual({ kind: 'normal', mean: 0, std: Math.sqrt(2.0) / Math.sqrt(72) });
    expect(p['g.weight']!.from).toBe("kaiming_normal_(a=0, mode='fan_out', nonlinearity='relu')");
    expect(p['g.bias']!.from).toBeUndefined(); // not named: PyTorch's default stays
  });

  it('conv_transpose2d: weight [in, out/groups, kh, kw], so fan_in is out/groups·kh·kw as in torch', () => {
    const p = params(spec(['{ kind: conv_transpose2d, name: up, out_channels: 6, kernel_size: 2, stride: 2, init: { weight: { kind: kaiming_uniform, a: 0.2 } } }', 'flatten'], { input: '[3, 4, 4]' }));
    const gain = Math.sqrt(2.0 / (1 + 0.2 ** 2));
    expect(p['up.weight']!.init).toEqual({ kind: 'uniform', bound: Math.sqrt(3.0) * (gain / Math.sqrt(6 * 4)) });
  });

  it('linear: orthogonal with a calculate_gain word, normal, uniform, trunc_normal, constant', () => {
    const p = params(spec(['flatten', '{ kind: linear, name: fc, out_features: 5, init: { weight: { kind: orthogonal, gain: tanh }, bias: { kind: constant, val: 0.1 } } }',
      '{ kind: linear, name: fc2, out_features: 3, init: { weight: { kind: normal, std: 0.01 }, bias: { kind: uniform, a: -0.5, b: 0.25 } } }',
      '{ kind: linear, name: fc3, out_features: 2, init: { weight: { kind: trunc_normal, std: 0.02 } } }'], { input: '[12]' }));
    expect(p['fc.weight']!.init).toEqual({ kind: 'orthogonal', rows: 5, cols: 12, gain: 5.0 / 3 });
    expect(p['fc.bias']!.init).toEqual({ kind: 'constant', val: 0.1 });
    expect(p['fc2.weight']!.init).toEqual({ kind: 'normal', mean: 0, std: 0.01 });
    expect(p['fc2.bias']!.init).toEqual({ kind: 'uniform_range', a: -0.5, b: 0.25 });
    expect(p['fc3.weight']).toEqual({ init: { kind: 'trunc_normal', mean: 0, std: 0.02, a: -2, b: 2 }, from: 'trunc_normal_(mean=0, std=0.02, a=-2, b=2)' });
  });

  it('batchnorm2d: zero gamma (the ResNet trick) changes the weight; `bias: zeros` is the default and changes nothing', () => {
    const p = params(spec(['{ kind: conv2d, out_channels: 2, kernel_size: 3, bias: false }', '{ kind: batchnorm2d, name: bn, init: { weight: zeros, bias: zeros } }', 'flatten'], { input: '[1, 5, 5]' }));
    expect(p['bn.weight']).toEqual({ init: { kind: 'zeros' }, from: 'zeros_()' });
    expect(p['bn.bias']).toEqual({ init: { kind: 'zeros' } });
  });

  it("a rule that draws as PyTorch's default (kaiming_uniform a=√5; U(−b, b) for a linear bias) leaves the IR as without init", () => {
    const plain = ok(spec(['flatten', '{ kind: linear, name: fc, out_features: 4 }'], { input: '[16]' }));
    const same = ok(spec(['flatten', `{ kind: linear, name: fc, out_features: 4, init: { weight: { kind: kaiming_uniform, a: ${Math.sqrt(5)} }, bias: { kind: uniform, a: -0.25, b: 0.25 } } }`], { input: '[16]' }));
    expect(same.nodes[1]!.params).toEqual(plain.nodes[1]!.params);
  });
});

describe('init: errors at the rule', () => {
  const layer = (attrs: string) => spec(['flatten', `{ kind: linear, name: fc, out_features: 4${attrs} }`], { input: '[8]' });

  it('E0414 a fan-based rule or orthogonal on a 1-D bias, with what PyTorch says', () => {
    const src = layer(', init: { bias: xavier_uniform }');
    expect(errors(src)).toEqual([`${pos(src, 'xavier_uniform')} E0414 fc: xavier_uniform does not apply to fc.bias, which is [4] (PyTorch: "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")`]);
    const orth = spec(['{ kind: conv2d, out_channels: 2, kernel_size: 3, bias: false }', '{ kind: batchnorm2d, name: bn, init: { weight: { kind: orthogonal } } }', 'flatten'], { input: '[1, 5, 5]' });
    expect(errors(orth)).toEqual([`${pos(orth, '{ kind: orthogonal }')} E0414 bn: orthogonal does not apply to bn.weight, which is [2] (PyTorch: "Only tensors with 2 or more dimensions are supported")`]);
    const kaiming = layer(', init: { bias: { kind: kaiming_normal } }');
    expect(errors(kaiming)[0]).toMatch(/E0414 fc: kaiming_normal does not apply to fc.bias/);
  });

  it('E0414 init.bias on a layer with bias: false, init.weight on a batchnorm with affine: false', () => {
    const src = layer(', bias: false, init: { weight: zeros, bias: zeros }');
    expect(errors(src)).toEqual([`${pos(src, 'zeros }', 'zeros')} E0414 fc has no bias (bias: false), so \`init.bias\` has nothing to initialize`]);
    const bn = spec(['{ kind: conv2d, out_channels: 2, kernel_size: 3 }', '{ kind: batchnorm2d, name: bn, affine: false, init: { weight: ones } }', 'flatten'], { input: '[1, 5, 5]' });
    expect(errors(bn)).toEqual([`${pos(bn, 'ones')} E0414 bn has no weight (affine: false), so \`init.weight\` has nothing to initialize`]);
  });

  it('E0415 uniform with a ≥ b, at the argument; trunc_normal whose [a, b] misses the distribution', () => {
    const src = layer(', init: { weight: { kind: uniform, a: 1, b: 0 } }');
    expect(errors(src)).toEqual([`${pos(src, 'a: 1', '1')} E0415 fc: uniform's a (1) must be below its b (0)`]);
    const equal = lowerYaml(layer(', init: { weight: { kind: uniform, a: 0.5, b: 0.5 } }')).diagnostics[0]!;
    expect(equal.hint).toBe('for the constant 0.5, write `{ kind: constant, val: 0.5 }`');
    const far = layer(', init: { weight: { kind: trunc_normal, mean: 5, std: 0.1 } }');
    expect(errors(far)).toEqual([`${pos(far, 'mean: 5', '5')} E0415 fc: trunc_normal's [-2, 2] holds almost none of N(5, 0.1²) (less than 0.001)`]);
  });
});

describe('init: schema errors (2-validate)', () => {
  const layer = (attrs: string) => spec(['flatten', `{ kind: linear, name: fc, out_features: 4${attrs} }`], { input: '[8]' });
  const diags = (src: string) => checkSource(src, 'a.yaml').diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message} | ${d.hint ?? ''}`);

  it('an unknown rule, bare or as a kind, says "did you mean", a Keras name its torch rule; constant alone asks for its val', () => {
    const bare = layer(', init: { weight: xavier_unifrom }');
    expect(diags(bare)).toEqual([`${pos(bare, 'xavier_unifrom')} E0202 unknown init rule \`xavier_unifrom\` | did you mean \`xavier_uniform\`?`]);
    const kind = layer(', init: { weight: { kind: xavier_normall } }');
    expect(diags(kind)).toEqual([`${pos(kind, 'xavier_normall')} E0202 unknown init rule \`xavier_normall\` | did you mean \`xavier_normal\`?`]);
    const keras = layer(', init: { weight: he_normal }');
    expect(diags(keras)).toEqual([`${pos(keras, 'he_normal')} E0202 unknown init rule \`he_normal\` | Keras's he_normal is torch's \`{ kind: kaiming_normal, nonlinearity: relu }\` (the same variance; Keras truncates at 2σ)`]);
    const constant = layer(', init: { bias: constant }');
    expect(diags(constant)).toEqual([`${pos(constant, 'constant')} E0204 the init rule constant needs \`val\`, so it cannot be a bare word | write it as \`{ kind: constant, val: 0.1 }\``]);
  });

  it('bad arguments: a negative std, an unknown nonlinearity, init on a layer without parameters', () => {
    const std = layer(', init: { weight: { kind: normal, std: -1 } }');
    expect(diags(std)).toEqual([`${pos(std, '-1')} E0205 \`std\` must be ≥ 0, got -1 | `]);
    expect(diags(layer(', init: { weight: { kind: kaiming_uniform, nonlinearity: rellu } }'))[0]).toMatch(/E0207 `nonlinearity` must be .* got `rellu` \| did you mean `relu`\?/);
    const relu = checkSource(spec(['{ kind: relu, init: { weight: zeros } }', 'flatten'], { input: '[8]' }), 'a.yaml').diagnostics;
    expect(relu.map((d) => `${d.code} ${d.message}`)).toEqual(['E0201 unknown key `init` in this relu layer']);
  });
});
