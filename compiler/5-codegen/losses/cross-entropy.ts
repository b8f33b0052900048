// cross_entropy (nn.CrossEntropyLoss, 1.13) on logits z [n, C, ...]: per row (a sample, or a pixel of a
// label map) with label t and lp = log_softmax(z),
//   loss_r = (1−ε)·w[t]·(−lp[t]) + (ε/C)·Σ_c w[c]·(−lp[c]);   ignored rows (t = ignore_index): 0
//   dloss_r/dz[c] = p[c]·((1−ε)·w[t] + (ε/C)·Σw) − (1−ε)·w[t]·[c = t] − (ε/C)·w[c]
// reduced by common.ts's divisor (mean: Σ w[t] over the rows that count, as PyTorch's label-smoothing
// path also divides its smoothing term).
import type { LossTermIR } from '../../ir/types.js';
import { indent, lines, lit } from '../kernel.js';
import { at, classCheck, divisor, invTotal, labelPass, put, rowOffset, rows, softmaxHead, type TermCode, type TermCtx } from './common.js';

type CrossEntropy = Extract<LossTermIR, { kind: 'cross_entropy' }>;

export function emitCrossEntropy(t: CrossEntropy, ctx: TermCtx, name: string): TermCode {
  const { C } = ctx;
  const eps = t.labelSmoothing;
  const smooth = eps > 0;
  const w = t.weight;
  const wName = w === null ? '' : ctx.constant('lossWeight');
  const wt = w === null ? '1' : `${wName}[t]`;
  const sumW = w === null ? C : w.reduce((a, b) => a + b, 0);
  const R = rows(ctx);
  const loop = (stmt: string): string => `for (let c = 0; c < ${C}; c++) ${stmt}`;
  const z = (c: string): string => at(ctx, 'z', c);
  const dz = (c: string): string => at(ctx, 'dZ', c);
  const shared = ctx.sharedSoftmax;
  const E = shared ? '' : ctx.constant('lossExp');
  // p[c]·a: E[c]·(a / sum) from the own softmax head, prob[c]·a from the shared one
  const pa = shared ? (a: string): string => `${at(ctx, 'prob', 'c')} * ${a}` : (a: string): string => `${E}[c] * ${a}`;
  const body = lines(
    labelPass(ctx, R, classCheck(ctx, t.ignoreIndex), divisor(t.reduction, R, wt)),
    invTotal(t),
    `let loss = 0;`,
    `for (let r = 0; r < ${R}; r++) {`,
    indent(
      lines(
        `const o = ${rowOffset(ctx, 'r')};`,
        `const t = labels[r];`,
        ctx.write === 'assign'
          ? [`if (t === ${lit(t.ignoreIndex)}) {`, `  if (dZ !== null) ${loop(`${dz('c')} = 0;`)}`, `  continue;`, `}`]
          : `if (t === ${lit(t.ignoreIndex)}) continue;`,
        shared ? `const lse = logSumExp[r];` : [...softmaxHead(ctx, z, E), `const lse = mx + Math.log(sum);`],
        `const wt = ${wt};`,
        `loss += ${smooth ? `${lit(1 - eps)} * ` : ''}wt * (lse - ${z('t')});`,
        smooth ? [`let smooth = 0;`, loop(`smooth += ${w === null ? '' : `${wName}[c] * `}(lse - ${z('c')});`), `loss += ${lit(eps / C)} * smooth;`] : null,
        `if (dZ === null) continue;`,
        smooth ? `const a = (${lit(1 - eps)} * wt + ${lit((eps / C) * sumW)}) * inv${shared ? '' : ' / sum'};` : `const a = wt * inv${shared ? '' : ' / sum'};`,
        smooth
          ? loop(put(ctx, dz('c'), `${pa('a')} - ${w === null ? lit(eps / C) : `${lit(eps / C)} * ${wName}[c]`} * inv`))
          : loop(put(ctx, dz('c'), pa('a'))),
        `${dz('t')} -= ${smooth ? `${lit(1 - eps)} * ` : ''}wt * inv;`,
      ),
    ),
    `}`,
    `return loss * inv;`,
  );
  return {
    name,
    input: 'z',
    body,
    constants: lines(shared ? null : `const ${E} = new Float64Array(${C});`, w === null ? null : `const ${wName}: readonly number[] = [${w.map(lit).join(', ')}];`),
  };
}
