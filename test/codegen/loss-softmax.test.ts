// One softmax for the loss (fuse.ts, planLossSoftmax): where cross_entropy and dice from logits both take the
// softmax of the logits (the segmentation spec), the module computes it once per loss (lossSoftmax, into the
// planned buffers <output>_prob and <output>_lse) and both terms read it, instead of three softmax heads
// with Math.exp. Its loss and gradients are those of the module rendered from the same plan without it
// (each term's own head, today's code), within a tolerance per dtype: the shared probabilities and
// log Σ exp are the same float64 operations, then stored (rounded once, in float32).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkSource } from '../../compiler/index.js';
import { planModel, TS_TARGET } from '../../compiler/4-passes/plan.js';
import { planMemory } from '../../compiler/4-passes/memory.js';
import { renderTypeScript } from '../../compiler/5-codegen/generate.js';
import type { FloatArray } from '../../runtime/model.js';
import { importGenerated, randomInputs, SPECS } from './helpers.js';

const source = readFileSync(join(SPECS, 'segmentation.yaml'), 'utf8');

/** The module with the shared softmax (as cnnc builds it) and without (each term its own head). */
function both(dtype: 'float32' | 'float64'): { shared: string; own: string } {
  const { ir } = checkSource(source, 'segmentation.yaml');
  if (ir === null) throw new Error('segmentation.yaml did not check');
  const planned = planModel(ir, TS_TARGET);
  const own = { ...planned, memory: planMemory(ir, planned.lossFusion, null) };
  return { shared: renderTypeScript(planned, { dtype }), own: renderTypeScript(own, { dtype }) };
}

const count = (code: string, s: string): number => code.split(s).length - 1;

describe('the segmentation loss (cross_entropy + dice from logits) computes one softmax', () => {
  test('the plan shares it between both terms, in two planned buffers beside the output', () => {
    const { ir } = checkSource(source, 'segmentation.yaml');
    const m = planModel(ir!, TS_TARGET).memory;
    expect(m.lossSoftmax).toEqual({ terms: [0, 1], prob: 'head_prob', lse: 'head_lse' });
    expect(m.buffers.find((b) => b.field === 'head_prob')).toMatchObject({ arena: 'values', size: 11 * 28 * 28 });
    expect(m.buffers.find((b) => b.field === 'head_lse')).toMatchObject({ arena: 'values', size: 28 * 28 });
  });

  test('the module calls Math.exp once (the shared softmax), not three times (cross_entropy once, dice twice)', () => {
    const { shared, own } = both('float32');
    expect(count(own, 'Math.exp(')).toBe(3);
    expect(count(shared, 'Math.exp(')).toBe(1);
    expect(count(shared, 'lossSoftmax(n, this.head_y, this.head_prob, this.head_lse);')).toBe(1);
  });

  // measured (x64, Node 20): float64 loss 0, gradients 1.1e-15 of their largest; float32 loss 8.9e-10,
  // gradients 4.3e-7 of their largest (enc2.weight, through two batchnorms' backward) with every 3×3 conv on
  // Winograd F(2×2,3×3), 3.1e-6 (dec2.weight) since enc2, dec2 and dec1 take F(4×4,3×3), whose float32 rounding
  // is about ten times F(2×2)'s (test/runtime/winograd.test.ts): the two runs' last-bit differences grow by as much
  test.each([['float64', 1e-14, 1e-13], ['float32', 1e-6, 1e-5]] as const)('%s: loss and every gradient as the terms\' own softmax gives them (loss within %s relative, gradients %s of the largest)', async (dtype, lossTol, gradTol) => {
    const { shared, own } = both(dtype);
    const results = [];
    for (const code of [shared, own]) {
      const model = (await importGenerated<FloatArray>(code)).createModel({ seed: 4 });
      model.train();
      const { x, y } = randomInputs(3, 784, 11, 784, 9);
      for (let i = 0; i < y.length; i += 7) y[i] = -100;
      const input = dtype === 'float32' ? Float32Array.from(x) : x;
      const loss = model.computeGradients(input, y, 3);
      results.push({ loss, grads: model.parameters().filter((p) => p.trainable).map((p) => ({ name: p.name, grad: Array.from(p.grad) })) });
    }
    const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
    expect(Math.abs(a.loss - b.loss) / Math.abs(b.loss), `loss ${a.loss} vs ${b.loss}`).toBeLessThanOrEqual(lossTol);
    let worst = 0, at = '';
    a.grads.forEach((g, k) => {
      const ref = b.grads[k]!.grad;
      const scale = Math.max(...ref.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      g.grad.forEach((v, i) => {
        const d = Math.abs(v - ref[i]!) / scale;
        if (d > worst) [worst, at] = [d, `${g.name}[${i}]: ${v} vs ${ref[i]}`];
      });
    });
    console.log(`${dtype}: loss ${Math.abs(a.loss - b.loss) / Math.abs(b.loss)} relative, gradients ${worst} of their largest (${at})`);
    expect(worst, at).toBeLessThanOrEqual(gradTol);
  });
});
