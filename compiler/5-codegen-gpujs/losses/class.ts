// The class-index terms on logits or log-probabilities z [n, C, ...] (a row per sample or per pixel),
// formulas as the TypeScript target's (compiler/5-codegen/losses/cross-entropy.ts, nll.ts, focal.ts):
//   cross_entropy  row: (1−ε)·w[t]·(lse − z[t]) + (ε/C)·Σ_c w[c]·(lse − z[c])
//                  grad: p[c]·((1−ε)·w[t] + (ε/C)·Σw)·inv − (ε/C)·w[c]·inv − [c = t]·(1−ε)·w[t]·inv
//   nll            row: −w[t]·z[t];  grad: −[c = t]·w[t]·inv, plus exp(z[c])·w[t]·inv when fused after log_softmax
//   focal softmax  row: −α·u^γ·log p_t, u = Σ_{c≠t} p[c] (no cancellation);
//                  grad: α·G·inv·(p[c] − [c = t]), G = u^γ − γ·u^(γ−1)·p_t·log p_t
// inv = scale / total (the host's divisor). Rows whose label is ignore_index (−1 from the host) give 0.
import type { LossTermIR } from '../../ir/types.js';
import { body, flt } from '../kernel.js';
import { elementHead, kname, logSumExp, powOf, rowHead, run, totalOf, zAt, type TermCtx, type TermKernels } from './common.js';

type Ce = Extract<LossTermIR, { kind: 'cross_entropy' }>;
type Nll = Extract<LossTermIR, { kind: 'nll' }>;
type Focal = Extract<LossTermIR, { kind: 'focal' }>;

const ROWS = (ctx: TermCtx) => ({ perSample: ctx.inner });
/** `a * b * …` without the factors that are 1 (literal index math and weights stay readable). */
const times = (...fs: string[]): string => fs.filter((f) => f !== '1.0').join(' * ') || '1.0';
const ELEMENTS = (ctx: TermCtx) => ({ perSample: ctx.outSize });

function assemble(ctx: TermCtx, rowsBody: string, gradBody: string, weights: readonly number[] | null, t: LossTermIR): TermKernels {
  const cw = weights === null ? [] : ['cw'];
  const cwName = `LOSS_WEIGHT${ctx.index}`;
  const rows = `rows${ctx.index}`;
  const grad = `dZ${ctx.index}`;
  return {
    kernels: [
      { suffix: 'rows', params: ['z', 't', ...cw], length: ROWS(ctx), body: rowsBody },
      { suffix: 'grad', params: ['z', 't', 'total', ...cw], length: ELEMENTS(ctx), body: gradBody },
    ],
    constants: weights === null ? [] : [{ name: cwName, values: weights }],
    steps: (z, tt, total) => [
      run(rows, kname(ctx, 'rows'), [z, tt, ...(weights === null ? [] : [cwName])]),
      run(grad, kname(ctx, 'grad'), [z, tt, total, ...(weights === null ? [] : [cwName])]),
    ],
    rows,
    grad,
    total: totalOf(t, true),
    weight: weights,
  };
}

export function emitCrossEntropy(t: Ce, ctx: TermCtx): TermKernels {
  const { C } = ctx;
  const eps = t.labelSmoothing;
  const w = t.weight;
  const wt = w === null ? '1.0' : 'cw[tr]';
  const sumW = w === null ? C : w.reduce((a, b) => a + b, 0);
  const smooth = eps > 0;
  const rowsBody = body(
    rowHead(ctx),
    logSumExp(ctx),
    `let loss = ${times(smooth ? flt(1 - eps) : '1.0', wt, `(lse - ${zAt(ctx, 'z', 'tr')})`)};`,
    smooth
      ? [`let sm = 0.0;`, `for (let cc = 0; cc < ${C}; cc++) {`, `  sm += ${w === null ? '' : 'cw[cc] * '}(lse - ${zAt(ctx, 'z', 'cc')});`, `}`, `loss += ${flt(eps / C)} * sm;`]
      : null,
    `return loss;`,
  );
  const gradBody = body(
    elementHead(ctx),
    logSumExp(ctx),
    `const inv = ${flt(t.scale)} / total;`,
    smooth ? `const a = (${times(flt(1 - eps), wt)} + ${flt((eps / C) * sumW)}) * inv;` : `const a = ${times(wt, 'inv')};`,
    `let g = Math.exp(z[i] - lse) * a;`,
    smooth ? `g -= ${times(flt(eps / C), w === null ? '1.0' : 'cw[c]', 'inv')};` : null,
    `if (c === tr) {`,
    `  g -= ${times(smooth ? flt(1 - eps) : '1.0', wt, 'inv')};`,
    `}`,
    `return g;`,
  );
  return assemble(ctx, rowsBody, gradBody, w, t);
}

export function emitNll(t: Nll, ctx: TermCtx): TermKernels {
  const w = t.weight;
  const wt = w === null ? '1.0' : 'cw[tr]';
  const rowsBody = body(rowHead(ctx), `return -${times(wt, zAt(ctx, 'z', 'tr'))};`);
  const gradBody = body(
    elementHead(ctx),
    `const a = ${times(wt, `(${flt(t.scale)} / total)`)};`,
    ctx.fused ? `let g = Math.exp(z[i]) * a;` : `let g = 0.0;`,
    `if (c === tr) {`,
    `  g -= a;`,
    `}`,
    `return g;`,
  );
  return assemble(ctx, rowsBody, gradBody, w, t);
}

export function emitFocalSoftmax(t: Focal, ctx: TermCtx): TermKernels {
  const { C } = ctx;
  const g = t.gamma;
  const alpha = t.alpha >= 0 ? `${flt(t.alpha)} * ` : '';
  // Row statistics: lse, log p_t, p_t and u = 1 − p_t as the sum of the other classes.
  const stats = [
    `let mx = -3.4e38;`,
    `for (let cc = 0; cc < ${C}; cc++) {`,
    `  mx = Math.max(mx, ${zAt(ctx, 'z', 'cc')});`,
    `}`,
    `let sum = 0.0;`,
    `let rest = 0.0;`,
    `for (let cc = 0; cc < ${C}; cc++) {`,
    `  const e = Math.exp(${zAt(ctx, 'z', 'cc')} - mx);`,
    `  sum += e;`,
    `  if (cc !== tr) {`,
    `    rest += e;`,
    `  }`,
    `}`,
    `const lse = mx + Math.log(sum);`,
    `const lpt = ${zAt(ctx, 'z', 'tr')} - lse;`,
    `const pt = Math.exp(lpt);`,
    `const u = rest / sum;`,
    `const f = ${powOf('u', g)};`,
  ];
  const rowsBody = body(rowHead(ctx), stats, `return -${alpha}f * lpt;`);
  const gradBody = body(
    elementHead(ctx),
    stats,
    g === 0 ? `const G = 1.0;` : `const G = u > 0.0 ? f - ${flt(g)} * ${powOf('u', g - 1)} * pt * lpt : f;`,
    `const a = ${alpha}G * (${flt(t.scale)} / total);`,
    `let gr = Math.exp(z[i] - lse) * a;`,
    `if (c === tr) {`,
    `  gr -= a;`,
    `}`,
    `return gr;`,
  );
  return assemble(ctx, rowsBody, gradBody, null, t);
}
