// Blocks and sequential containers (3-lower/blocks.ts): what they expand to, the PyTorch names they give, and a
// positioned error for each way an instance can be wrong. Through checkSource, so the schema's part is in too.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { formatSummary, summarize } from '../../compiler/3-lower/summary.js';

const HEAD = 'cnnc: 1\nname: T\ninput: { shape: [3, 8, 8] }\n';
const TAIL = 'loss: { kind: cross_entropy }\noptimizer: { kind: sgd, lr: 0.1 }\n';

const BLOCK = `blocks:
  Basic:
    args: { planes: integer, stride: { type: integer, default: 1 }, downsample: { type: boolean, default: false } }
    layers:
      - { kind: conv2d, name: conv1, out_channels: $planes, kernel_size: 3, stride: $stride, padding: 1, bias: false }
      - { kind: batchnorm2d, name: bn1 }
      - relu
      - kind: sequential
        name: downsample
        when: $downsample
        inputs: [input]
        layers: [{ kind: conv2d, out_channels: $planes, kernel_size: 1, stride: $stride, bias: false }, batchnorm2d]
      - { kind: add, inputs: [relu_1, downsample] }
`;

function check(body: string) {
  const { ir, diagnostics } = checkSource(HEAD + body + TAIL, 'model.yaml');
  return { ir, errors: diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.code} ${d.message}${d.hint ? ` — ${d.hint}` : ''}`) };
}

describe('a block instance expands to its layers, with PyTorch\'s dotted names', () => {
  const { ir, errors } = check(`${BLOCK}layers:
  - { block: Basic, name: layer1, repeat: 2, args: { planes: 4 }, first: { stride: 2, downsample: true } }
  - flatten
  - { kind: linear, name: fc, out_features: 3 }
`);

  it('names every parameter as torchvision\'s _make_layer does: layer1.0.conv1.weight, layer1.0.downsample.0.weight', () => {
    expect(errors).toEqual([]);
    expect(ir!.nodes.flatMap((n) => n.params.map((p) => p.name))).toEqual([
      'layer1.0.conv1.weight', 'layer1.0.bn1.weight', 'layer1.0.bn1.bias', 'layer1.0.bn1.running_mean', 'layer1.0.bn1.running_var', 'layer1.0.bn1.num_batches_tracked',
      'layer1.0.downsample.0.weight', 'layer1.0.downsample.1.weight', 'layer1.0.downsample.1.bias', 'layer1.0.downsample.1.running_mean', 'layer1.0.downsample.1.running_var', 'layer1.0.downsample.1.num_batches_tracked',
      'layer1.1.conv1.weight', 'layer1.1.bn1.weight', 'layer1.1.bn1.bias', 'layer1.1.bn1.running_mean', 'layer1.1.bn1.running_var', 'layer1.1.bn1.num_batches_tracked',
      'fc.weight', 'fc.bias',
    ]);
  });

  it('gives each layer an identifier (the path with _) and its module path; `first` applies to the first repeat only', () => {
    expect(ir!.nodes.map((n) => [n.name, n.module ?? null, n.outShape.join('×')])).toEqual([
      ['layer1_0_conv1', 'layer1.0.conv1', '4×4×4'], ['layer1_0_bn1', 'layer1.0.bn1', '4×4×4'], ['layer1_0_relu_1', 'layer1.0.relu_1', '4×4×4'],
      ['layer1_0_downsample_0', 'layer1.0.downsample.0', '4×4×4'], ['layer1_0_downsample_1', 'layer1.0.downsample.1', '4×4×4'], ['layer1_0_add_1', 'layer1.0.add_1', '4×4×4'],
      ['layer1_1_conv1', 'layer1.1.conv1', '4×4×4'], ['layer1_1_bn1', 'layer1.1.bn1', '4×4×4'], ['layer1_1_relu_1', 'layer1.1.relu_1', '4×4×4'],
      ['layer1_1_add_1', 'layer1.1.add_1', '4×4×4'], ['flatten_1', null, '64'], ['fc', null, '3'],
    ]);
  });

  it('wires `input` to what the instance reads, and an absent layer (when: false) to its first input', () => {
    const inputs = Object.fromEntries(ir!.nodes.map((n) => [n.name, n.inputs]));
    expect(inputs['layer1_0_conv1']).toEqual(['input']);
    expect(inputs['layer1_0_downsample_0']).toEqual(['input']);
    expect(inputs['layer1_0_add_1']).toEqual(['layer1_0_relu_1', 'layer1_0_downsample_1']);
    expect(inputs['layer1_1_conv1']).toEqual(['layer1_0_add_1']);
    expect(inputs['layer1_1_add_1']).toEqual(['layer1_1_relu_1', 'layer1_0_add_1']); // no downsample: the block's input
    expect(inputs['flatten_1']).toEqual(['layer1_1_add_1']);
  });
});

describe('a sequential names its children by position, counting every child present', () => {
  it('features.0 … features.4, a named child keeping its name, a top-level layer reading the container by name', () => {
    const { ir, errors } = check(`layers:
  - { kind: conv2d, name: stem, out_channels: 2, kernel_size: 1 }
  - kind: sequential
    name: features
    layers:
      - { kind: conv2d, out_channels: 4, kernel_size: 3, padding: 1 }
      - batchnorm2d
      - { kind: relu, when: false }
      - relu
      - { kind: maxpool2d, kernel_size: 2 }
      - { kind: conv2d, name: last, out_channels: 4, kernel_size: 1 }
  - { kind: add, inputs: [features, features] }
  - flatten
  - { kind: linear, name: fc, out_features: 3 }
`);
    expect(errors).toEqual([]);
    expect(ir!.nodes.map((n) => n.module ?? n.name)).toEqual(['stem', 'features.0', 'features.1', 'features.2', 'features.3', 'features.last', 'add_1', 'flatten_1', 'fc']);
    expect(ir!.nodes.find((n) => n.name === 'add_1')!.inputs).toEqual(['features_last', 'features_last']);
    expect(ir!.nodes.find((n) => n.name === 'features_0')!.inputs).toEqual(['stem']);
  });
});

describe('errors inside blocks are positioned and name the instance', () => {
  const use = (inst: string) => `${BLOCK}layers:\n  - ${inst}\n  - flatten\n  - { kind: linear, out_features: 3 }\n`;

  it('an unknown block, with did-you-mean', () => {
    expect(check(use('{ block: Basik, args: { planes: 4 } }')).errors).toEqual(['18:14 E0307 no block is named `Basik` — did you mean `Basic`?']);
  });
  it('an argument missing, unknown (did-you-mean) or of the wrong type', () => {
    expect(check(use('{ block: Basic }')).errors).toEqual(['18:14 E0204 Basic needs the argument `planes` (an integer) — add `args: { planes: … }`']);
    expect(check(use('{ block: Basic, args: { planes: 4, strides: 2 } }')).errors).toEqual(['18:40 E0201 Basic has no argument `strides` — did you mean `stride`?']);
    expect(check(use('{ block: Basic, args: { planes: 2.5 } }')).errors).toEqual(['18:37 E0203 argument `planes` of Basic must be an integer, got 2.5']);
  });
  it('a value that fails the schema once put in: at the `$arg` in the block, naming the instance and its arguments', () => {
    expect(check(use('{ block: Basic, name: b, args: { planes: 0 } }')).errors).toEqual([
      '8:52 E0205 `out_channels` must be ≥ 1, got 0 (in b, Basic(planes 0, stride 1, downsample false), line 18)',
      '15:48 E0205 `out_channels` must be ≥ 1, got 0 (in b, Basic(planes 0, stride 1, downsample false), line 18)',
    ]);
  });
  it('a shape error inside an instance names the instance, its arguments and its line', () => {
    const { errors } = check(use('{ block: Basic, name: b, args: { planes: 4, stride: 2 } }'));
    expect(errors).toEqual(['16:39 E0411 b.add_1: cannot add `b_relu_1` [4, 4, 4] and `input` [3, 8, 8]: add needs equal shapes (in b, Basic(planes 4, stride 2, downsample false), line 18)' +
      ' — the sizes differ: a strided conv2d or a pool on one side can bring it to the other\'s size']);
  });
  it('`$x` that is not an argument of the block', () => {
    const src = use('{ block: Basic, args: { planes: 4 } }').replace('kernel_size: 3, stride: $stride', 'kernel_size: $k, stride: $stride');
    expect(check(src).errors).toEqual(['8:74 E0309 `$k` is not an argument of Basic — declare it under `blocks.Basic.args` (now: planes, stride, downsample)']);
  });
  it('a block that uses itself, directly or through another', () => {
    const src = `blocks:
  A: { layers: [{ block: B }] }
  B: { layers: [relu, { block: A }] }
layers:
  - { block: A }
`;
    expect(check(src).errors).toEqual(['6:32 E0308 A uses itself: A → B → A — a block cannot contain itself, directly or through another block']);
  });
  it('repeat: 0, and a repeat that expands past the limit', () => {
    expect(check(use('{ block: Basic, repeat: 0, args: { planes: 4 } }')).errors[0]).toMatch(/^18:29 E0205 `repeat` must be in \[1, 1000\], got 0/);
    const src = `blocks:
  R: { layers: [relu, relu, relu, relu, relu, relu, relu, relu, relu, relu] }
  S: { layers: [{ block: R, repeat: 1000 }] }
layers:
  - { block: S, repeat: 2 }
`;
    expect(check(src).errors).toEqual(['8:3 E0409 the layers expand to 20,000 layers (limit 10,000) — use fewer or smaller `repeat`s']);
  });
  it('names that collide between instances', () => {
    const src = `${BLOCK}layers:
  - { block: Basic, name: b, args: { planes: 3 } }
  - { block: Basic, name: b, args: { planes: 3 } }
  - flatten
  - { kind: linear, out_features: 3 }
`;
    expect(check(src).errors).toEqual(['19:27 E0301 duplicate name `b`: an earlier item already uses it — names must be unique: parameters are named after them']);
  });
});

describe('cnnc inspect shows the hierarchy, with per-container totals, to a --depth', () => {
  const { ir } = check(`${BLOCK}layers:
  - { block: Basic, name: layer1, repeat: 2, args: { planes: 4 }, first: { stride: 2, downsample: true } }
  - flatten
  - { kind: linear, name: fc, out_features: 3 }
`);
  const table = (depth: number) => formatSummary(summarize(ir!), depth).split('\n').filter((l) => /^ *(input|layer1|0|1|conv1|downsample|fc)\b/.test(l)).map((l) => l.trim().replace(/ {3,}/g, ' | '));

  it('depth 1: layer1 is one row, its parameters and MACs the sum of its layers\', its output its last layer\'s', () => {
    const p = ir!.nodes.filter((n) => n.module?.startsWith('layer1.')).reduce((a, n) => a + n.paramCount, 0);
    expect(p).toBe(108 + 8 + 12 + 8 + 144 + 8);
    expect(table(1)).toEqual(['input | input | [-1, 3, 8, 8] | 0 | 0', `layer1 | Basic ×2 | [-1, 4, 4, 4] | ${p} | ${ir!.nodes.filter((n) => n.module?.startsWith('layer1.')).reduce((a, n) => a + n.macs, 0).toLocaleString('en-US')}`, 'fc | linear | flatten_1 | [-1, 3] | 195 | 192']);
  });

  it('depth 3: every instance and layer, indented, named as in the state_dict; inputs by module path', () => {
    const rows = table(3);
    expect(rows).toContain('0 | Basic | [-1, 4, 4, 4] | 136 | 1,920');
    expect(rows).toContain('conv1 | conv2d | input | [-1, 4, 4, 4] | 108 | 1,728');
    expect(rows).toContain('downsample | sequential | [-1, 4, 4, 4] | 20 | 192');
    expect(rows).toContain('conv1 | conv2d | layer1.0.add_1 | [-1, 4, 4, 4] | 144 | 2,304'); // layer1.1.conv1 reads layer1.0's output
  });
});
