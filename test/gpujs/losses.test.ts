// The gpu.js target compiles one cross_entropy or nll term with reduction mean (per sample or per pixel);
// every other loss is refused with a positioned E0701 diagnostic that names it, never a crash. The
// per-pixel cross_entropy it does compile gives the TypeScript target's loss and gradients.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { build } from '../../compiler/index.js';
import { SPECS, randomInputs, specYaml } from '../codegen/helpers.js';
import { bothTargets } from './helpers.js';

const refusals = (yaml: string) => {
  const r = build(yaml, 'test.yaml', { target: 'gpujs' });
  expect(r.code).toBeNull();
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`);
};
const flat = ['{ kind: conv2d, name: c1, out_channels: 2, kernel_size: 3 }', 'flatten', '{ kind: linear, name: fc, out_features: 1 }'];

describe('gpujs target: losses it does not compile yet', () => {
  it('refuses each new loss kind at its kind, and a sum at the loss', () => {
    expect(refusals(specYaml({ input: [1, 5, 5], layers: flat, loss: '{ kind: bce_with_logits }' })))
      .toEqual(['8:15 E0701 the bce_with_logits loss is not supported by the gpujs target yet']);
    expect(refusals(specYaml({ input: [1, 5, 5], layers: flat, loss: '[{ kind: focal }, { kind: dice, from_logits: true }]' }))).toEqual([
      '8:7 E0701 a sum of 2 losses is not supported by the gpujs target yet',
      '8:16 E0701 the focal loss is not supported by the gpujs target yet',
      '8:33 E0701 the dice loss is not supported by the gpujs target yet',
    ]);
  });

  it('refuses reduction sum or none and an explicit ignore_index', () => {
    const layers = [...flat.slice(0, 2), '{ kind: linear, name: fc, out_features: 3 }'];
    expect(refusals(specYaml({ input: [1, 5, 5], layers, loss: '{ kind: cross_entropy, reduction: sum, ignore_index: 255 }' }))).toEqual([
      '8:15 E0701 cross_entropy with reduction sum is not supported by the gpujs target yet',
      '8:15 E0701 cross_entropy with ignore_index 255 is not supported by the gpujs target yet',
    ]);
  });

  it('refuses the shipped GAN, segmentation and focal specs with a diagnostic', () => {
    for (const f of ['gan-discriminator.yaml', 'segmentation.yaml', 'mnist-focal.yaml']) {
      const r = build(readFileSync(`${SPECS}${f}`, 'utf8'), f, { target: 'gpujs' });
      expect(r.code, f).toBeNull();
      expect(r.diagnostics.some((d) => d.code === 'E0701'), f).toBe(true);
    }
  });
});

describe('gpujs target: per-pixel cross_entropy, and softmax / log_softmax over the channels', () => {
  const c1 = '{ kind: conv2d, name: c1, out_channels: 3, kernel_size: 3, padding: 1 }';
  const cases: { title: string; layers: string[]; loss: string }[] = [
    { title: 'cross_entropy on a [3, 4, 5] output against label maps', layers: [c1], loss: '{ kind: cross_entropy, weight: [1, 2, 0.5] }' },
    // Its kernels read each pixel's C values H·W apart, as the TypeScript target's do.
    { title: 'log_softmax per pixel + nll (fused)', layers: [c1, 'log_softmax'], loss: '{ kind: nll, weight: [1, 2, 0.5] }' },
    { title: 'softmax per pixel inside the network, then cross_entropy', layers: [c1, 'softmax', '{ kind: conv2d, name: c2, out_channels: 3, kernel_size: 1 }'], loss: '{ kind: cross_entropy }' },
  ];
  for (const c of cases) {
    it(`agrees with the TypeScript target: ${c.title} (loss and every gradient)`, async () => {
      const yaml = specYaml({ input: [1, 4, 5], layers: c.layers, loss: c.loss });
      const { ts, gj } = await bothTargets(yaml);
      const a = ts.createModel({ seed: 3 });
      const b = gj.createModel({ seed: 3, backend: 'cpu' });
      const { x, y } = randomInputs(4, 20, 3, 20);
      const xf = Float32Array.from(x);
      const la = a.computeGradients(xf, y, 4);
      const lb = b.computeGradients(xf, y, 4);
      expect(Math.abs(la - lb) / Math.abs(la)).toBeLessThan(1e-5);
      const pa = a.parameters();
      const pb = b.parameters();
      for (let i = 0; i < pa.length; i++) {
        const ga = pa[i]!.grad;
        const gb = pb[i]!.grad;
        const scale = Math.max(...Array.from(ga, Math.abs));
        expect(scale, pa[i]!.name).toBeGreaterThan(0);
        const diff = Math.max(...Array.from(ga, (v, k) => Math.abs(v - gb[k]!)));
        expect(diff / scale, pa[i]!.name).toBeLessThan(1e-4);
      }
      b.dispose();
    });
  }
});
