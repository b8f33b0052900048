// The JSON Schema is the contract: it compiles in ajv's strict mode, documents every field for
// editors, agrees with compiler/spec/types.ts, and accepts every spec we ship.
import { readdirSync, readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from '../../compiler/1-parse/parse.js';
import { validate } from '../../compiler/2-validate/validate.js';
import schema from '../../compiler/spec/cnnc.schema.json' with { type: 'json' };
import { ACTIVATION_KINDS } from '../../compiler/ir/activations.js';
import type { ActivationKind } from '../../compiler/ir/types.js';
import type { LayerSpec, LossTermSpec, OptimizerSpec, DataSpec, DataTask } from '../../compiler/spec/types.js';

type Json = Record<string, unknown>;
const defs = schema.$defs as Record<string, Json>;

// Records keyed by the TypeScript unions: adding a kind to types.ts without listing it here (and so
// without the schema test below) does not compile.
// The activations come from their table (compiler/ir/activations.ts), whose keys are the IR's.
const ACTIVATION_KINDS_SET = Object.fromEntries(ACTIVATION_KINDS.map((k) => [k, true])) as Record<ActivationKind, true>;
const LAYER_KINDS: Record<LayerSpec['kind'], true> = {
  ...ACTIVATION_KINDS_SET,
  conv2d: true, maxpool2d: true, avgpool2d: true, batchnorm2d: true, dropout: true, dropout2d: true,
  linear: true, flatten: true, softmax: true, log_softmax: true,
  conv_transpose2d: true, upsample: true, global_avgpool2d: true, adaptive_avgpool2d: true, adaptive_maxpool2d: true, add: true, concat: true,
};
const LOSS_KINDS: Record<LossTermSpec['kind'], true> = { cross_entropy: true, nll: true, bce: true, bce_with_logits: true, focal: true, dice: true };
const OPTIMIZER_KINDS: Record<OptimizerSpec['kind'], true> = { sgd: true, adam: true, adamw: true, rmsprop: true, adagrad: true, adadelta: true };
const DATA_SOURCES: Record<DataSpec['source'], true> = { mnist: true, idx: true, folder: true, csv: true };
const DATA_TASKS: Record<DataTask, true> = { classification: true, 'real-vs-fake': true, segmentation: true };

function check(source: string, file = 'spec.yaml') {
  const p = parse(source, file);
  expect(p.diagnostics).toEqual([]);
  return validate(p.doc, p.map);
}

describe('cnnc.schema.json', () => {
  it('is draft 2020-12 and compiles in ajv strict mode', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const ajv = new Ajv2020.default({ strict: true, allErrors: true, allowUnionTypes: true });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('lists the same kinds as compiler/spec/types.ts', () => {
    const discriminator = (name: string, prop: string) => ((defs[name]!['properties'] as Json)[prop] as Json)['enum'];
    const layerEnum = (((defs['layer']!['else'] as Json)['properties'] as Json)['kind'] as Json)['enum'];
    expect([...(layerEnum as string[])].sort()).toEqual(Object.keys(LAYER_KINDS).sort());
    expect([...(discriminator('loss', 'kind') as string[])].sort()).toEqual(Object.keys(LOSS_KINDS).sort());
    expect([...(discriminator('optimizer', 'kind') as string[])].sort()).toEqual(Object.keys(OPTIMIZER_KINDS).sort());
    expect([...(discriminator('data', 'source') as string[])].sort()).toEqual(Object.keys(DATA_SOURCES).sort());
    for (const d of ['data_mnist', 'data_idx']) expect([...(discriminator(d, 'task') as string[])].sort()).toEqual(Object.keys(DATA_TASKS).sort());
  });

  it('gives every property a title and a description, for editors', () => {
    const missing: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      const props = (node as Json)['properties'] as Record<string, Json> | undefined;
      for (const [k, p] of Object.entries(props ?? {})) {
        // `if` conditions restate a discriminator; they are not shown to anyone.
        if (!at.endsWith('/if') && (typeof p['title'] !== 'string' || typeof p['description'] !== 'string')) missing.push(`${at}/${k}`);
      }
      for (const [k, v] of Object.entries(node as Json)) walk(v, `${at}/${k}`);
    };
    walk(schema, '#');
    expect(missing).toEqual([]);
  });

  it('refuses unknown keys in every object it defines (but a block\'s item, checked in full for each instance once its $args are in)', () => {
    const open: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Json;
      if (at === '#/$defs/block_layer_item/then') return; // 3-lower/blocks.ts checks the substituted item against layer_item
      if (n['properties'] !== undefined && !at.endsWith('/if') && n['additionalProperties'] !== false && n['allOf'] === undefined) open.push(at);
      for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
    };
    walk(schema, '#');
    expect(open).toEqual([]);
  });

  it('gives PyTorch defaults', () => {
    const conv = defs['layer_conv2d']!['properties'] as Record<string, Json>;
    expect([conv['stride']!['default'], conv['padding']!['default'], conv['dilation']!['default'], conv['groups']!['default'], conv['bias']!['default']]).toEqual([1, 0, 1, 1, true]);
    const bn = defs['layer_batchnorm2d']!['properties'] as Record<string, Json>;
    expect([bn['eps']!['default'], bn['momentum']!['default']]).toEqual([1e-5, 0.1]);
    const adam = defs['optimizer_adam']!['properties'] as Record<string, Json>;
    expect([adam['lr']!['default'], adam['betas']!['default'], adam['eps']!['default']]).toEqual([0.001, [0.9, 0.999], 1e-8]);
    expect((defs['optimizer_adamw']!['properties'] as Record<string, Json>)['weight_decay']!['default']).toBe(0.01);
  });
});

