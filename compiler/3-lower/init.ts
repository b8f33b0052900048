// A layer's `init:` (torch.nn.init 1.13, https://pytorch.org/docs/1.13/nn.init.html) resolved against the
// parameter's shape: the fans and the gain are computed here, in the same floating-point order as
// torch/nn/init.py, so the IR's InitRule holds the very double PyTorch would compute and the generated code
// holds it as a literal. What is left for the runtime (runtime/init.ts) is the draw.
import { kaimingUniformBound } from '../../runtime/init.js';
import type { InitRule, ParamInfo } from '../ir/types.js';
import type { GainSpec, InitRuleObjectSpec, InitRuleSpec, InitSpec, Nonlinearity } from '../spec/types.js';
import type { LayerCtx, LayerResult } from './layers/common.js';
import { fmtShape } from './format.js';

type Role = keyof InitSpec;
const ROLES: readonly Role[] = ['weight', 'bias'];

/** The layer's params with the spec's `init:` rules in place of PyTorch's defaults; null after reporting why
 *  a rule does not apply. A rule that draws exactly as the default does leaves the parameter as it was. */
export function withInit(r: LayerResult, init: InitSpec, flags: { readonly bias?: boolean; readonly affine?: boolean }, ctx: LayerCtx): LayerResult | null {
  let ok = true;
  const replaced = new Map<Role, ParamInfo>();
  for (const role of ROLES) {
    const rule = init[role];
    if (rule === undefined) continue;
    const p = r.params.find((q) => q.role === role);
    if (p === undefined) {
      const why = role === 'bias' && flags.bias === false ? 'bias: false' : flags.affine === false ? 'affine: false' : 'none';
      ctx.error('E0414', `${ctx.name} has no ${role} (${why}), so \`init.${role}\` has nothing to initialize`, ['init', role],
        why === 'none' ? undefined : `remove \`init.${role}\`, or \`${why}\``);
      ok = false;
      continue;
    }
    const resolved = resolveRule(rule, p, ctx, ['init', role]);
    if (resolved === null) {
      ok = false;
      continue;
    }
    if (!sameDraws(resolved.rule, p.init)) replaced.set(role, { ...p, init: resolved.rule, initFrom: resolved.call });
  }
  if (!ok) return null;
  if (replaced.size === 0) return r;
  return { ...r, params: r.params.map((p) => replaced.get(p.role as Role) ?? p) };
}

/** The rule as the IR holds it and as the torch.nn.init call it is, or null after reporting. */
function resolveRule(spec: InitRuleSpec, p: ParamInfo, ctx: LayerCtx, at: readonly string[]): { rule: InitRule; call: string } | null {
  const s: InitRuleObjectSpec = typeof spec === 'string' ? ({ kind: spec } as InitRuleObjectSpec) : spec;
  const argAt = (k: string): readonly string[] => (typeof spec === 'string' ? at : [...at, k]);
  switch (s.kind) {
    case 'kaiming_uniform':
    case 'kaiming_normal': {
      const fans = fansOf(p, s.kind, ctx, at);
      if (fans === null) return null;
      const a = s.a ?? 0;
      const mode = s.mode ?? 'fan_in';
      const nonlinearity = s.nonlinearity ?? 'leaky_relu';
      const fan = mode === 'fan_in' ? fans.fanIn : fans.fanOut;
      const gain = calculateGain(nonlinearity, a);
      const std = gain / Math.sqrt(fan);
      const call = `${s.kind}_(a=${py(a)}, mode='${mode}', nonlinearity='${nonlinearity}')`;
      // kaiming_uniform_: bound = math.sqrt(3.0) * std; kaiming_normal_: normal_(0, std).
      return { rule: s.kind === 'kaiming_uniform' ? { kind: 'uniform', bound: Math.sqrt(3.0) * std } : { kind: 'normal', mean: 0, std }, call };
    }
    case 'xavier_uniform':
    case 'xavier_normal': {
      const fans = fansOf(p, s.kind, ctx, at);
      if (fans === null) return null;
      const gain = gainOf(s.gain);
      const std = gain * Math.sqrt(2.0 / (fans.fanIn + fans.fanOut));
      const call = `${s.kind}_(gain=${py(gain)})`;
      return { rule: s.kind === 'xavier_uniform' ? { kind: 'uniform', bound: Math.sqrt(3.0) * std } : { kind: 'normal', mean: 0, std }, call };
    }
    case 'orthogonal': {
      if (p.shape.length < 2) {
        notApplicable(p, 'orthogonal', 'Only tensors with 2 or more dimensions are supported', ctx, at);
        return null;
      }
      const gain = gainOf(s.gain);
      const rows = p.shape[0]!;
      return { rule: { kind: 'orthogonal', rows, cols: p.size / rows, gain }, call: `orthogonal_(gain=${py(gain)})` };
    }
    case 'normal': {
      const mean = s.mean ?? 0;
      const std = s.std ?? 1;
      return { rule: { kind: 'normal', mean, std }, call: `normal_(mean=${py(mean)}, std=${py(std)})` };
    }
    case 'uniform': {
      const a = s.a ?? 0;
      const b = s.b ?? 1;
      if (!(a < b)) {
        ctx.error('E0415', `${ctx.name}: uniform's a (${a}) must be below its b (${b})`, argAt(s.a !== undefined ? 'a' : 'b'),
          a === b ? `for the constant ${a}, write \`{ kind: constant, val: ${a} }\`` : 'swap them: U(a, b) draws from a up to b');
        return null;
      }
      return { rule: { kind: 'uniform_range', a, b }, call: `uniform_(a=${py(a)}, b=${py(b)})` };
    }
    case 'trunc_normal': {
      const mean = s.mean ?? 0;
      const std = s.std ?? 1;
      const a = s.a ?? -2;
      const b = s.b ?? 2;
      if (!(a < b)) {
        ctx.error('E0415', `${ctx.name}: trunc_normal's a (${a}) must be below its b (${b})`, argAt(s.a !== undefined ? 'a' : 'b'));
        return null;
      }
      // The runtime draws N(mean, std²) until a value falls in [a, b]; an interval that holds almost none of
      // the distribution would take forever (torch warns, "mean is more than 2 std from [a, b]", and clamps).
      const mass = normalCdf((b - mean) / std) - normalCdf((a - mean) / std);
      if (!(mass >= 1e-3)) {
        ctx.error('E0415', `${ctx.name}: trunc_normal's [${a}, ${b}] holds ${mass < 1e-6 ? 'almost none' : `only ${mass.toPrecision(2)}`} of N(${mean}, ${std}²) (less than 0.001)`,
          argAt(s.mean !== undefined ? 'mean' : 'a'), 'torch.nn.init.trunc_normal_ takes a and b as values, not in units of std: put [a, b] around the mean');
        return null;
      }
      return { rule: { kind: 'trunc_normal', mean, std, a, b }, call: `trunc_normal_(mean=${py(mean)}, std=${py(std)}, a=${py(a)}, b=${py(b)})` };
    }
    case 'constant':
      return { rule: { kind: 'constant', val: s.val }, call: `constant_(val=${py(s.val)})` };
    case 'ones':
    case 'zeros':
      return { rule: { kind: s.kind }, call: `${s.kind}_()` };
  }
}

