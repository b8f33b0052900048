// nll (nn.NLLLoss, 1.13) on log-probabilities logp [n, C, ...]: loss_r = −w[t]·logp[t] (0 for t =
// ignore_index), reduced by common.ts's divisor. Fused with a final log_softmax (4-passes/fuse.ts), dZ is
// the gradient of the logits, w[t]·(exp(logp) − onehot) (the seed's p − y), and log_softmax_backward is skipped.
import type { LossTermIR } from '../../ir/types.js';
import { indent, lines, lit } from '../kernel.js';
import { at, classCheck, divisor, invTotal, labelPass, put, rowOffset, rows, type TermCode, type TermCtx } from './common.js';

type Nll = Extract<LossTermIR, { kind: 'nll' }>;

export function emitNll(t: Nll, ctx: TermCtx, name: string): TermCode {
  const { C } = ctx;
  const w = t.weight;
  const wName = w === null ? '' : ctx.constant('lossWeight');
  const wt = w === null ? '1' : `${wName}[t]`;
  const R = rows(ctx);
  const loop = (stmt: string): string => `for (let c = 0; c < ${C}; c++) ${stmt}`;
  const lp = (c: string): string => at(ctx, 'logp', c);
  const dz = (c: string): string => at(ctx, 'dZ', c);
  const assign = ctx.write === 'assign';
  const body = lines(
    labelPass(ctx, R, classCheck(ctx, t.ignoreIndex), divisor(t.reduction, R, wt)),
    invTotal(t),
    `let loss = 0;`,
    `for (let r = 0; r < ${R}; r++) {`,
    indent(
      lines(
        `const o = ${rowOffset(ctx, 'r')};`,
        `const t = labels[r];`,
        assign
          ? [`if (t === ${lit(t.ignoreIndex)}) {`, `  if (dZ !== null) ${loop(`${dz('c')} = 0;`)}`, `  continue;`, `}`]
          : `if (t === ${lit(t.ignoreIndex)}) continue;`,
        `const wt = ${wt};`,
        `loss -= wt * ${lp('t')};`,
        `if (dZ === null) continue;`,
        ctx.fused
          ? [loop(put(ctx, dz('c'), `Math.exp(${lp('c')}) * (wt * inv)`)), `${dz('t')} -= wt * inv;`]
          : [...(assign ? [loop(`${dz('c')} = 0;`)] : []), `${dz('t')} -= wt * inv;`],
      ),
    ),
    `}`,
    `return loss * inv;`,
  );
  return {
    name,
    input: 'logp',
    body,
    constants: w === null ? null : `const ${wName}: readonly number[] = [${w.map(lit).join(', ')}];`,
  };
}
