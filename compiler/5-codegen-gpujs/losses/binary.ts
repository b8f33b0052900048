// The binary terms, one 0/1 target per output element (compiler/5-codegen/losses/bce.ts, focal.ts):
//   bce              row: −(t·max(log p, −100) + (1−t)·max(log(1−p), −100));  grad: (p − t) / max((1−p)·p, 1e−12)·inv
//                    (PyTorch refuses p outside [0, 1]; a kernel cannot throw, so that check is the TS target's only)
//   bce_with_logits  lw = 1 + (pos_weight − 1)·t, row: (1 − t)·x + lw·softplus(−x);  grad: (lw·σ(x) − pos_weight·t)·inv
//   focal binary     torchvision's sigmoid_focal_loss: s = ±x, row: α_t·u^γ·softplus(−s), u = σ(−s);
//                    grad: ±(−α_t·u^γ·(γ·p_t·softplus(−s) + u))·inv
// softplus(−x) = max(−x, 0) + log1p(exp(−|x|)); inv = scale / total.
import type { LossTermIR } from '../../ir/types.js';
import { body, flt } from '../kernel.js';
import { kname, powOf, run, totalOf, type TermCtx, type TermKernels } from './common.js';

type Bce = Extract<LossTermIR, { kind: 'bce' }>;
type BceWithLogits = Extract<LossTermIR, { kind: 'bce_with_logits' }>;
type Focal = Extract<LossTermIR, { kind: 'focal' }>;

function assemble(ctx: TermCtx, rowsBody: string, gradBody: string, extra: { name: string; values: readonly number[] } | null, t: LossTermIR): TermKernels {
  const ex = extra === null ? [] : ['pw'];
  const rows = `rows${ctx.index}`;
  const grad = `dZ${ctx.index}`;
  const length = { perSample: ctx.outSize };
  return {
    kernels: [
      { suffix: 'rows', params: ['z', 't', ...ex], length, body: rowsBody },
      { suffix: 'grad', params: ['z', 't', 'total', ...ex], length, body: gradBody },
    ],
    constants: extra === null ? [] : [extra],
    steps: (z, tt, total) => [
      run(rows, kname(ctx, 'rows'), [z, tt, ...(extra === null ? [] : [extra.name])]),
      run(grad, kname(ctx, 'grad'), [z, tt, total, ...(extra === null ? [] : [extra.name])]),
    ],
    rows,
    grad,
    total: totalOf(t, false),
    weight: null,
  };
}

const HEAD = [`const i = this.thread.x;`, `const x = z[i];`, `const tt = t[i];`];
const SOFTPLUS = `const softplus = Math.max(-x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));`;

export function emitBce(t: Bce, ctx: TermCtx): TermKernels {
  const rowsBody = body(
    HEAD,
    `const lp = x > 0.0 ? Math.max(Math.log(x), -100.0) : -100.0;`,
    `const lq = x < 1.0 ? Math.max(Math.log(1.0 - x), -100.0) : -100.0;`,
    `return -(tt * lp + (1.0 - tt) * lq);`,
  );
  const gradBody = body(HEAD, `return (x - tt) / Math.max((1.0 - x) * x, 1e-12) * (${flt(t.scale)} / total);`);
  return assemble(ctx, rowsBody, gradBody, null, t);
}

export function emitBceWithLogits(t: BceWithLogits, ctx: TermCtx): TermKernels {
  const pw = t.posWeight;
  const K = ctx.outSize;
  const table = pw !== null && pw.length > 1 ? { name: `POS_WEIGHT${ctx.index}`, values: pw } : null;
  const pwAt = pw === null ? null : table === null ? flt(pw[0]!) : K === 1 ? 'pw[0]' : `pw[i - Math.floor(i / ${K}) * ${K}]`;
  const weights = pwAt === null ? [`const pt = tt;`, `const lw = 1.0;`] : [`const pt = ${pwAt} * tt;`, `const lw = pt + 1.0 - tt;`];
  const rowsBody = body(HEAD, SOFTPLUS, weights, `return (1.0 - tt) * x + lw * softplus;`);
  const gradBody = body(
    HEAD,
    weights,
    `const sg = x >= 0.0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));`,
    `return (lw * sg - pt) * (${flt(t.scale)} / total);`,
  );
  return assemble(ctx, rowsBody, gradBody, table, t);
}

export function emitFocalBinary(t: Focal, ctx: TermCtx): TermKernels {
  const g = t.gamma;
  const stats = [
    HEAD,
    `const sx = tt === 1.0 ? x : -x;`,
    `const e = Math.exp(-Math.abs(sx));`,
    `const softplus = Math.max(-sx, 0.0) + Math.log1p(e);`,
    `const pt = sx >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);`,
    `const u = sx >= 0.0 ? e / (1.0 + e) : 1.0 / (1.0 + e);`,
    `const f = ${powOf('u', g)};`,
    t.alpha >= 0 ? `const at = tt === 1.0 ? ${flt(t.alpha)} : ${flt(1 - t.alpha)};` : `const at = 1.0;`,
  ].flat();
  const rowsBody = body(stats, `return at * f * softplus;`);
  const gradBody = body(
    stats,
    `const gr = -at * f * (${g === 0 ? '' : `${flt(g)} * pt * softplus + `}u);`,
    `return (tt === 1.0 ? gr : -gr) * (${flt(t.scale)} / total);`,
  );
  return assemble(ctx, rowsBody, gradBody, null, t);
}
