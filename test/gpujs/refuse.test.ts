// What the gpu.js target cannot compile is refused with a positioned diagnostic (E0701) naming the layer
// and the reason, never a crash; the TypeScript target builds the same specs. Today that is only the
// GL limits (support.ts): more than 2^24 trainable parameters, a per-sample output larger than 2^24
// (float32 index math), and more than 7 tensors into one kernel (storage buffers on WebGPU, textures on
// GL): an add of 8, a tensor read 8 times. Every shipped spec compiles.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import { SPECS, specYaml } from '../codegen/helpers.js';

const HINT = 'build with the TypeScript target (`--target ts`, the default), which supports it';

const cases: ReadonlyArray<readonly [string, readonly number[], string[], string]> = [
  ['more than 2^24 parameters (a 4097 → 4096 linear layer)', [4097], ['{ kind: linear, name: big, out_features: 4096 }'],
    'big: more than 2^24 trainable parameters in all (16,785,408) is not supported by the gpujs target: its kernels index them in float32'],
  ['an output of more than 2^24 elements per sample', [1, 4100, 4100], ['{ kind: conv2d, name: wide, out_channels: 1, kernel_size: 1 }', '{ kind: global_avgpool2d }', 'flatten', '{ kind: linear, out_features: 2 }'],
    'wide: an output of 16,810,000 elements per sample (more than 2^24) is not supported by the gpujs target: its kernels index it in float32'],
  ['an add of 8 inputs', [1, 2, 2], ['{ kind: conv2d, name: c, out_channels: 1, kernel_size: 1 }', `{ kind: add, name: many, inputs: [${Array(8).fill('c').join(', ')}] }`, 'flatten', '{ kind: linear, out_features: 2 }'],
    'many: add of 8 inputs (more than 7) is not supported by the gpujs target: a kernel reads at most 7 tensors'],
  ['a tensor read by 8 layers', [1, 2, 2], ['{ kind: conv2d, name: c, out_channels: 1, kernel_size: 1 }', ...Array.from({ length: 7 }, (_, i) => `{ kind: relu, name: r${i}, inputs: [c] }`), '{ kind: concat, name: cat, inputs: [c, r0, r1, r2, r3, r4, r5, r6] }', 'flatten', '{ kind: linear, out_features: 2 }'],
    'c: an output read 8 times (more than 7) is not supported by the gpujs target: its gradients are summed in one kernel'],
];

describe('gpujs target: refusals', () => {
  it.each(cases)('%s', (_title, input, layers, message) => {
    const source = specYaml({ input, layers });
    const ts = build(source, 'spec.yaml', { target: 'ts' });
    expect(ts.diagnostics.filter((d) => d.severity === 'error'), 'the TypeScript target accepts it').toEqual([]);
    const r = build(source, 'spec.yaml', { target: 'gpujs' });
    expect(r.code).toBeNull();
    const refused = r.diagnostics.filter((d) => d.code === 'E0701');
    expect(refused.map((d) => d.message)).toContain(message);
    const d = refused.find((x) => x.message === message)!;
    expect([d.file, d.line, d.hint]).toEqual(['spec.yaml', 5 + layers.findIndex((l) => new RegExp(`name: ${message.split(':')[0]}[,} ]`).test(l)), HINT]);
  });

  it('builds every shipped spec (graphs, decoder layers, every loss)', () => {
    for (const f of readdirSync(SPECS).filter((x) => x.endsWith('.yaml'))) {
      const r = build(readFileSync(`${SPECS}${f}`, 'utf8'), f, { target: 'gpujs' });
      expect(r.diagnostics.filter((d) => d.severity === 'error'), f).toEqual([]);
      expect(r.code, f).not.toBeNull();
    }
  });
});