describe('specs', () => {
  const dir = new URL('../../specs/', import.meta.url);
  const shipped = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('ships at least the seed model', () => {
    expect(shipped).toContain('mnist.yaml');
  });

  it.each(shipped)('specs/%s validates and points editors at the schema', (f) => {
    const source = readFileSync(new URL(f, dir), 'utf8');
    expect(source.split('\n')[0]).toBe('# yaml-language-server: $schema=../compiler/spec/cnnc.schema.json');
    const { spec, diagnostics } = check(source, `specs/${f}`);
    expect(diagnostics).toEqual([]);
    expect(spec).not.toBeNull();
  });

  it('expands bare-word layers to { kind } and leaves everything else as written', () => {
    const source = readFileSync(new URL('./seed-mnist.yaml', import.meta.url), 'utf8');
    const { spec } = check(source);
    expect(spec!.layers[1]).toEqual({ kind: 'relu' });
    expect(spec!.layers[0]).toEqual({ kind: 'conv2d', name: 'conv1', out_channels: 32, kernel_size: 3 });
    expect(spec!.train).toEqual({ batch_size: 64, epochs: 10, seed: 1 });
  });

  it('accepts every layer kind with every parameter it documents', () => {
    const source = `cnnc: 1
name: Everything
description: every kind and key the schema has
input: { shape: [3, 32, 32] }
layers:
  - { kind: conv2d, name: c1, in_channels: 3, out_channels: 8, kernel_size: [3, 5], stride: [1, 2], padding: [1, 2], dilation: 1, groups: 1, bias: false }
  - { kind: conv2d, out_channels: 8, kernel_size: 3, padding: same }
  - { kind: conv2d, out_channels: 8, kernel_size: 3, padding: valid }
  - { kind: batchnorm2d, num_features: 8, eps: 0.001, momentum: 0.2, affine: true }
  - batchnorm2d
  - { kind: leaky_relu, negative_slope: 0.2 }
  - leaky_relu
  - { kind: maxpool2d, kernel_size: 2, stride: 2, padding: 1 }
  - { kind: avgpool2d, kernel_size: [2, 2], stride: 1, padding: 0, count_include_pad: false }
  - { kind: dropout2d, p: 0 }
  - dropout2d
  - tanh
  - sigmoid
  - flatten
  - { kind: linear, in_features: 100, out_features: 10, bias: true }
  - { kind: dropout, name: _d, p: 0.1 }
  - dropout
  - softmax
  - log_softmax
  - relu
loss: { kind: cross_entropy, label_smoothing: 0.1, weight: [1, 1, 1, 1, 1, 1, 1, 1, 1, 2] }
optimizer: { kind: sgd, lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weight_decay: 0.0005 }
train: { batch_size: 1, epochs: 1, seed: 0 }
data: { source: idx, path: /usr/share/datasets/fashion-mnist }
`;
    const { spec, diagnostics } = check(source);
    expect(diagnostics).toEqual([]);
    expect(spec!.layers).toHaveLength(20);
    expect(check(source.replace('kind: sgd, lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true', 'kind: adamw, lr: 0.1, betas: [0, 0.5], eps: 1e-6')).diagnostics).toEqual([]);
  });

  it('accepts every loss kind with every parameter it documents, alone and in a sum, and data tasks', () => {
    const head = 'cnnc: 1\nname: L\ninput: { shape: [1, 28, 28] }\nlayers: [flatten, { kind: linear, out_features: 1 }]\noptimizer: { kind: adam }\n';
    const losses = [
      '{ kind: cross_entropy, label_smoothing: 0.1, weight: [1], ignore_index: 255, reduction: sum, scale: 2 }',
      '{ kind: nll, weight: [1], ignore_index: -1, reduction: none, scale: 0.5 }',
      '{ kind: bce, reduction: mean, scale: 1 }',
      '{ kind: bce_with_logits, pos_weight: 3, reduction: sum }',
      '{ kind: bce_with_logits, pos_weight: [1, 2] }',
      '{ kind: focal, gamma: 0.5, alpha: -1, reduction: none, scale: 3 }',
      '{ kind: dice, smooth: 0, from_logits: true, ignore_index: 255, scale: 0.5 }',
      '[{ kind: bce_with_logits }, { kind: dice, from_logits: true, scale: 0.5 }]',
    ];
    for (const l of losses) expect(check(`${head}loss: ${l}\n`).diagnostics, l).toEqual([]);
    for (const d of ['{ source: mnist, task: real-vs-fake }', '{ source: idx, path: d, task: segmentation }', '{ source: mnist, task: classification }']) {
      expect(check(`${head}loss: { kind: bce_with_logits }\ndata: ${d}\n`).diagnostics, d).toEqual([]);
    }
  });
});
