// focal (Lin et al. 2017, "Focal Loss for Dense Object Detection"); PyTorch core has none, so the two
// formulas are fixed here (the schema's description says the same):
//   binary (one output channel; 0/1 targets of the output's shape): torchvision.ops.sigmoid_focal_loss,
//     loss = α_t·(1 − p_t)^γ·BCE_with_logits(x, t), p_t = σ(s), s = x if t = 1 else −x,
//     α_t = α if t = 1 else 1 − α (no α when α < 0). With u = 1 − p_t = σ(−s) (no cancellation):
//     dloss/ds = −α_t·u^γ·(γ·p_t·softplus(−s) + u), ds/dx = ±1.
//   softmax (C classes; class-index labels, per sample or per pixel): loss = −α·(1 − p_t)^γ·log p_t,
//     p_t = softmax(z)[t]; dloss/dz[c] = α·G·(p[c] − [c = t]), G = u^γ − γ·u^(γ−1)·p_t·log p_t.
// γ = 0 and no α give bce_with_logits and cross_entropy. Reduction: mean over the elements (binary) or
// rows (softmax), as torchvision's loss.mean(); sum; none (training: their mean).
import type { LossTermIR } from '../../ir/types.js';
import { indent, lines, lit } from '../kernel.js';
import { at, binaryCheck, classCheck, divisor, elements, invTotal, labelPass, put, rowOffset, rows, type TermCode, type TermCtx } from './common.js';

type Focal = Extract<LossTermIR, { kind: 'focal' }>;

const pow = (u: string, g: number): string => (g === 0 ? '1' : g === 1 ? u : `Math.pow(${u}, ${lit(g)})`);

export function emitFocal(t: Focal, ctx: TermCtx, name: string): TermCode {
  return t.mode === 'binary' ? binary(t, ctx, name) : softmax(t, ctx, name);
}

function binary(t: Focal, ctx: TermCtx, name: string): TermCode {
  const E = elements(ctx);
  const g = t.gamma;
  const alpha = t.alpha >= 0;
  const body = lines(
    labelPass(ctx, E, [binaryCheck], divisor(t.reduction, E, '1')),
    invTotal(t),
    `let loss = 0;`,
    `for (let i = 0; i < ${E}; i++) {`,
    indent(
      lines(
        `const t = labels[i];`,
        `const s = t === 1 ? z[i] : -z[i];`,
        `const e = Math.exp(-Math.abs(s));`,
        `const softplus = Math.max(-s, 0) + Math.log1p(e);`,
        `const pt = s >= 0 ? 1 / (1 + e) : e / (1 + e);`,
        `const u = s >= 0 ? e / (1 + e) : 1 / (1 + e);`,
        `const f = ${pow('u', g)};`,
        alpha ? `const at = t === 1 ? ${lit(t.alpha)} : ${lit(1 - t.alpha)};` : `const at = 1;`,
        `loss += at * f * softplus;`,
        `if (dZ === null) continue;`,
        `const g = -at * f * (${g === 0 ? '' : `${lit(g)} * pt * softplus + `}u);`,
        put(ctx, 'dZ[i]', '(t === 1 ? g : -g) * inv'),
      ),
    ),
    `}`,
    `return loss * inv;`,
  );
  return {
    name,
    input: 'z',
    body,
    constants: null,
  };
}

function softmax(t: Focal, ctx: TermCtx, name: string): TermCode {
  const { C } = ctx;
  const R = rows(ctx);
  const g = t.gamma;
  const a = t.alpha >= 0 ? t.alpha : 1;
  const loop = (stmt: string): string => `for (let c = 0; c < ${C}; c++) ${stmt}`;
  const z = (c: string): string => at(ctx, 'z', c);
  const dz = (c: string): string => at(ctx, 'dZ', c);
  const E = ctx.constant('lossExp');
  const body = lines(
    labelPass(ctx, R, classCheck(ctx, null), divisor(t.reduction, R, '1')),
    invTotal(t),
    `let loss = 0;`,
    `for (let r = 0; r < ${R}; r++) {`,
    indent(
      lines(
        `const o = ${rowOffset(ctx, 'r')};`,
        `const t = labels[r];`,
        `let mx = -Infinity;`,
        loop(`if (${z('c')} > mx) mx = ${z('c')};`),
        `let sum = 0;`,
        `let rest = 0;`,
        `for (let c = 0; c < ${C}; c++) {`,
        `  const e = Math.exp(${z('c')} - mx);`,
        `  ${E}[c] = e;`,
        `  sum += e;`,
        `  if (c !== t) rest += e;`,
        `}`,
        `const lse = mx + Math.log(sum);`,
        `const lpt = ${z('t')} - lse;`,
        `const pt = Math.exp(lpt);`,
        `const u = rest / sum;`,
        `const f = ${pow('u', g)};`,
        `loss -= ${a === 1 ? '' : `${lit(a)} * `}f * lpt;`,
        `if (dZ === null) continue;`,
        g === 0 ? `const G = 1;` : `const G = f - (u > 0 ? ${lit(g)} * ${pow('u', g - 1)} * pt * lpt : 0);`,
        `const a = ${a === 1 ? '' : `${lit(a)} * `}G * inv;`,
        `const q = a / sum;`, // p[c]·a = E[c]·(a / sum)
        loop(put(ctx, dz('c'), `${E}[c] * q`)),
        `${dz('t')} -= a;`,
      ),
    ),
    `}`,
    `return loss * inv;`,
  );
  return {
    name,
    input: 'z',
    body,
    constants: `const ${E} = new Float64Array(${C});`,
  };
}
