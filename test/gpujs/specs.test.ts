// The shipped specs that need graphs, the decoder layers and the new losses, on gpu.js (webasm, the
// faster Node mode) against the TypeScript target: specs/segmentation.yaml (U-Net: concat skips,
// conv_transpose2d, per-pixel cross_entropy + 0.5·dice), specs/gan-discriminator.yaml (strided convs,
// batchnorm, bce_with_logits) and specs/resnet-mini.yaml (add, a tensor read twice, global_avgpool2d).
// A small batch: forward, loss and every gradient agree (helpers.ts's tolerance); then three Adam steps on
// both targets end with the same weights, running statistics and optimizer moments. Weights get an
// absolute floor of 1% of the distance Adam can move an element in three steps (3·lr): Adam divides by
// √v, so an element whose gradient cancels to float32 noise takes a step whose size depends on that
// noise, and no relative tolerance can hold there (measured: 0.05–0.1% of 3·lr).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SPECS } from '../codegen/helpers.js';
import { coverageProblems } from '../coverage.js';
import { bothTargets, compare, expectParity, GPUJS_COVERAGE, inputs } from './helpers.js';

const SHIPPED = [
  { file: 'segmentation.yaml', labels: 28 * 28, classes: 11 },
  { file: 'gan-discriminator.yaml', labels: 1, classes: 2 },
  { file: 'resnet-mini.yaml', labels: 1, classes: 10 },
];
const N = 2;

describe('gpu.js webasm: the shipped graph and loss specs agree with the TypeScript target', () => {
  for (const s of SHIPPED) {
    const yaml = readFileSync(`${SPECS}${s.file}`, 'utf8');
    const { x, y } = inputs(N, 28 * 28, s.labels, s.classes, 11);

    it(`specs/${s.file}: forward, loss and every gradient`, async () => {
      await expectParity({ title: `specs/${s.file}`, yaml, mode: 'train', backend: 'webasm', n: N, x, y });
    });

    it(`specs/${s.file}: three training steps end with the same weights and optimizer state`, async () => {
      const { ts, gj } = await bothTargets(yaml);
      const a = ts.createModel({ seed: 2 });
      const b = gj.createModel({ seed: 2, backend: 'webasm' });
      try {
        a.train();
        b.train();
        const losses: [number, number][] = [];
        for (let step = 0; step < 3; step++) losses.push([a.trainStep(x, y, N), b.trainStep(x, y, N)]);
        const rows = losses.map(([la, lb], i) => compare(`loss ${i + 1}`, [lb], [la]));
        const pa = a.parameters();
        const pb = b.parameters();
        const lr = Number(/lr: ([0-9.e-]+)/.exec(yaml)![1]);
        // Running statistics are batch moments of activations computed with those weights: 1e-3 relative,
        // and 1e-4 of the tensor's largest element for a mean that cancels to near zero.
        const peak = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        pa.forEach((p, i) => rows.push(p.trainable ? compare(p.name, pb[i]!.data, p.data, 1e-4, 0.01 * 3 * lr) : compare(p.name, pb[i]!.data, p.data, 1e-3, 1e-4 * peak(p.data))));
        const sa = a.getTrainingState().slots;
        const sb = b.getTrainingState().slots;
        sa.forEach((slot, i) => rows.push(compare(slot.name, sb[i]!.data, slot.data)));
        const worst = rows.reduce((m, r) => (r.worst > m.worst ? r : m));
        console.log(`webasm · specs/${s.file}, 3 steps: losses ${losses.map(([la]) => la.toFixed(4)).join(' → ')}; ${rows.length} tensors, worst ${worst.name} max |Δ| ${worst.maxAbs.toExponential(2)} (${worst.worst.toFixed(3)} of tolerance)`);
        for (const r of rows) expect(r.worst, r.name).toBeLessThanOrEqual(1);
      } finally {
        b.dispose();
      }
    });
  }
});

describe('GPUJS_COVERAGE (helpers.ts), the entries for specs.test.ts', () => {
  it('names cases that run here, each with a node of its kind; a kind it says no case checks is in none of them', () => {
    expect(coverageProblems(GPUJS_COVERAGE, 'specs.test.ts', SHIPPED.map((s) => ({ title: `specs/${s.file}`, yaml: readFileSync(`${SPECS}${s.file}`, 'utf8') })))).toEqual([]);
  });
});
