// Gradient clipping against torch.nn.utils 1.13 (fixtures: tools/pytorch/make_clip_fixtures.py): the same gradients
// clipped by clip_grad_norm_ (norm types 2, 1, inf) and clip_grad_value_, in float64 and float32; and the optimizer
// clips before its update, as a PyTorch loop calls clip_grad_norm_ between backward() and step().
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Sgd } from '../../runtime/optim.js';
import { clipGradNorm, clipGradValue } from '../../runtime/clip-grad.js';

interface Case {
  readonly name: string;
  readonly dtype: 'float64' | 'float32';
  readonly kind: 'norm' | 'value';
  readonly args: { max_norm?: number; norm_type?: number | 'inf'; clip_value?: number };
  readonly grads: number[][];
  readonly clipped: number[][];
  readonly total_norm: number | null;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/clip/clip.json', import.meta.url), 'utf8')) as { cases: Case[] };
const normType = (c: Case): number => (c.args.norm_type === 'inf' ? Infinity : c.args.norm_type!);
const arrays = (c: Case, values: number[][]) => values.map((v) => (c.dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v)));

/** Largest difference in units of the dtype's last place, relative to the value. */
function maxUlps(got: ArrayLike<number>, want: readonly number[], dtype: Case['dtype']): number {
  const eps = dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (Math.max(Math.abs(want[i]!), 1e-30) * eps));
  return worst;
}

describe('clip_grad_norm_ and clip_grad_value_ as torch.nn.utils 1.13', () => {
  for (const c of fixture.cases) {
    test(`${c.name}: the clipped gradients equal torch's${c.kind === 'value' ? ' exactly' : ' within 4 ulp, and the total norm within 2 ulp'}`, () => {
      const grads = arrays(c, c.grads);
      if (c.kind === 'value') {
        clipGradValue(grads, c.args.clip_value!);
        grads.forEach((g, i) => expect(Array.from(g)).toEqual(c.clipped[i]));
        return;
      }
      const total = clipGradNorm(grads, c.args.max_norm!, normType(c));
      // float32: torch sums each norm in float32, cnnc in float64 (runtime/clip-grad.ts): an ulp or two apart.
      expect(maxUlps([total], [c.total_norm!], c.dtype)).toBeLessThanOrEqual(2);
      grads.forEach((g, i) => expect(maxUlps(g, c.clipped[i]!, c.dtype)).toBeLessThanOrEqual(4));
    });
  }

  test('a gradient within max_norm is left exactly as it was (torch multiplies it by clamp(coef, max=1) = 1)', () => {
    const c = fixture.cases.find((x) => x.name === 'norm2_no_clip_float32')!;
    const grads = arrays(c, c.grads);
    clipGradNorm(grads, c.args.max_norm!, 2);
    grads.forEach((g, i) => expect(Array.from(g)).toEqual(c.grads[i]));
  });

  test('an optimizer with clip clips the gradients before its update: SGD(lr 1) moves each weight by the clipped gradient', () => {
    const c = fixture.cases.find((x) => x.name === 'norm2_clips_float64')!;
    const grads = arrays(c, c.grads) as Float64Array[];
    const params = grads.map((g, i) => ({ name: `p${i}`, data: new Float64Array(g.length), grad: g }));
    const sgd = new Sgd(params, { lr: 1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, clip: { kind: 'norm', maxNorm: c.args.max_norm!, normType: 2 } });
    sgd.step();
    params.forEach((p, i) => expect(maxUlps(p.data.map((x) => -x), c.clipped[i]!, 'float64')).toBeLessThanOrEqual(4));
  });

  test('bad clip arguments are refused when the optimizer is built, naming the argument', () => {
    const params = [{ name: 'w', data: new Float32Array(2), grad: new Float32Array(2) }];
    const sgd = (clip: ConstructorParameters<typeof Sgd>[1]['clip']) => () => new Sgd(params, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, clip });
    expect(sgd({ kind: 'norm', maxNorm: 0, normType: 2 })).toThrow(/max_norm must be a number > 0, got 0/);
    expect(sgd({ kind: 'norm', maxNorm: 1, normType: 0.5 })).toThrow(/norm_type must be ≥ 1 or inf, got 0.5/);
    expect(sgd({ kind: 'value', clipValue: -1 })).toThrow(/clip_value must be a number > 0, got -1/);
  });
});
