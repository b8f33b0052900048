// dice (compiler/5-codegen/losses/dice.ts): loss = 1 − (1/C)·Σ_c d[c], d[c] = (2·I[c] + s) / D[c],
// D[c] = P[c] + T[c] + s, sums over the batch and every pixel (rows labelled ignore_index count in none);
// dloss/dp[c] = −(1/C)·(2·t[c] − d[c]) / D[c]. softmax mode: p = softmax(z) when from_logits (dz =
// p·(g − Σ p·g)), t one-hot; binary mode: p = σ(z) when from_logits (dz = g·p·(1 − p)), one class.
// Three kernels: `dice` [2C] gathers I, P, T over every row for its class and returns d[c] (threads
// 0..C−1) and D[c] (threads C..2C−1); `rows` [C] is (1 − d[c])/C (the host sums it: no divisor);
// `grad` reads d and D. The scale multiplies the gradient here and the loss on the host.
import type { LossTermIR } from '../../ir/types.js';
import { body, flt } from '../kernel.js';
import { elementHead, kname, run, zAt, type TermCtx, type TermKernels } from './common.js';

type Dice = Extract<LossTermIR, { kind: 'dice' }>;

export function emitDice(t: Dice, ctx: TermCtx): TermKernels {
  const binary = t.mode === 'binary';
  const C = binary ? 1 : ctx.C;
  const s = flt(t.smooth);
  const p = ctx.prefix;
  const sums = binary ? binarySums(t, ctx) : softmaxSums(t, ctx);
  const rows = `rows${ctx.index}`;
  const grad = `dZ${ctx.index}`;
  const dice = `dice${ctx.index}`;
  return {
    kernels: [
      { suffix: 'dice', params: ['z', 't'], length: { total: 2 * C }, body: body(sums, `const D = P + T + ${s};`, `return this.thread.x < ${C} ? (2.0 * I + ${s}) / D : D;`) },
      { suffix: 'rows', params: ['dice'], length: { total: C }, body: `return (1.0 - dice[this.thread.x]) / ${C}.0;` },
      { suffix: 'grad', params: ['z', 't', 'dice'], length: { perSample: ctx.outSize }, body: binary ? binaryGrad(t) : softmaxGrad(t, ctx) },
    ],
    constants: [],
    steps: (z, tt) => [run(dice, kname(ctx, 'dice'), [z, tt]), run(rows, `${p}_rows`, [dice]), run(grad, kname(ctx, 'grad'), [z, tt, dice])],
    rows,
    grad,
    total: 'one',
    weight: null,
  };
}

/** I, P, T of class c = thread mod C, over every row of the batch (p of row `o`: softmax of z, or z). */
function softmaxSums(t: Dice, ctx: TermCtx): string[] {
  const { C, inner } = ctx;
  const pc = t.fromLogits ? `Math.exp(${zAt(ctx, 'z', 'c')} - mx) / sum` : zAt(ctx, 'z', 'c');
  return [
    `const c = this.thread.x < ${C} ? this.thread.x : this.thread.x - ${C};`,
    `let I = 0.0;`,
    `let P = 0.0;`,
    `let T = 0.0;`,
    `for (let s = 0; s < \${n}; s++) {`,
    `  for (let q = 0; q < ${inner}; q++) {`,
    `    const tr = t[s * ${inner} + q];`,
    `    if (tr >= 0.0) {`,
    `      const o = s * ${C * inner} + q;`,
    ...(t.fromLogits
      ? [
          `      let mx = -3.4e38;`,
          `      for (let cc = 0; cc < ${C}; cc++) {`,
          `        mx = Math.max(mx, ${zAt(ctx, 'z', 'cc')});`,
          `      }`,
          `      let sum = 0.0;`,
          `      for (let cc = 0; cc < ${C}; cc++) {`,
          `        sum += Math.exp(${zAt(ctx, 'z', 'cc')} - mx);`,
          `      }`,
        ]
      : []),
    `      const pc = ${pc};`,
    `      P += pc;`,
    `      if (tr === c) {`,
    `        I += pc;`,
    `        T += 1.0;`,
    `      }`,
    `    }`,
    `  }`,
    `}`,
  ];
}

function binarySums(t: Dice, ctx: TermCtx): string[] {
  return [
    `let I = 0.0;`,
    `let P = 0.0;`,
    `let T = 0.0;`,
    `for (let s = 0; s < \${n}; s++) {`,
    `  for (let q = 0; q < ${ctx.outSize}; q++) {`,
    `    const i = s * ${ctx.outSize} + q;`,
    `    const pc = ${t.fromLogits ? '1.0 / (1.0 + Math.exp(-z[i]))' : 'z[i]'};`,
    `    I += pc * t[i];`,
    `    P += pc;`,
    `    T += t[i];`,
    `  }`,
    `}`,
  ];
}

function softmaxGrad(t: Dice, ctx: TermCtx): string {
  const { C } = ctx;
  const k = flt(-t.scale / C);
  const g = (c: string): string => `${k} * ((${c} === tr ? 2.0 : 0.0) - dice[${c}]) / dice[${C} + ${c}]`;
  if (!t.fromLogits) return body(elementHead(ctx), `return ${g('c')};`);
  return body(
    elementHead(ctx),
    `let mx = -3.4e38;`,
    `for (let cc = 0; cc < ${C}; cc++) {`,
    `  mx = Math.max(mx, ${zAt(ctx, 'z', 'cc')});`,
    `}`,
    `let sum = 0.0;`,
    `for (let cc = 0; cc < ${C}; cc++) {`,
    `  sum += Math.exp(${zAt(ctx, 'z', 'cc')} - mx);`,
    `}`,
    `let dot = 0.0;`,
    `for (let cc = 0; cc < ${C}; cc++) {`,
    `  dot += Math.exp(${zAt(ctx, 'z', 'cc')} - mx) / sum * (${g('cc')});`,
    `}`,
    `return Math.exp(z[i] - mx) / sum * (${g('c')} - dot);`,
  );
}

function binaryGrad(t: Dice): string {
  return body(
    `const i = this.thread.x;`,
    `const g = ${flt(-t.scale)} * (2.0 * t[i] - dice[0]) / dice[1];`,
    t.fromLogits ? [`const q = 1.0 / (1.0 + Math.exp(-z[i]));`, `return g * q * (1.0 - q);`] : `return g;`,
  );
}