/**
 * torch.nn.init._calculate_fan_in_and_fan_out: fan_in = size(1) · receptive field, fan_out = size(0) ·
 * receptive field, the receptive field being the product of dims 2…. It reads the weight's own shape, so a
 * grouped conv2d's fan_in is (in/groups)·kh·kw and a conv_transpose2d's ([in, out/groups, kh, kw]) is
 * (out/groups)·kh·kw, as PyTorch computes them.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  let receptive = 1;
  for (const s of shape.slice(2)) receptive *= s;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function fansOf(p: ParamInfo, kind: string, ctx: LayerCtx, at: readonly string[]): { fanIn: number; fanOut: number } | null {
  if (p.shape.length >= 2) return fans(p.shape);
  notApplicable(p, kind, 'Fan in and fan out can not be computed for tensor with fewer than 2 dimensions', ctx, at);
  return null;
}

function notApplicable(p: ParamInfo, kind: string, torchSays: string, ctx: LayerCtx, at: readonly string[]): void {
  ctx.error('E0414', `${ctx.name}: ${kind} does not apply to ${p.name}, which is ${fmtShape(p.shape)} (PyTorch: "${torchSays}")`, at,
    p.role === 'bias' ? 'a bias is usually `zeros` (Keras) or `constant`; `normal` and `uniform` apply to any shape' : '`normal`, `uniform`, `constant`, `ones` and `zeros` apply to any shape');
}

/**
 * torch.nn.init.calculate_gain(nonlinearity, param), 1.13: the linear functions and sigmoid 1, tanh 5/3,
 * relu √2, leaky_relu √(2 / (1 + slope²)) with slope = param (default 0.01), selu 3/4.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
  }
}

function gainOf(g: GainSpec | undefined): number {
  if (g === undefined) return 1;
  if (typeof g === 'number') return g;
  if (typeof g === 'string') return calculateGain(g);
  return calculateGain(g.nonlinearity, g.param);
}

/** True when two rules draw the same numbers from the same stream: the default kaiming_uniform(fanIn) is
 *  U(±kaimingUniformBound(fanIn, √5)), and U(a, b) with a = −b is U(±b) (a + (b − a)·u either way). */
function sameDraws(x: InitRule, y: InitRule): boolean {
  const canon = (r: InitRule): InitRule =>
    r.kind === 'kaiming_uniform' ? { kind: 'uniform', bound: kaimingUniformBound(r.fanIn, Math.sqrt(5)) }
      : r.kind === 'uniform_range' && r.a === -r.b ? { kind: 'uniform', bound: r.b }
        : r;
  return JSON.stringify(canon(x)) === JSON.stringify(canon(y));
}

/** A number as Python prints a float or int argument (JavaScript's shortest round-trip form is Python's repr). */
function py(x: number): string {
  return String(x);
}

/**
 * Φ(x) = (1 + erf(x/√2)) / 2, as trunc_normal_'s norm_cdf, with erfc from Numerical Recipes' erfcc
 * (Chebyshev fit, relative error < 1.2e-7): only to refuse an interval that holds too little of the normal.
 */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}
