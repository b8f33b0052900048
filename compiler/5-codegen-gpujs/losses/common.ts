// What the gpu.js loss terms share. Each term is a few kernels (1-D outputs, one thread per element):
//   `<p>_rows`  each row's (or element's) loss before the reduction's division — read back and summed
//               on the host in float64, which divides by the term's total and multiplies by its scale;
//   `<p>_grad`  the term's gradient of the output (scale and total included), per output element;
//   dice adds `<p>_dice`, the batch-wide sums it needs. `<p>` is `loss` (one term) or `loss<k>`.
// Labels come from the host (runtime/gpujs/model.ts) as floats: a class index per row (−1 for a row
// equal to ignore_index) or a 0/1 target per element; the host checks them and computes each term's
// total (the reduction's divisor) as the TypeScript target does (compiler/5-codegen/losses/common.ts).
import type { LossTermIR } from '../../ir/types.js';
import { flt, type GpuKernel } from '../kernel.js';

export interface TermCtx {
  /** Classes (the output's dim 1) and positions per class: the output is [C, inner...]. */
  readonly C: number;
  readonly inner: number;
  readonly outSize: number;
  readonly outShape: readonly number[];
  /** Kernel name prefix: `loss` or `loss<k>`; module constants of this term end in `k`. */
  readonly prefix: string;
  readonly index: number;
  /** A single nll term after log_softmax: its gradient is the logits'. */
  readonly fused: boolean;
  readonly note: string;
}

/** How the host divides the summed rows: Σ w[y] over the rows that count, the number of labels, or 1. */
export type TermTotal = 'weighted' | 'count' | 'one';

export interface TermKernels {
  readonly kernels: readonly GpuKernel[];
  /** Module-level Float32Array constants the kernels read: name and values. */
  readonly constants: ReadonlyArray<{ readonly name: string; readonly values: readonly number[] }>;
  /** Generator statements: run the kernels on output z; they define `rows` and `grad` (the variables named below). */
  readonly steps: (z: string, t: string, total: string) => string[];
  readonly rows: string;
  readonly grad: string;
  readonly total: TermTotal;
  /** Class weights the host's 'weighted' total uses, or null. */
  readonly weight: readonly number[] | null;
}

/** The reduction's divisor: mean → Σ w[y] (class terms) or the count, sum → 1, none → the count
 *  (training back-propagates the mean of the per-element losses, as `loss.mean().backward()`). */
export function totalOf(t: LossTermIR, classIndex: boolean): TermTotal {
  if (t.kind === 'dice') return 'one';
  switch (t.reduction) {
    case 'mean': return classIndex ? 'weighted' : 'count';
    case 'sum': return 'one';
    case 'none': return 'count';
  }
}

/** `u^g` for a literal γ: products for small whole γ (GLSL's pow is undefined at 0 for some γ). */
export function powOf(u: string, g: number): string {
  if (g === 0) return '1.0';
  if (Number.isInteger(g) && g <= 4) return Array.from({ length: g }, () => u).join(' * ');
  return `Math.pow(${u}, ${flt(g)})`;
}

/** Row r of a class-index output: its sample's offset `o` (class 0 of the row) and label `tr`. */
export function rowHead(ctx: TermCtx): string[] {
  const { C, inner } = ctx;
  return [
    `const r = this.thread.x;`,
    inner === 1 ? `const o = r * ${C};` : `const s = Math.floor(r / ${inner});`,
    ...(inner === 1 ? [] : [`const o = s * ${C * inner} + (r - s * ${inner});`]),
    `const tr = t[r];`,
    `if (tr < 0.0) {`,
    `  return 0.0;`,
    `}`,
  ];
}

/** Output element i = (s, c, p) of a class-index output: its row r, `o`, class c and label `tr`. */
export function elementHead(ctx: TermCtx): string[] {
  const { C, inner } = ctx;
  return [
    `const i = this.thread.x;`,
    `const s = Math.floor(i / ${C * inner});`,
    // One position per sample (inner 1): the class is the row's element and p is 0.
    ...(inner === 1
      ? [`const c = i - s * ${C};`, `const o = s * ${C};`, `const tr = t[s];`]
      : [
          `const c = Math.floor((i - s * ${C * inner}) / ${inner});`,
          `const p = i - s * ${C * inner} - c * ${inner};`,
          `const o = s * ${C * inner} + p;`,
          `const tr = t[s * ${inner} + p];`,
        ]),
    `if (tr < 0.0) {`,
    `  return 0.0;`,
    `}`,
  ];
}

/** z[class c] of row `o`. */
export const zAt = (ctx: TermCtx, v: string, c: string): string => `${v}[o + ${c}${ctx.inner === 1 ? '' : ` * ${ctx.inner}`}]`;

/** mx, sum and lse of row `o` (loop variable cc). */
export function logSumExp(ctx: TermCtx, v = 'z'): string[] {
  return [
    `let mx = -3.4e38;`,
    `for (let cc = 0; cc < ${ctx.C}; cc++) {`,
    `  mx = Math.max(mx, ${zAt(ctx, v, 'cc')});`,
    `}`,
    `let sum = 0.0;`,
    `for (let cc = 0; cc < ${ctx.C}; cc++) {`,
    `  sum += Math.exp(${zAt(ctx, v, 'cc')} - mx);`,
    `}`,
    `const lse = mx + Math.log(sum);`,
  ];
}

export const kname = (ctx: TermCtx, suffix: string): string => `${ctx.prefix}_${suffix}`;
export const run = (v: string, kernel: string, args: readonly string[]): string => `const ${v} = yield this.run(${kernel}, n, ${args.join(', ')});`;
