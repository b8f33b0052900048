// dice: the soft Dice loss; PyTorch core has none, so the formula is fixed here (as
// segmentation_models_pytorch's DiceLoss: sums over the batch and every pixel, then a mean over classes):
//   loss = 1 − (1/C)·Σ_c d[c],   d[c] = (2·I[c] + s) / D[c],   D[c] = P[c] + T[c] + s,
//   I[c] = Σ p[c]·t[c], P[c] = Σ p[c], T[c] = Σ t[c]   (rows with t = ignore_index count in no sum)
//   dloss/dp[c] = −(1/C)·(2·t[c] − d[c]) / D[c]
// softmax mode (C > 1, class-index labels): p = softmax(z) when from_logits (dz = p·(g − Σ p·g)), else
// the output itself; t the one-hot label. binary mode (one channel, 0/1 targets): p = σ(z) when
// from_logits (dz = g·p·(1 − p)), t the target, and the one class is the positive one.
// A measure of the whole batch: no reduction. I, P, T (then d, D and the gradient factors) live in a
// module-level scratch array (no allocation).
import type { LossTermIR } from '../../ir/types.js';
import { indent, lines, lit } from '../kernel.js';
import { at, binaryCheck, classCheck, elements, labelPass, rowOffset, rows, softmaxHead, type TermCode, type TermCtx } from './common.js';

type Dice = Extract<LossTermIR, { kind: 'dice' }>;

export function emitDice(t: Dice, ctx: TermCtx, name: string): TermCode {
  return t.mode === 'binary' ? binary(t, ctx, name) : softmax(t, ctx, name);
}

function softmax(t: Dice, ctx: TermCtx, name: string): TermCode {
  const { C } = ctx;
  const R = rows(ctx);
  const S = ctx.constant('diceSums');
  const s = lit(t.smooth);
  const loop = (stmt: string): string => `for (let c = 0; c < ${C}; c++) ${stmt}`;
  const z = (c: string): string => at(ctx, t.fromLogits ? 'z' : 'p', c);
  const dz = (c: string): string => at(ctx, 'dZ', c);
  const ign = lit(t.ignoreIndex);
  const shared = ctx.sharedSoftmax;
  const E = t.fromLogits && !shared ? ctx.constant('lossExp') : '';
  // p[c] of row o: softmax of the logits (the loss's shared one, or each exponential once, kept in E), or
  // the output as is.
  const head = t.fromLogits && !shared ? softmaxHead(ctx, z, E) : [];
  const p = (c: string): string => (shared ? at(ctx, 'prob', c) : t.fromLogits ? `${E}[${c}] / sum` : z(c));
  // g[c] = −(scale/C)·(2·[c = t] − d[c]) / D[c], both cases computed once per class after the first pass:
  // at S[2C + c] for c ≠ t, at S[3C + c] for c = t.
  const g = (c: string): string => `(${c} === t ? ${S}[${3 * C} + ${c}] : ${S}[${2 * C} + ${c}])`;
  const body = lines(
    labelPass(ctx, R, classCheck(ctx, t.ignoreIndex), { init: `${S}.fill(0);`, add: null }),
    `// I[c] at ${S}[c], P[c] at ${S}[${C} + c], T[c] at ${S}[${2 * C} + c]`,
    `for (let r = 0; r < ${R}; r++) {`,
    indent(
      lines(
        `const o = ${rowOffset(ctx, 'r')};`,
        `const t = labels[r];`,
        `if (t === ${ign}) continue;`,
        head,
        loop(`${S}[${C} + c] += ${p('c')};`),
        `${S}[t] += ${p('t')};`,
        `${S}[${2 * C} + t] += 1;`,
      ),
    ),
    `}`,
    `let mean = 0;`,
    `for (let c = 0; c < ${C}; c++) {`,
    `  const D = ${S}[${C} + c] + ${S}[${2 * C} + c] + ${s};`,
    `  ${S}[c] = (2 * ${S}[c] + ${s}) / D;`,
    `  ${S}[${C} + c] = D;`,
    `  mean += ${S}[c];`,
    `}`,
    `const loss = 1 - mean / ${C};`,
    `if (dZ === null) return ${t.scale === 1 ? 'loss' : `${lit(t.scale)} * loss`};`,
    `for (let c = 0; c < ${C}; c++) {`,
    `  ${S}[${2 * C} + c] = ${lit(-t.scale / C)} * (0 - ${S}[c]) / ${S}[${C} + c];`,
    `  ${S}[${3 * C} + c] = ${lit(-t.scale / C)} * (2 - ${S}[c]) / ${S}[${C} + c];`,
    `}`,
    `for (let r = 0; r < ${R}; r++) {`,
    indent(
      lines(
        `const o = ${rowOffset(ctx, 'r')};`,
        `const t = labels[r];`,
        ctx.write === 'assign'
          ? [`if (t === ${ign}) {`, `  ${loop(`${dz('c')} = 0;`)}`, `  continue;`, `}`]
          : `if (t === ${ign}) continue;`,
        head,
        t.fromLogits
          ? [
              `let dot = 0;`,
              loop(`dot += ${p('c')} * (${g('c')});`),
              loop(`${dz('c')} ${ctx.write === 'assign' ? '=' : '+='} ${p('c')} * (${g('c')} - dot);`),
            ]
          : loop(`${dz('c')} ${ctx.write === 'assign' ? '=' : '+='} ${g('c')};`),
      ),
    ),
    `}`,
    `return ${t.scale === 1 ? 'loss' : `${lit(t.scale)} * loss`};`,
  );
  return {
    name,
    input: t.fromLogits ? 'z' : 'p',
    body,
    constants: lines(`const ${S} = new Float64Array(${4 * C});`, E !== '' ? `const ${E} = new Float64Array(${C});` : null),
  };
}

function binary(t: Dice, ctx: TermCtx, name: string): TermCode {
  const E = elements(ctx);
  const s = lit(t.smooth);
  const x = t.fromLogits ? 'z' : 'p';
  const prob = t.fromLogits ? `1 / (1 + Math.exp(-${x}[i]))` : `${x}[i]`;
  const body = lines(
    labelPass(ctx, E, [binaryCheck], { init: `let I = 0;\nlet P = 0;\nlet T = 0;`, add: null }),
    `for (let i = 0; i < ${E}; i++) {`,
    `  const q = ${prob};`,
    `  I += q * labels[i];`,
    `  P += q;`,
    `  T += labels[i];`,
    `}`,
    `const D = P + T + ${s};`,
    `const d = (2 * I + ${s}) / D;`,
    `const loss = 1 - d;`,
    `if (dZ === null) return ${t.scale === 1 ? 'loss' : `${lit(t.scale)} * loss`};`,
    `for (let i = 0; i < ${E}; i++) {`,
    `  const g = ${lit(-t.scale)} * (2 * labels[i] - d) / D;`,
    t.fromLogits ? [`  const q = ${prob};`, `  dZ[i] ${ctx.write === 'assign' ? '=' : '+='} g * q * (1 - q);`] : `  dZ[i] ${ctx.write === 'assign' ? '=' : '+='} g;`,
    `}`,
    `return ${t.scale === 1 ? 'loss' : `${lit(t.scale)} * loss`};`,
  );
  return {
    name,
    input: x,
    body,
    constants: null,
  };
}
