// The binary cross-entropies, one 0/1 target per output element (PyTorch 1.13):
//   bce (nn.BCELoss) on probabilities p: loss = −(t·max(log p, −100) + (1−t)·max(log(1−p), −100));
//     its gradient is PyTorch's binary_cross_entropy_backward, (p − t) / max((1 − p)·p, 1e−12).
//     Like PyTorch, an input outside [0, 1] is refused (a NaN passes, for the non-finite guard).
//   bce_with_logits (nn.BCEWithLogitsLoss) on logits x, stable: with lw = 1 + (pos_weight − 1)·t,
//     loss = (1 − t)·x + lw·softplus(−x), softplus(−x) = max(−x, 0) + log1p(exp(−|x|));
//     dloss/dx = lw·σ(x) − pos_weight·t   (= σ(x) − t without pos_weight).
import type { LossTermIR } from '../../ir/types.js';
import { indent, lines, lit } from '../kernel.js';
import { binaryCheck, divisor, elements, invTotal, labelPass, put, type TermCode, type TermCtx } from './common.js';

type Bce = Extract<LossTermIR, { kind: 'bce' }>;
type BceWithLogits = Extract<LossTermIR, { kind: 'bce_with_logits' }>;

export function emitBce(t: Bce, ctx: TermCtx, name: string): TermCode {
  const E = elements(ctx);
  const body = lines(
    labelPass(ctx, E, [binaryCheck], divisor(t.reduction, E, '1')),
    invTotal(t),
    `let loss = 0;`,
    `for (let i = 0; i < ${E}; i++) {`,
    indent(
      lines(
        `const v = p[i];`,
        `if (v < 0 || v > 1) throw new RangeError('bce: input ' + v + ' at index ' + i + ' is not a probability in [0, 1]; use bce_with_logits on logits');`,
        `const t = labels[i];`,
        `loss -= t === 1 ? Math.max(Math.log(v), -100) : Math.max(Math.log(1 - v), -100);`,
        `if (dZ !== null) ${put(ctx, 'dZ[i]', '(v - t) / Math.max((1 - v) * v, 1e-12) * inv')}`,
      ),
    ),
    `}`,
    `return loss * inv;`,
  );
  return {
    name,
    input: 'p',
    body,
    constants: null,
  };
}

export function emitBceWithLogits(t: BceWithLogits, ctx: TermCtx, name: string): TermCode {
  const E = elements(ctx);
  const pw = t.posWeight;
  const pwName = pw !== null && pw.length > 1 ? ctx.constant('posWeight') : '';
  const pwAt = pw === null ? null : pw.length === 1 ? lit(pw[0]!) : `${pwName}[i % ${ctx.outSize}]`;
  const body = lines(
    labelPass(ctx, E, [binaryCheck], divisor(t.reduction, E, '1')),
    invTotal(t),
    `let loss = 0;`,
    `for (let i = 0; i < ${E}; i++) {`,
    indent(
      lines(
        `const x = z[i];`,
        `const t = labels[i];`,
        `const softplus = Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));`,
        pwAt === null
          ? [`loss += (1 - t) * x + softplus;`, `if (dZ === null) continue;`]
          : [`const pt = ${pwAt} * t;`, `const lw = pt + 1 - t;`, `loss += (1 - t) * x + lw * softplus;`, `if (dZ === null) continue;`],
        `const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));`,
        put(ctx, 'dZ[i]', pwAt === null ? '(s - t) * inv' : '(lw * s - pt) * inv'),
      ),
    ),
    `}`,
    `return loss * inv;`,
  );
  return {
    name,
    input: 'z',
    body,
    constants: pw === null || pw.length === 1 ? null : `const ${pwName}: readonly number[] = [${pw.map(lit).join(', ')}];`,
  };
}
