// What the gpu.js target does not compile yet is refused with a positioned diagnostic (E0701) naming
// the layer and the reason, never a crash; the TypeScript target builds the same specs.
import { describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import { specYaml } from '../codegen/helpers.js';

const cases: ReadonlyArray<readonly [string, string[], string]> = [
  ['conv_transpose2d', ['{ kind: conv_transpose2d, name: up, out_channels: 2, kernel_size: 2, stride: 2 }', 'flatten', '{ kind: linear, out_features: 3 }'],
    'up: conv_transpose2d is not supported by the gpujs target yet'],
  ['upsample', ['{ kind: upsample, name: up, scale_factor: 2 }', 'flatten', '{ kind: linear, out_features: 3 }'],
    'up: upsample is not supported by the gpujs target yet'],
  ['global_avgpool2d', ['{ kind: global_avgpool2d, name: gap }', 'flatten', '{ kind: linear, out_features: 3 }'],
    'gap: global_avgpool2d is not supported by the gpujs target yet'],
  ['a residual add', ['{ kind: conv2d, name: c, out_channels: 1, kernel_size: 1 }', '{ kind: add, name: skip, inputs: [c, input] }', 'flatten', '{ kind: linear, out_features: 3 }'],
    'skip: add is not supported by the gpujs target yet'],
  ['a fork (one output read twice)', ['{ kind: flatten, name: f }', '{ kind: linear, name: a, out_features: 3 }', '{ kind: linear, name: b, out_features: 3, inputs: [f] }', '{ kind: concat, name: ab, inputs: [a, b] }'],
    'b: reading `f` (a graph, not a chain) is not supported by the gpujs target yet'],
];

describe('gpujs target: refusals', () => {
  it.each(cases)('%s', (_title, layers, message) => {
    const source = specYaml({ input: [1, 4, 4], layers });
    const ts = build(source, 'spec.yaml', { target: 'ts' });
    expect(ts.code, 'the TypeScript target builds it').not.toBeNull();
    const r = build(source, 'spec.yaml', { target: 'gpujs' });
    expect(r.code).toBeNull();
    const refused = r.diagnostics.filter((d) => d.code === 'E0701');
    expect(refused.map((d) => d.message)).toContain(message);
    const d = refused.find((x) => x.message === message)!;
    expect([d.file, d.line > 4, d.hint]).toEqual(['spec.yaml', true, 'build with the TypeScript target (`--target ts`, the default), which supports it']);
  });
});
