// What every loss-term emitter shares: the output's layout, how a term writes its gradient (the first
// term of a sum assigns dZ, later ones add to it), the label checks and PyTorch's reduction divisors.
import type { LossTermIR, Reduction } from '../../ir/types.js';
import { lit } from '../kernel.js';

export interface TermCtx {
  /** Output channels (classes) and positions per channel: the output is [C, inner...]. */
  readonly C: number;
  readonly inner: number;
  /** Output elements per sample, C · inner. */
  readonly outSize: number;
  readonly outShape: readonly number[];
  /** 'assign' for the first term (dZ is written whole), 'add' for the terms after it. */
  readonly write: 'assign' | 'add';
  /** Only for a single nll term after log_softmax: the gradient goes to the logits. */
  readonly fusedNote: string;
  readonly fused: boolean;
  /** A free module-level name for a constant of this term (`lossWeight`, `lossWeight2`, ...). */
  constant(base: string): string;
  /** The term reads the logits' softmax computed once for the loss (softmax.ts): `prob` (the output's layout)
   *  and `logSumExp` (one per row), two more parameters of its function. */
  readonly sharedSoftmax: boolean;
}

export interface TermCode {
  /** Function name (no underscore: cannot collide with `<layer>_<suffix>`). */
  readonly name: string;
  /** The output parameter's name in the function: `z` (logits), `logp`, `p` (probabilities). */
  readonly input: 'z' | 'logp' | 'p';
  readonly body: string;
  /** Module-level constants the body reads (class weights, scratch), as statements, or null. */
  readonly constants: string | null;
}

/** `dZ[i] = v` or `dZ[i] += v`. */
export function put(ctx: TermCtx, target: string, value: string): string {
  return `${target} ${ctx.write === 'assign' ? '=' : '+='} ${value};`;
}

/** Rows: one class-index label each (a sample, or a pixel of a label map). */
export function rows(ctx: TermCtx): string {
  return ctx.inner === 1 ? 'n' : `n * ${ctx.inner}`;
}

/** Elements of the output: one 0/1 target each (binary terms). */
export function elements(ctx: TermCtx): string {
  return ctx.outSize === 1 ? 'n' : `n * ${ctx.outSize}`;
}

/** Offset of row r's channel 0, and the address of channel c in row `o`. */
export function rowOffset(ctx: TermCtx, r: string): string {
  return ctx.inner === 1 ? `${r} * ${ctx.C}` : `Math.floor(${r} / ${ctx.inner}) * ${ctx.outSize} + (${r} % ${ctx.inner})`;
}
export function at(ctx: TermCtx, v: string, c: string): string {
  return ctx.inner === 1 ? `${v}[o + ${c}]` : `${v}[o + ${c} * ${ctx.inner}]`;
}

export function classCheck(ctx: TermCtx, ignoreIndex: number | null): string[] {
  return [
    ...(ignoreIndex === null ? [] : [`if (t === ${lit(ignoreIndex)}) continue;`]),
    `if (!(t >= 0 && t < ${ctx.C})) throw new RangeError('label ' + t + ' at index ' + i + ' is not a class in [0, ${ctx.C})${ignoreIndex === null ? '' : ` nor ignore_index ${ignoreIndex}`}');`,
  ];
}

export const binaryCheck = `if (t !== 0 && t !== 1) throw new RangeError('target ' + t + ' at index ' + i + ' is not 0 or 1');`;

/**
 * The divisor of the summed loss, as PyTorch reduces it: 'mean' divides by Σ w[y] over the labels that
 * count (their number without class weights: ignored labels count in neither sum), 'sum' by 1, and
 * 'none' — one loss per element, of which training back-propagates the plain mean, as
 * `loss.mean().backward()` does — by the number of elements, ignored ones included.
 * `weight`: row i's weight in a 'mean' (`1`, or `lossWeight[t]`).
 */
export function divisor(reduction: Reduction, count: string, weight: string): { init: string; add: string | null } {
  switch (reduction) {
    case 'mean':
      return { init: 'let total = 0;', add: `total += ${weight};` };
    case 'sum':
      return { init: 'const total = 1;', add: null };
    case 'none':
      return { init: `const total = ${count};`, add: null };
  }
}

/** Label checks (and the mean's divisor) before the loss: a bad label throws before anything is written. */
export function labelPass(ctx: TermCtx, count: string, check: readonly string[], d: { init: string; add: string | null }): string[] {
  return [d.init, `for (let i = 0; i < ${count}; i++) {`, `  const t = labels[i];`, ...check.map((l) => `  ${l}`), ...(d.add === null ? [] : [`  ${d.add}`]), `}`];
}

/** A row's softmax head, each exponential computed once: mx, then e = exp(z[c] − mx) kept in `E` (a
 *  module-level Float64Array(C): no allocation) and their `sum`; p[c] is then E[c] / sum. */
export function softmaxHead(ctx: TermCtx, z: (c: string) => string, E: string): string[] {
  return [
    `let mx = -Infinity;`,
    `for (let c = 0; c < ${ctx.C}; c++) if (${z('c')} > mx) mx = ${z('c')};`,
    `let sum = 0;`,
    `for (let c = 0; c < ${ctx.C}; c++) {`,
    `  const e = Math.exp(${z('c')} - mx);`,
    `  ${E}[c] = e;`,
    `  sum += e;`,
    `}`,
  ];
}

/** `scale / total`, the factor of every gradient (and of the loss). */
export function invTotal(t: LossTermIR): string {
  return `const inv = ${lit(t.scale)} / total;`;
}
