// Parameter initialisation as PyTorch does it, drawn from the model's Rng in row-major order.
// (The numbers differ from PyTorch's, whose generator is another; the distributions are the same.)
import { assertNever } from './assert-never.js';
import type { InitRule } from './contracts.js';
import type { FloatArray } from './model.js';
import type { Rng } from './rng.js';

/** The `a` that nn.Conv2d and nn.Linear pass to kaiming_uniform_ in reset_parameters(). */
const CONV_LINEAR_A = Math.sqrt(5);

/** Fills `data` by `rule`; ones and zeros draw nothing from `rng`. */
export function initParameter(rng: Rng, data: FloatArray, rule: InitRule): void {
  switch (rule.kind) {
    case 'kaiming_uniform':
      return fillUniform(rng, data, kaimingUniformBound(rule.fanIn, CONV_LINEAR_A));
    case 'uniform':
      return fillUniform(rng, data, rule.bound);
    case 'ones':
      data.fill(1);
      return;
    case 'zeros':
      data.fill(0);
      return;
    default:
      return assertNever(rule, 'init rule');
  }
}

/**
 * torch.nn.init.kaiming_uniform_(w, a, mode='fan_in', nonlinearity='leaky_relu'), computed in the
 * same order as torch/nn/init.py so the bound is the same double:
 * gain = √(2 / (1 + a²)), std = gain / √fan_in, bound = √3 · std. With a = √5 that is 1/√fan_in.
 */
export function kaimingUniformBound(fanIn: number, a: number): number {
  if (!(Number.isInteger(fanIn) && fanIn > 0)) throw new RangeError(`kaiming_uniform: fan_in must be a positive integer, got ${fanIn}`);
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  const std = gain / Math.sqrt(fanIn);
  return Math.sqrt(3.0) * std;
}

/** U(−bound, bound) for every element, in index order (torch's uniform_ formula: lo + (hi − lo)·u). */
function fillUniform(rng: Rng, data: FloatArray, bound: number): void {
  if (!(Number.isFinite(bound) && bound >= 0)) throw new RangeError(`uniform init: bound must be finite and ≥ 0, got ${bound}`);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
}
