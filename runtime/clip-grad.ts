// Gradient clipping as torch.nn.utils 1.13 computes it, over the gradients an optimizer is about to apply
// (runtime/optim.ts runs it at the start of each step when the spec asks for it). Browser-safe, allocation-free.
//
// clip_grad_norm_(parameters, max_norm, norm_type):
//   norms = [‖g‖_p for each parameter]            (norm_type inf: max |g|)
//   total = ‖norms‖_p                              (inf: max of the norms)
//   coef = min(max_norm / (total + 1e-6), 1)       (torch.clamp(max=1.0): every gradient is multiplied, by 1 when small)
//   g *= coef
// clip_grad_value_(parameters, clip_value): g = clamp(g, −clip_value, clip_value).
//
// Precision: each gradient's norm is summed here in float64 and rounded to the gradient's dtype; torch sums a
// float32 gradient in float32 (its vectorized reduction), so on a float32 model the norm, and so the coefficient,
// may differ from torch's by an ulp or so (test/runtime/clip-grad.test.ts measures it against torch). The scalar
// arithmetic after the norms follows torch's dtypes: the float32 tensors' sums and quotients are rounded to float32.
import type { FloatArray } from './model.js';

export type GradClip =
  | { readonly kind: 'norm'; readonly maxNorm: number; /** a p ≥ 1, or Infinity for the max-norm */ readonly normType: number }
  | { readonly kind: 'value'; readonly clipValue: number };

/** Checks a clip's arguments as torch does (RangeError naming the argument). */
export function checkGradClip(c: GradClip): void {
  if (c.kind === 'norm') {
    if (!(Number.isFinite(c.maxNorm) && c.maxNorm > 0)) throw new RangeError(`clip_grad_norm: max_norm must be a number > 0, got ${c.maxNorm}`);
    if (!(c.normType >= 1)) throw new RangeError(`clip_grad_norm: norm_type must be ≥ 1 or inf, got ${c.normType}`);
  } else if (!(Number.isFinite(c.clipValue) && c.clipValue > 0)) {
    throw new RangeError(`clip_grad_value: clip_value must be a number > 0, got ${c.clipValue}`);
  }
}

/** torch.nn.utils.clip_grad_norm_ over `grads`; returns the total norm (before clipping), as torch does. */
export function clipGradNorm(grads: readonly FloatArray[], maxNorm: number, normType: number): number {
  if (grads.length === 0) return 0;
  const r = grads[0] instanceof Float64Array ? asIs : Math.fround;
  const inf = normType === Infinity;
  let total = 0;
  for (let i = 0; i < grads.length; i++) {
    const n = r(inf ? maxAbs(grads[i]!) : pNorm(grads[i]!, normType));
    // torch.norm(torch.stack(norms), p) / torch.max(torch.stack(norms)): the stacked norms, reduced again.
    total = inf ? Math.max(total, n) : total + (normType === 2 ? n * n : Math.abs(n) ** normType);
  }
  const totalNorm = r(inf ? total : normType === 2 ? Math.sqrt(total) : total ** (1 / normType));
  const coef = Math.min(r(r(maxNorm) / r(totalNorm + r(1e-6))), 1);
  if (coef !== 1) for (let i = 0; i < grads.length; i++) scale(grads[i]!, coef);
  return totalNorm;
}

/** torch.nn.utils.clip_grad_value_: every gradient element clamped to [−clipValue, clipValue]. */
export function clipGradValue(grads: readonly FloatArray[], clipValue: number): void {
  for (let i = 0; i < grads.length; i++) clampAll(grads[i]!, clipValue);
}

/** Applies `clip` to `grads` (the optimizer's, before its update). */
export function applyGradClip(clip: GradClip, grads: readonly FloatArray[]): void {
  if (clip.kind === 'norm') clipGradNorm(grads, clip.maxNorm, clip.normType);
  else clipGradValue(grads, clip.clipValue);
}

function pNorm(g: FloatArray, p: number): number {
  let s = 0;
  if (p === 2) {
    for (let j = 0; j < g.length; j++) s += g[j]! * g[j]!;
    return Math.sqrt(s);
  }
  if (p === 1) {
    for (let j = 0; j < g.length; j++) s += Math.abs(g[j]!);
    return s;
  }
  for (let j = 0; j < g.length; j++) s += Math.abs(g[j]!) ** p;
  return s ** (1 / p);
}

function maxAbs(g: FloatArray): number {
  let m = 0;
  for (let j = 0; j < g.length; j++) {
    const a = Math.abs(g[j]!);
    if (a > m || a !== a) m = a; // a NaN gradient makes the norm NaN, as in torch
  }
  return m;
}

function scale(g: FloatArray, c: number): void {
  for (let j = 0; j < g.length; j++) g[j] = g[j]! * c;
}

function clampAll(g: FloatArray, v: number): void {
  const lo = -v;
  for (let j = 0; j < g.length; j++) {
    const x = g[j]!;
    if (x > v) g[j] = v;
    else if (x < lo) g[j] = lo;
  }
}

function asIs(x: number): number {
  return x;
}
