// conv2d + batchnorm2d folded for inference (4-passes/fuse.ts planBnFolding, 5-codegen/model/fold.ts): in eval
// mode, forward() runs each conv whose only reader is a batchnorm2d with W' = W·a, b' = b·a + β − μ·a
// (a = γ/√(var + ε)) straight into the bn's output, skipping the bn's pass. Its output is the unfolded eval
// output (the module rendered from the same plan without the folds) within a tolerance per dtype, measured
// after a few training steps have moved the running statistics and weights (the same steps in both modules:
// training does not fold, so they stay bit for bit the same; the test checks that too). The PyTorch and
// gpu.js targets' plans fold nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { GPUJS_TARGET, planModel, PYTORCH_TARGET, TS_TARGET } from '../../compiler/4-passes/plan.js';
import { renderTypeScript } from '../../compiler/5-codegen/generate.js';
import type { FloatArray } from '../../runtime/model.js';
import { importGenerated, randomInputs, SPECS, specYaml } from './helpers.js';

const file = (path: string): string => readFileSync(path, 'utf8');
const CASES: [string, string, number, number, [string, string, string | null][]][] = [
  // [title, spec, classes, labels per sample, the folds: conv, bn, relu]
  ['conv-features (bias-free stem + bn, then leaky_relu: not folded)', file(join(SPECS, 'conv-features.yaml')), 10, 1, [['stem', 'bn', null]]],
  ['segmentation (two bias-free convs + bn + relu, per-pixel loss)', file(join(SPECS, 'segmentation.yaml')), 11, 784, [['enc1', 'enc1_bn', 'skip1'], ['enc2', 'enc2_bn', 'skip2']]],
  ['a grouped conv with bias + bn without affine, then relu', specYaml({
    input: [4, 6, 6],
    layers: ['{ kind: conv2d, name: c1, out_channels: 6, kernel_size: 3, padding: 1, groups: 2 }', '{ kind: batchnorm2d, name: bn1, affine: false }', 'relu',
      'flatten', '{ kind: linear, name: fc, out_features: 3 }'],
  }), 3, 1, [['c1', 'bn1', 'relu_1']]],
];

/** The module as cnnc renders it (folded) and from the same plan without the folds. */
function both(source: string, dtype: 'float32' | 'float64'): { folded: string; unfolded: string; folds: [string, string, string | null][] } {
  const { ir } = checkSource(source, 'spec.yaml');
  if (ir === null) throw new Error('the spec did not check');
  const planned = planModel(ir, TS_TARGET);
  const plain = { ...planned, nodes: planned.nodes.map((np) => ({ ...np, evalFold: null, evalFoldedInto: null })) };
  return { folded: renderTypeScript(planned, { dtype }), unfolded: renderTypeScript(plain, { dtype }), folds: planned.nodes.flatMap((np) => (np.evalFold === null ? [] : [[np.node.name, np.evalFold.bn, np.evalFold.relu] as [string, string, string | null]])) };
}

// measured (x64, Node 20), largest difference over the largest output: float64 ≤ 3.5e-16; float32 ≤ 1.8e-7
const TOLERANCE = { float64: 1e-14, float32: 2e-6 } as const;

describe('conv2d + batchnorm2d folded for inference', () => {
  test('only the TypeScript target folds; the PyTorch and gpu.js plans keep both layers', () => {
    const { ir } = checkSource(CASES[0]![1], 'spec.yaml');
    expect(planModel(ir!, TS_TARGET).nodes.filter((np) => np.evalFold !== null).map((np) => [np.node.name, np.evalFold!.bn])).toEqual([['stem', 'bn']]);
    for (const target of [PYTORCH_TARGET, GPUJS_TARGET]) expect(planModel(ir!, target).nodes.every((np) => np.evalFold === null && np.evalFoldedInto === null)).toBe(true);
  });

  describe.each(CASES)('%s', (_title, source, classes, labelSize, folds) => {
    test.each(['float64', 'float32'] as const)('%s: the folded eval output is the unfolded one within its tolerance; training is unchanged', async (dtype) => {
      const code = both(source, dtype);
      expect(code.folds).toEqual(folds);
      expect(code.folded).toContain('private runInference(');
      expect(code.unfolded).not.toContain('runInference');
      const outs: number[][] = [], losses: number[][] = [];
      for (const c of [code.folded, code.unfolded]) {
        const model = (await importGenerated<FloatArray>(c)).createModel({ seed: 2 });
        const size = model.inputShape.reduce((a, b) => a * b, 1);
        const cast = (x: Float64Array): FloatArray => (dtype === 'float32' ? Float32Array.from(x) : x);
        model.train();
        const l: number[] = [];
        for (let step = 0; step < 3; step++) {
          const { x, y } = randomInputs(4, size, classes, labelSize, 10 + step);
          l.push(model.trainStep(cast(x), y, 4));
        }
        losses.push(l);
        model.eval();
        outs.push(Array.from(model.forward(cast(randomInputs(3, size, classes, labelSize, 99).x), 3)));
        expect(model.findNonFinite()).toBeNull();
      }
      expect(losses[0]).toEqual(losses[1]);
      const [a, b] = outs as [number[], number[]];
      const scale = Math.max(...b.map(Math.abs));
      let worst = 0, at = '';
      a.forEach((v, i) => { const d = Math.abs(v - b[i]!) / scale; if (d > worst) [worst, at] = [d, `[${i}]: ${v} vs ${b[i]}`]; });
      console.log(`${dtype}: largest difference ${worst} of the largest output ${scale} (${at})`);
      expect(worst, at).toBeLessThanOrEqual(TOLERANCE[dtype]);
      expect(worst, 'the folded path ran: its rounding differs somewhere').toBeGreaterThan(0);
    });
  });

  test('a conv with many weights for few outputs folds only from its batch on (foldMinBatch): below it, the unfolded bits', async () => {
    // 16 → 8 channels, 3×3 over 2×2: K = 144 weights an output channel for P = 4 outputs; from ⌈2·144 / 4⌉ = 72.
    const source = specYaml({
      input: [16, 2, 2],
      layers: ['{ kind: conv2d, name: c1, out_channels: 8, kernel_size: 3, padding: 1, bias: false }', '{ kind: batchnorm2d, name: bn1 }', 'relu',
        'flatten', '{ kind: linear, name: fc, out_features: 3 }'],
    });
    const { ir } = checkSource(source, 'spec.yaml');
    expect(planModel(ir!, TS_TARGET).nodes.find((np) => np.node.name === 'c1')!.evalFold).toMatchObject({ bn: 'bn1', relu: 'relu_1', from: 72 });
    const code = both(source, 'float32');
    expect(code.folded).toContain('if (n >= 72) {');
    expect(code.folded).toContain('// under 72 samples: folding 8×144 weights costs more than bn1\'s pass over 4 outputs a channel');
    const models = await Promise.all([code.folded, code.unfolded].map(async (c) => (await importGenerated<FloatArray>(c)).createModel({ seed: 2 })));
    for (const model of models) {
      model.train();
      for (let step = 0; step < 3; step++) {
        const { x, y } = randomInputs(4, 64, 3, 1, 10 + step);
        model.trainStep(Float32Array.from(x), y, 4);
      }
      model.eval();
    }
    const out = (n: number): Float32Array[] => models.map((m) => Float32Array.from(m.forward(Float32Array.from(randomInputs(n, 64, 3, 1, 99).x), n)));
    const [small, smallPlain] = out(71);
    expect(small, 'under 72: the conv, bn and relu as unfolded').toEqual(smallPlain);
    const [big, bigPlain] = out(72);
    expect(Array.from(big!).some((v, i) => v !== bigPlain![i]), 'at 72: the fold ran, its rounding differs somewhere').toBe(true);
    big!.forEach((v, i) => expect(Math.abs(v - bigPlain![i]!)).toBeLessThanOrEqual(TOLERANCE.float32 * Math.max(...Array.from(bigPlain!, Math.abs))));
  });
});
